//! Semantic types (LANGUAGE.md §2).

use std::fmt;
use std::rc::Rc;

pub use aria_syntax::ast::{FloatKind, IntKind, TbbKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StructId(pub u32);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ty {
    Int(IntKind),
    Float(FloatKind),
    Tbb(TbbKind),
    Bool,
    String,
    /// `NIL` / `void`.
    Nil,
    /// `T[]`: reference semantics.
    Array(Rc<Ty>),
    /// `T[N]`: value semantics.
    Fixed(Rc<Ty>, u64),
    Struct(StructId),
    /// `func<R(P..)>` where R is the value type (`Task<T>` for async).
    Func(Rc<FuncTy>),
    /// `result<T>`: only ever the type of a call, an `await`, or a result variable.
    Result(Rc<Ty>),
    Task(Rc<Ty>),
    Chan(Rc<Ty>),
    TcpListener,
    TcpConn,
    /// `wild T@`
    Ptr(Rc<Ty>),
    /// Type of an untyped integer constant while checking (never in output).
    UntypedInt,
    /// Type of an untyped float constant while checking (never in output).
    UntypedFloat,
    /// Type of `NULL` before conversion.
    Null,
    /// Poison after an error: compatible with everything, suppresses cascades.
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FuncTy {
    pub ret: Ty,
    pub params: Vec<Ty>,
}

impl Ty {
    pub fn is_integer(&self) -> bool {
        matches!(self, Ty::Int(_))
    }

    pub fn is_signed(&self) -> bool {
        matches!(
            self,
            Ty::Int(IntKind::I8 | IntKind::I16 | IntKind::I32 | IntKind::I64)
        )
    }

    /// Managed types are reference counted pointers at run time.
    pub fn is_managed(&self) -> bool {
        matches!(
            self,
            Ty::String
                | Ty::Array(_)
                | Ty::Fixed(..)
                | Ty::Struct(_)
                | Ty::Func(_)
                | Ty::Task(_)
                | Ty::Chan(_)
                | Ty::TcpListener
                | Ty::TcpConn
        )
    }

    /// Wild-bearing per LANGUAGE.md §7.8 needs struct info; see `Program::is_wild_bearing`.
    pub fn result_inner(&self) -> Option<&Ty> {
        match self {
            Ty::Result(t) => Some(t),
            _ => None,
        }
    }
}

pub fn int_bits(k: IntKind) -> u32 {
    match k {
        IntKind::I8 | IntKind::U8 => 8,
        IntKind::I16 | IntKind::U16 => 16,
        IntKind::I32 | IntKind::U32 => 32,
        IntKind::I64 | IntKind::U64 => 64,
    }
}

pub fn tbb_bits(k: TbbKind) -> u32 {
    match k {
        TbbKind::T8 => 8,
        TbbKind::T16 => 16,
        TbbKind::T32 => 32,
        TbbKind::T64 => 64,
    }
}

impl fmt::Display for Ty {
    /// Source spelling, for diagnostics (`int32[]`, `func<int32(string)>`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Int(k) => write!(f, "{}", int_name(*k)),
            Ty::Float(FloatKind::F32) => write!(f, "flt32"),
            Ty::Float(FloatKind::F64) => write!(f, "flt64"),
            Ty::Tbb(k) => write!(f, "tbb{}", tbb_bits(*k)),
            Ty::Bool => write!(f, "bool"),
            Ty::String => write!(f, "string"),
            Ty::Nil => write!(f, "NIL"),
            Ty::Array(t) => write!(f, "{t}[]"),
            Ty::Fixed(t, n) => write!(f, "{t}[{n}]"),
            Ty::Struct(id) => write!(f, "struct#{}", id.0),
            Ty::Func(ft) => {
                write!(f, "func<{}(", ft.ret)?;
                for (i, p) in ft.params.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{p}")?;
                }
                write!(f, ")>")
            }
            Ty::Result(t) => write!(f, "result<{t}>"),
            Ty::Task(t) => write!(f, "Task<{t}>"),
            Ty::Chan(t) => write!(f, "Chan<{t}>"),
            Ty::TcpListener => write!(f, "TcpListener"),
            Ty::TcpConn => write!(f, "TcpConn"),
            Ty::Ptr(t) => write!(f, "wild {t}@"),
            Ty::UntypedInt => write!(f, "integer constant"),
            Ty::UntypedFloat => write!(f, "float constant"),
            Ty::Null => write!(f, "NULL"),
            Ty::Error => write!(f, "<error>"),
        }
    }
}

pub fn int_name(k: IntKind) -> &'static str {
    match k {
        IntKind::I8 => "int8",
        IntKind::I16 => "int16",
        IntKind::I32 => "int32",
        IntKind::I64 => "int64",
        IntKind::U8 => "uint8",
        IntKind::U16 => "uint16",
        IntKind::U32 => "uint32",
        IntKind::U64 => "uint64",
    }
}

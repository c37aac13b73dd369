//! Built-in functions, constants and methods (LANGUAGE.md §7.5, §7.11-§7.14,
//! §8, §10.2): their names and signatures.

use crate::tast::Builtin;
use crate::types::{FloatKind, FuncTy, IntKind, Ty};

/// A built-in function called by name (`chan`/`alloc` are syntax).
pub fn function(name: &str) -> Option<Builtin> {
    use Builtin::*;
    Some(match name {
        "print" => Print,
        "println" => Println,
        "puts" => Puts,
        "eprint" => Eprint,
        "eprintln" => Eprintln,
        "exit" => Exit,
        "panic" => Panic,
        "assert" => Assert,
        "now_ms" => NowMs,
        "to_string" => ToString,
        "parse_int" => ParseInt,
        "parse_float" => ParseFloat,
        "from_byte" => FromByte,
        "abs" => Abs,
        "min" => Min,
        "max" => Max,
        "sqrt" => Sqrt,
        "free" => Free,
        "sleep" => Sleep,
        "yield_now" => YieldNow,
        "join_all" => JoinAll,
        "race" => Race,
        "with_timeout" => WithTimeout,
        "tcp_listen" => TcpListen,
        "tcp_connect" => TcpConnect,
        "read_file" => ReadFile,
        "write_file" => WriteFile,
        _ => return None,
    })
}

/// The predeclared failure codes (§10.2), `int64`.
pub fn constant(name: &str) -> Option<i64> {
    Some(match name {
        "ERR_CANCELLED" => -1,
        "ERR_TIMEOUT" => -2,
        "ERR_CLOSED" => -3,
        "ERR_IO" => -4,
        "ERR_NOT_FOUND" => -5,
        "ERR_REFUSED" => -6,
        "ERR_ADDR_IN_USE" => -7,
        "ERR_PARSE" => -8,
        "ERR_INVALID" => -9,
        _ => return None,
    })
}

/// What an array method needs of the element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElemNeed {
    Nothing,
    /// `sort`: numbers, tbb, strings (E0322).
    Ordered,
    /// `index_of`, `contains`: `==` (E0322).
    Equatable,
    /// `join`: printable elements (E0318).
    Printable,
}

/// A built-in method's signature; the receiver is not among `params`.
#[derive(Debug, Clone)]
pub struct Method {
    pub builtin: Builtin,
    pub params: Vec<Ty>,
    /// The value type (calls yield `result<ret>`).
    pub ret: Ty,
    /// Changes the length: `T[]` only (E0317 on a fixed array).
    pub dyn_only: bool,
    pub need: ElemNeed,
}

fn m(builtin: Builtin, params: Vec<Ty>, ret: Ty) -> Method {
    Method {
        builtin,
        params,
        ret,
        dyn_only: false,
        need: ElemNeed::Nothing,
    }
}

const I64: Ty = Ty::Int(IntKind::I64);

/// Is `name` a method of values of type `recv`?
pub fn is_method_of(recv: &Ty, name: &str) -> bool {
    method(recv, name).is_some()
}

/// The method `name` of a receiver of type `recv`, if it exists.
pub fn method(recv: &Ty, name: &str) -> Option<Method> {
    match recv {
        Ty::String => string_method(name),
        Ty::Array(e) | Ty::Fixed(e, _) => array_method(e, name),
        Ty::Task(t) => task_method(t, name),
        Ty::Chan(t) => chan_method(t, name),
        Ty::TcpListener => listener_method(name),
        Ty::TcpConn => conn_method(name),
        _ => None,
    }
}

fn string_method(name: &str) -> Option<Method> {
    use Builtin::*;
    let s = || Ty::String;
    Some(match name {
        "substring" => m(StrSubstring, vec![I64, I64], s()),
        "find" => m(StrFind, vec![s()], I64),
        "contains" => m(StrContains, vec![s()], Ty::Bool),
        "starts_with" => m(StrStartsWith, vec![s()], Ty::Bool),
        "ends_with" => m(StrEndsWith, vec![s()], Ty::Bool),
        "split" => m(StrSplit, vec![s()], Ty::Array(s().into())),
        "trim" => m(StrTrim, vec![], s()),
        "to_upper" => m(StrToUpper, vec![], s()),
        "to_lower" => m(StrToLower, vec![], s()),
        "replace" => m(StrReplace, vec![s(), s()], s()),
        "repeat" => m(StrRepeat, vec![I64], s()),
        _ => return None,
    })
}

fn array_method(elem: &std::rc::Rc<Ty>, name: &str) -> Option<Method> {
    use Builtin::*;
    let e = || (**elem).clone();
    let dynamic = |mut x: Method| {
        x.dyn_only = true;
        x
    };
    let needs = |mut x: Method, need| {
        x.need = need;
        x
    };
    Some(match name {
        "push" => dynamic(m(ArrPush, vec![e()], Ty::Nil)),
        "pop" => dynamic(m(ArrPop, vec![], e())),
        "insert" => dynamic(m(ArrInsert, vec![I64, e()], Ty::Nil)),
        "remove" => dynamic(m(ArrRemove, vec![I64], e())),
        "clear" => dynamic(m(ArrClear, vec![], Ty::Nil)),
        "slice" => m(ArrSlice, vec![I64, I64], Ty::Array(elem.clone())),
        "index_of" => needs(m(ArrIndexOf, vec![e()], I64), ElemNeed::Equatable),
        "contains" => needs(m(ArrContains, vec![e()], Ty::Bool), ElemNeed::Equatable),
        "reverse" => m(ArrReverse, vec![], Ty::Nil),
        "sort" => needs(m(ArrSort, vec![], Ty::Nil), ElemNeed::Ordered),
        "join" => needs(
            m(ArrJoin, vec![Ty::String], Ty::String),
            ElemNeed::Printable,
        ),
        _ => return None,
    })
}

fn task_method(t: &std::rc::Rc<Ty>, name: &str) -> Option<Method> {
    use Builtin::*;
    Some(match name {
        "await" => m(TaskAwait, vec![], (**t).clone()),
        "done" => m(TaskDone, vec![], Ty::Bool),
        "cancel" => m(TaskCancel, vec![], Ty::Nil),
        "detach" => m(TaskDetach, vec![], Ty::Nil),
        "then" => {
            let cb = FuncTy {
                ret: Ty::Nil,
                params: vec![Ty::Result(t.clone())],
            };
            m(TaskThen, vec![Ty::Func(cb.into())], Ty::Nil)
        }
        _ => return None,
    })
}

fn chan_method(t: &std::rc::Rc<Ty>, name: &str) -> Option<Method> {
    use Builtin::*;
    Some(match name {
        "send" => m(ChanSend, vec![(**t).clone()], Ty::Task(Ty::Nil.into())),
        "recv" => m(ChanRecv, vec![], Ty::Task(t.clone())),
        "close" => m(ChanClose, vec![], Ty::Nil),
        _ => return None,
    })
}

fn listener_method(name: &str) -> Option<Method> {
    use Builtin::*;
    Some(match name {
        "port" => m(ListenerPort, vec![], Ty::Int(IntKind::I32)),
        "accept" => m(ListenerAccept, vec![], Ty::Task(Ty::TcpConn.into())),
        "close" => m(ListenerClose, vec![], Ty::Nil),
        _ => return None,
    })
}

fn conn_method(name: &str) -> Option<Method> {
    use Builtin::*;
    Some(match name {
        "read" => m(ConnRead, vec![I64], Ty::Task(Ty::String.into())),
        "write" => m(ConnWrite, vec![Ty::String], Ty::Task(I64.into())),
        "shutdown" => m(ConnShutdown, vec![], Ty::Nil),
        "close" => m(ConnClose, vec![], Ty::Nil),
        _ => return None,
    })
}

/// Fixed signatures of the built-in functions that have one: parameter
/// types and value type. The generic ones (print family, `abs`/`min`/
/// `max`, `free`, task combinators) are checked by hand in `call`.
pub fn fixed_signature(b: Builtin) -> Option<(Vec<Ty>, Ty)> {
    use Builtin::*;
    let s = || Ty::String;
    let task = |t: Ty| Ty::Task(t.into());
    let i32_ = Ty::Int(IntKind::I32);
    Some(match b {
        Exit => (vec![i32_], Ty::Nil),
        Panic => (vec![s()], Ty::Nil),
        Assert => (vec![Ty::Bool, s()], Ty::Nil),
        NowMs => (vec![], I64),
        ParseInt => (vec![s()], I64),
        ParseFloat => (vec![s()], Ty::Float(FloatKind::F64)),
        FromByte => (vec![Ty::Int(IntKind::U8)], s()),
        Sqrt => (vec![Ty::Float(FloatKind::F64)], Ty::Float(FloatKind::F64)),
        Sleep => (vec![I64], task(Ty::Nil)),
        YieldNow => (vec![], task(Ty::Nil)),
        TcpListen => (vec![s(), i32_], Ty::TcpListener),
        TcpConnect => (vec![s(), i32_], task(Ty::TcpConn)),
        ReadFile => (vec![s()], task(s())),
        WriteFile => (vec![s(), s()], task(Ty::Nil)),
        _ => return None,
    })
}

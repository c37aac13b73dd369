//! How Aria types map to machine values and to the runtime's object layouts
//! (docs/RUNTIME_ABI.md, "Values" and "Managed objects").

use crate::mir::MTy;
use aria_sema::tast::Program;
use aria_sema::types::{int_bits, tbb_bits, FloatKind, IntKind, TbbKind, Ty};

/// `len: i64` of a string object.
pub const STR_LEN: i32 = 16;
/// `len: i64` of an array object.
pub const ARR_LEN: i32 = 16;
/// `data: *mut u8` of an array object.
pub const ARR_DATA: i32 = 40;
/// First field slot of a struct object.
pub const STRUCT_FIELDS: i32 = 32;
/// `fnptr` of a closure object.
pub const CLOSURE_FN: i32 = 16;
/// First capture slot of a closure object.
pub const CLOSURE_CAPS: i32 = 40;
/// The value slot of a cell object.
pub const CELL_VALUE: i32 = 24;

/// Machine type of a (non-result) Aria type.
pub fn mty(ty: &Ty) -> MTy {
    match ty {
        Ty::Int(k) => bits_mty(int_bits(*k)),
        Ty::Tbb(k) => bits_mty(tbb_bits(*k)),
        Ty::Float(FloatKind::F32) => MTy::F32,
        Ty::Float(FloatKind::F64) | Ty::UntypedFloat => MTy::F64,
        Ty::Bool | Ty::Nil => MTy::I8,
        _ => MTy::I64,
    }
}

pub fn bits_mty(bits: u32) -> MTy {
    match bits {
        8 => MTy::I8,
        16 => MTy::I16,
        32 => MTy::I32,
        _ => MTy::I64,
    }
}

/// Machine types of a value of `ty` when passed or stored flat: a result is
/// two values (err, val).
pub fn flat_mtys(ty: &Ty) -> Vec<MTy> {
    match ty {
        Ty::Result(t) => vec![MTy::I64, mty(t)],
        t => vec![mty(t)],
    }
}

/// Integers whose machine value is extended as signed: signed integers and
/// tbb (a tbb is its own two's-complement value).
pub fn is_signed(ty: &Ty) -> bool {
    ty.is_signed() || matches!(ty, Ty::Tbb(_))
}

/// Value-semantics containers, implemented as copy-on-write objects.
pub fn is_cow(ty: &Ty) -> bool {
    matches!(ty, Ty::Fixed(..) | Ty::Struct(_))
}

/// Types whose zero value is an allocated object rather than null/0.
pub fn zero_allocates(ty: &Ty) -> bool {
    matches!(ty, Ty::Array(_) | Ty::Fixed(..) | Ty::Struct(_))
}

/// Array element kind code (RUNTIME_ABI.md "Array element kinds").
pub fn elem_kind(ty: &Ty) -> i32 {
    match ty {
        Ty::Int(k) => match k {
            IntKind::I8 => 1,
            IntKind::I16 => 2,
            IntKind::I32 => 3,
            IntKind::I64 => 4,
            IntKind::U8 => 5,
            IntKind::U16 => 6,
            IntKind::U32 => 7,
            IntKind::U64 => 8,
        },
        Ty::Float(FloatKind::F32) => 9,
        Ty::Float(FloatKind::F64) => 10,
        Ty::Bool => 11,
        Ty::Tbb(k) => match k {
            TbbKind::T8 => 12,
            TbbKind::T16 => 13,
            TbbKind::T32 => 14,
            TbbKind::T64 => 15,
        },
        Ty::String => 16,
        Ty::Array(_) | Ty::Fixed(..) => 17,
        Ty::Nil => 18,
        Ty::Ptr(_) | Ty::Null => 19,
        Ty::Struct(_) => 20,
        Ty::Func(_) => 21,
        Ty::Task(_) => 22,
        Ty::Chan(_) => 23,
        Ty::TcpListener => 24,
        Ty::TcpConn => 25,
        _ => 4,
    }
}

/// Packed element size in arrays (the machine value's size).
pub fn elem_size(ty: &Ty) -> i32 {
    mty(ty).bytes() as i32
}

/// Byte offset of field `f` in a struct object.
pub fn field_offset(f: usize) -> i32 {
    STRUCT_FIELDS + 8 * f as i32
}

/// Byte offset of capture `i` in a closure object.
pub fn cap_offset(i: usize) -> i32 {
    CLOSURE_CAPS + 8 * i as i32
}

/// Size of one element of `wild T@` memory. A struct element is laid out
/// like the fields of a struct object: one 8-byte slot per field.
pub fn wild_elem_size(prog: &Program, ty: &Ty) -> i64 {
    match ty {
        Ty::Struct(id) => 8 * prog.structs[id.0 as usize].fields.len() as i64,
        t => mty(t).bytes() as i64,
    }
}

/// The `ERR` sentinel of a tbb of `bits` (the two's-complement minimum).
pub fn tbb_err(bits: u32) -> i64 {
    if bits == 64 {
        i64::MIN
    } else {
        -(1i64 << (bits - 1))
    }
}

/// The largest tbb value of `bits` (the range is symmetric).
pub fn tbb_max(bits: u32) -> i64 {
    if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    }
}

pub fn tbb_kind_bits(ty: &Ty) -> Option<u32> {
    match ty {
        Ty::Tbb(k) => Some(tbb_bits(*k)),
        _ => None,
    }
}

/// The value type of a `result<T>` (or the type itself).
pub fn res_inner(ty: &Ty) -> &Ty {
    match ty {
        Ty::Result(t) => t,
        t => t,
    }
}

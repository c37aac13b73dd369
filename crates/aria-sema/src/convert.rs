//! Type relations as pure predicates: implicit conversions (LANGUAGE.md
//! §2.9), casts (§2.10) and the operator classes of §6 (numeric, ordered,
//! comparable, printable). Anything that needs struct declarations (wild-
//! bearing, plain types) lives in the checker, which has them.

use crate::types::{int_bits, tbb_bits, FloatKind, Ty};

/// Integers, floats and tbb: the operands of arithmetic.
pub fn is_numeric(t: &Ty) -> bool {
    matches!(t, Ty::Int(_) | Ty::Float(_) | Ty::Tbb(_))
}

/// Types with `<`, `<=`, `>`, `>=`, `<=>` (§6) and `sort` (§8.4).
pub fn is_ordered(t: &Ty) -> bool {
    is_numeric(t) || matches!(t, Ty::String)
}

/// Types with `==` / `!=` (§6); also `index_of` / `contains` elements.
pub fn is_equatable(t: &Ty) -> bool {
    is_ordered(t)
        || matches!(
            t,
            Ty::Bool
                | Ty::Nil
                | Ty::Ptr(_)
                | Ty::Task(_)
                | Ty::Chan(_)
                | Ty::TcpListener
                | Ty::TcpConn
        )
}

/// Types accepted by the print family, `to_string`, `join` and templates
/// (§8.2): scalars, strings, `NIL`, pointers and arrays of printable elements.
pub fn is_printable(t: &Ty) -> bool {
    match t {
        Ty::Int(_) | Ty::Float(_) | Ty::Tbb(_) | Ty::Bool | Ty::String | Ty::Nil | Ty::Ptr(_) => {
            true
        }
        Ty::Array(e) | Ty::Fixed(e, _) => is_printable(e),
        Ty::Error => true,
        _ => false,
    }
}

/// True when the type mentions the poison type anywhere: such types are
/// compatible with everything so one error does not cascade.
pub fn has_error(t: &Ty) -> bool {
    match t {
        Ty::Error => true,
        Ty::Array(e) | Ty::Fixed(e, _) | Ty::Result(e) | Ty::Task(e) | Ty::Chan(e) | Ty::Ptr(e) => {
            has_error(e)
        }
        Ty::Func(f) => has_error(&f.ret) || f.params.iter().any(has_error),
        _ => false,
    }
}

/// Types of untyped constants (and `NULL`) while checking.
pub fn is_untyped(t: &Ty) -> bool {
    matches!(t, Ty::UntypedInt | Ty::UntypedFloat | Ty::Null)
}

/// §2.9 rules 1-2 between two concrete, non-result types: widening only.
/// Rules 3 (constants) and 4 (results) are handled by the coercion code,
/// which knows about values.
pub fn implicit(from: &Ty, to: &Ty) -> bool {
    if from == to {
        return true;
    }
    match (from, to) {
        (Ty::Int(a), Ty::Int(b)) => {
            Ty::Int(*a).is_signed() == Ty::Int(*b).is_signed() && int_bits(*b) > int_bits(*a)
        }
        (Ty::Tbb(a), Ty::Tbb(b)) => tbb_bits(*b) > tbb_bits(*a),
        (Ty::Float(FloatKind::F32), Ty::Float(FloatKind::F64)) => true,
        (Ty::Int(_), Ty::Float(_)) => true,
        _ => false,
    }
}

/// §2.10: which explicit casts `e => T` exist (besides the identity).
pub fn cast_ok(from: &Ty, to: &Ty) -> bool {
    if from == to {
        return true;
    }
    let scalar = |t: &Ty| matches!(t, Ty::Int(_) | Ty::Float(_));
    match (from, to) {
        (f, t) if scalar(f) && scalar(t) => true,
        (Ty::Int(_) | Ty::Float(_) | Ty::Tbb(_), Ty::Tbb(_)) => true,
        (Ty::Tbb(_), Ty::Int(_) | Ty::Float(_)) => true,
        (Ty::Bool, Ty::Int(_)) => true,
        (Ty::Ptr(_), Ty::Ptr(_)) => true,
        (Ty::Ptr(_), Ty::Int(k)) | (Ty::Int(k), Ty::Ptr(_)) => int_bits(*k) == 64,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{IntKind, TbbKind};

    #[test]
    fn widening_only() {
        let i32_ = Ty::Int(IntKind::I32);
        let i64_ = Ty::Int(IntKind::I64);
        let u8_ = Ty::Int(IntKind::U8);
        assert!(implicit(&i32_, &i64_));
        assert!(!implicit(&i64_, &i32_));
        assert!(!implicit(&u8_, &i64_));
        assert!(implicit(&u8_, &Ty::Float(FloatKind::F32)));
        assert!(implicit(&Ty::Tbb(TbbKind::T8), &Ty::Tbb(TbbKind::T16)));
        assert!(!implicit(&Ty::Tbb(TbbKind::T8), &i32_));
    }

    #[test]
    fn casts() {
        assert!(cast_ok(&Ty::Bool, &Ty::Int(IntKind::U8)));
        assert!(!cast_ok(&Ty::String, &Ty::Int(IntKind::I32)));
        assert!(!cast_ok(&Ty::Int(IntKind::I32), &Ty::Bool));
        let p = Ty::Ptr(std::rc::Rc::new(Ty::Int(IntKind::I32)));
        assert!(cast_ok(&p, &Ty::Int(IntKind::U64)));
        assert!(!cast_ok(&p, &Ty::Int(IntKind::I32)));
    }
}

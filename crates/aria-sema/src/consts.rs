//! Compile-time constant arithmetic (LANGUAGE.md §2.9, §3 "constants").
//!
//! Untyped constants are evaluated exactly (integers as `i128`, like Go's
//! arbitrary precision but bounded: leaving `i128` is reported as
//! overflow); only the final value must fit where it is used. Typed
//! constants are computed "with run-time semantics": integers wrap, tbb
//! goes to `ERR`, floats follow IEEE-754 at their width. Integer division by
//! a constant zero is an error (E0325) instead of a panic.

use crate::types::{int_bits, tbb_bits, FloatKind, IntKind, TbbKind, Ty};
use aria_syntax::ast::{BinOp, UnOp};

/// A folded constant value. Integers and tbb use `Int` (tbb `ERR` is the
/// type's two's-complement minimum, as in the typed AST).
#[derive(Debug, Clone, PartialEq)]
pub enum Const {
    Int(i128),
    Float(f64),
    Bool(bool),
    Str(Vec<u8>),
    Nil,
}

/// Why a constant operation cannot be folded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldError {
    /// Integer division or remainder by a constant zero (E0325).
    DivByZero,
    /// An exact (untyped) value left the 128-bit range (E0302).
    Overflow,
    /// The operator does not apply to these constants; the checker has
    /// already reported it or reports it itself.
    NotDefined,
}

pub type Folded = Result<(Const, Ty), FoldError>;

/// Inclusive range of an integer type.
pub fn int_range(k: IntKind) -> (i128, i128) {
    let bits = int_bits(k);
    if Ty::Int(k).is_signed() {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    }
}

/// Largest tbb value; the range is symmetric `-max..=max`.
pub fn tbb_max(k: TbbKind) -> i128 {
    (1i128 << (tbb_bits(k) - 1)) - 1
}

/// The `ERR` sentinel of a tbb type: its two's-complement minimum.
pub fn tbb_err(k: TbbKind) -> i128 {
    -(1i128 << (tbb_bits(k) - 1))
}

/// Two's-complement wrap of `v` into integer type `k`.
pub fn wrap(v: i128, k: IntKind) -> i128 {
    let bits = int_bits(k);
    let mask = (1i128 << bits) - 1;
    let low = v & mask;
    if Ty::Int(k).is_signed() && low >= 1i128 << (bits - 1) {
        low - (1i128 << bits)
    } else {
        low
    }
}

/// Round a float to the precision of its type.
pub fn round_float(v: f64, k: FloatKind) -> f64 {
    match k {
        FloatKind::F32 => v as f32 as f64,
        FloatKind::F64 => v,
    }
}

/// Does the exact integer `v` fit type `to` exactly (§2.9 rule 3)?
pub fn int_fits(v: i128, to: &Ty) -> bool {
    match to {
        Ty::Int(k) => {
            let (lo, hi) = int_range(*k);
            (lo..=hi).contains(&v)
        }
        Ty::Tbb(k) => v.unsigned_abs() <= tbb_max(*k) as u128,
        Ty::Float(FloatKind::F64) => (v as f64) as i128 == v,
        Ty::Float(FloatKind::F32) => (v as f32) as i128 == v,
        _ => false,
    }
}

/// Does the float constant `v` fit `flt32`/`flt64` (no overflow to inf)?
pub fn float_fits(v: f64, k: FloatKind) -> bool {
    !v.is_finite() || round_float(v, k).is_finite()
}

fn cmp_result(op: BinOp, ord: Option<std::cmp::Ordering>) -> (Const, Ty) {
    use std::cmp::Ordering::*;
    if op == BinOp::Cmp3 {
        let v = match ord {
            Some(Less) => -1,
            Some(Greater) => 1,
            _ => 0,
        };
        return (Const::Int(v), Ty::Int(IntKind::I32));
    }
    let b = match (op, ord) {
        (_, None) => op == BinOp::Ne,
        (BinOp::Lt, Some(o)) => o == Less,
        (BinOp::Le, Some(o)) => o != Greater,
        (BinOp::Gt, Some(o)) => o == Greater,
        (BinOp::Ge, Some(o)) => o != Less,
        (BinOp::Eq, Some(o)) => o == Equal,
        (BinOp::Ne, Some(o)) => o != Equal,
        _ => return (Const::Bool(false), Ty::Error),
    };
    (Const::Bool(b), Ty::Bool)
}

fn is_comparison(op: BinOp) -> bool {
    use BinOp::*;
    matches!(op, Lt | Le | Gt | Ge | Cmp3 | Eq | Ne)
}

/// Exact arithmetic on two untyped constants (ints and/or floats).
pub fn untyped_binary(op: BinOp, a: &Const, b: &Const) -> Folded {
    match (a, b) {
        (Const::Int(x), Const::Int(y)) => untyped_int_binary(op, *x, *y),
        (Const::Int(_) | Const::Float(_), Const::Int(_) | Const::Float(_)) => {
            let (x, y) = (as_f64(a), as_f64(b));
            if is_comparison(op) {
                return Ok(cmp_result(op, x.partial_cmp(&y)));
            }
            let v = float_arith(op, x, y)?;
            Ok((Const::Float(v), Ty::UntypedFloat))
        }
        _ => Err(FoldError::NotDefined),
    }
}

fn as_f64(c: &Const) -> f64 {
    match c {
        Const::Int(v) => *v as f64,
        Const::Float(f) => *f,
        _ => 0.0,
    }
}

fn float_arith(op: BinOp, x: f64, y: f64) -> Result<f64, FoldError> {
    Ok(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => x / y,
        BinOp::Rem => x % y,
        _ => return Err(FoldError::NotDefined),
    })
}

fn untyped_int_binary(op: BinOp, x: i128, y: i128) -> Folded {
    use BinOp::*;
    if is_comparison(op) {
        return Ok(cmp_result(op, Some(x.cmp(&y))));
    }
    let v = match op {
        Add => x.checked_add(y),
        Sub => x.checked_sub(y),
        Mul => x.checked_mul(y),
        Div | Rem if y == 0 => return Err(FoldError::DivByZero),
        Div => x.checked_div(y),
        Rem => x.checked_rem(y),
        Shl => {
            if !(0..127).contains(&y) {
                None
            } else {
                x.checked_shl(y as u32).filter(|r| r >> y == x)
            }
        }
        Shr => {
            if y < 0 {
                None
            } else {
                Some(x >> y.min(127))
            }
        }
        BitAnd => Some(x & y),
        BitOr => Some(x | y),
        BitXor => Some(x ^ y),
        _ => return Err(FoldError::NotDefined),
    };
    match v {
        Some(v) => Ok((Const::Int(v), Ty::UntypedInt)),
        None => Err(FoldError::Overflow),
    }
}

/// Unary operator on an untyped constant.
pub fn untyped_unary(op: UnOp, a: &Const) -> Folded {
    match (op, a) {
        (UnOp::Neg, Const::Int(v)) => v
            .checked_neg()
            .map(|v| (Const::Int(v), Ty::UntypedInt))
            .ok_or(FoldError::Overflow),
        (UnOp::Neg, Const::Float(f)) => Ok((Const::Float(-f), Ty::UntypedFloat)),
        (UnOp::BitNot, Const::Int(v)) => Ok((Const::Int(!v), Ty::UntypedInt)),
        (UnOp::Not, Const::Bool(b)) => Ok((Const::Bool(!b), Ty::Bool)),
        _ => Err(FoldError::NotDefined),
    }
}

/// Binary operator on two constants of the same concrete type `ty`, with
/// run-time semantics. Shifts are folded by [`typed_shift`].
pub fn typed_binary(op: BinOp, ty: &Ty, a: &Const, b: &Const) -> Folded {
    match (ty, a, b) {
        (Ty::Int(k), Const::Int(x), Const::Int(y)) => int_binary(op, *k, *x, *y),
        (Ty::Tbb(k), Const::Int(x), Const::Int(y)) => tbb_binary(op, *k, *x, *y),
        (Ty::Float(k), Const::Float(x), Const::Float(y)) => {
            if is_comparison(op) {
                return Ok(cmp_result(op, x.partial_cmp(y)));
            }
            let v = round_float(float_arith(op, *x, *y)?, *k);
            Ok((Const::Float(v), ty.clone()))
        }
        (Ty::Bool, Const::Bool(x), Const::Bool(y)) => {
            let v = match op {
                BinOp::Eq => x == y,
                BinOp::Ne => x != y,
                BinOp::BitAnd | BinOp::And => *x && *y,
                BinOp::BitOr | BinOp::Or => *x || *y,
                BinOp::BitXor => x != y,
                _ => return Err(FoldError::NotDefined),
            };
            Ok((Const::Bool(v), Ty::Bool))
        }
        (Ty::String, Const::Str(x), Const::Str(y)) => {
            if op == BinOp::Add {
                let mut s = x.clone();
                s.extend_from_slice(y);
                return Ok((Const::Str(s), Ty::String));
            }
            if is_comparison(op) {
                return Ok(cmp_result(op, Some(x.cmp(y))));
            }
            Err(FoldError::NotDefined)
        }
        (Ty::Nil, Const::Nil, Const::Nil) if matches!(op, BinOp::Eq | BinOp::Ne) => {
            Ok((Const::Bool(op == BinOp::Eq), Ty::Bool))
        }
        _ => Err(FoldError::NotDefined),
    }
}

fn int_binary(op: BinOp, k: IntKind, x: i128, y: i128) -> Folded {
    use BinOp::*;
    if is_comparison(op) {
        return Ok(cmp_result(op, Some(x.cmp(&y))));
    }
    let v = match op {
        Add => x.wrapping_add(y),
        Sub => x.wrapping_sub(y),
        Mul => x.wrapping_mul(y),
        Div | Rem if y == 0 => return Err(FoldError::DivByZero),
        // MIN / -1 wraps back to MIN and MIN % -1 is 0, as at run time.
        Div => x / y,
        Rem => x % y,
        BitAnd => x & y,
        BitOr => x | y,
        BitXor => x ^ y,
        _ => return Err(FoldError::NotDefined),
    };
    Ok((Const::Int(wrap(v, k)), Ty::Int(k)))
}

fn tbb_binary(op: BinOp, k: TbbKind, x: i128, y: i128) -> Folded {
    use BinOp::*;
    if is_comparison(op) {
        // ERR is the minimum, so plain integer order puts it first.
        return Ok(cmp_result(op, Some(x.cmp(&y))));
    }
    let err = tbb_err(k);
    if !matches!(op, Add | Sub | Mul | Div | Rem) {
        return Err(FoldError::NotDefined);
    }
    let v = if x == err || y == err || (matches!(op, Div | Rem) && y == 0) {
        err
    } else {
        let exact = match op {
            Add => x + y,
            Sub => x - y,
            Mul => x * y,
            Div => x / y,
            _ => x % y,
        };
        if exact.unsigned_abs() <= tbb_max(k) as u128 {
            exact
        } else {
            err
        }
    };
    Ok((Const::Int(v), Ty::Tbb(k)))
}

/// `x << n` / `x >> n` on a typed integer constant; the count is masked to
/// the width, `>>` is arithmetic for signed and logical for unsigned.
pub fn typed_shift(op: BinOp, k: IntKind, x: i128, n: i128) -> Const {
    let bits = int_bits(k) as i128;
    let count = (n & (bits - 1)) as u32;
    let v = match op {
        BinOp::Shl => x.wrapping_shl(count),
        _ => x >> count,
    };
    Const::Int(wrap(v, k))
}

/// Unary operator on a typed constant, with run-time semantics.
pub fn typed_unary(op: UnOp, ty: &Ty, a: &Const) -> Folded {
    let v = match (op, ty, a) {
        (UnOp::Neg, Ty::Int(k), Const::Int(v)) => Const::Int(wrap(-v, *k)),
        (UnOp::Neg, Ty::Tbb(k), Const::Int(v)) => {
            Const::Int(if *v == tbb_err(*k) { *v } else { -v })
        }
        (UnOp::Neg, Ty::Float(_), Const::Float(f)) => Const::Float(-f),
        (UnOp::BitNot, Ty::Int(k), Const::Int(v)) => Const::Int(wrap(!v, *k)),
        (UnOp::Not, Ty::Bool, Const::Bool(b)) => Const::Bool(!b),
        _ => return Err(FoldError::NotDefined),
    };
    Ok((v, ty.clone()))
}

/// Fold a cast or conversion of a constant from `from` to `to` (§2.10).
/// `from` may be an untyped constant type. `None`: not foldable.
pub fn cast(c: &Const, from: &Ty, to: &Ty) -> Option<Const> {
    let from_err = |v: i128| matches!(from, Ty::Tbb(t) if v == tbb_err(*t));
    Some(match (c, to) {
        (Const::Int(v), Ty::Int(k)) => Const::Int(wrap(*v, *k)),
        (Const::Int(v), Ty::Float(k)) if from_err(*v) => {
            let _ = k;
            Const::Float(f64::NAN)
        }
        (Const::Int(v), Ty::Float(k)) => Const::Float(round_float(*v as f64, *k)),
        (Const::Int(v), Ty::Tbb(k)) => {
            if from_err(*v) || v.unsigned_abs() > tbb_max(*k) as u128 {
                Const::Int(tbb_err(*k))
            } else {
                Const::Int(*v)
            }
        }
        (Const::Float(f), Ty::Int(k)) => Const::Int(float_to_int(*f, *k)),
        (Const::Float(f), Ty::Float(k)) => Const::Float(round_float(*f, *k)),
        (Const::Float(f), Ty::Tbb(k)) => {
            let t = f.trunc();
            if f.is_nan() || t.abs() > tbb_max(*k) as f64 {
                Const::Int(tbb_err(*k))
            } else {
                Const::Int(t as i128)
            }
        }
        (Const::Bool(b), Ty::Int(_)) => Const::Int(*b as i128),
        (c, t) if from == t => c.clone(),
        _ => return None,
    })
}

/// Float to integer: truncate toward zero, saturate, NaN gives 0.
fn float_to_int(f: f64, k: IntKind) -> i128 {
    if f.is_nan() {
        return 0;
    }
    let (lo, hi) = int_range(k);
    let t = f.trunc();
    if t <= lo as f64 {
        lo
    } else if t >= hi as f64 {
        hi
    } else {
        t as i128
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping() {
        assert_eq!(wrap(128, IntKind::I8), -128);
        assert_eq!(wrap(-1, IntKind::U8), 255);
        assert_eq!(wrap(300, IntKind::I8), 44);
        assert_eq!(int_range(IntKind::I64).0, i64::MIN as i128);
    }

    #[test]
    fn untyped_exact() {
        let (v, _) = untyped_binary(BinOp::Add, &Const::Int(127), &Const::Int(1)).unwrap();
        assert_eq!(v, Const::Int(128));
        assert_eq!(
            untyped_binary(BinOp::Div, &Const::Int(1), &Const::Int(0)),
            Err(FoldError::DivByZero)
        );
        let (v, t) = untyped_binary(BinOp::Cmp3, &Const::Int(1), &Const::Int(2)).unwrap();
        assert_eq!((v, t), (Const::Int(-1), Ty::Int(IntKind::I32)));
    }

    #[test]
    fn tbb_semantics() {
        let k = TbbKind::T8;
        let (v, _) =
            typed_binary(BinOp::Add, &Ty::Tbb(k), &Const::Int(100), &Const::Int(50)).unwrap();
        assert_eq!(v, Const::Int(-128));
        let (v, _) = typed_binary(BinOp::Div, &Ty::Tbb(k), &Const::Int(1), &Const::Int(0)).unwrap();
        assert_eq!(v, Const::Int(-128));
        assert!(int_fits(-127, &Ty::Tbb(k)));
        assert!(!int_fits(-128, &Ty::Tbb(k)));
    }

    #[test]
    fn casts_fold() {
        let f = Const::Float(3.99);
        assert_eq!(
            cast(&f, &Ty::UntypedFloat, &Ty::Int(IntKind::I32)),
            Some(Const::Int(3))
        );
        let e = Const::Int(-128);
        assert_eq!(
            cast(&e, &Ty::Tbb(TbbKind::T8), &Ty::Int(IntKind::I32)),
            Some(Const::Int(-128))
        );
        assert_eq!(
            cast(&e, &Ty::Tbb(TbbKind::T8), &Ty::Tbb(TbbKind::T16)),
            Some(Const::Int(-32768))
        );
        assert_eq!(
            cast(
                &Const::Float(1e20),
                &Ty::Float(FloatKind::F64),
                &Ty::Int(IntKind::I8)
            ),
            Some(Const::Int(127))
        );
    }
}

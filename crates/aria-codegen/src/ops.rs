//! Single MIR operations (`BinOp`, `UnOp`, `CastOp`) as Cranelift
//! instructions, exactly as the doc comments of `aria_mir::mir` define them.

use aria_mir::mir::{BinOp, CastOp, MTy, UnOp};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::FunctionBuilder;

/// The Cranelift type of a machine type.
pub(crate) fn clif_ty(ty: MTy) -> Type {
    match ty {
        MTy::I8 => types::I8,
        MTy::I16 => types::I16,
        MTy::I32 => types::I32,
        MTy::I64 => types::I64,
        MTy::F32 => types::F32,
        MTy::F64 => types::F64,
    }
}

/// `v` truncated to the width of the integer type `ty`, as the zero-extended
/// bit pattern (the form `iconst` requires).
pub(crate) fn mask(v: i64, ty: MTy) -> i64 {
    match ty {
        MTy::I8 => v as u8 as i64,
        MTy::I16 => v as u16 as i64,
        MTy::I32 | MTy::F32 => v as u32 as i64,
        MTy::I64 | MTy::F64 => v,
    }
}

/// The integer constant `v` of type `ty`.
pub(crate) fn iconst(b: &mut FunctionBuilder, ty: MTy, v: i64) -> Value {
    b.ins().iconst(clif_ty(ty), mask(v, ty))
}

/// What a binary operator needs of its operands, and what it produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinClass {
    /// Integer operands of one type; result of that type.
    IntArith,
    /// Integer value and an integer shift count (of any width).
    Shift,
    /// Integer operands of one type; result I8.
    IntCmp,
    /// Float operands of one type; result of that type.
    FloatArith,
    /// Float operands of one type; result I8.
    FloatCmp,
}

pub(crate) fn bin_class(op: BinOp) -> BinClass {
    use BinOp::*;
    match op {
        Add | Sub | Mul | SDiv | UDiv | SRem | URem | And | Or | Xor => BinClass::IntArith,
        Shl | SShr | UShr => BinClass::Shift,
        Eq | Ne | SLt | SLe | SGt | SGe | ULt | ULe | UGt | UGe => BinClass::IntCmp,
        FAdd | FSub | FMul | FDiv => BinClass::FloatArith,
        FEq | FNe | FLt | FLe | FGt | FGe => BinClass::FloatCmp,
    }
}

/// A divisor known at compile time, if the operand is a constant.
pub(crate) type ConstDivisor = Option<i64>;

/// Emits `a op b`. Operand types have been checked by the caller against
/// [`bin_class`]; `ty` is the type of `a`. `b_const` is `b`'s value when it
/// is a constant (lets division avoid the `-1` guard).
pub(crate) fn binary(
    b: &mut FunctionBuilder,
    op: BinOp,
    ty: MTy,
    x: Value,
    y: Value,
    b_const: ConstDivisor,
) -> Value {
    use BinOp::*;
    match op {
        Add => b.ins().iadd(x, y),
        Sub => b.ins().isub(x, y),
        Mul => b.ins().imul(x, y),
        SDiv => sdiv(b, ty, x, y, b_const),
        UDiv => b.ins().udiv(x, y),
        SRem => srem(b, ty, x, y, b_const),
        URem => b.ins().urem(x, y),
        And => b.ins().band(x, y),
        Or => b.ins().bor(x, y),
        Xor => b.ins().bxor(x, y),
        Shl => b.ins().ishl(x, y),
        SShr => b.ins().sshr(x, y),
        UShr => b.ins().ushr(x, y),
        Eq => b.ins().icmp(IntCC::Equal, x, y),
        Ne => b.ins().icmp(IntCC::NotEqual, x, y),
        SLt => b.ins().icmp(IntCC::SignedLessThan, x, y),
        SLe => b.ins().icmp(IntCC::SignedLessThanOrEqual, x, y),
        SGt => b.ins().icmp(IntCC::SignedGreaterThan, x, y),
        SGe => b.ins().icmp(IntCC::SignedGreaterThanOrEqual, x, y),
        ULt => b.ins().icmp(IntCC::UnsignedLessThan, x, y),
        ULe => b.ins().icmp(IntCC::UnsignedLessThanOrEqual, x, y),
        UGt => b.ins().icmp(IntCC::UnsignedGreaterThan, x, y),
        UGe => b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, x, y),
        FAdd => b.ins().fadd(x, y),
        FSub => b.ins().fsub(x, y),
        FMul => b.ins().fmul(x, y),
        FDiv => b.ins().fdiv(x, y),
        // Ordered comparisons, except `FNe`, which is "unordered or not
        // equal" (Cranelift's `ne`), so that NaN != NaN.
        FEq => b.ins().fcmp(FloatCC::Equal, x, y),
        FNe => b.ins().fcmp(FloatCC::NotEqual, x, y),
        FLt => b.ins().fcmp(FloatCC::LessThan, x, y),
        FLe => b.ins().fcmp(FloatCC::LessThanOrEqual, x, y),
        FGt => b.ins().fcmp(FloatCC::GreaterThan, x, y),
        FGe => b.ins().fcmp(FloatCC::GreaterThanOrEqual, x, y),
    }
}

/// Signed division that never traps on overflow: `x / -1` is computed as the
/// wrapping negation (so `MIN / -1 == MIN`), every other divisor goes through
/// `sdiv` with the divisor replaced by 1 on the `-1` path, which keeps the
/// hardware `idiv` away from `MIN / -1`.
fn sdiv(b: &mut FunctionBuilder, ty: MTy, x: Value, y: Value, y_const: ConstDivisor) -> Value {
    match y_const.map(|c| sign_extend(c, ty)) {
        Some(-1) => b.ins().ineg(x),
        Some(c) if c != 0 => b.ins().sdiv(x, y),
        _ => {
            let is_m1 = b.ins().icmp_imm_s(IntCC::Equal, y, -1);
            let one = iconst(b, ty, 1);
            let safe = b.ins().select(is_m1, one, y);
            let q = b.ins().sdiv(x, safe);
            let neg = b.ins().ineg(x);
            b.ins().select(is_m1, neg, q)
        }
    }
}

/// Signed remainder with `x % -1 == 0` (never traps): the divisor `-1` is
/// replaced by 1, whose remainder is 0 as well.
fn srem(b: &mut FunctionBuilder, ty: MTy, x: Value, y: Value, y_const: ConstDivisor) -> Value {
    match y_const.map(|c| sign_extend(c, ty)) {
        Some(-1) => iconst(b, ty, 0),
        Some(c) if c != 0 => b.ins().srem(x, y),
        _ => {
            let is_m1 = b.ins().icmp_imm_s(IntCC::Equal, y, -1);
            let one = iconst(b, ty, 1);
            let safe = b.ins().select(is_m1, one, y);
            b.ins().srem(x, safe)
        }
    }
}

/// `v` truncated to `ty`'s width and sign-extended back to i64.
fn sign_extend(v: i64, ty: MTy) -> i64 {
    match ty {
        MTy::I8 => v as i8 as i64,
        MTy::I16 => v as i16 as i64,
        MTy::I32 | MTy::F32 => v as i32 as i64,
        MTy::I64 | MTy::F64 => v,
    }
}

/// Whether the unary operator works on floats (else on integers).
pub(crate) fn un_is_float(op: UnOp) -> bool {
    matches!(op, UnOp::FNeg | UnOp::FSqrt | UnOp::FAbs)
}

pub(crate) fn unary(b: &mut FunctionBuilder, op: UnOp, x: Value) -> Value {
    match op {
        UnOp::Neg => b.ins().ineg(x),
        UnOp::Not => b.ins().bnot(x),
        UnOp::FNeg => b.ins().fneg(x),
        UnOp::FSqrt => b.ins().sqrt(x),
        UnOp::FAbs => b.ins().fabs(x),
    }
}

/// Emits the conversion of `x: from` to `to`, or explains why the pair is
/// not a valid use of `op`.
pub(crate) fn cast(
    b: &mut FunctionBuilder,
    op: CastOp,
    from: MTy,
    to: MTy,
    x: Value,
) -> Result<Value, String> {
    let bad = || format!("invalid cast {op:?} from {from:?} to {to:?}");
    let (fi, ti) = (!from.is_float(), !to.is_float());
    let v = match op {
        CastOp::SExt | CastOp::UExt | CastOp::Trunc if !(fi && ti) => return Err(bad()),
        CastOp::SExt | CastOp::UExt | CastOp::Trunc if from == to => x,
        CastOp::SExt | CastOp::UExt if to.bytes() < from.bytes() => return Err(bad()),
        CastOp::SExt => b.ins().sextend(clif_ty(to), x),
        CastOp::UExt => b.ins().uextend(clif_ty(to), x),
        CastOp::Trunc if to.bytes() > from.bytes() => return Err(bad()),
        CastOp::Trunc => b.ins().ireduce(clif_ty(to), x),
        CastOp::SIntToFloat if fi && !ti => b.ins().fcvt_from_sint(clif_ty(to), x),
        CastOp::UIntToFloat if fi && !ti => b.ins().fcvt_from_uint(clif_ty(to), x),
        CastOp::FloatToSInt if !fi && ti => float_to_int(b, true, to, x),
        CastOp::FloatToUInt if !fi && ti => float_to_int(b, false, to, x),
        CastOp::FPromote if from == MTy::F32 && to == MTy::F64 => b.ins().fpromote(types::F64, x),
        CastOp::FDemote if from == MTy::F64 && to == MTy::F32 => b.ins().fdemote(types::F32, x),
        CastOp::FPromote | CastOp::FDemote if from == to => x,
        CastOp::Bitcast if from == to => x,
        CastOp::Bitcast if from.bytes() == to.bytes() && fi != ti => {
            b.ins().bitcast(clif_ty(to), MemFlagsData::new(), x)
        }
        _ => return Err(bad()),
    };
    Ok(v)
}

/// Truncating toward zero, saturating at the target's bounds, NaN → 0.
/// Cranelift's saturating conversions do exactly this for 32- and 64-bit
/// targets; 8- and 16-bit targets convert to 32 bits and clamp.
fn float_to_int(b: &mut FunctionBuilder, signed: bool, to: MTy, x: Value) -> Value {
    match (signed, to) {
        (true, MTy::I32 | MTy::I64) => b.ins().fcvt_to_sint_sat(clif_ty(to), x),
        (false, MTy::I32 | MTy::I64) => b.ins().fcvt_to_uint_sat(clif_ty(to), x),
        (true, _) => {
            let bits = to.bytes() * 8;
            let w = b.ins().fcvt_to_sint_sat(types::I32, x);
            let lo = b
                .ins()
                .iconst(types::I32, mask(-(1i64 << (bits - 1)), MTy::I32));
            let hi = b.ins().iconst(types::I32, (1i64 << (bits - 1)) - 1);
            let w = b.ins().smax(w, lo);
            let w = b.ins().smin(w, hi);
            b.ins().ireduce(clif_ty(to), w)
        }
        (false, _) => {
            let bits = to.bytes() * 8;
            let w = b.ins().fcvt_to_uint_sat(types::I32, x);
            let hi = b.ins().iconst(types::I32, (1i64 << bits) - 1);
            let w = b.ins().umin(w, hi);
            b.ins().ireduce(clif_ty(to), w)
        }
    }
}

//! Implicit conversions and casts (LANGUAGE.md §2.9, §2.10).

use super::func::FnBuilder;
use super::layout::{mty, tbb_err, tbb_max};
use crate::mir::{BinOp, CastOp, MTy, Operand};
use aria_sema::types::{tbb_bits, FloatKind, IntKind, Ty};

impl<'c, 'a> FnBuilder<'c, 'a> {
    /// Converts machine value `v` of type `from` to `to`.
    pub fn convert(&mut self, v: Operand, from: &Ty, to: &Ty) -> Operand {
        if from == to {
            return v;
        }
        match (from, to) {
            (Ty::Int(_) | Ty::Bool, Ty::Int(_)) => self.resize(v, from.is_signed(), mty(to)),
            (Ty::Tbb(_), Ty::Int(_)) => self.resize(v, true, mty(to)),
            (Ty::Int(_), Ty::Float(_)) => {
                let op = if from.is_signed() {
                    CastOp::SIntToFloat
                } else {
                    CastOp::UIntToFloat
                };
                self.cast(op, v, mty(to))
            }
            (Ty::Float(a), Ty::Float(b)) => match (a, b) {
                (FloatKind::F32, FloatKind::F64) => self.cast(CastOp::FPromote, v, MTy::F64),
                _ => self.cast(CastOp::FDemote, v, MTy::F32),
            },
            (Ty::Float(_), Ty::Int(k)) => self.float_to_int(v, *k),
            (Ty::Tbb(a), Ty::Tbb(b)) => self.tbb_to_tbb(v, tbb_bits(*a), tbb_bits(*b)),
            (Ty::Int(k), Ty::Tbb(b)) => self.int_to_tbb(v, *k, tbb_bits(*b)),
            (Ty::Float(_), Ty::Tbb(b)) => self.float_to_tbb(v, tbb_bits(*b)),
            (Ty::Tbb(a), Ty::Float(_)) => self.tbb_to_float(v, tbb_bits(*a), mty(to)),
            _ if mty(from) == mty(to) => v, // pointers, NULL, handles
            _ => self.unsupported(&format!("conversion from {from} to {to}"), to),
        }
    }

    /// Integer to integer: truncate or extend by the source's signedness.
    pub fn resize(&mut self, v: Operand, signed: bool, to: MTy) -> Operand {
        let from = self.ty_of(&v);
        if from == to {
            v
        } else if from.bytes() > to.bytes() {
            self.cast(CastOp::Trunc, v, to)
        } else if signed {
            self.cast(CastOp::SExt, v, to)
        } else {
            self.cast(CastOp::UExt, v, to)
        }
    }

    /// Truncates toward zero and saturates to the target's range (NaN: 0);
    /// the code generator implements the saturation for every width.
    fn float_to_int(&mut self, v: Operand, k: IntKind) -> Operand {
        let op = if Ty::Int(k).is_signed() {
            CastOp::FloatToSInt
        } else {
            CastOp::FloatToUInt
        };
        self.cast(op, v, mty(&Ty::Int(k)))
    }

    /// Widening keeps `ERR` as `ERR`; narrowing gives `ERR` out of range.
    fn tbb_to_tbb(&mut self, v: Operand, from: u32, to: u32) -> Operand {
        let tt = mty(&Ty::Tbb(bits_kind(to)));
        let err_to = Operand::Int(tbb_err(to), tt);
        if to > from {
            let tf = self.ty_of(&v);
            let is_err = self.bin(BinOp::Eq, v.clone(), Operand::Int(tbb_err(from), tf));
            let wide = self.cast(CastOp::SExt, v, tt);
            return self.select(is_err, err_to, wide);
        }
        let ok = self.in_symmetric_range(v.clone(), to);
        let narrow = self.resize(v, true, tt);
        self.select(ok, narrow, err_to)
    }

    /// `-max <= v <= max` for a signed machine value `v`.
    fn in_symmetric_range(&mut self, v: Operand, bits: u32) -> Operand {
        let t = self.ty_of(&v);
        let max = tbb_max(bits);
        let lo = self.bin(BinOp::SGe, v.clone(), Operand::Int(-max, t));
        let hi = self.bin(BinOp::SLe, v, Operand::Int(max, t));
        self.bin(BinOp::And, lo, hi)
    }

    fn int_to_tbb(&mut self, v: Operand, k: IntKind, to: u32) -> Operand {
        let tt = mty(&Ty::Tbb(bits_kind(to)));
        let signed = Ty::Int(k).is_signed();
        let w = self.resize(v, signed, MTy::I64);
        let ok = if signed {
            self.in_symmetric_range(w.clone(), to)
        } else {
            self.bin(BinOp::ULe, w.clone(), Operand::Int(tbb_max(to), MTy::I64))
        };
        let t = self.resize(w, true, tt);
        self.select(ok, t, Operand::Int(tbb_err(to), tt))
    }

    /// Truncated toward zero; NaN and out of range give `ERR`.
    fn float_to_tbb(&mut self, v: Operand, to: u32) -> Operand {
        let tt = mty(&Ty::Tbb(bits_kind(to)));
        let lim = 2f64.powi(to as i32 - 1);
        let (lo, hi) = match self.ty_of(&v) {
            MTy::F32 => (Operand::F32(-lim as f32), Operand::F32(lim as f32)),
            _ => (Operand::F64(-lim), Operand::F64(lim)),
        };
        let above = self.bin(BinOp::FGt, v.clone(), lo);
        let below = self.bin(BinOp::FLt, v.clone(), hi);
        let ok = self.bin(BinOp::And, above, below);
        let i = self.cast(CastOp::FloatToSInt, v, MTy::I64);
        let t = self.resize(i, true, tt);
        self.select(ok, t, Operand::Int(tbb_err(to), tt))
    }

    /// `ERR` maps to NaN.
    fn tbb_to_float(&mut self, v: Operand, from: u32, to: MTy) -> Operand {
        let tf = self.ty_of(&v);
        let is_err = self.bin(BinOp::Eq, v.clone(), Operand::Int(tbb_err(from), tf));
        let f = self.cast(CastOp::SIntToFloat, v, to);
        let nan = match to {
            MTy::F32 => Operand::F32(f32::NAN),
            _ => Operand::F64(f64::NAN),
        };
        self.select(is_err, nan, f)
    }
}

fn bits_kind(bits: u32) -> aria_sema::types::TbbKind {
    use aria_sema::types::TbbKind::*;
    match bits {
        8 => T8,
        16 => T16,
        32 => T32,
        _ => T64,
    }
}

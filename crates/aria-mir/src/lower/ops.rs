//! Operators (LANGUAGE.md §2.1-§2.3, §6): wrapping integer arithmetic with
//! checked division, IEEE floats, strings, tbb arithmetic with a sticky
//! `ERR`, comparisons and short-circuit logic.

use super::func::FnBuilder;
use super::layout::{self, mty, tbb_err, tbb_max};
use super::Span;
use crate::mir::{BinOp as M, CastOp, MTy, Operand, Rvalue, UnOp as MU};
use aria_sema::tast::Expr;
use aria_sema::types::{FloatKind, Ty};
use aria_syntax::ast::{BinOp, UnOp};

fn is_comparison(op: BinOp) -> bool {
    use BinOp::*;
    matches!(op, Lt | Le | Gt | Ge | Eq | Ne | Cmp3)
}

impl<'c, 'a> FnBuilder<'c, 'a> {
    pub fn unary(&mut self, op: UnOp, x: &'a Expr) -> Operand {
        let v = self.expr(x);
        match op {
            // Wrapping negation also keeps a tbb `ERR` (the minimum) as is.
            UnOp::Neg if mty(&x.ty).is_float() => self.un(MU::FNeg, v),
            UnOp::Neg => self.un(MU::Neg, v),
            UnOp::Not => self.bin(M::Xor, v, Operand::Int(1, MTy::I8)),
            UnOp::BitNot => self.un(MU::Not, v),
        }
    }

    pub fn binary(&mut self, op: BinOp, a: &'a Expr, b: &'a Expr, e: &'a Expr) -> Operand {
        if matches!(op, BinOp::And | BinOp::Or) {
            return self.short_circuit(op == BinOp::And, a, b);
        }
        let mark = self.mark();
        let vals = self.operands(&[a, b]);
        let (x, y) = (vals[0].0.clone(), vals[1].0.clone());
        let r = if is_comparison(op) {
            self.compare(op, x, y, &a.ty)
        } else {
            self.arith(op, x, y, &a.ty, e.span)
        };
        self.drop_operands(&vals, mark);
        r
    }

    fn short_circuit(&mut self, and: bool, a: &'a Expr, b: &'a Expr) -> Operand {
        let r = self.local(MTy::I8);
        let x = self.expr(a);
        self.assign(r, Rvalue::Use(x.clone()));
        let (rhs, join) = (self.block(), self.block());
        if and {
            self.branch(x, rhs, join);
        } else {
            self.branch(x, join, rhs);
        }
        self.switch_to(rhs);
        let y = self.expr(b);
        self.assign(r, Rvalue::Use(y));
        self.goto(join);
        self.switch_to(join);
        Operand::Local(r)
    }

    /// Arithmetic, bitwise and shift operators on values of type `ty` (the
    /// left operand's type). Operands are borrowed.
    pub fn arith(&mut self, op: BinOp, x: Operand, y: Operand, ty: &Ty, span: Span) -> Operand {
        match ty {
            Ty::String => self.rt1("aria_str_concat", MTy::I64, vec![x, y]),
            Ty::Tbb(_) => self.tbb_arith(op, x, y, layout::tbb_kind_bits(ty).unwrap()),
            Ty::Float(k) => self.float_arith(op, x, y, *k),
            _ => self.int_arith(op, x, y, layout::is_signed(ty), span),
        }
    }

    fn int_arith(
        &mut self,
        op: BinOp,
        x: Operand,
        y: Operand,
        signed: bool,
        span: Span,
    ) -> Operand {
        let mop = match op {
            BinOp::Add => M::Add,
            BinOp::Sub => M::Sub,
            BinOp::Mul => M::Mul,
            BinOp::BitAnd => M::And,
            BinOp::BitOr => M::Or,
            BinOp::BitXor => M::Xor,
            BinOp::Shl | BinOp::Shr => return self.shift(op == BinOp::Shl, x, y, signed),
            BinOp::Div | BinOp::Rem => {
                self.check_divisor(&y, span);
                match (op == BinOp::Div, signed) {
                    (true, true) => M::SDiv,
                    (true, false) => M::UDiv,
                    (false, true) => M::SRem,
                    (false, false) => M::URem,
                }
            }
            _ => return self.bad_operator(op, x),
        };
        self.bin(mop, x, y)
    }

    fn bad_operator(&mut self, op: BinOp, x: Operand) -> Operand {
        self.cx
            .fail(format!("internal: operator {op:?} on these operands"));
        x
    }

    /// Division or remainder by zero panics -101.
    fn check_divisor(&mut self, y: &Operand, span: Span) {
        if matches!(y, Operand::Int(v, _) if *v != 0) {
            return;
        }
        let zero = Operand::Int(0, self.ty_of(y));
        let is_zero = self.bin(M::Eq, y.clone(), zero);
        let panic = self.branch_out(is_zero);
        self.at(panic, |me| me.raise(-101, "division by zero", span));
    }

    /// The count takes the left operand's machine type; the machine shift
    /// masks it to the width.
    fn shift(&mut self, left: bool, x: Operand, y: Operand, signed: bool) -> Operand {
        let (tx, ty) = (self.ty_of(&x), self.ty_of(&y));
        let count = if tx.bytes() < ty.bytes() {
            self.cast(CastOp::Trunc, y, tx)
        } else if tx.bytes() > ty.bytes() {
            self.cast(CastOp::UExt, y, tx)
        } else {
            y
        };
        let op = match (left, signed) {
            (true, _) => M::Shl,
            (false, true) => M::SShr,
            (false, false) => M::UShr,
        };
        self.bin(op, x, count)
    }

    fn float_arith(&mut self, op: BinOp, x: Operand, y: Operand, k: FloatKind) -> Operand {
        let mop = match op {
            BinOp::Add => M::FAdd,
            BinOp::Sub => M::FSub,
            BinOp::Mul => M::FMul,
            BinOp::Div => M::FDiv,
            BinOp::Rem => {
                let (name, t) = match k {
                    FloatKind::F32 => ("aria_f32_rem", MTy::F32),
                    FloatKind::F64 => ("aria_f64_rem", MTy::F64),
                };
                return self.rt1(name, t, vec![x, y]);
            }
            _ => return self.bad_operator(op, x),
        };
        self.bin(mop, x, y)
    }

    /// tbb `+ - * / %` (§2.3): `ERR` when an operand is `ERR`, when the
    /// exact result leaves the symmetric range, or on division by zero.
    fn tbb_arith(&mut self, op: BinOp, x: Operand, y: Operand, bits: u32) -> Operand {
        let t = self.ty_of(&x);
        let err = Operand::Int(tbb_err(bits), t);
        let xe = self.bin(M::Eq, x.clone(), err.clone());
        let ye = self.bin(M::Eq, y.clone(), err.clone());
        let bad = self.bin(M::Or, xe, ye);
        let (r, overflow) = if bits < 64 {
            self.tbb_narrow(op, x, y, bits)
        } else {
            self.tbb_wide(op, x, y)
        };
        let bad = self.bin(M::Or, bad, overflow);
        self.select(bad, err, r)
    }

    /// tbb8..tbb32: compute exactly in i64, then range-check.
    fn tbb_narrow(&mut self, op: BinOp, x: Operand, y: Operand, bits: u32) -> (Operand, Operand) {
        let t = self.ty_of(&x);
        let wx = self.cast(CastOp::SExt, x, MTy::I64);
        let wy = self.cast(CastOp::SExt, y, MTy::I64);
        let (r, div_zero) = self.tbb_op(op, wx, wy);
        let max = tbb_max(bits);
        let lo = self.bin(M::SLt, r.clone(), Operand::Int(-max, MTy::I64));
        let hi = self.bin(M::SGt, r.clone(), Operand::Int(max, MTy::I64));
        let out = self.bin(M::Or, lo, hi);
        let bad = self.bin(M::Or, out, div_zero);
        (self.cast(CastOp::Trunc, r, t), bad)
    }

    /// tbb64: detect signed overflow of the wrapping result; the result
    /// pattern `MIN` is `ERR` too.
    fn tbb_wide(&mut self, op: BinOp, x: Operand, y: Operand) -> (Operand, Operand) {
        let (r, div_zero) = self.tbb_op(op, x.clone(), y.clone());
        let zero = Operand::Int(0, MTy::I64);
        let overflow = match op {
            BinOp::Add | BinOp::Sub => {
                // add: x and y agree in sign and r differs; sub: x and y differ
                // and r differs from x.
                let a = if op == BinOp::Add {
                    self.bin(M::Xor, x.clone(), r.clone())
                } else {
                    self.bin(M::Xor, x.clone(), y.clone())
                };
                let b = if op == BinOp::Add {
                    self.bin(M::Xor, y, r.clone())
                } else {
                    self.bin(M::Xor, x, r.clone())
                };
                let both = self.bin(M::And, a, b);
                self.bin(M::SLt, both, zero)
            }
            BinOp::Mul => {
                // No overflow iff x == 0 or r / x == y.
                let nz = self.bin(M::Ne, x.clone(), zero);
                let one = Operand::Int(1, MTy::I64);
                let safe_x = self.select(nz.clone(), x, one);
                let q = self.bin(M::SDiv, r.clone(), safe_x);
                let differs = self.bin(M::Ne, q, y);
                self.bin(M::And, nz, differs)
            }
            _ => Operand::Int(0, MTy::I8),
        };
        let is_min = self.bin(M::Eq, r.clone(), Operand::Int(i64::MIN, MTy::I64));
        let bad = self.bin(M::Or, overflow, is_min);
        let bad = self.bin(M::Or, bad, div_zero);
        (r, bad)
    }

    /// The raw operation; division by zero is made safe (and reported).
    fn tbb_op(&mut self, op: BinOp, x: Operand, y: Operand) -> (Operand, Operand) {
        let t = self.ty_of(&x);
        let no = Operand::Int(0, MTy::I8);
        match op {
            BinOp::Add => (self.bin(M::Add, x, y), no),
            BinOp::Sub => (self.bin(M::Sub, x, y), no),
            BinOp::Mul => (self.bin(M::Mul, x, y), no),
            BinOp::Div | BinOp::Rem => {
                let z = self.bin(M::Eq, y.clone(), Operand::Int(0, t));
                let safe = self.select(z.clone(), Operand::Int(1, t), y);
                let mop = if op == BinOp::Div { M::SDiv } else { M::SRem };
                (self.bin(mop, x, safe), z)
            }
            _ => (self.bad_operator(op, x), no),
        }
    }

    /// Comparisons: I8 0/1, or I32 -1/0/1 for `<=>`. Operands borrowed.
    pub fn compare(&mut self, op: BinOp, x: Operand, y: Operand, ty: &Ty) -> Operand {
        if *ty == Ty::String {
            return self.compare_strings(op, x, y);
        }
        let float = matches!(ty, Ty::Float(_));
        let signed = layout::is_signed(ty);
        let pick = |f: M, s: M, u: M| {
            if float {
                f
            } else if signed {
                s
            } else {
                u
            }
        };
        let mop = match op {
            BinOp::Eq => pick(M::FEq, M::Eq, M::Eq),
            BinOp::Ne => pick(M::FNe, M::Ne, M::Ne),
            BinOp::Lt => pick(M::FLt, M::SLt, M::ULt),
            BinOp::Le => pick(M::FLe, M::SLe, M::ULe),
            BinOp::Gt => pick(M::FGt, M::SGt, M::UGt),
            BinOp::Ge => pick(M::FGe, M::SGe, M::UGe),
            _ => {
                let gt = self.bin(pick(M::FGt, M::SGt, M::UGt), x.clone(), y.clone());
                let lt = self.bin(pick(M::FLt, M::SLt, M::ULt), x, y);
                return self.three_way(gt, lt);
            }
        };
        self.bin(mop, x, y)
    }

    /// `(gt) - (lt)` as int32.
    fn three_way(&mut self, gt: Operand, lt: Operand) -> Operand {
        let g = self.cast(CastOp::UExt, gt, MTy::I32);
        let l = self.cast(CastOp::UExt, lt, MTy::I32);
        self.bin(M::Sub, g, l)
    }

    fn compare_strings(&mut self, op: BinOp, x: Operand, y: Operand) -> Operand {
        if matches!(op, BinOp::Eq | BinOp::Ne) {
            let eq = self.rt1("aria_str_eq", MTy::I8, vec![x, y]);
            return if op == BinOp::Eq {
                eq
            } else {
                self.bin(M::Xor, eq, Operand::Int(1, MTy::I8))
            };
        }
        let c = self.rt1("aria_str_cmp", MTy::I32, vec![x, y]);
        let zero = Operand::Int(0, MTy::I32);
        match op {
            BinOp::Lt => self.bin(M::SLt, c, zero),
            BinOp::Le => self.bin(M::SLe, c, zero),
            BinOp::Gt => self.bin(M::SGt, c, zero),
            BinOp::Ge => self.bin(M::SGe, c, zero),
            _ => c,
        }
    }

    /// `abs` (§8.2): wraps for the integer minimum; a tbb `ERR` stays `ERR`
    /// (its negation is itself).
    pub fn abs_value(&mut self, v: Operand, ty: &Ty) -> Operand {
        match ty {
            Ty::Float(_) => self.un(MU::FAbs, v),
            _ if layout::is_signed(ty) => {
                let t = self.ty_of(&v);
                let neg = self.bin(M::SLt, v.clone(), Operand::Int(0, t));
                let n = self.un(MU::Neg, v.clone());
                self.select(neg, n, v)
            }
            _ => v,
        }
    }

    /// `min`/`max`; with tbb an `ERR` operand gives `ERR`.
    pub fn min_max(&mut self, max: bool, x: Operand, y: Operand, ty: &Ty) -> Operand {
        let op = if max { BinOp::Gt } else { BinOp::Lt };
        let take_x = self.compare(op, x.clone(), y.clone(), ty);
        let r = self.select(take_x, x.clone(), y.clone());
        let Some(bits) = layout::tbb_kind_bits(ty) else {
            return r;
        };
        // `ERR` is the minimum, so only `max` needs the explicit check.
        if !max {
            return r;
        }
        let t = self.ty_of(&x);
        let err = Operand::Int(tbb_err(bits), t);
        let xe = self.bin(M::Eq, x, err.clone());
        let ye = self.bin(M::Eq, y, err.clone());
        let any = self.bin(M::Or, xe, ye);
        self.select(any, err, r)
    }
}

//! The result rule (LANGUAGE.md §4.4): every call yields `(err, val)`.
//!
//! A result-typed expression is lowered either *split* (the current block
//! continues on success with `val`; a separate open block is entered on an
//! ordinary failure with `err`; panics already went to the unwinding path)
//! or *joined* (both parts in locals, control merged).

use super::func::{zero_of, FnBuilder};
use super::layout::{mty, res_inner, zero_allocates};
use super::Span;
use crate::mir::{BinOp, BlockId, MTy, Operand, Rvalue};
use aria_sema::tast::{Expr, ExprKind};
use aria_sema::types::Ty;

pub(crate) struct Split {
    /// The value, valid on the success path (the current block).
    pub val: Operand,
    /// The failure code, valid in `fail`.
    pub err: Operand,
    /// Entered on an ordinary failure; `None` when the result never fails.
    pub fail: Option<BlockId>,
}

impl Split {
    pub fn ok(val: Operand) -> Split {
        Split {
            val,
            err: Operand::Int(0, MTy::I64),
            fail: None,
        }
    }
}

impl<'c, 'a> FnBuilder<'c, 'a> {
    pub fn split(&mut self, e: &'a Expr) -> Split {
        match &e.kind {
            ExprKind::Call(callee, args) => self.call(callee, args, e),
            ExprKind::Await(t) => self.await_split(t, e),
            ExprKind::Convert(inner) if matches!(inner.ty, Ty::Result(_)) => {
                let s = self.split(inner);
                let val = self.convert(s.val, res_inner(&inner.ty), res_inner(&e.ty));
                Split { val, ..s }
            }
            _ => {
                let (err, val) = self.pair(e);
                self.split_pair(err, val, res_inner(&e.ty))
            }
        }
    }

    /// `(err, val)` of a result expression, merged. With `normalize`, a
    /// failure's `val` is the type's zero value even when that allocates
    /// (so `r.val` of a failed `int32[]` call is a usable empty array);
    /// otherwise it is 0/null.
    pub fn joined(&mut self, e: &'a Expr, normalize: bool) -> (Operand, Operand) {
        match &e.kind {
            ExprKind::Call(..) | ExprKind::Convert(..) | ExprKind::Await(_) => {
                let s = self.split(e);
                self.join(s, res_inner(&e.ty), normalize)
            }
            _ => self.pair(e),
        }
    }

    /// Result expressions that are not calls: variables and ternaries.
    fn pair(&mut self, e: &'a Expr) -> (Operand, Operand) {
        let ty = res_inner(&e.ty);
        match &e.kind {
            ExprKind::Local(id) => self.read_result_var(*id),
            ExprKind::Global(g) => {
                let addr = Operand::DataAddr(self.cx.globals[g.0 as usize]);
                let err = self.load(MTy::I64, addr.clone(), 0);
                let val = self.load(mty(ty), addr, 8);
                if ty.is_managed() {
                    self.retain(&val);
                }
                (err, val)
            }
            ExprKind::Ternary(c, a, b) => {
                let cv = self.expr(c);
                let (err, val) = (self.local(MTy::I64), self.local(mty(ty)));
                let (t, f, join) = (self.block(), self.block(), self.block());
                self.branch(cv, t, f);
                for (blk, side) in [(t, a), (f, b)] {
                    self.switch_to(blk);
                    let (e2, v2) = self.joined(side, true);
                    self.assign(err, Rvalue::Use(e2));
                    self.assign(val, Rvalue::Use(v2));
                    self.goto(join);
                }
                self.switch_to(join);
                (Operand::Local(err), Operand::Local(val))
            }
            _ => {
                let v = self.unsupported("this result expression", ty);
                (Operand::Int(0, MTy::I64), v)
            }
        }
    }

    /// Splits a merged pair; the failure path drops the (owned) value.
    fn split_pair(&mut self, err: Operand, val: Operand, ty: &Ty) -> Split {
        let failed = self.bin(BinOp::Ne, err.clone(), Operand::Int(0, MTy::I64));
        let fail = self.branch_out(failed);
        if ty.is_managed() {
            self.at(fail, |me| me.release(&val));
        }
        Split {
            val,
            err,
            fail: Some(fail),
        }
    }

    fn join(&mut self, s: Split, ty: &Ty, normalize: bool) -> (Operand, Operand) {
        let Some(fail) = s.fail else {
            return (Operand::Int(0, MTy::I64), s.val);
        };
        let (err, val) = (self.local(MTy::I64), self.local(mty(ty)));
        let join = self.block();
        self.assign(err, Rvalue::Use(Operand::Int(0, MTy::I64)));
        self.assign(val, Rvalue::Use(s.val));
        self.goto(join);
        self.switch_to(fail);
        self.assign(err, Rvalue::Use(s.err));
        let zero = if normalize && zero_allocates(ty) {
            self.zero_value(ty)
        } else {
            zero_of(mty(ty))
        };
        self.assign(val, Rvalue::Use(zero));
        self.goto(join);
        self.switch_to(join);
        (Operand::Local(err), Operand::Local(val))
    }

    /// Implicit unwrap: a failure panics -103 naming `name`.
    pub fn unwrap(&mut self, inner: &'a Expr, name: &str, span: Span) -> Operand {
        let s = self.split(inner);
        if let Some(fail) = s.fail {
            self.at(fail, |me| {
                let n = me.cx.str_lit(name.as_bytes());
                me.rt1("aria_panic_unwrap", MTy::I64, vec![n, s.err.clone()]);
                me.unwind(span);
            });
        }
        s.val
    }

    /// `e?`: a failure leaves the function with the same code.
    pub fn propagate_expr(&mut self, inner: &'a Expr) -> Operand {
        let s = self.split(inner);
        if let Some(fail) = s.fail {
            self.at(fail, |me| me.propagate(s.err.clone()));
        }
        s.val
    }

    /// `e ? d`: `d` is evaluated only on failure.
    pub fn default_expr(&mut self, inner: &'a Expr, d: &'a Expr) -> Operand {
        let s = self.split(inner);
        let Some(fail) = s.fail else {
            return s.val;
        };
        let r = self.local(mty(&d.ty));
        let join = self.block();
        self.assign(r, Rvalue::Use(s.val));
        self.goto(join);
        self.switch_to(fail);
        let v = self.expr(d);
        self.assign(r, Rvalue::Use(v));
        self.goto(join);
        self.switch_to(join);
        Operand::Local(r)
    }

    /// After a call that can fail or panic: `err != 0` and the panicking
    /// flag set means unwinding; otherwise it is an ordinary failure.
    pub fn checked_call(&mut self, err: Operand, val: Operand, span: Span) -> Split {
        let failed = self.bin(BinOp::Ne, err.clone(), Operand::Int(0, MTy::I64));
        let (check, ok, fail, unwind) = (self.block(), self.block(), self.block(), self.block());
        self.branch(failed, check, ok);
        self.switch_to(check);
        let p = self.rt1("aria_panicking", MTy::I8, vec![]);
        self.branch(p, unwind, fail);
        self.switch_to(unwind);
        self.unwind(span);
        self.switch_to(ok);
        Split {
            val,
            err,
            fail: Some(fail),
        }
    }

    /// After a runtime call that can only panic.
    pub fn panic_check(&mut self, err: Operand, span: Span) {
        let failed = self.bin(BinOp::Ne, err, Operand::Int(0, MTy::I64));
        let unwind = self.branch_out(failed);
        self.at(unwind, |me| me.unwind(span));
    }

    /// After a runtime call that can only fail (never panic).
    pub fn fail_check(&mut self, err: Operand, val: Operand) -> Split {
        let failed = self.bin(BinOp::Ne, err.clone(), Operand::Int(0, MTy::I64));
        let fail = self.branch_out(failed);
        Split {
            val,
            err,
            fail: Some(fail),
        }
    }

    /// Raises panic `code` with a static message, then unwinds.
    pub fn raise(&mut self, code: i64, msg: &str, span: Span) {
        let m = self.cx.str_lit(msg.as_bytes());
        self.raise_with(code, m, span);
    }

    pub fn raise_with(&mut self, code: i64, msg: Operand, span: Span) {
        self.rt1(
            "aria_panic_raise",
            MTy::I64,
            vec![Operand::Int(code, MTy::I64), msg],
        );
        self.unwind(span);
    }
}

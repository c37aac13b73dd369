//! Calls of Aria functions and closures; closure creation.

use super::func::{FnBuilder, VarSlot};
use super::layout::{self, mty, CLOSURE_FN};
use super::results::Split;
use super::visit::runs_no_user_code;
use crate::mir::{BinOp, Callee as MCallee, FuncIdx, Local, MTy, Operand, Stmt};
use aria_sema::tast::{Callee, Expr, FuncId};
use aria_sema::types::Ty;

impl<'c, 'a> FnBuilder<'c, 'a> {
    pub fn call(&mut self, callee: &'a Callee, args: &'a [Expr], e: &'a Expr) -> Split {
        match callee {
            Callee::Direct(f) => self.direct_call(*f, args, e),
            Callee::Value(f) => self.closure_call(f, args, e),
            Callee::Builtin(b) => self.builtin(*b, args, e),
        }
    }

    /// Evaluates arguments left to right as owned values (the callee owns
    /// them); they stay held until the call.
    pub(super) fn push_args(&mut self, args: &'a [Expr], ops: &mut Vec<Operand>) {
        for a in args {
            if let Ty::Result(t) = &a.ty {
                let (err, val) = self.joined(a, true);
                self.hold(&val, t.is_managed());
                ops.extend([err, val]);
            } else {
                let v = self.expr(a);
                self.hold(&v, a.ty.is_managed());
                ops.push(v);
            }
        }
    }

    fn direct_call(&mut self, f: FuncId, args: &'a [Expr], e: &'a Expr) -> Split {
        let func = &self.prog.funcs[f.0 as usize];
        let mark = self.mark();
        let mut ops = vec![Operand::Int(0, MTy::I64)];
        self.push_args(args, &mut ops);
        self.unhold(mark);
        if func.is_async {
            return self.async_call(ops, FuncIdx(f.0));
        }
        let (err, val) = (self.local(MTy::I64), self.local(mty(&func.ret)));
        self.push(Stmt::Call(vec![err, val], MCallee::Func(FuncIdx(f.0)), ops));
        self.checked_call(Operand::Local(err), Operand::Local(val), e.span)
    }

    fn closure_call(&mut self, fe: &'a Expr, args: &'a [Expr], e: &'a Expr) -> Split {
        let Ty::Func(ft) = &fe.ty else {
            let v = self.unsupported("calling a non-function", layout::res_inner(&e.ty));
            return Split::ok(v);
        };
        let mark = self.mark();
        let (clo, owned) = if args.iter().all(runs_no_user_code) {
            self.borrow(fe)
        } else {
            (self.expr(fe), true)
        };
        self.hold(&clo, owned);
        let mut ops = vec![clo.clone()];
        self.push_args(args, &mut ops);
        let is_null = self.bin(BinOp::Eq, clo.clone(), Operand::Int(0, MTy::I64));
        let null = self.branch_out(is_null);
        self.at(null, |me| {
            me.raise(-105, "use of uninitialized func value", e.span)
        });
        let fnptr = self.load(MTy::I64, clo.clone(), CLOSURE_FN);
        let ret = mty(&ft.ret);
        let (err, val) = (self.local(MTy::I64), self.local(ret));
        let callee = MCallee::Indirect(fnptr, vec![MTy::I64, ret]);
        self.push(Stmt::Call(vec![err, val], callee, ops));
        self.unhold(mark);
        if owned {
            self.release(&clo);
        }
        self.checked_call(Operand::Local(err), Operand::Local(val), e.span)
    }

    /// A top-level function as a value: a closure without captures.
    pub fn func_ref(&mut self, f: FuncId) -> Operand {
        let mask = self.cx.mask(vec![]);
        let addr = Operand::FuncAddr(FuncIdx(f.0));
        self.rt1(
            "aria_closure_new",
            MTy::I64,
            vec![addr, Operand::Int(0, MTy::I64), mask],
        )
    }

    /// Creates a closure of lambda `f`: by-reference captures share the
    /// variable's cell, by-value captures copy the current value.
    pub fn make_closure(&mut self, f: FuncId) -> Operand {
        let lambda = &self.prog.funcs[f.0 as usize];
        let caps = &lambda.captures;
        let mask: Vec<u8> = caps
            .iter()
            .map(|c| {
                let ty = self.var_ty(c.outer);
                (c.by_ref || ty.is_managed() || matches!(ty, Ty::Result(_))) as u8
            })
            .collect();
        let mask = self.cx.mask(mask);
        let n = Operand::Int(caps.len() as i64, MTy::I64);
        let addr = Operand::FuncAddr(FuncIdx(f.0));
        let clo = self.rt1("aria_closure_new", MTy::I64, vec![addr, n, mask]);
        for (i, c) in caps.iter().enumerate() {
            let off = layout::cap_offset(i);
            if c.by_ref {
                let cell = match self.vars[c.outer.0 as usize] {
                    VarSlot::Cell(l) | VarSlot::PairCell(l) => l,
                    VarSlot::Plain(l) | VarSlot::Pair(l, _) => self.not_a_cell(l),
                };
                self.retain(&Operand::Local(cell));
                self.store(clo.clone(), off, Operand::Local(cell));
            } else {
                let ty = self.var_ty(c.outer);
                if let Ty::Result(inner) = ty {
                    // A result is two values: the capture slot holds a
                    // fresh 2-field struct object `{err, val}` (managed).
                    let (err, val) = self.read_result_var(c.outer);
                    let mask = self.cx.mask(vec![0, inner.is_managed() as u8]);
                    let obj = self.rt1("aria_struct_new", MTy::I64, vec![Self::i64c(2), mask]);
                    self.store(obj.clone(), layout::field_offset(0), err);
                    self.store_slot(obj.clone(), layout::field_offset(1), val, inner);
                    self.store(clo.clone(), off, obj);
                    continue;
                }
                let v = self.read_var(c.outer, true);
                self.store_slot(clo.clone(), off, v, ty);
            }
        }
        clo
    }

    fn not_a_cell(&mut self, l: Local) -> Local {
        self.cx.fail(format!(
            "internal: captured variable {l:?} is not in a cell"
        ));
        l
    }
}

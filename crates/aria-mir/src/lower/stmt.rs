//! Statements and control flow (LANGUAGE.md §5).

use super::cleanup::{Cleanup, LoopCtx, PickCtx};
use super::func::{FnBuilder, VarSlot};
use crate::mir::{BinOp, BlockId, MTy, Operand, Rvalue, UnOp};
use aria_sema::tast::{Alt, Block, Expr, LocalId, Pattern, PickCase, Stmt, StmtKind};
use aria_sema::types::Ty;
use aria_syntax::ast::{BinOp as AstBinOp, RelOp};

impl<'c, 'a> FnBuilder<'c, 'a> {
    /// Lowers statements in the current scope; stops at unreachable code.
    pub fn stmts(&mut self, stmts: &'a [Stmt]) {
        for s in stmts {
            if self.is_dead() {
                break;
            }
            self.stmt(s);
        }
    }

    pub fn block_stmt(&mut self, b: &'a Block) {
        self.push_scope();
        self.stmts(&b.stmts);
        self.pop_scope();
    }

    fn stmt(&mut self, s: &'a Stmt) {
        match &s.kind {
            StmtKind::Let(id, init) => self.let_stmt(*id, init.as_ref()),
            StmtKind::Expr(e) => self.expr_stmt(e),
            StmtKind::Assign(p, op, v) => self.assign_stmt(p, *op, v, s.span),
            StmtKind::IncDec(p, inc) => self.incdec(p, *inc, s.span),
            StmtKind::Block(b) => self.block_stmt(b),
            StmtKind::If(c, t, e) => self.if_stmt(c, t, e.as_ref()),
            StmtKind::While(c, b) => self.while_stmt(c, b),
            StmtKind::For {
                init,
                cond,
                update,
                body,
            } => self.for_stmt(init.as_deref(), cond.as_ref(), update.as_deref(), body),
            StmtKind::Till {
                limit,
                step,
                var,
                body,
            } => self.till_stmt(limit, step, *var, body, s),
            StmtKind::When {
                cond,
                body,
                then,
                end,
            } => self.when_stmt(cond, body, then.as_ref(), end.as_ref()),
            StmtKind::Pick(sel, cases) => self.pick_stmt(sel, cases),
            StmtKind::Defer(b) => self.add_cleanup(Cleanup::Defer(b)),
            StmtKind::Break => self.jump_loop(true),
            StmtKind::Continue => self.jump_loop(false),
            StmtKind::Fall(n) => self.fall(*n),
            StmtKind::Pass(e) => {
                let v = self.expr(e);
                self.leave(Operand::Int(0, MTy::I64), v);
            }
            StmtKind::Fail(e) => self.fail_stmt(e),
            StmtKind::Return(e) => self.return_stmt(e),
        }
    }

    fn let_stmt(&mut self, id: LocalId, init: Option<&'a Expr>) {
        self.begin_var(id);
        let ty = self.var_ty(id);
        let vals = match (init, ty) {
            (Some(e), Ty::Result(_)) => {
                let (err, val) = self.joined(e, true);
                vec![err, val]
            }
            (Some(e), _) => vec![self.expr(e)],
            (None, Ty::Result(t)) => vec![Operand::Int(0, MTy::I64), self.zero_value(t)],
            (None, t) => vec![self.zero_value(t)],
        };
        self.set_var_initial(id, &vals);
    }

    fn expr_stmt(&mut self, e: &'a Expr) {
        if let Ty::Result(t) = &e.ty {
            // Checked like an implicit unwrap (§4.4).
            let v = self.unwrap(e, "expression", e.span);
            if t.is_managed() {
                self.release(&v);
            }
            return;
        }
        let v = self.expr(e);
        if e.ty.is_managed() {
            self.release(&v);
        }
    }

    fn if_stmt(&mut self, c: &'a Expr, then: &'a Block, els: Option<&'a Block>) {
        let cv = self.expr(c);
        let (t, f, join) = (self.block(), self.block(), self.block());
        self.branch(cv, t, f);
        self.switch_to(t);
        self.block_stmt(then);
        self.goto(join);
        self.switch_to(f);
        if let Some(e) = els {
            self.block_stmt(e);
        }
        self.goto(join);
        self.switch_to(join);
    }

    /// Lowers a loop body with `break`/`continue` targets.
    fn loop_body(&mut self, body: &'a Block, brk: BlockId, cont: BlockId) {
        let depth = self.scopes.len();
        self.loops.push(LoopCtx { brk, cont, depth });
        self.block_stmt(body);
        self.loops.pop();
    }

    fn while_stmt(&mut self, c: &'a Expr, body: &'a Block) {
        let (head, bb, exit) = (self.block(), self.block(), self.block());
        self.goto(head);
        self.switch_to(head);
        let cv = self.expr(c);
        self.branch(cv, bb, exit);
        self.switch_to(bb);
        self.loop_body(body, exit, head);
        self.goto(head);
        self.switch_to(exit);
    }

    /// `for`: a by-reference variable declared by `init` gets a fresh cell
    /// per iteration; `update` runs on the copy (§5.3).
    fn for_stmt(
        &mut self,
        init: Option<&'a Stmt>,
        cond: Option<&'a Expr>,
        update: Option<&'a Stmt>,
        body: &'a Block,
    ) {
        self.push_scope();
        if let Some(i) = init {
            self.stmt(i);
        }
        let fresh = match init.map(|s| &s.kind) {
            Some(StmtKind::Let(id, _))
                if matches!(
                    self.vars[id.0 as usize],
                    VarSlot::Cell(_) | VarSlot::PairCell(_)
                ) =>
            {
                Some(*id)
            }
            _ => None,
        };
        let (head, bb, cont, exit) = (self.block(), self.block(), self.block(), self.block());
        self.goto(head);
        self.switch_to(head);
        match cond {
            Some(c) => {
                let cv = self.expr(c);
                self.branch(cv, bb, exit);
            }
            None => self.goto(bb),
        }
        self.switch_to(bb);
        self.loop_body(body, exit, cont);
        self.goto(cont);
        self.switch_to(cont);
        if let Some(id) = fresh {
            self.recell(id);
        }
        if let Some(u) = update {
            self.stmt(u);
        }
        self.goto(head);
        self.switch_to(exit);
        self.pop_scope();
    }

    /// `till(limit, step)` (§5.4): n = ceil(limit / |step|) iterations with
    /// `$ = k*|step|`, ascending for step > 0, descending for step < 0.
    fn till_stmt(
        &mut self,
        limit: &'a Expr,
        step: &'a Expr,
        var: LocalId,
        body: &'a Block,
        s: &'a Stmt,
    ) {
        let exit = self.block();
        let (n, abs, desc) = self.till_bounds(limit, step, exit, s);
        let zero = Operand::Int(0, MTy::I64);
        let one = Operand::Int(1, MTy::I64);
        let k = self.named_local(MTy::I64, "till.k");
        self.assign(k, Rvalue::Use(zero));
        let (head, bb, cont) = (self.block(), self.block(), self.block());
        self.goto(head);
        self.switch_to(head);
        let more = self.bin(BinOp::SLt, Operand::Local(k), n.clone());
        self.branch(more, bb, exit);
        self.switch_to(bb);
        // A per-iteration scope holds `$` (fresh each time).
        let depth = self.scopes.len();
        self.push_scope();
        let last = self.bin(BinOp::Sub, n, one.clone());
        let rev = self.bin(BinOp::Sub, last, Operand::Local(k));
        let idx = self.select(desc, rev, Operand::Local(k));
        let dollar = self.bin(BinOp::Mul, idx, abs);
        self.begin_var(var);
        self.set_var_initial(var, &[dollar]);
        self.loops.push(LoopCtx {
            brk: exit,
            cont,
            depth,
        });
        self.block_stmt(body);
        self.loops.pop();
        self.pop_scope();
        self.goto(cont);
        self.switch_to(cont);
        let next = self.bin(BinOp::Add, Operand::Local(k), one);
        self.assign(k, Rvalue::Use(next));
        self.goto(head);
        self.switch_to(exit);
    }

    /// Evaluates `limit` and `step` once; panics -106 on a zero step and
    /// goes to `exit` when `limit <= 0`. Returns `(n, |step|, step < 0)`.
    fn till_bounds(
        &mut self,
        limit: &'a Expr,
        step: &'a Expr,
        exit: BlockId,
        s: &'a Stmt,
    ) -> (Operand, Operand, Operand) {
        let lim = self.expr(limit);
        let lim = self.widen_i64(lim, &limit.ty);
        let st = self.expr(step);
        let st = self.widen_i64(st, &step.ty);
        let zero = Operand::Int(0, MTy::I64);
        let one = Operand::Int(1, MTy::I64);
        let is_zero = self.bin(BinOp::Eq, st.clone(), zero.clone());
        let panic = self.branch_out(is_zero);
        self.at(panic, |me| me.raise(-106, "till step is zero", s.span));
        let positive = self.bin(BinOp::SGt, lim.clone(), zero.clone());
        let start = self.block();
        self.branch(positive, start, exit);
        self.switch_to(start);
        let desc = self.bin(BinOp::SLt, st.clone(), zero);
        let minus = self.un(UnOp::Neg, st.clone());
        let abs = self.select(desc.clone(), minus, st);
        // ceil(limit / s) without overflow: (limit - 1) / s + 1, unsigned
        // so that |i64::MIN| works.
        let lm1 = self.bin(BinOp::Sub, lim, one.clone());
        let q = self.bin(BinOp::UDiv, lm1, abs.clone());
        let n = self.bin(BinOp::Add, q, one);
        (n, abs, desc)
    }

    /// `when (c) { body } then { A } end { B }` (§5.5): A if the loop ran
    /// and `c` became false; B if `c` was false at once or on `break`.
    fn when_stmt(
        &mut self,
        c: &'a Expr,
        body: &'a Block,
        then: Option<&'a Block>,
        end: Option<&'a Block>,
    ) {
        let ran = self.named_local(MTy::I8, "when.ran");
        self.assign(ran, Rvalue::Use(Operand::Int(0, MTy::I8)));
        let (head, bb, after, then_b, end_b, exit) = (
            self.block(),
            self.block(),
            self.block(),
            self.block(),
            self.block(),
            self.block(),
        );
        self.goto(head);
        self.switch_to(head);
        let cv = self.expr(c);
        self.branch(cv, bb, after);
        self.switch_to(bb);
        self.assign(ran, Rvalue::Use(Operand::Int(1, MTy::I8)));
        self.loop_body(body, end_b, head);
        self.goto(head);
        self.switch_to(after);
        self.branch(Operand::Local(ran), then_b, end_b);
        for (blk, part) in [(then_b, then), (end_b, end)] {
            self.switch_to(blk);
            if let Some(p) = part {
                self.block_stmt(p);
            }
            self.goto(exit);
        }
        self.switch_to(exit);
    }

    fn jump_loop(&mut self, brk: bool) {
        let Some(l) = self.loops.last() else {
            self.cx
                .fail("internal: break/continue outside a loop".into());
            return;
        };
        let (target, depth) = (if brk { l.brk } else { l.cont }, l.depth);
        self.emit_cleanups_to(depth);
        self.goto(target);
    }

    fn fall(&mut self, n: usize) {
        let Some(p) = self.picks.last() else {
            self.cx.fail("internal: fall outside a pick".into());
            return;
        };
        let (target, depth) = (p.bodies[n], p.depth);
        self.emit_cleanups_to(depth);
        self.goto(target);
    }

    fn fail_stmt(&mut self, e: &'a Expr) {
        let code = self.expr(e);
        let code = self.widen_i64(code, &e.ty);
        if !matches!(code, Operand::Int(v, _) if v != 0) {
            let is_zero = self.bin(BinOp::Eq, code.clone(), Operand::Int(0, MTy::I64));
            let panic = self.branch_out(is_zero);
            self.at(panic, |me| {
                me.raise(-108, "fail called with code 0", e.span)
            });
        }
        self.propagate(code);
    }

    /// `return e;` forwards a result (success or failure) unchanged.
    fn return_stmt(&mut self, e: &'a Expr) {
        if matches!(e.ty, Ty::Result(_)) {
            let (err, val) = self.joined(e, false);
            self.leave(err, val);
        } else {
            let v = self.expr(e);
            self.leave(Operand::Int(0, MTy::I64), v);
        }
    }

    /// `pick` (§5.7): the selector is evaluated once; cases are tested in
    /// order; `fall` jumps into a later case's body.
    fn pick_stmt(&mut self, sel: &'a Expr, cases: &'a [PickCase]) {
        self.push_scope();
        let v = self.expr(sel);
        if sel.ty.is_managed() {
            let l = self.named_local(MTy::I64, "pick.sel");
            self.assign(l, Rvalue::Use(v.clone()));
            self.add_cleanup(Cleanup::Release(l));
        }
        let bodies: Vec<BlockId> = cases.iter().map(|_| self.block()).collect();
        let exit = self.block();
        for (i, case) in cases.iter().enumerate() {
            let next = self.block();
            self.case_test(&v, &sel.ty, &case.pattern, bodies[i], next);
            self.switch_to(next);
        }
        self.goto(exit);
        let depth = self.scopes.len();
        self.picks.push(PickCtx {
            bodies: bodies.clone(),
            depth,
        });
        for (case, b) in cases.iter().zip(&bodies) {
            self.switch_to(*b);
            self.block_stmt(&case.body);
            self.goto(exit);
        }
        self.picks.pop();
        self.switch_to(exit);
        self.pop_scope();
    }

    /// Tests the alternatives in order, jumping to `body` on the first
    /// match and to `next` when none matches.
    fn case_test(&mut self, v: &Operand, ty: &Ty, pat: &'a Pattern, body: BlockId, next: BlockId) {
        let alts = match pat {
            Pattern::Wild => return self.goto(body),
            Pattern::Never => return self.goto(next),
            Pattern::Alts(alts) => alts,
        };
        for alt in alts {
            let hit = self.alt_test(v, ty, alt);
            let miss = self.block();
            self.branch(hit, body, miss);
            self.switch_to(miss);
        }
        self.goto(next);
    }

    fn alt_test(&mut self, v: &Operand, ty: &Ty, alt: &'a Alt) -> Operand {
        match alt {
            Alt::Value(e) => self.compare_with(AstBinOp::Eq, v, ty, e),
            Alt::Rel(op, e) => {
                let op = match op {
                    RelOp::Lt => AstBinOp::Lt,
                    RelOp::Le => AstBinOp::Le,
                    RelOp::Gt => AstBinOp::Gt,
                    RelOp::Ge => AstBinOp::Ge,
                    RelOp::Ne => AstBinOp::Ne,
                };
                self.compare_with(op, v, ty, e)
            }
            Alt::Range { lo, hi, inclusive } => {
                // `hi` is only evaluated when `lo` matched.
                let r = self.local(MTy::I8);
                let above = self.compare_with(AstBinOp::Ge, v, ty, lo);
                self.assign(r, Rvalue::Use(above.clone()));
                let (check_hi, join) = (self.block(), self.block());
                self.branch(above, check_hi, join);
                self.switch_to(check_hi);
                let op = if *inclusive {
                    AstBinOp::Le
                } else {
                    AstBinOp::Lt
                };
                let below = self.compare_with(op, v, ty, hi);
                self.assign(r, Rvalue::Use(below));
                self.goto(join);
                self.switch_to(join);
                Operand::Local(r)
            }
        }
    }

    /// `v op e` with the selector on the left.
    fn compare_with(&mut self, op: AstBinOp, v: &Operand, ty: &Ty, e: &'a Expr) -> Operand {
        let mark = self.mark();
        let (x, owned) = self.borrow(e);
        self.hold(&x, owned);
        let r = self.compare(op, v.clone(), x.clone(), ty);
        self.drop_operands(&[(x, owned)], mark);
        r
    }
}

//! Statements (LANGUAGE.md §4.1, §5): declarations, assignments, control
//! flow and the jump rules (E0207, E0208 via `pick`, E0326 in defers).

use super::expr::Access;
use super::types::TyPos;
use super::{mk, Checker};
use crate::check::coerce::poisoned;
use crate::convert::is_numeric;
use crate::scope::{Binding, LoopCtx};
use crate::tast::{self, ExprKind, StmtKind};
use crate::types::{IntKind, Ty};
use aria_syntax::ast::{self, AssignOp, BinOp, StmtKind as S, TypeKind};
use aria_syntax::Span;

fn stmt(kind: StmtKind, span: Span) -> tast::Stmt {
    tast::Stmt { kind, span }
}

fn bin_of(op: AssignOp) -> Option<BinOp> {
    match op {
        AssignOp::Set => None,
        AssignOp::Add => Some(BinOp::Add),
        AssignOp::Sub => Some(BinOp::Sub),
        AssignOp::Mul => Some(BinOp::Mul),
        AssignOp::Div => Some(BinOp::Div),
        AssignOp::Rem => Some(BinOp::Rem),
    }
}

impl Checker {
    /// A block in a new scope.
    pub fn block(&mut self, b: &ast::Block) -> tast::Block {
        self.push_scope();
        let stmts = self.stmts(&b.stmts);
        self.pop_scope();
        tast::Block {
            stmts,
            span: b.span,
        }
    }

    /// Statements in the current scope.
    pub fn stmts(&mut self, stmts: &[ast::Stmt]) -> Vec<tast::Stmt> {
        stmts.iter().filter_map(|s| self.stmt(s)).collect()
    }

    /// One statement; `None` when nothing remains of it (a `const`).
    pub fn stmt(&mut self, s: &ast::Stmt) -> Option<tast::Stmt> {
        let span = s.span;
        let kind = match &s.kind {
            S::Var(v) => return self.local_decl(v),
            S::Struct(d) => {
                self.error(
                    "E0109",
                    d.span,
                    "struct declarations are allowed only at top level",
                );
                return None;
            }
            S::Expr(e) => self.expr_stmt(e),
            S::Assign(lv, op, rv) => self.assign(lv, *op, rv),
            S::IncDec(lv, inc) => self.inc_dec(lv, *inc),
            S::Block(b) => StmtKind::Block(self.block(b)),
            S::If(c, then, els) => self.if_stmt(c, then, els.as_deref()),
            S::While(c, body) => {
                let c = self.cond(c);
                StmtKind::While(c, self.loop_body(body))
            }
            S::For {
                init,
                cond,
                update,
                body,
            } => self.for_stmt(init.as_deref(), cond.as_ref(), update.as_deref(), body),
            S::Till(limit, step, body) => self.till(limit, step, body),
            S::When {
                cond,
                body,
                then,
                end,
            } => StmtKind::When {
                cond: self.cond(cond),
                body: self.loop_body(body),
                then: then.as_ref().map(|b| self.block(b)),
                end: end.as_ref().map(|b| self.block(b)),
            },
            S::Pick(sel, cases) => self.pick(sel, cases),
            S::Defer(b) => {
                self.cur().defer_depth += 1;
                let b = self.block(b);
                self.cur().defer_depth -= 1;
                StmtKind::Defer(b)
            }
            S::Break => self.loop_jump("break", span, StmtKind::Break),
            S::Continue => self.loop_jump("continue", span, StmtKind::Continue),
            S::Fall(label) => self.fall(label),
            S::Pass(v) => self.pass(v.as_ref(), span),
            S::Fail(code) => self.fail(code, span),
            S::Return(v) => self.return_stmt(v.as_ref(), span),
        };
        Some(stmt(kind, span))
    }

    /// A local declaration (§3): `const`s are folded and leave no
    /// statement; `func:f = lambda` may call itself.
    fn local_decl(&mut self, v: &ast::VarDecl) -> Option<tast::Stmt> {
        let name = &v.name.name;
        if v.is_const {
            let value = self.const_value(v);
            let value = value.unwrap_or_else(|| poisoned(mk(ExprKind::Nil, Ty::Error, v.span)));
            if !self.cur().bind(name, Binding::Const(value)) {
                self.error(
                    "E0201",
                    v.name.span,
                    format!("`{name}` is already declared in this scope"),
                );
            }
            return None;
        }
        if let (TypeKind::Func(_), Some(init)) = (&v.ty.kind, &v.init) {
            if let ast::ExprKind::Lambda(l) = &init.kind {
                return Some(self.local_function(v, l));
            }
        }
        let (ty, init) = match (&v.ty.kind, &v.init) {
            (TypeKind::Func(None) | TypeKind::Result(None), Some(init)) => {
                let e = self.inferred_init(&v.ty, init);
                (e.ty.clone(), Some(e))
            }
            _ => {
                let ty = self.resolve_type(&v.ty, TyPos::Var);
                let init = v.init.as_ref().map(|e| self.expect(e, &ty, "E0300"));
                (ty, init)
            }
        };
        let id = self.declare(name, ty, v.name.span, false);
        Some(stmt(StmtKind::Let(id, init), v.span))
    }

    /// `func:f = T(..) {..};` in a body: `f` is visible in its own lambda,
    /// which captures it by reference to call itself.
    fn local_function(&mut self, v: &ast::VarDecl, l: &ast::Lambda) -> tast::Stmt {
        let sig = self.lambda_sig(l);
        let fty = sig.ty();
        let ty = match &v.ty.kind {
            TypeKind::Func(Some(_)) => {
                let declared = self.resolve_type(&v.ty, TyPos::Var);
                self.check_declared_func_ty(&declared, &fty, v.ty.span);
                declared
            }
            _ => fty,
        };
        let id = self.declare(&v.name.name, ty, v.name.span, false);
        let closure = self.lambda_with_sig(l, &sig, Some(&v.name.name), Some(id));
        stmt(StmtKind::Let(id, Some(closure)), v.span)
    }

    /// A call, `await` or `?` form evaluated for its effect: a result is
    /// checked by an unwrap (§4.4); a dropped task handle warns (W0001).
    fn expr_stmt(&mut self, e: &ast::Expr) -> StmtKind {
        let op = self.expr(e, None);
        let v = self.rvalue(op);
        self.check_discarded_task(&v);
        StmtKind::Expr(v)
    }

    /// `lv = e;` and `lv op= e;` (§5.1).
    fn assign(&mut self, lv: &ast::Expr, op: AssignOp, rv: &ast::Expr) -> StmtKind {
        let target = self.place(lv);
        let value = self.expect(rv, &target.ty, "E0300");
        let bin = bin_of(op);
        if let Some(b) = bin {
            let t = &target.ty;
            let ok = is_numeric(t) || (b == BinOp::Add && *t == Ty::String) || *t == Ty::Error;
            if !ok {
                let shown = self.show(t);
                let sym = super::ops::op_str(b);
                self.error(
                    "E0304",
                    lv.span,
                    format!("`{sym}=` is not defined for {shown}"),
                );
            }
        }
        StmtKind::Assign(target, bin, value)
    }

    fn inc_dec(&mut self, lv: &ast::Expr, inc: bool) -> StmtKind {
        let target = self.place(lv);
        if !is_numeric(&target.ty) && target.ty != Ty::Error {
            let shown = self.show(&target.ty);
            let sym = if inc { "++" } else { "--" };
            self.error(
                "E0304",
                lv.span,
                format!("`{sym}` is not defined for {shown}"),
            );
        }
        StmtKind::IncDec(target, inc)
    }

    /// An assignable place (E0104 not a place, E0308 read-only).
    pub fn place(&mut self, lv: &ast::Expr) -> tast::Expr {
        let (op, access) = self.access(lv);
        match access {
            Access::Place => op.e,
            _ if op.is_error() => op.e,
            Access::ReadOnly(why) => {
                self.error("E0308", lv.span, format!("cannot assign: {why}"));
                poisoned(op.e)
            }
            Access::Value
                if !matches!(
                    lv.kind,
                    ast::ExprKind::Index(..) | ast::ExprKind::Member(..)
                ) =>
            {
                // The parser reports E0104 for these forms.
                self.recovered = true;
                poisoned(op.e)
            }
            Access::Value => {
                self.error_help(
                    "E0104",
                    lv.span,
                    "this expression cannot be assigned to",
                    "only variables and the elements and fields of places can be assigned",
                );
                poisoned(op.e)
            }
        }
    }

    fn if_stmt(&mut self, c: &ast::Expr, then: &ast::Block, els: Option<&ast::Stmt>) -> StmtKind {
        let c = self.cond(c);
        let then = self.block(then);
        let els = els.map(|s| match &s.kind {
            S::Block(b) => self.block(b),
            _ => tast::Block {
                stmts: self.stmt(s).into_iter().collect(),
                span: s.span,
            },
        });
        StmtKind::If(c, then, els)
    }

    /// A loop body: `break`/`continue` inside act on this loop.
    fn loop_body(&mut self, body: &ast::Block) -> tast::Block {
        let depth = self.cur_ref().defer_depth;
        self.cur().loops.push(LoopCtx { defer_depth: depth });
        let b = self.block(body);
        self.cur().loops.pop();
        b
    }

    /// `for (init; cond; update)`: `init` belongs to the loop's scope.
    fn for_stmt(
        &mut self,
        init: Option<&ast::Stmt>,
        cond: Option<&ast::Expr>,
        update: Option<&ast::Stmt>,
        body: &ast::Block,
    ) -> StmtKind {
        self.push_scope();
        let init = init.and_then(|s| self.stmt(s)).map(Box::new);
        let cond = cond.map(|c| self.cond(c));
        let update = update.and_then(|s| self.stmt(s)).map(Box::new);
        let body = self.loop_body(body);
        self.pop_scope();
        StmtKind::For {
            init,
            cond,
            update,
            body,
        }
    }

    /// `till(limit, step)`: integers evaluated as `int64`; `$` is a
    /// read-only `int64` local of the body.
    fn till(&mut self, limit: &ast::Expr, step: &ast::Expr, body: &ast::Block) -> StmtKind {
        let limit = self.int64_operand(limit, "till limit");
        let step = self.int64_operand(step, "till step");
        self.push_scope();
        let var = self
            .cur()
            .add_local("$", Ty::Int(IntKind::I64), body.span, true);
        self.cur().bind("$", Binding::Local(var));
        let body = self.loop_body(body);
        self.pop_scope();
        StmtKind::Till {
            limit,
            step,
            var,
            body,
        }
    }

    /// Any integer, as `int64` (untyped constants must fit).
    fn int64_operand(&mut self, e: &ast::Expr, what: &str) -> tast::Expr {
        let i64_ = Ty::Int(IntKind::I64);
        let op = self.expr(e, Some(&i64_));
        let op = self.unwrap(op);
        match &op.e.ty {
            Ty::Int(IntKind::I64) | Ty::Error => op.e,
            Ty::Int(_) => super::coerce::convert_node(op.e, &i64_),
            Ty::UntypedInt
                if op.flavor == super::Flavor::Plain || op.flavor == super::Flavor::Char =>
            {
                self.coerce(op, &i64_, "E0300")
            }
            other => {
                let shown = self.show(other);
                self.error(
                    "E0300",
                    e.span,
                    format!("the {what} must be an integer, found {shown}"),
                );
                poisoned(op.e)
            }
        }
    }

    /// `break` / `continue`: E0207 outside a loop, E0326 out of a defer.
    fn loop_jump(&mut self, what: &str, span: Span, kind: StmtKind) -> StmtKind {
        let ctx = self.cur_ref();
        match ctx.loops.last() {
            None => self.error("E0207", span, format!("`{what}` outside a loop")),
            Some(l) if l.defer_depth != ctx.defer_depth => self.error(
                "E0326",
                span,
                format!("`{what}` cannot leave a `defer` block"),
            ),
            Some(_) => {}
        }
        kind
    }

    /// E0326 for `pass`/`fail`/`return` inside a defer.
    fn check_leave(&mut self, what: &str, span: Span) {
        if self.cur_ref().in_defer() {
            self.error(
                "E0326",
                span,
                format!("`{what}` cannot leave a `defer` block"),
            );
        }
    }

    /// `pass(e);` / `pass();` (§4.1, E0311).
    fn pass(&mut self, v: Option<&ast::Expr>, span: Span) -> StmtKind {
        self.check_leave("pass", span);
        let ret = self.cur_ref().ret.clone();
        match v {
            Some(e) => StmtKind::Pass(self.expect(e, &ret, "E0311")),
            None => StmtKind::Pass(self.nil_value(&ret, span, "pass()")),
        }
    }

    /// `NIL` for `pass();`/`return;` — only in NIL functions (E0311).
    fn nil_value(&mut self, ret: &Ty, span: Span, what: &str) -> tast::Expr {
        if !matches!(ret, Ty::Nil | Ty::Error) {
            let shown = self.show(ret);
            self.error_help(
                "E0311",
                span,
                format!("`{what}` needs a value: this function produces {shown}"),
                format!("pass a value of type {shown}"),
            );
        }
        mk(ExprKind::Nil, Ty::Nil, span)
    }

    /// `fail(c);`: an integer code other than constant 0, as `int64` (E0312).
    fn fail(&mut self, code: &ast::Expr, span: Span) -> StmtKind {
        self.check_leave("fail", span);
        let i64_ = Ty::Int(IntKind::I64);
        let op = self.expr(code, Some(&i64_));
        let op = self.unwrap(op);
        let e = match &op.e.ty {
            Ty::Error => op.e,
            Ty::Int(_) => super::coerce::convert_node(op.e, &i64_),
            Ty::UntypedInt if op.flavor != super::Flavor::Err => self.coerce(op, &i64_, "E0312"),
            other => {
                let shown = self.show(other);
                self.error(
                    "E0312",
                    code.span,
                    format!("`fail` needs an integer code, found {shown}"),
                );
                poisoned(op.e)
            }
        };
        if matches!(e.kind, ExprKind::Int(0)) && e.ty != Ty::Error {
            self.error_help(
                "E0312",
                code.span,
                "`fail(0)`: code 0 means success",
                "failure codes are non-zero (user codes should be positive)",
            );
        }
        StmtKind::Fail(e)
    }

    /// `return e;` forwards a result unchanged, else is `pass(e)` (§4.1).
    fn return_stmt(&mut self, v: Option<&ast::Expr>, span: Span) -> StmtKind {
        self.check_leave("return", span);
        let ret = self.cur_ref().ret.clone();
        let Some(e) = v else {
            return StmtKind::Pass(self.nil_value(&ret, span, "return;"));
        };
        let op = self.expr(e, Some(&ret));
        if matches!(op.e.ty, Ty::Result(_)) {
            let to = Ty::Result(ret.into());
            return StmtKind::Return(self.coerce(op, &to, "E0311"));
        }
        StmtKind::Pass(self.coerce(op, &ret, "E0311"))
    }
}

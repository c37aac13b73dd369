//! The async rules (LANGUAGE.md §7.1-§7.5): where `await` may appear
//! (E0400, E0402), what it takes (E0401), `.await()` inside async code
//! (W0002, compiled as `await`) and discarded task handles (W0001).
//! Capturing wild-bearing values in async lambdas (E0403) is checked where
//! captures are made (`Checker::capture`).

use super::{mk, poison, Checker, Opnd};
use crate::tast::{self, Builtin, Callee, ExprKind, FuncKind};
use crate::types::Ty;
use aria_syntax::ast;
use aria_syntax::Span;

impl Checker {
    /// Is the code being checked the body of an async function or lambda?
    /// (A sync lambda inside an async function is not.)
    pub fn in_async_body(&self) -> bool {
        let ctx = self.cur_ref();
        ctx.is_async && ctx.kind != FuncKind::Init
    }

    /// E0402 inside a defer, E0400 outside an async body.
    fn check_await_place(&mut self, span: Span, what: &str) {
        if self.cur_ref().in_defer() {
            self.error("E0402", span, format!("{what} inside a `defer` block"));
        }
        if !self.in_async_body() {
            self.error_help(
                "E0400",
                span,
                format!("{what} outside async context"),
                "`await` works only in an `async` function or lambda; \
                 synchronous code can block with `t.await()`",
            );
        }
    }

    /// `await e`: `e` must be a `Task<U>` (a result is unwrapped); the
    /// value is `result<U>`.
    pub fn await_expr(&mut self, x: &ast::Expr, span: Span) -> Opnd {
        self.check_await_place(span, "`await`");
        let op = self.expr(x, None);
        let t = self.unwrap(op);
        match t.e.ty.clone() {
            Ty::Task(u) => Opnd::new(mk(ExprKind::Await(Box::new(t.e)), Ty::Result(u), span)),
            Ty::Error => poison(span),
            other => {
                let shown = self.show(&other);
                self.error_help(
                    "E0401",
                    x.span,
                    format!("`await` needs a task (Task<T>), found {shown}"),
                    "only calls of async functions and async built-ins produce tasks",
                );
                poison(span)
            }
        }
    }

    /// `t.await()` in an async body is compiled as `await t` (W0002).
    /// `args` holds the receiver; `None` keeps the blocking call.
    pub fn method_await(&mut self, args: &mut Vec<tast::Expr>, u: &Ty, span: Span) -> Option<Opnd> {
        if !self.in_async_body() {
            return None;
        }
        self.warn_help(
            "W0002",
            span,
            "`.await()` in an async function is compiled as `await`",
            "write `await t`",
        );
        if self.cur_ref().in_defer() {
            self.error(
                "E0402",
                span,
                "`.await()` inside a `defer` block of an async function",
            );
        }
        let t = args.remove(0);
        let ty = Ty::Result(u.clone().into());
        Some(Opnd::new(mk(ExprKind::Await(Box::new(t)), ty, span)))
    }

    /// W0001: a call statement dropping the handle of the task it started
    /// (calls of async functions and lambdas, async built-ins).
    pub fn check_discarded_task(&mut self, e: &tast::Expr) {
        let inner = match &e.kind {
            ExprKind::Unwrap(x, _) | ExprKind::Propagate(x) | ExprKind::Default(x, _) => x,
            _ => e,
        };
        let ExprKind::Call(callee, _) = &inner.kind else {
            return;
        };
        let Ty::Result(t) = &inner.ty else { return };
        if !matches!(**t, Ty::Task(_)) {
            return;
        }
        let what = match callee {
            Callee::Builtin(Builtin::Chan) => return,
            Callee::Builtin(b) => b.display_name().to_string(),
            // A synchronous function handing out a task it did not start.
            Callee::Direct(id) if !self.funcs[id.0 as usize].is_async => return,
            // A function value of type `func<Task<T>(..)>`: async lambdas
            // and functions, as far as the type tells.
            _ => self.unwrap_name(inner),
        };
        self.warn_help(
            "W0001",
            e.span,
            format!("the task started by `{what}` is discarded (it still runs)"),
            "keep the handle and `await` it, or call `.detach()` if nobody will",
        );
    }
}

//! Reachability (LANGUAGE.md §4.1): terminating statements, the reachable
//! end of a non-NIL function (E0310) and unreachable statements (W0003).
//!
//! Runs on the typed AST of each function after checking, so constants are
//! folded (`while (true)` is recognised whatever the spelling of `true`).

use crate::tast::{Block, Builtin, Callee, ExprKind, Func, Stmt, StmtKind};
use crate::types::Ty;
use aria_syntax::{Diagnostic, Span};

/// How control leaves a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    /// Falls through to the next statement.
    Normal,
    /// A terminating statement (§4.1): the function ends here.
    Terminates,
    /// `fall`: jumps into a later pick case (counts for pick termination).
    Fall,
    /// `break`/`continue`, or branches leaving in different ways: the next
    /// statement is unreachable, but the function does not end here.
    Jumps,
}

/// Report W0003 for unreachable statements and E0310 when the end of a
/// non-NIL function can be reached.
pub fn check_func(f: &Func, diags: &mut Vec<Diagnostic>) {
    let flow = block(&f.body, diags);
    let needs_value = !matches!(f.ret, Ty::Nil | Ty::Error);
    if needs_value && flow != Flow::Terminates {
        let end = f.body.span.end;
        let span = Span {
            start: end.saturating_sub(1),
            end,
        };
        diags.push(
            Diagnostic::error(
                "E0310",
                span,
                format!(
                    "the end of `{}` is reachable but it must produce a value",
                    f.name
                ),
            )
            .with_help("end every path with `pass(value);`, `fail(code);` or `return value;`"),
        );
    }
}

/// The flow of a block; warns once at the first unreachable statement.
fn block(b: &Block, diags: &mut Vec<Diagnostic>) -> Flow {
    let mut flow = Flow::Normal;
    for s in &b.stmts {
        if flow != Flow::Normal {
            diags.push(
                Diagnostic::warning("W0003", s.span, "unreachable statement")
                    .with_help("the statement before it never completes normally"),
            );
            return flow;
        }
        flow = stmt(s, diags);
    }
    flow
}

fn stmt(s: &Stmt, diags: &mut Vec<Diagnostic>) -> Flow {
    match &s.kind {
        StmtKind::Pass(_) | StmtKind::Fail(_) | StmtKind::Return(_) => Flow::Terminates,
        StmtKind::Expr(e) if ends_process(e) => Flow::Terminates,
        StmtKind::Let(..) | StmtKind::Expr(_) | StmtKind::Assign(..) | StmtKind::IncDec(..) => {
            Flow::Normal
        }
        StmtKind::Break | StmtKind::Continue => Flow::Jumps,
        StmtKind::Fall(_) => Flow::Fall,
        StmtKind::Block(b) => block(b, diags),
        StmtKind::If(_, then, els) => {
            let a = block(then, diags);
            let b = els.as_ref().map_or(Flow::Normal, |e| block(e, diags));
            match (a, b) {
                (Flow::Terminates, Flow::Terminates) => Flow::Terminates,
                (Flow::Normal, _) | (_, Flow::Normal) => Flow::Normal,
                _ => Flow::Jumps,
            }
        }
        StmtKind::While(cond, body) => {
            block(body, diags);
            let forever = matches!(cond.kind, ExprKind::Bool(true));
            endless(forever, body)
        }
        StmtKind::For { cond, body, .. } => {
            block(body, diags);
            endless(cond.is_none(), body)
        }
        StmtKind::Till { body, .. } => {
            block(body, diags);
            Flow::Normal
        }
        StmtKind::When {
            body, then, end, ..
        } => {
            block(body, diags);
            for b in [then, end].into_iter().flatten() {
                block(b, diags);
            }
            Flow::Normal
        }
        StmtKind::Defer(b) => {
            block(b, diags);
            Flow::Normal
        }
        StmtKind::Pick(_, cases) => {
            let flows: Vec<Flow> = cases.iter().map(|c| block(&c.body, diags)).collect();
            let has_wild = cases
                .iter()
                .any(|c| matches!(c.pattern, crate::tast::Pattern::Wild));
            let all_end = flows
                .iter()
                .all(|f| matches!(f, Flow::Terminates | Flow::Fall));
            if has_wild && all_end {
                Flow::Terminates
            } else {
                Flow::Normal
            }
        }
    }
}

/// `while (true)` / `for (;;)` without a `break` for it never ends normally.
fn endless(forever: bool, body: &Block) -> Flow {
    if forever && !has_break(body) {
        Flow::Terminates
    } else {
        Flow::Normal
    }
}

/// A call statement of built-in `panic` or `exit`.
fn ends_process(e: &crate::tast::Expr) -> bool {
    let inner = match &e.kind {
        ExprKind::Unwrap(x, _) | ExprKind::Propagate(x) | ExprKind::Default(x, _) => x,
        _ => e,
    };
    matches!(
        inner.kind,
        ExprKind::Call(Callee::Builtin(Builtin::Panic | Builtin::Exit), _)
    )
}

/// Does a `break` in this loop body leave this loop? (Not one inside a
/// nested loop; one in a `when`'s `then`/`end` leaves the loop around it.)
fn has_break(b: &Block) -> bool {
    b.stmts.iter().any(|s| match &s.kind {
        StmtKind::Break => true,
        StmtKind::Block(b) => has_break(b),
        StmtKind::If(_, t, e) => has_break(t) || e.as_ref().is_some_and(has_break),
        StmtKind::Pick(_, cases) => cases.iter().any(|c| has_break(&c.body)),
        StmtKind::When { then, end, .. } => {
            then.as_ref().is_some_and(has_break) || end.as_ref().is_some_and(has_break)
        }
        _ => false,
    })
}

//! A last safety net: the typed program handed to lowering must contain
//! only concrete types (no poison, no untyped constants). If a checker path
//! ever lets one through without reporting an error, report it here rather
//! than let lowering crash.

use crate::tast::{Alt, Block, Callee, Expr, ExprKind, Pattern, Program, StmtKind, TemplatePart};
use crate::types::Ty;
use aria_syntax::Diagnostic;

pub fn validate(p: &Program, diags: &mut Vec<Diagnostic>) {
    let mut v = Validator { bad: None };
    for f in &p.funcs {
        v.block(&f.body);
        if f.locals.iter().any(|l| !concrete(&l.ty)) {
            v.bad.get_or_insert(f.span);
        }
    }
    if p.globals.iter().any(|g| !concrete(&g.ty)) {
        v.bad.get_or_insert(
            p.globals
                .iter()
                .find(|g| !concrete(&g.ty))
                .map(|g| g.span)
                .unwrap_or_default(),
        );
    }
    if let Some(span) = v.bad {
        diags.push(Diagnostic::error(
            "E0309",
            span,
            "the type of this expression cannot be determined",
        ));
    }
}

fn concrete(t: &Ty) -> bool {
    match t {
        Ty::Error | Ty::UntypedInt | Ty::UntypedFloat | Ty::Null => false,
        Ty::Array(e) | Ty::Fixed(e, _) | Ty::Result(e) | Ty::Task(e) | Ty::Chan(e) | Ty::Ptr(e) => {
            concrete(e)
        }
        Ty::Func(f) => concrete(&f.ret) && f.params.iter().all(concrete),
        _ => true,
    }
}

struct Validator {
    bad: Option<aria_syntax::Span>,
}

impl Validator {
    fn block(&mut self, b: &Block) {
        for s in &b.stmts {
            self.stmt(&s.kind);
        }
    }

    fn stmt(&mut self, s: &StmtKind) {
        match s {
            StmtKind::Let(_, e) => e.iter().for_each(|e| self.expr(e)),
            StmtKind::Expr(e) | StmtKind::Pass(e) | StmtKind::Fail(e) | StmtKind::Return(e) => {
                self.expr(e)
            }
            StmtKind::Assign(a, _, b) => {
                self.expr(a);
                self.expr(b);
            }
            StmtKind::IncDec(e, _) => self.expr(e),
            StmtKind::Block(b) | StmtKind::Defer(b) => self.block(b),
            StmtKind::If(c, t, e) => {
                self.expr(c);
                self.block(t);
                e.iter().for_each(|b| self.block(b));
            }
            StmtKind::While(c, b) => {
                self.expr(c);
                self.block(b);
            }
            StmtKind::For {
                init,
                cond,
                update,
                body,
            } => {
                init.iter().for_each(|s| self.stmt(&s.kind));
                cond.iter().for_each(|c| self.expr(c));
                update.iter().for_each(|s| self.stmt(&s.kind));
                self.block(body);
            }
            StmtKind::Till {
                limit, step, body, ..
            } => {
                self.expr(limit);
                self.expr(step);
                self.block(body);
            }
            StmtKind::When {
                cond,
                body,
                then,
                end,
            } => {
                self.expr(cond);
                self.block(body);
                then.iter().chain(end.iter()).for_each(|b| self.block(b));
            }
            StmtKind::Pick(sel, cases) => {
                self.expr(sel);
                for c in cases {
                    if let Pattern::Alts(alts) = &c.pattern {
                        for a in alts {
                            match a {
                                Alt::Value(e) | Alt::Rel(_, e) => self.expr(e),
                                Alt::Range { lo, hi, .. } => {
                                    self.expr(lo);
                                    self.expr(hi);
                                }
                            }
                        }
                    }
                    self.block(&c.body);
                }
            }
            StmtKind::Break | StmtKind::Continue | StmtKind::Fall(_) => {}
        }
    }

    fn expr(&mut self, e: &Expr) {
        if self.bad.is_some() {
            return;
        }
        if !concrete(&e.ty) {
            self.bad = Some(e.span);
            return;
        }
        match &e.kind {
            ExprKind::Template(parts) => {
                for p in parts {
                    if let TemplatePart::Value(v) = p {
                        self.expr(v);
                    }
                }
            }
            ExprKind::ArrayLit(xs) => xs.iter().for_each(|x| self.expr(x)),
            ExprKind::StructLit(_, fs) => fs.iter().for_each(|(_, x)| self.expr(x)),
            ExprKind::Call(callee, args) => {
                if let Callee::Value(c) = callee {
                    self.expr(c);
                }
                args.iter().for_each(|x| self.expr(x));
            }
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) | ExprKind::Default(a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Field(a, _)
            | ExprKind::Arrow(a, _)
            | ExprKind::Len(a)
            | ExprKind::ResultErr(a)
            | ExprKind::ResultVal(a)
            | ExprKind::Unwrap(a, _)
            | ExprKind::Propagate(a)
            | ExprKind::Convert(a)
            | ExprKind::Unary(_, a)
            | ExprKind::Await(a) => self.expr(a),
            ExprKind::Ternary(a, b, c) => {
                self.expr(a);
                self.expr(b);
                self.expr(c);
            }
            _ => {}
        }
    }
}

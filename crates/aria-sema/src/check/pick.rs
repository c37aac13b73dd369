//! `pick` and `fall` (LANGUAGE.md §5.7): selector types, patterns (E0324),
//! labels (E0209, E0211) and `fall` targets (E0208, E0326).

use super::Checker;
use crate::convert::{is_equatable, is_ordered};
use crate::scope::PickCtx;
use crate::tast::{self, Alt, Pattern, StmtKind};
use crate::types::Ty;
use aria_syntax::ast::{self, PickAlt, PickPattern, RelOp};
use std::collections::HashMap;

impl Checker {
    pub fn pick(&mut self, sel: &ast::Expr, cases: &[ast::PickCase]) -> StmtKind {
        let op = self.expr(sel, None);
        let sel_e = self.rvalue(op);
        let t = sel_e.ty.clone();
        let selectable = matches!(
            t,
            Ty::Int(_) | Ty::Tbb(_) | Ty::Float(_) | Ty::String | Ty::Bool | Ty::Error
        );
        if !selectable {
            let shown = self.show(&t);
            self.error(
                "E0324",
                sel.span,
                format!("cannot pick on a value of type {shown}"),
            );
        }
        let labels = self.pick_labels(cases);
        let depth = self.cur_ref().defer_depth;
        self.cur().picks.push(PickCtx {
            labels,
            current: 0,
            defer_depth: depth,
        });
        let sel_ty = if selectable { t } else { Ty::Error };
        let mut out = Vec::new();
        for (i, case) in cases.iter().enumerate() {
            self.cur().picks.last_mut().expect("pick").current = i;
            let pattern = self.pattern(&case.pattern, &sel_ty);
            let body = self.block(&case.body);
            out.push(tast::PickCase {
                pattern,
                body,
                span: case.span,
            });
        }
        self.cur().picks.pop();
        StmtKind::Pick(sel_e, out)
    }

    /// Case labels by name (E0209 duplicates, E0211 unlabelled `(!)`).
    fn pick_labels(&mut self, cases: &[ast::PickCase]) -> HashMap<String, usize> {
        let mut labels = HashMap::new();
        for (i, case) in cases.iter().enumerate() {
            match &case.label {
                Some(l) if labels.contains_key(&l.name) => {
                    self.error(
                        "E0209",
                        l.span,
                        format!("duplicate pick label `{}`", l.name),
                    );
                }
                Some(l) => {
                    labels.insert(l.name.clone(), i);
                }
                None if matches!(case.pattern, PickPattern::Never) => {
                    self.error_help(
                        "E0211",
                        case.span,
                        "a `(!)` case needs a label",
                        "it is reached only by `fall(label);`: write `name:(!) { ... }`",
                    );
                }
                None => {}
            }
        }
        labels
    }

    fn pattern(&mut self, p: &PickPattern, sel: &Ty) -> Pattern {
        match p {
            PickPattern::Wild => Pattern::Wild,
            PickPattern::Never => Pattern::Never,
            PickPattern::Alts(alts) => {
                Pattern::Alts(alts.iter().map(|a| self.alt(a, sel)).collect())
            }
        }
    }

    /// One alternative; values convert to the selector's type. Ranges and
    /// relations need an ordered selector (E0324).
    fn alt(&mut self, a: &PickAlt, sel: &Ty) -> Alt {
        match a {
            PickAlt::Value(e) => {
                if !is_equatable(sel) && *sel != Ty::Error {
                    self.unordered(e.span, sel, "a value pattern");
                }
                Alt::Value(self.expect(e, sel, "E0324"))
            }
            PickAlt::Range(lo, hi, inclusive) => {
                let sel =
                    self.ordered_selector(is_ordered(sel), sel, lo.span.to(hi.span), "a range");
                Alt::Range {
                    lo: self.expect(lo, &sel, "E0324"),
                    hi: self.expect(hi, &sel, "E0324"),
                    inclusive: *inclusive,
                }
            }
            PickAlt::Rel(op, e) => {
                let ok = if *op == RelOp::Ne {
                    is_equatable(sel)
                } else {
                    is_ordered(sel)
                };
                let sel = self.ordered_selector(ok, sel, e.span, "a relation");
                Alt::Rel(*op, self.expect(e, &sel, "E0324"))
            }
        }
    }

    fn unordered(&mut self, span: aria_syntax::Span, sel: &Ty, what: &str) {
        let shown = self.show(sel);
        self.error(
            "E0324",
            span,
            format!("{what} does not fit a selector of type {shown}: it is not ordered"),
        );
    }

    /// The selector type to check a range's or relation's bounds against:
    /// poison (after E0324) when the selector is not ordered.
    fn ordered_selector(&mut self, ok: bool, sel: &Ty, span: aria_syntax::Span, what: &str) -> Ty {
        if ok || *sel == Ty::Error {
            return sel.clone();
        }
        self.unordered(span, sel, what);
        Ty::Error
    }

    /// `fall(label);`: to a later case of the innermost pick (E0208), not
    /// out of a defer (E0326).
    pub fn fall(&mut self, label: &ast::Ident) -> StmtKind {
        let ctx = self.cur_ref();
        let Some(p) = ctx.picks.last() else {
            self.error("E0208", label.span, "`fall` outside a `pick`");
            return StmtKind::Fall(0);
        };
        let (target, current, pick_depth) =
            (p.labels.get(&label.name).copied(), p.current, p.defer_depth);
        let defer_depth = ctx.defer_depth;
        match target {
            None => self.error(
                "E0208",
                label.span,
                format!("no case labelled `{}` in this pick", label.name),
            ),
            Some(t) if t <= current => self.error_help(
                "E0208",
                label.span,
                format!(
                    "`fall({})` goes to an earlier case or to its own case",
                    label.name
                ),
                "`fall` only jumps forward, to a later case of the same pick",
            ),
            Some(_) if pick_depth != defer_depth => {
                self.error("E0326", label.span, "`fall` cannot leave a `defer` block")
            }
            Some(_) => {}
        }
        StmtKind::Fall(target.unwrap_or(0))
    }
}

//! Implicit conversions (LANGUAGE.md §2.9) and the result rule's implicit
//! unwrap (§4.4), turned into explicit `Convert` / `Unwrap` nodes, and the
//! defaulting of untyped constants (`int64`, `flt64`, `uint8` for chars).

use super::{mk, Checker, Flavor, Opnd};
use crate::consts::{self, Const};
use crate::convert::{has_error, implicit, is_numeric};
use crate::tast::{Expr, ExprKind};
use crate::types::{FloatKind, IntKind, Ty};

/// The folded constant held by a literal node, if any.
pub fn const_of(e: &Expr) -> Option<Const> {
    Some(match &e.kind {
        ExprKind::Int(v) => Const::Int(*v),
        ExprKind::Float(f) => Const::Float(*f),
        ExprKind::Bool(b) => Const::Bool(*b),
        ExprKind::Str(s) => Const::Str(s.clone()),
        ExprKind::Nil => Const::Nil,
        _ => return None,
    })
}

/// A literal node for a folded constant.
pub fn const_expr(c: Const, ty: Ty, span: aria_syntax::Span) -> Expr {
    let kind = match c {
        Const::Int(v) => ExprKind::Int(v),
        Const::Float(f) => ExprKind::Float(f),
        Const::Bool(b) => ExprKind::Bool(b),
        Const::Str(s) => ExprKind::Str(s),
        Const::Nil => ExprKind::Nil,
    };
    mk(kind, ty, span)
}

/// Is this node a compile-time constant (a literal after folding)?
pub fn is_const(e: &Expr) -> bool {
    const_of(e).is_some() && e.ty != Ty::Error
}

impl Checker {
    /// Implicitly unwrap a result (§4.4 form 1); other operands unchanged.
    pub fn unwrap(&mut self, op: Opnd) -> Opnd {
        match &op.e.ty {
            Ty::Result(t) if matches!(op.e.kind, ExprKind::Ternary(..)) => {
                // Unwrap each branch, so a failure names its own callee.
                let t = (**t).clone();
                let ExprKind::Ternary(c, a, b) = op.e.kind else {
                    unreachable!()
                };
                let a = self.unwrap(Opnd::new(*a)).e;
                let b = self.unwrap(Opnd::new(*b)).e;
                let kind = ExprKind::Ternary(c, Box::new(a), Box::new(b));
                Opnd::new(mk(kind, t, op.e.span))
            }
            Ty::Result(t) => {
                let t = (**t).clone();
                let name = self.unwrap_name(&op.e);
                let span = op.e.span;
                Opnd::new(mk(ExprKind::Unwrap(Box::new(op.e), name), t, span))
            }
            _ => op,
        }
    }

    /// Give an untyped constant its default type (§1: `int64`, `flt64`,
    /// `uint8` for chars; `NULL` becomes a byte pointer).
    pub fn default_ty(&mut self, op: Opnd) -> Expr {
        let to = match (&op.e.ty, op.flavor) {
            (Ty::UntypedInt, Flavor::Char) => Ty::Int(IntKind::U8),
            (Ty::UntypedInt, _) => Ty::Int(IntKind::I64),
            (Ty::UntypedFloat, _) => Ty::Float(FloatKind::F64),
            (Ty::Null, _) => Ty::Ptr(Ty::Int(IntKind::U8).into()),
            _ => return op.e,
        };
        self.coerce(op, &to, "E0300")
    }

    /// Unwrap and default: the value of an expression where no type is
    /// expected (operands of operators without a typed partner, printing).
    pub fn rvalue(&mut self, op: Opnd) -> Expr {
        let op = self.unwrap(op);
        self.default_ty(op)
    }

    /// Convert `op` to `to`, reporting E0301/E0302 for conversions that
    /// need a cast or do not fit and `code` for any other mismatch.
    pub fn coerce(&mut self, op: Opnd, to: &Ty, code: &'static str) -> Expr {
        if has_error(&op.e.ty) || has_error(to) {
            let mut e = op.e;
            e.ty = Ty::Error;
            return e;
        }
        if let Ty::Result(s) = &op.e.ty {
            return self.coerce_result(op.clone(), &s.clone(), to, code);
        }
        if matches!(to, Ty::Result(_)) {
            return self.mismatch(op, to, code);
        }
        if op.flavor == Flavor::Err {
            return match to {
                Ty::Tbb(k) => mk(ExprKind::Int(consts::tbb_err(*k)), to.clone(), op.e.span),
                _ => {
                    let shown = self.show(to);
                    self.error(
                        code,
                        op.e.span,
                        format!("`ERR` is a tbb value and cannot be used as {shown}"),
                    );
                    poisoned(op.e)
                }
            };
        }
        match op.e.ty.clone() {
            Ty::UntypedInt => self.coerce_untyped_int(op, to, code),
            Ty::UntypedFloat => self.coerce_untyped_float(op, to, code),
            Ty::Null => match to {
                Ty::Ptr(_) => mk(ExprKind::Null, to.clone(), op.e.span),
                _ => self.mismatch(op, to, code),
            },
            from if &from == to => op.e,
            from if implicit(&from, to) => convert_node(op.e, to),
            from if is_numeric(&from) && is_numeric(to) => {
                let (f, t) = (self.show(&from), self.show(to));
                self.error_help(
                    "E0301",
                    op.e.span,
                    format!("no implicit conversion from {f} to {t}"),
                    format!("use a cast: `expr => {t}`"),
                );
                poisoned(op.e)
            }
            _ => self.mismatch(op, to, code),
        }
    }

    /// §2.9 rule 4: `result<S>` to `result<D>` (S converts to D) or, for a
    /// non-result target, an implicit unwrap followed by the conversion.
    fn coerce_result(&mut self, op: Opnd, s: &Ty, to: &Ty, code: &'static str) -> Expr {
        match to {
            Ty::Result(d) if **d == *s => op.e,
            Ty::Result(d) if implicit(s, d) => convert_node(op.e, to),
            Ty::Result(d) if is_numeric(s) && is_numeric(d) => {
                let (f, t) = (self.show(&op.e.ty), self.show(to));
                self.error(
                    "E0301",
                    op.e.span,
                    format!("no implicit conversion from {f} to {t}"),
                );
                poisoned(op.e)
            }
            Ty::Result(_) => self.mismatch(op, to, code),
            _ => {
                let un = self.unwrap(op);
                self.coerce(un, to, code)
            }
        }
    }

    fn coerce_untyped_int(&mut self, op: Opnd, to: &Ty, code: &'static str) -> Expr {
        let Some(Const::Int(v)) = const_of(&op.e) else {
            return convert_node(op.e, to);
        };
        if !matches!(to, Ty::Int(_) | Ty::Tbb(_) | Ty::Float(_)) {
            return self.mismatch(op, to, code);
        }
        if !consts::int_fits(v, to) {
            self.out_of_range(&op.e, &v.to_string(), to);
            return poisoned(op.e);
        }
        let c = consts::cast(&Const::Int(v), &Ty::UntypedInt, to).unwrap_or(Const::Int(v));
        super::coerce::const_expr(c, to.clone(), op.e.span)
    }

    fn coerce_untyped_float(&mut self, op: Opnd, to: &Ty, code: &'static str) -> Expr {
        let Some(Const::Float(f)) = const_of(&op.e) else {
            return convert_node(op.e, to);
        };
        match to {
            Ty::Float(k) if consts::float_fits(f, *k) => mk(
                ExprKind::Float(consts::round_float(f, *k)),
                to.clone(),
                op.e.span,
            ),
            Ty::Float(_) => {
                self.out_of_range(&op.e, &f.to_string(), to);
                poisoned(op.e)
            }
            Ty::Int(_) | Ty::Tbb(_) => {
                let t = self.show(to);
                self.error_help(
                    "E0301",
                    op.e.span,
                    format!("no implicit conversion from a float constant to {t}"),
                    format!("use a cast: `expr => {t}`"),
                );
                poisoned(op.e)
            }
            _ => self.mismatch(op, to, code),
        }
    }

    /// E0302 with the tbb hint when the value is the `ERR` pattern.
    pub fn out_of_range(&mut self, e: &Expr, value: &str, to: &Ty) {
        let t = self.show(to);
        let msg = format!("constant {value} does not fit in {t}");
        match to {
            Ty::Tbb(k) if value == consts::tbb_err(*k).to_string() => self.error_help(
                "E0302",
                e.span,
                msg,
                format!("{value} is the error pattern of {t}: write `ERR`"),
            ),
            _ => self.error("E0302", e.span, msg),
        }
    }

    /// Report a plain type mismatch with the context's code.
    pub fn mismatch(&mut self, op: Opnd, to: &Ty, code: &'static str) -> Expr {
        let (f, t) = (self.show(&op.e.ty), self.show(to));
        let msg = match code {
            "E0311" => format!("this function produces {t}, but the value is {f}"),
            "E0314" => format!("the default value must be {t}, found {f}"),
            "E0324" => format!("pattern of type {f} does not fit a selector of type {t}"),
            _ => format!("type mismatch: expected {t}, found {f}"),
        };
        if matches!(to, Ty::Result(_)) && !matches!(op.e.ty, Ty::Result(_)) {
            self.error_help(
                code,
                op.e.span,
                msg,
                "a result comes only from a call, an `await` or another result variable",
            );
        } else {
            self.error(code, op.e.span, msg);
        }
        poisoned(op.e)
    }

    /// Check `e` and convert it to `to` (the common case of a typed slot).
    pub fn expect(&mut self, e: &aria_syntax::ast::Expr, to: &Ty, code: &'static str) -> Expr {
        let hint = match to {
            Ty::Result(t) => (**t).clone(),
            t => t.clone(),
        };
        let op = self.expr(e, Some(&hint));
        self.coerce(op, to, code)
    }
}

/// The same node retyped as poison (its error is already reported).
pub fn poisoned(mut e: Expr) -> Expr {
    e.ty = Ty::Error;
    e
}

/// A conversion node, folded away when the operand is a literal.
pub fn convert_node(e: Expr, to: &Ty) -> Expr {
    if let Some(c) = const_of(&e) {
        if let Some(v) = consts::cast(&c, &e.ty, to) {
            return const_expr(v, to.clone(), e.span);
        }
    }
    let span = e.span;
    mk(ExprKind::Convert(Box::new(e)), to.clone(), span)
}

//! Operators (LANGUAGE.md §6, §2.1-§2.3, §2.9) and casts (§2.10).
//!
//! Binary operators convert both operands to a common type first (mixed
//! signedness: E0301; an untyped constant that does not fit the other
//! operand: E0302); shifts take no common type. Constants are folded:
//! untyped ones exactly, typed ones with run-time semantics.

use super::coerce::{const_expr, const_of, convert_node};
use super::{mk, poison, Checker, Flavor, Opnd};
use crate::consts::{self, Const, FoldError};
use crate::convert::{cast_ok, is_equatable, is_numeric, is_ordered};
use crate::tast::ExprKind;
use crate::types::{IntKind, Ty};
use aria_syntax::ast::{self, BinOp, UnOp};
use aria_syntax::Span;

/// Source spelling of a binary operator, for messages.
pub fn op_str(op: BinOp) -> &'static str {
    use BinOp::*;
    match op {
        Add => "+",
        Sub => "-",
        Mul => "*",
        Div => "/",
        Rem => "%",
        Shl => "<<",
        Shr => ">>",
        Lt => "<",
        Le => "<=",
        Gt => ">",
        Ge => ">=",
        Cmp3 => "<=>",
        Eq => "==",
        Ne => "!=",
        BitAnd => "&",
        BitXor => "^",
        BitOr => "|",
        And => "&&",
        Or => "||",
    }
}

fn is_arith(op: BinOp) -> bool {
    use BinOp::*;
    matches!(op, Add | Sub | Mul | Div | Rem | BitAnd | BitOr | BitXor)
}

fn is_untyped_number(op: &Opnd) -> bool {
    matches!(op.e.ty, Ty::UntypedInt | Ty::UntypedFloat) && op.flavor != Flavor::Err
}

impl Checker {
    pub fn binary(
        &mut self,
        op: BinOp,
        l: &ast::Expr,
        r: &ast::Expr,
        hint: Option<&Ty>,
        span: Span,
    ) -> Opnd {
        match op {
            BinOp::And | BinOp::Or => return self.logical(op, l, r, span),
            BinOp::Shl | BinOp::Shr => return self.shift(op, l, r, hint, span),
            _ => {}
        }
        let h = if is_arith(op) { hint } else { None };
        let a = self.expr(l, h);
        let mut a = self.unwrap(a);
        let b = self.expr(r, h);
        let mut b = self.unwrap(b);
        if a.is_error() || b.is_error() {
            return poison(span);
        }
        if matches!(op, BinOp::Eq | BinOp::Ne) {
            if let Some(folded) = self.null_operands(op, &mut a, &mut b, span) {
                return folded;
            }
        }
        if is_untyped_number(&a) && is_untyped_number(&b) {
            return self.fold_untyped(op, &a, &b, span);
        }
        // ERR adapts to a typed tbb partner; next to another untyped
        // constant it is a tbb64 value.
        if a.is_untyped() && b.is_untyped() {
            for x in [&mut a, &mut b] {
                if x.flavor == Flavor::Err {
                    x.flavor = Flavor::Plain;
                }
            }
        }
        let Some(t) = self.unify(&a, &b) else {
            self.no_common_type(op, &a, &b, span);
            return poison(span);
        };
        let ea = self.coerce(a, &t, "E0304");
        let eb = self.coerce(b, &t, "E0304");
        if ea.ty == Ty::Error || eb.ty == Ty::Error || !self.operator_applies(op, &t, span) {
            return poison(span);
        }
        let result_ty = match op {
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne => Ty::Bool,
            BinOp::Cmp3 => Ty::Int(IntKind::I32),
            _ => t.clone(),
        };
        if let (Some(ca), Some(cb)) = (const_of(&ea), const_of(&eb)) {
            match consts::typed_binary(op, &t, &ca, &cb) {
                Ok((c, ty)) => return Opnd::new(const_expr(c, ty, span)),
                Err(FoldError::DivByZero) => {
                    self.error("E0325", span, "division by zero in a constant expression");
                    return poison(span);
                }
                Err(_) => {}
            }
        }
        let kind = ExprKind::Binary(op, Box::new(ea), Box::new(eb));
        Opnd::new(mk(kind, result_ty, span))
    }

    /// `NULL` compared with an integer stands for 0 (§2.9); two `NULL`s
    /// fold. Returns a folded result when there is nothing left to check.
    fn null_operands(&mut self, op: BinOp, a: &mut Opnd, b: &mut Opnd, span: Span) -> Option<Opnd> {
        let (an, bn) = (a.e.ty == Ty::Null, b.e.ty == Ty::Null);
        if an && bn {
            let e = mk(ExprKind::Bool(op == BinOp::Eq), Ty::Bool, span);
            return Some(Opnd::new(e));
        }
        let zero_for = |null: &mut Opnd, other: &Opnd| {
            if matches!(other.e.ty, Ty::Int(_) | Ty::UntypedInt) && other.flavor != Flavor::Err {
                null.e = mk(ExprKind::Int(0), Ty::UntypedInt, null.e.span);
            }
        };
        if an {
            zero_for(a, b);
        } else if bn {
            zero_for(b, a);
        }
        None
    }

    /// Exact arithmetic on two untyped constants.
    fn fold_untyped(&mut self, op: BinOp, a: &Opnd, b: &Opnd, span: Span) -> Opnd {
        let (ca, cb) = match (const_of(&a.e), const_of(&b.e)) {
            (Some(x), Some(y)) => (x, y),
            _ => return poison(span),
        };
        match consts::untyped_binary(op, &ca, &cb) {
            Ok((c, ty)) => Opnd::new(const_expr(c, ty, span)),
            Err(FoldError::DivByZero) => {
                self.error("E0325", span, "division by zero in a constant expression");
                poison(span)
            }
            Err(FoldError::Overflow) => {
                self.error("E0302", span, "constant expression overflows");
                poison(span)
            }
            Err(FoldError::NotDefined) => {
                let (x, y) = (self.show(&a.e.ty), self.show(&b.e.ty));
                self.error(
                    "E0304",
                    span,
                    format!("operator `{}` is not defined for {x} and {y}", op_str(op)),
                );
                poison(span)
            }
        }
    }

    /// Why two operands have no common type: E0301 between number kinds
    /// (mixed signedness, integer/tbb), E0304 otherwise.
    fn no_common_type(&mut self, op: BinOp, a: &Opnd, b: &Opnd, span: Span) {
        let (x, y) = (self.show(&a.e.ty), self.show(&b.e.ty));
        let numeric = |o: &Opnd| is_numeric(&o.e.ty) && !o.is_untyped();
        if numeric(a) && numeric(b) {
            let signs = a.e.ty.is_integer() && b.e.ty.is_integer();
            let what = if signs { "mixed signedness: " } else { "" };
            self.error_help(
                "E0301",
                span,
                format!("{what}no implicit conversion between {x} and {y}"),
                format!("use a cast: `a => {x}` or `b => {y}`"),
            );
        } else if matches!(op, BinOp::Eq | BinOp::Ne) && a.e.ty == b.e.ty {
            self.error(
                "E0322",
                span,
                format!("values of type {x} cannot be compared"),
            );
        } else {
            self.error(
                "E0304",
                span,
                format!("operator `{}` is not defined for {x} and {y}", op_str(op)),
            );
        }
    }

    /// Is `op` defined on operands of common type `t`? (E0304, E0322)
    fn operator_applies(&mut self, op: BinOp, t: &Ty, span: Span) -> bool {
        use BinOp::*;
        let ok = match op {
            Add => is_numeric(t) || *t == Ty::String,
            Sub | Mul | Div | Rem => is_numeric(t),
            BitAnd | BitOr | BitXor => matches!(t, Ty::Int(_) | Ty::Bool),
            Lt | Le | Gt | Ge | Cmp3 => is_ordered(t),
            Eq | Ne => is_equatable(t),
            _ => true,
        };
        if ok {
            return true;
        }
        let shown = self.show(t);
        let sym = op_str(op);
        match op {
            Lt | Le | Gt | Ge | Cmp3 => self.error(
                "E0322",
                span,
                format!("values of type {shown} cannot be ordered (`{sym}`)"),
            ),
            Eq | Ne => self.error(
                "E0322",
                span,
                format!("values of type {shown} cannot be compared"),
            ),
            BitAnd | BitOr | BitXor if matches!(t, Ty::Tbb(_)) => self.error_help(
                "E0304",
                span,
                format!("bitwise operator `{sym}` is not defined for {shown}"),
                "tbb types have no bit operations: cast to an integer first",
            ),
            _ => self.error(
                "E0304",
                span,
                format!("operator `{sym}` is not defined for {shown}"),
            ),
        }
        false
    }

    /// `&&` and `||` on bools (short-circuit at run time).
    fn logical(&mut self, op: BinOp, l: &ast::Expr, r: &ast::Expr, span: Span) -> Opnd {
        let mut sides = Vec::new();
        for e in [l, r] {
            let v = self.expr(e, Some(&Ty::Bool));
            let v = self.unwrap(v);
            if !matches!(v.e.ty, Ty::Bool | Ty::Error) {
                let shown = self.show(&v.e.ty);
                self.error(
                    "E0304",
                    v.e.span,
                    format!(
                        "operator `{}` needs bool operands, found {shown}",
                        op_str(op)
                    ),
                );
                return poison(span);
            }
            sides.push(v.e);
        }
        let b = sides.pop().expect("two sides");
        let a = sides.pop().expect("two sides");
        if a.ty == Ty::Error || b.ty == Ty::Error {
            return poison(span);
        }
        if let (Some(ca), Some(cb)) = (const_of(&a), const_of(&b)) {
            if let Ok((c, ty)) = consts::typed_binary(op, &Ty::Bool, &ca, &cb) {
                return Opnd::new(const_expr(c, ty, span));
            }
        }
        Opnd::new(mk(
            ExprKind::Binary(op, Box::new(a), Box::new(b)),
            Ty::Bool,
            span,
        ))
    }

    /// `<<` / `>>`: an integer left operand (its type is the result's), any
    /// integer count.
    fn shift(
        &mut self,
        op: BinOp,
        l: &ast::Expr,
        r: &ast::Expr,
        hint: Option<&Ty>,
        span: Span,
    ) -> Opnd {
        let a = self.expr(l, hint);
        let a = self.unwrap(a);
        let b = self.expr(r, None);
        let b = self.unwrap(b);
        if a.is_error() || b.is_error() {
            return poison(span);
        }
        for x in [&a, &b] {
            let int = matches!(x.e.ty, Ty::Int(_))
                || (x.e.ty == Ty::UntypedInt && x.flavor != Flavor::Err);
            if !int {
                let shown = self.show(&x.e.ty);
                let help = if matches!(x.e.ty, Ty::Tbb(_)) || x.flavor == Flavor::Err {
                    "tbb types have no bit operations: cast to an integer first"
                } else {
                    "shifts take integer operands"
                };
                self.error_help(
                    "E0304",
                    x.e.span,
                    format!("operator `{}` is not defined for {shown}", op_str(op)),
                    help,
                );
                return poison(span);
            }
        }
        if a.e.ty == Ty::UntypedInt && b.e.ty == Ty::UntypedInt {
            return self.fold_untyped(op, &a, &b, span);
        }
        let left_ty = match (&a.e.ty, hint) {
            (Ty::UntypedInt, Some(h @ Ty::Int(_))) => h.clone(),
            (Ty::UntypedInt, _) => self.default_ty(a.clone()).ty,
            (t, _) => t.clone(),
        };
        let ea = self.coerce(a, &left_ty, "E0304");
        let eb = self.rvalue(b);
        if ea.ty == Ty::Error || eb.ty == Ty::Error {
            return poison(span);
        }
        if let (Some(Const::Int(x)), Some(Const::Int(n)), Ty::Int(k)) =
            (const_of(&ea), const_of(&eb), &left_ty)
        {
            let c = consts::typed_shift(op, *k, x, n);
            return Opnd::new(const_expr(c, left_ty, span));
        }
        Opnd::new(mk(
            ExprKind::Binary(op, Box::new(ea), Box::new(eb)),
            left_ty,
            span,
        ))
    }

    /// Prefix `-`, `!`, `~`.
    pub fn unary(&mut self, op: UnOp, x: &ast::Expr, hint: Option<&Ty>, span: Span) -> Opnd {
        let h = if op == UnOp::Not {
            Some(&Ty::Bool)
        } else {
            hint
        };
        let v = self.expr(x, h);
        let v = self.unwrap(v);
        if v.is_error() {
            return poison(span);
        }
        if is_untyped_number(&v) {
            let c = const_of(&v.e).unwrap_or(Const::Nil);
            return match consts::untyped_unary(op, &c) {
                Ok((c, ty)) => Opnd {
                    e: const_expr(c, ty, span),
                    flavor: v.flavor,
                },
                Err(FoldError::Overflow) => {
                    self.error("E0302", span, "constant expression overflows");
                    poison(span)
                }
                Err(_) => self.bad_unary(op, &v.e.ty, span),
            };
        }
        let ok = match op {
            UnOp::Neg => is_numeric(&v.e.ty),
            UnOp::Not => v.e.ty == Ty::Bool,
            UnOp::BitNot => v.e.ty.is_integer(),
        };
        if !ok {
            return self.bad_unary(op, &v.e.ty, span);
        }
        if let Some(c) = const_of(&v.e) {
            if let Ok((c, ty)) = consts::typed_unary(op, &v.e.ty, &c) {
                return Opnd {
                    e: const_expr(c, ty, span),
                    flavor: v.flavor,
                };
            }
        }
        let ty = v.e.ty.clone();
        Opnd::new(mk(ExprKind::Unary(op, Box::new(v.e)), ty, span))
    }

    fn bad_unary(&mut self, op: UnOp, t: &Ty, span: Span) -> Opnd {
        let sym = match op {
            UnOp::Neg => "-",
            UnOp::Not => "!",
            UnOp::BitNot => "~",
        };
        let shown = self.show(t);
        self.error(
            "E0304",
            span,
            format!("operator `{sym}` is not defined for {shown}"),
        );
        poison(span)
    }

    /// `e => T` (§2.10); constant operands are folded.
    pub fn cast(&mut self, x: &ast::Expr, t: &ast::TypeExpr, span: Span) -> Opnd {
        let v = self.expr(x, None);
        let v = self.unwrap(v);
        let to = self.resolve_type(t, super::types::TyPos::Inner);
        if v.is_error() || to == Ty::Error {
            return poison(span);
        }
        let from = v.e.ty.clone();
        let folded = match &from {
            Ty::UntypedInt | Ty::UntypedFloat if v.flavor != Flavor::Err => {
                let c = const_of(&v.e).unwrap_or(Const::Nil);
                consts::cast(&c, &from, &to)
                    .filter(|_| matches!(to, Ty::Int(_) | Ty::Float(_) | Ty::Tbb(_)))
                    .map(|c| const_expr(c, to.clone(), span))
            }
            Ty::Null => match &to {
                Ty::Ptr(_) => Some(mk(ExprKind::Null, to.clone(), span)),
                Ty::Int(IntKind::I64 | IntKind::U64) => {
                    Some(mk(ExprKind::Int(0), to.clone(), span))
                }
                _ => None,
            },
            _ if from == to => {
                let mut e = v.e.clone();
                e.span = span;
                Some(e)
            }
            _ if cast_ok(&from, &to) => {
                let mut e = convert_node(v.e.clone(), &to);
                e.span = span;
                Some(e)
            }
            _ => None,
        };
        match folded {
            Some(e) => Opnd::new(e),
            None => {
                let (f, t) = (self.show(&from), self.show(&to));
                self.error("E0303", span, format!("cannot cast {f} to {t}"));
                poison(span)
            }
        }
    }
}

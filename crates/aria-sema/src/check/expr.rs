//! Expressions (LANGUAGE.md §6): literals, names, aggregates, access
//! paths, the result forms `e?` and `e ? d`, the ternary and the pipe.
//! Operators and casts are in `ops`, calls in `call`, `await` in `asyncs`.

use super::coerce::{const_of, poisoned};
use super::{mk, poison, Checker, Flavor, Opnd};
use crate::consts;
use crate::convert::{is_numeric, is_printable};
use crate::scope::Resolved;
use crate::tast::{self, Builtin, Callee, ExprKind, TemplatePart};
use crate::types::{FloatKind, IntKind, TbbKind, Ty};
use aria_syntax::ast::{self, ExprKind as A};
use aria_syntax::Span;

/// Can a place reached through this path be assigned (§5.1)?
#[derive(Debug, Clone, PartialEq)]
pub enum Access {
    /// A variable, element or field that may be assigned.
    Place,
    /// A place that is read-only: the message says why (E0308).
    ReadOnly(String),
    /// Not a place at all (E0104).
    Value,
}

impl Checker {
    /// Check an expression. `hint` is the value type the context expects,
    /// used to type untyped constants and `[]` where the form needs it.
    pub fn expr(&mut self, e: &ast::Expr, hint: Option<&Ty>) -> Opnd {
        let span = e.span;
        match &e.kind {
            A::Int(v) => Opnd::new(mk(ExprKind::Int(*v as i128), Ty::UntypedInt, span)),
            A::Float(f) => Opnd::new(mk(ExprKind::Float(*f), Ty::UntypedFloat, span)),
            A::Char(b) => Opnd {
                e: mk(ExprKind::Int(*b as i128), Ty::UntypedInt, span),
                flavor: Flavor::Char,
            },
            A::Str(s) => Opnd::new(mk(ExprKind::Str(s.clone()), Ty::String, span)),
            A::Bool(b) => Opnd::new(mk(ExprKind::Bool(*b), Ty::Bool, span)),
            A::Nil => Opnd::new(mk(ExprKind::Nil, Ty::Nil, span)),
            A::Null => Opnd::new(mk(ExprKind::Null, Ty::Null, span)),
            A::Err => Opnd {
                e: mk(
                    ExprKind::Int(consts::tbb_err(TbbKind::T64)),
                    Ty::Tbb(TbbKind::T64),
                    span,
                ),
                flavor: Flavor::Err,
            },
            A::Template(parts) => self.template(parts, span),
            A::Ident(_) | A::Dollar | A::Index(..) | A::Member(..) | A::Arrow(..) => {
                self.access(e).0
            }
            A::Array(elems) => self.array_lit(elems, hint, span),
            A::StructLit(name, fields) => self.struct_lit(name, fields, span),
            A::Lambda(l) => Opnd::new(self.lambda(l, None)),
            A::Chan(t, args) => self.chan_call(t, args, span),
            A::Alloc(t, args) => self.alloc_call(t, args, span),
            A::Call(callee, args) => self.call(callee, args, span, hint),
            A::Propagate(inner) => self.propagate(inner, span),
            A::Default(inner, d) => self.default_expr(inner, d, span),
            A::Unary(op, x) => self.unary(*op, x, hint, span),
            A::Await(x) => self.await_expr(x, span),
            A::Cast(x, t) => self.cast(x, t, span),
            A::Binary(op, l, r) => self.binary(*op, l, r, hint, span),
            A::Pipe(x, f) => self.pipe(x, f, span, hint),
            A::Ternary(c, a, b) => self.ternary(c, a, b, hint, span),
            A::Error => {
                self.recovered = true;
                poison(span)
            }
        }
    }

    /// Names, `$`, indexing, fields and `->`: the forms that can be places.
    /// Gives the checked expression and whether it may be assigned.
    pub fn access(&mut self, e: &ast::Expr) -> (Opnd, Access) {
        let span = e.span;
        match &e.kind {
            A::Ident(name) => self.ident(name, span),
            A::Dollar => match self.lookup("$", span) {
                Some(Resolved::Local(id)) => {
                    let ty = self.local_ty(id);
                    let why = "`$` is the read-only value of `till`".to_string();
                    (
                        Opnd::new(mk(ExprKind::Local(id), ty, span)),
                        Access::ReadOnly(why),
                    )
                }
                _ => {
                    self.error("E0202", span, "`$` used outside a `till` loop");
                    (poison(span), Access::Value)
                }
            },
            A::Index(base, idx) => self.index(base, idx, span),
            A::Member(base, name) => self.member(base, name, span),
            A::Arrow(base, name) => self.arrow(base, name, span),
            _ => (self.expr(e, None), Access::Value),
        }
    }

    fn ident(&mut self, name: &str, span: Span) -> (Opnd, Access) {
        let Some(r) = self.lookup(name, span) else {
            self.error("E0200", span, format!("undefined name `{name}`"));
            return (poison(span), Access::Value);
        };
        match r {
            Resolved::Local(id) => {
                let ty = self.local_ty(id);
                let access = if self.cur_ref().is_readonly(id) {
                    Access::ReadOnly(format!("`{name}` is read-only"))
                } else {
                    Access::Place
                };
                (Opnd::new(mk(ExprKind::Local(id), ty, span)), access)
            }
            Resolved::Const(mut c) => {
                c.span = span;
                (
                    Opnd::new(c),
                    Access::ReadOnly(format!("`{name}` is a constant")),
                )
            }
            Resolved::Global(id, order) => {
                self.check_global_order(name, order, span);
                let ty = self.globals[id.0 as usize].ty.clone();
                (Opnd::new(mk(ExprKind::Global(id), ty, span)), Access::Place)
            }
            Resolved::PendingGlobal => {
                self.error(
                    "E0325",
                    span,
                    format!("`{name}` is a variable, not a constant"),
                );
                (poison(span), Access::Value)
            }
            Resolved::ConstLater(order) => {
                self.check_global_order(name, order, span);
                (poison(span), Access::Value)
            }
            Resolved::Func(id) => {
                let ty = self.func_ty(id);
                let why = format!("`{name}` is a function, not a variable");
                (
                    Opnd::new(mk(ExprKind::FuncRef(id), ty, span)),
                    Access::ReadOnly(why),
                )
            }
            Resolved::Builtin(_) => {
                self.error_help(
                    "E0300",
                    span,
                    format!("built-in function `{name}` cannot be used as a value"),
                    format!("wrap it in a lambda that calls `{name}`"),
                );
                (
                    poison(span),
                    Access::ReadOnly(format!("`{name}` is a built-in")),
                )
            }
            Resolved::BuiltinConst(v) => {
                let e = mk(ExprKind::Int(v as i128), Ty::Int(IntKind::I64), span);
                (
                    Opnd::new(e),
                    Access::ReadOnly(format!("`{name}` is a constant")),
                )
            }
        }
    }

    /// E0206: a global initializer reads only earlier globals.
    fn check_global_order(&mut self, name: &str, order: u32, span: Span) {
        if let Some(cur) = self.init_order {
            if self.in_global_init() && order >= cur {
                self.error_help(
                    "E0206",
                    span,
                    format!("global initializer reads `{name}`, which is declared later"),
                    "globals are initialised in source order: move the declaration up",
                );
            }
        }
    }

    /// `a[i]`: arrays, fixed arrays, strings (read-only bytes), pointers.
    fn index(&mut self, base: &ast::Expr, idx: &ast::Expr, span: Span) -> (Opnd, Access) {
        let (b, base_access) = self.access(base);
        let b = self.rvalue(b);
        let i = self.expr(idx, Some(&Ty::Int(IntKind::I64)));
        let i = self.index_value(i);
        let (elem, access) = match &b.ty {
            Ty::Array(t) | Ty::Ptr(t) => ((**t).clone(), Access::Place),
            Ty::Fixed(t, _) => ((**t).clone(), base_access),
            Ty::String => (
                Ty::Int(IntKind::U8),
                Access::ReadOnly("string bytes are read-only".into()),
            ),
            Ty::Error => (Ty::Error, Access::Place),
            other => {
                let shown = self.show(other);
                self.error(
                    "E0315",
                    base.span,
                    format!("type {shown} cannot be indexed"),
                );
                (Ty::Error, Access::Value)
            }
        };
        let e = mk(ExprKind::Index(Box::new(b), Box::new(i)), elem, span);
        (Opnd::new(e), access)
    }

    /// An index: any integer type; untyped constants become `int64`.
    fn index_value(&mut self, op: Opnd) -> tast::Expr {
        let op = self.unwrap(op);
        match op.e.ty {
            Ty::UntypedInt if op.flavor != Flavor::Err => {
                self.coerce(op, &Ty::Int(IntKind::I64), "E0315")
            }
            Ty::Int(_) | Ty::Error => op.e,
            _ => {
                let shown = self.show(&op.e.ty);
                self.error(
                    "E0315",
                    op.e.span,
                    format!("an index must be an integer, found {shown}"),
                );
                poisoned(op.e)
            }
        }
    }

    /// `e.name`: result fields, struct fields and `.length`.
    fn member(&mut self, base: &ast::Expr, name: &ast::Ident, span: Span) -> (Opnd, Access) {
        let (b, base_access) = self.access(base);
        if let Ty::Result(t) = &b.e.ty {
            let t = (**t).clone();
            let ro = Access::ReadOnly(format!("`{}` of a result is read-only", name.name));
            match name.name.as_str() {
                "err" => {
                    let e = mk(
                        ExprKind::ResultErr(Box::new(b.e)),
                        Ty::Int(IntKind::I64),
                        span,
                    );
                    return (Opnd::new(e), ro);
                }
                "val" => {
                    return (
                        Opnd::new(mk(ExprKind::ResultVal(Box::new(b.e)), t, span)),
                        ro,
                    )
                }
                _ => {}
            }
        }
        let b = self.rvalue(b);
        match &b.ty {
            Ty::Struct(id) => {
                let fields = self.struct_fields(*id);
                match fields.iter().position(|(n, _)| *n == name.name) {
                    Some(i) => {
                        let ty = fields[i].1.clone();
                        (
                            Opnd::new(mk(ExprKind::Field(Box::new(b), i), ty, span)),
                            base_access,
                        )
                    }
                    None => {
                        let s = self.show(&b.ty);
                        self.error(
                            "E0204",
                            name.span,
                            format!("struct `{s}` has no field `{}`", name.name),
                        );
                        (poison(span), Access::Value)
                    }
                }
            }
            Ty::String | Ty::Array(_) | Ty::Fixed(..) if name.name == "length" => {
                let e = mk(ExprKind::Len(Box::new(b)), Ty::Int(IntKind::I64), span);
                (
                    Opnd::new(e),
                    Access::ReadOnly("`length` is read-only".into()),
                )
            }
            Ty::Error => (poison(span), Access::Place),
            other => {
                let shown = self.show(other);
                let msg = if super::builtins::is_method_of(other, &name.name) {
                    format!("method `{}` of {shown} must be called", name.name)
                } else if matches!(name.name.as_str(), "err" | "val") {
                    format!("`.{}` needs a result, found {shown}", name.name)
                } else {
                    format!("{shown} has no member `{}`", name.name)
                };
                self.error("E0317", name.span, msg);
                (poison(span), Access::Value)
            }
        }
    }

    /// `p->f`: field `f` of element 0 of a wild struct pointer.
    fn arrow(&mut self, base: &ast::Expr, name: &ast::Ident, span: Span) -> (Opnd, Access) {
        let b = self.expr(base, None);
        let b = self.rvalue(b);
        let sid = match &b.ty {
            Ty::Ptr(t) => match &**t {
                Ty::Struct(id) => Some(*id),
                Ty::Error => return (poison(span), Access::Place),
                _ => None,
            },
            Ty::Error => return (poison(span), Access::Place),
            _ => None,
        };
        let Some(sid) = sid else {
            let shown = self.show(&b.ty);
            self.error(
                "E0317",
                span,
                format!("`->` needs a pointer to a struct, found {shown}"),
            );
            return (poison(span), Access::Value);
        };
        let fields = self.struct_fields(sid);
        match fields.iter().position(|(n, _)| *n == name.name) {
            Some(i) => {
                let ty = fields[i].1.clone();
                (
                    Opnd::new(mk(ExprKind::Arrow(Box::new(b), i), ty, span)),
                    Access::Place,
                )
            }
            None => {
                let s = self.show(&Ty::Struct(sid));
                self.error(
                    "E0204",
                    name.span,
                    format!("struct `{s}` has no field `{}`", name.name),
                );
                (poison(span), Access::Value)
            }
        }
    }

    /// A template: text with interpolations formatted by `to_string`.
    fn template(&mut self, parts: &[ast::TemplatePart], span: Span) -> Opnd {
        let parts = parts
            .iter()
            .map(|p| match p {
                ast::TemplatePart::Text(t) => TemplatePart::Text(t.clone()),
                ast::TemplatePart::Interp(e) => TemplatePart::Value(self.printable(e)),
            })
            .collect();
        Opnd::new(mk(ExprKind::Template(parts), Ty::String, span))
    }

    /// A value to print or format (§8.2): results unwrapped, constants
    /// defaulted, E0318 for types that have no text form.
    pub fn printable(&mut self, e: &ast::Expr) -> tast::Expr {
        let op = self.expr(e, None);
        let v = self.rvalue(op);
        if !is_printable(&v.ty) {
            let shown = self.show(&v.ty);
            self.error(
                "E0318",
                e.span,
                format!("a value of type {shown} cannot be printed"),
            );
            return poisoned(v);
        }
        v
    }

    /// `[e1, e2, ...]` (§2.4): the expected element type, else the common
    /// type of the elements (results count as their value type).
    fn array_lit(&mut self, elems: &[ast::Expr], hint: Option<&Ty>, span: Span) -> Opnd {
        match hint {
            Some(t @ Ty::Array(elem)) => {
                let items = elems
                    .iter()
                    .map(|e| self.expect(e, elem, "E0300"))
                    .collect();
                Opnd::new(mk(ExprKind::ArrayLit(items), t.clone(), span))
            }
            Some(t @ Ty::Fixed(elem, n)) => {
                if elems.len() as u64 != *n {
                    let shown = self.show(t);
                    self.error(
                        "E0316",
                        span,
                        format!("{shown} needs {n} elements, found {}", elems.len()),
                    );
                }
                let items = elems
                    .iter()
                    .map(|e| self.expect(e, elem, "E0300"))
                    .collect();
                Opnd::new(mk(ExprKind::ArrayLit(items), t.clone(), span))
            }
            _ if elems.is_empty() => {
                self.error_help(
                    "E0309",
                    span,
                    "the type of `[]` cannot be inferred here",
                    "declare a typed variable: `int32[]:xs = [];`",
                );
                poison(span)
            }
            _ => self.inferred_array(elems, span),
        }
    }

    fn inferred_array(&mut self, elems: &[ast::Expr], span: Span) -> Opnd {
        let ops: Vec<Opnd> = elems
            .iter()
            .map(|e| {
                let op = self.expr(e, None);
                self.unwrap(op)
            })
            .collect();
        let mut common: Option<Opnd> = None;
        for op in &ops {
            common = Some(match common {
                None => op.clone(),
                Some(c) => match self.unify(&c, op) {
                    Some(t) => Opnd::new(mk(ExprKind::Nil, t, span)),
                    None => {
                        let (a, b) = (self.show(&c.e.ty), self.show(&op.e.ty));
                        self.error(
                            "E0300",
                            op.e.span,
                            format!("array elements have different types: {a} and {b}"),
                        );
                        return poison(span);
                    }
                },
            });
        }
        let elem = self.default_ty(common.expect("non-empty"));
        let elem_ty = elem.ty;
        let items = ops
            .into_iter()
            .map(|op| self.coerce(op, &elem_ty, "E0300"))
            .collect();
        Opnd::new(mk(
            ExprKind::ArrayLit(items),
            Ty::Array(elem_ty.into()),
            span,
        ))
    }

    /// The common type of two operands (untyped ones adapt), or `None`.
    /// The type returned may still be untyped when both are.
    pub fn unify(&self, a: &Opnd, b: &Opnd) -> Option<Ty> {
        let (ta, tb) = (&a.e.ty, &b.e.ty);
        if *ta == Ty::Error || *tb == Ty::Error {
            return Some(Ty::Error);
        }
        match (a.is_untyped(), b.is_untyped()) {
            (true, true) => Some(match (ta, tb) {
                (Ty::UntypedFloat, Ty::UntypedInt | Ty::UntypedFloat)
                | (Ty::UntypedInt, Ty::UntypedFloat) => Ty::UntypedFloat,
                _ if ta == tb => ta.clone(),
                _ => return None,
            }),
            (true, false) => self.adapt_to(a, tb),
            (false, true) => self.adapt_to(b, ta),
            (false, false) => {
                if crate::convert::implicit(ta, tb) {
                    Some(tb.clone())
                } else if crate::convert::implicit(tb, ta) {
                    Some(ta.clone())
                } else {
                    None
                }
            }
        }
    }

    /// The common type of untyped `op` and a typed `t`: `t` itself, or
    /// `flt64` for a float constant next to an integer (integers convert
    /// to any float, §2.9).
    fn adapt_to(&self, op: &Opnd, t: &Ty) -> Option<Ty> {
        if self.adapts(op, t) {
            return Some(t.clone());
        }
        (op.e.ty == Ty::UntypedFloat && t.is_integer()).then_some(Ty::Float(FloatKind::F64))
    }

    /// Can untyped `op` take type `t` (ignoring whether the value fits)?
    fn adapts(&self, op: &Opnd, t: &Ty) -> bool {
        if op.flavor == Flavor::Err {
            return matches!(t, Ty::Tbb(_));
        }
        match op.e.ty {
            Ty::UntypedInt => is_numeric(t),
            Ty::UntypedFloat => matches!(t, Ty::Float(_)),
            Ty::Null => matches!(t, Ty::Ptr(_)),
            _ => false,
        }
    }

    /// `Name{f: e, ...}` (§2.5).
    fn struct_lit(
        &mut self,
        name: &ast::Ident,
        fields: &[(ast::Ident, ast::Expr)],
        span: Span,
    ) -> Opnd {
        let Some(&sid) = self.struct_ids.get(&name.name) else {
            self.error("E0203", name.span, format!("unknown type `{}`", name.name));
            for (_, e) in fields {
                self.expr(e, None);
            }
            return poison(span);
        };
        let decl = self.struct_fields(sid).to_vec();
        let mut out: Vec<(usize, tast::Expr)> = Vec::new();
        for (f, e) in fields {
            let Some(i) = decl.iter().position(|(n, _)| *n == f.name) else {
                self.error(
                    "E0204",
                    f.span,
                    format!("struct `{}` has no field `{}`", name.name, f.name),
                );
                self.expr(e, None);
                continue;
            };
            if out.iter().any(|(j, _)| *j == i) {
                self.error(
                    "E0205",
                    f.span,
                    format!("field `{}` is given twice", f.name),
                );
            }
            let v = self.expect(e, &decl[i].1, "E0300");
            out.push((i, v));
        }
        Opnd::new(mk(ExprKind::StructLit(sid, out), Ty::Struct(sid), span))
    }

    /// `e?` (§4.4 form 3): the enclosing function fails with `e`'s failure.
    fn propagate(&mut self, inner: &ast::Expr, span: Span) -> Opnd {
        let op = self.expr(inner, None);
        let Some(t) = self.result_operand(&op, "?") else {
            return poison(span);
        };
        if self.in_global_init() {
            self.error_help(
                "E0314",
                span,
                "`?` propagation outside a function",
                "give a default instead: `f() ? value`",
            );
        } else if self.cur_ref().in_defer() {
            self.error(
                "E0326",
                span,
                "`?` propagation cannot leave a `defer` block",
            );
        }
        Opnd::new(mk(ExprKind::Propagate(Box::new(op.e)), t, span))
    }

    /// `e ? d` (§4.4 form 2): `d` must convert to T (E0314).
    fn default_expr(&mut self, inner: &ast::Expr, d: &ast::Expr, span: Span) -> Opnd {
        let op = self.expr(inner, None);
        let t = self.result_operand(&op, "?");
        let dv = self.expect(d, t.as_ref().unwrap_or(&Ty::Error), "E0314");
        match t {
            Some(t) => Opnd::new(mk(ExprKind::Default(Box::new(op.e), Box::new(dv)), t, span)),
            None => poison(span),
        }
    }

    /// The value type T of a `?` operand, which must be a result (E0313).
    fn result_operand(&mut self, op: &Opnd, what: &str) -> Option<Ty> {
        match &op.e.ty {
            Ty::Result(t) => Some((**t).clone()),
            Ty::Error => None,
            other => {
                let shown = self.show(other);
                self.error_help(
                    "E0313",
                    op.e.span,
                    format!("the operand of `{what}` must be a result, found {shown}"),
                    "results come from calls and `await`",
                );
                None
            }
        }
    }

    /// `is c : a : b` (§6): the branches need a common type (E0323).
    fn ternary(
        &mut self,
        c: &ast::Expr,
        a: &ast::Expr,
        b: &ast::Expr,
        hint: Option<&Ty>,
        span: Span,
    ) -> Opnd {
        let cond = self.cond(c);
        let a = self.expr(a, hint);
        let b = self.expr(b, hint);
        if matches!(a.e.ty, Ty::Result(_)) && a.e.ty == b.e.ty {
            // Stays a result; `unwrap` pushes into the branches if needed.
            let t = a.e.ty.clone();
            let kind = ExprKind::Ternary(Box::new(cond), Box::new(a.e), Box::new(b.e));
            return Opnd::new(mk(kind, t, span));
        }
        let a = self.unwrap(a);
        let b = self.unwrap(b);
        let Some(mut t) = self.unify(&a, &b) else {
            let (x, y) = (self.show(&a.e.ty), self.show(&b.e.ty));
            self.error(
                "E0323",
                span,
                format!("the branches of `is` have different types: {x} and {y}"),
            );
            return poison(span);
        };
        if let ExprKind::Bool(pick_a) = cond.kind {
            let (chosen, other) = if pick_a { (&a, &b) } else { (&b, &a) };
            if const_of(&chosen.e).is_some() && const_of(&other.e).is_some() {
                return chosen.clone();
            }
        }
        if crate::convert::is_untyped(&t) {
            t = match hint {
                Some(h) if self.adapts(&a, h) && self.adapts(&b, h) => h.clone(),
                _ => self.default_ty(a.clone()).ty,
            };
            if t == Ty::Error {
                return poison(span);
            }
        }
        let a = self.coerce(a, &t, "E0323");
        let b = self.coerce(b, &t, "E0323");
        let kind = ExprKind::Ternary(Box::new(cond), Box::new(a), Box::new(b));
        Opnd::new(mk(kind, t, span))
    }

    /// A condition (E0305): `bool`, results unwrapped.
    pub fn cond(&mut self, e: &ast::Expr) -> tast::Expr {
        let op = self.expr(e, Some(&Ty::Bool));
        let v = self.unwrap(op);
        match v.e.ty {
            Ty::Bool | Ty::Error => v.e,
            _ => {
                let shown = self.show(&v.e.ty);
                self.error(
                    "E0305",
                    e.span,
                    format!("a condition must be bool, found {shown}"),
                );
                poisoned(v.e)
            }
        }
    }

    /// `x |> f(a)` is `f(x, a)`; `x |> g` is `g(x)` (§6).
    fn pipe(&mut self, x: &ast::Expr, f: &ast::Expr, span: Span, hint: Option<&Ty>) -> Opnd {
        let (callee, mut args) = match &f.kind {
            A::Call(callee, args) => ((**callee).clone(), args.clone()),
            _ => (f.clone(), Vec::new()),
        };
        args.insert(0, x.clone());
        self.call(&callee, &args, span, hint)
    }

    /// `chan<T>(capacity)` (§7.12): a `Chan<T>`.
    fn chan_call(&mut self, t: &ast::TypeExpr, args: &[ast::Expr], span: Span) -> Opnd {
        let elem = self.resolve_type(t, super::types::TyPos::Inner);
        let args = self.fixed_args("chan", &[Ty::Int(IntKind::I64)], args, span);
        let ty = Ty::Result(Ty::Chan(elem.into()).into());
        Opnd::new(mk(
            ExprKind::Call(Callee::Builtin(Builtin::Chan), args),
            ty,
            span,
        ))
    }

    /// `alloc<T>(n)` (§8.5): a `wild T@` to `n` zeroed plain elements.
    fn alloc_call(&mut self, t: &ast::TypeExpr, args: &[ast::Expr], span: Span) -> Opnd {
        let elem = self.resolve_type(t, super::types::TyPos::Inner);
        self.require_plain(&elem, t.span, "`alloc`");
        let args = self.fixed_args("alloc", &[Ty::Int(IntKind::I64)], args, span);
        let ty = Ty::Result(Ty::Ptr(elem.into()).into());
        Opnd::new(mk(
            ExprKind::Call(Callee::Builtin(Builtin::Alloc), args),
            ty,
            span,
        ))
    }
}

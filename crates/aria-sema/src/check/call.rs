//! Calls (LANGUAGE.md §4.2, §4.4): every call has type `result<T>`, T the
//! callee's value type. Top-level functions called by name are `Direct`,
//! built-ins and methods `Builtin` (receiver first), anything else of a
//! function type `Value` (E0307 otherwise); wrong counts are E0306.

use super::builtins::{self, ElemNeed};
use super::coerce::poisoned;
use super::{mk, poison, Checker, Opnd};
use crate::convert::{is_equatable, is_numeric, is_ordered, is_printable};
use crate::scope::Resolved;
use crate::tast::{self, Builtin, Callee, ExprKind, FuncId};
use crate::types::{IntKind, Ty};
use aria_syntax::ast::{self, ExprKind as A};
use aria_syntax::Span;

fn call_expr(callee: Callee, args: Vec<tast::Expr>, ret: Ty, span: Span) -> Opnd {
    Opnd::new(mk(
        ExprKind::Call(callee, args),
        Ty::Result(ret.into()),
        span,
    ))
}

impl Checker {
    pub fn call(
        &mut self,
        callee: &ast::Expr,
        args: &[ast::Expr],
        span: Span,
        hint: Option<&Ty>,
    ) -> Opnd {
        match &callee.kind {
            A::Ident(name) => match self.lookup(name, callee.span) {
                Some(Resolved::Func(id)) => self.direct_call(id, args, span),
                Some(Resolved::Builtin(b)) => self.builtin_call(b, args, span, hint),
                None => {
                    if name == "chan" || name == "alloc" {
                        self.error_help(
                            "E0404",
                            callee.span,
                            format!("`{name}` needs a type argument"),
                            format!("write `{name}<T>(...)`"),
                        );
                    } else {
                        self.error("E0200", callee.span, format!("undefined function `{name}`"));
                    }
                    self.skip_args(args);
                    poison(span)
                }
                Some(_) => {
                    let (op, _) = self.access(callee);
                    self.value_call(op, args, span)
                }
            },
            A::Member(recv, name) => self.method_call(recv, name, args, span),
            _ => {
                let op = self.expr(callee, None);
                self.value_call(op, args, span)
            }
        }
    }

    /// Check arguments that have nowhere to go, for their own errors.
    pub fn skip_args(&mut self, args: &[ast::Expr]) {
        for a in args {
            self.expr(a, None);
        }
    }

    /// Arguments converted to the parameter types; E0306 on a wrong count.
    pub fn fixed_args(
        &mut self,
        what: &str,
        params: &[Ty],
        args: &[ast::Expr],
        span: Span,
    ) -> Vec<tast::Expr> {
        if params.len() != args.len() {
            let s = if params.len() == 1 { "" } else { "s" };
            self.error(
                "E0306",
                span,
                format!(
                    "`{what}` takes {} argument{s}, found {}",
                    params.len(),
                    args.len()
                ),
            );
        }
        args.iter()
            .enumerate()
            .map(|(i, a)| match params.get(i) {
                Some(p) => self.expect(a, p, "E0300"),
                None => self.expr(a, None).e,
            })
            .collect()
    }

    fn direct_call(&mut self, id: FuncId, args: &[ast::Expr], span: Span) -> Opnd {
        let Ty::Func(ft) = self.func_ty(id) else {
            unreachable!("functions have function types")
        };
        let name = self.funcs[id.0 as usize].name.clone();
        let args = self.fixed_args(&name, &ft.params, args, span);
        call_expr(Callee::Direct(id), args, ft.ret.clone(), span)
    }

    /// Call a function value (unwrapped first if it is a result).
    fn value_call(&mut self, op: Opnd, args: &[ast::Expr], span: Span) -> Opnd {
        let f = self.unwrap(op);
        match f.e.ty.clone() {
            Ty::Func(ft) => {
                let name = self.unwrap_name(&f.e);
                let args = self.fixed_args(&name, &ft.params, args, span);
                call_expr(Callee::Value(Box::new(f.e)), args, ft.ret.clone(), span)
            }
            Ty::Error => {
                self.skip_args(args);
                poison(span)
            }
            other => {
                let shown = self.show(&other);
                self.error(
                    "E0307",
                    f.e.span,
                    format!("a value of type {shown} is not callable"),
                );
                self.skip_args(args);
                poison(span)
            }
        }
    }

    /// `recv.name(args)`: a built-in method, a struct field holding a
    /// function, or a function in a result's `val`.
    fn method_call(
        &mut self,
        recv: &ast::Expr,
        name: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> Opnd {
        let (r, _) = self.access(recv);
        if let Ty::Result(t) = &r.e.ty {
            if name.name == "val" {
                let t = (**t).clone();
                let val = mk(
                    ExprKind::ResultVal(Box::new(r.e)),
                    t,
                    recv.span.to(name.span),
                );
                return self.value_call(Opnd::new(val), args, span);
            }
        }
        let r = self.rvalue(r);
        match r.ty.clone() {
            Ty::Struct(sid) => {
                let fields = self.struct_fields(sid);
                let Some(i) = fields.iter().position(|(n, _)| *n == name.name) else {
                    let s = self.show(&r.ty);
                    self.error(
                        "E0204",
                        name.span,
                        format!("struct `{s}` has no field `{}`", name.name),
                    );
                    self.skip_args(args);
                    return poison(span);
                };
                let ty = fields[i].1.clone();
                let field = mk(ExprKind::Field(Box::new(r), i), ty, recv.span.to(name.span));
                self.value_call(Opnd::new(field), args, span)
            }
            Ty::Error => {
                self.skip_args(args);
                poison(span)
            }
            other => match builtins::method(&other, &name.name) {
                Some(m) => self.builtin_method(r, m, name, args, span),
                None => {
                    let shown = self.show(&other);
                    let msg = if name.name == "length" {
                        format!("`length` of {shown} is not a method: write `.length`")
                    } else {
                        format!("{shown} has no method `{}`", name.name)
                    };
                    self.error("E0317", name.span, msg);
                    self.skip_args(args);
                    poison(span)
                }
            },
        }
    }

    fn builtin_method(
        &mut self,
        recv: tast::Expr,
        m: builtins::Method,
        name: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> Opnd {
        if m.dyn_only && matches!(recv.ty, Ty::Fixed(..)) {
            let shown = self.show(&recv.ty);
            self.error_help(
                "E0317",
                name.span,
                format!(
                    "`{}` changes the length: not available on fixed array {shown}",
                    name.name
                ),
                "only dynamic arrays (`T[]`) can grow or shrink",
            );
            self.skip_args(args);
            return poison(span);
        }
        if !self.element_fits(&recv.ty, m.need, name) {
            self.skip_args(args);
            return poison(span);
        }
        let what = m.builtin.display_name();
        let mut all = vec![recv];
        all.extend(self.fixed_args(what, &m.params, args, span));
        if m.builtin == Builtin::TaskAwait {
            if let Some(op) = self.method_await(&mut all, &m.ret, span) {
                return op;
            }
        }
        call_expr(Callee::Builtin(m.builtin), all, m.ret, span)
    }

    /// E0322/E0318 for `sort`, `index_of`, `contains`, `join` elements.
    fn element_fits(&mut self, arr: &Ty, need: ElemNeed, name: &ast::Ident) -> bool {
        let (Ty::Array(e) | Ty::Fixed(e, _)) = arr else {
            return true;
        };
        let (ok, code, what) = match need {
            ElemNeed::Nothing => return true,
            ElemNeed::Ordered => (is_ordered(e), "E0322", "cannot be ordered"),
            ElemNeed::Equatable => (is_equatable(e), "E0322", "cannot be compared"),
            ElemNeed::Printable => (is_printable(e), "E0318", "cannot be printed"),
        };
        if !ok {
            let shown = self.show(e);
            self.error(
                code,
                name.span,
                format!(
                    "`{}` needs elements that can be used: {shown} {what}",
                    name.name
                ),
            );
        }
        ok
    }

    /// Built-in functions (§8, §7.11-§7.14).
    fn builtin_call(
        &mut self,
        b: Builtin,
        args: &[ast::Expr],
        span: Span,
        hint: Option<&Ty>,
    ) -> Opnd {
        use Builtin::*;
        let name = b.display_name();
        if let Some((params, ret)) = builtins::fixed_signature(b) {
            let args = self.fixed_args(name, &params, args, span);
            return call_expr(Callee::Builtin(b), args, ret, span);
        }
        let (args, ret) = match b {
            Print | Println | Puts | Eprint | Eprintln => {
                (self.printable_arg(name, args, span), Ty::Nil)
            }
            ToString => (self.printable_arg(name, args, span), Ty::String),
            Abs => self.numeric_args(name, 1, args, span, hint),
            Min | Max => self.numeric_args(name, 2, args, span, hint),
            Free => (self.pointer_arg(args, span), Ty::Nil),
            JoinAll | Race => {
                let (arg, t) = self.tasks_arg(name, args, span, true);
                let ret = if b == JoinAll { Ty::Array(t.into()) } else { t };
                (arg, Ty::Task(ret.into()))
            }
            WithTimeout => {
                let (mut arg, t) = self.tasks_arg(name, &args[..args.len().min(1)], span, false);
                if args.len() == 2 {
                    arg.push(self.expect(&args[1], &Ty::Int(IntKind::I64), "E0300"));
                } else if !args.is_empty() {
                    self.error(
                        "E0306",
                        span,
                        format!("`{name}` takes 2 arguments, found {}", args.len()),
                    );
                }
                (arg, Ty::Task(t.into()))
            }
            _ => unreachable!("{name} has a fixed signature or is syntax"),
        };
        if ret == Ty::Error {
            return poison(span);
        }
        call_expr(Callee::Builtin(b), args, ret, span)
    }

    fn arg_count(&mut self, name: &str, n: usize, args: &[ast::Expr], span: Span) -> bool {
        if args.len() == n {
            return true;
        }
        let s = if n == 1 { "" } else { "s" };
        self.error(
            "E0306",
            span,
            format!("`{name}` takes {n} argument{s}, found {}", args.len()),
        );
        self.skip_args(args);
        false
    }

    /// One printable argument (print family, `to_string`).
    fn printable_arg(&mut self, name: &str, args: &[ast::Expr], span: Span) -> Vec<tast::Expr> {
        if !self.arg_count(name, 1, args, span) {
            return Vec::new();
        }
        vec![self.printable(&args[0])]
    }

    /// `abs(x)`, `min(a, b)`, `max(a, b)`: numbers or tbb of a common type
    /// (untyped constants take the expected type when there is one).
    fn numeric_args(
        &mut self,
        name: &str,
        n: usize,
        args: &[ast::Expr],
        span: Span,
        hint: Option<&Ty>,
    ) -> (Vec<tast::Expr>, Ty) {
        if !self.arg_count(name, n, args, span) {
            return (Vec::new(), Ty::Error);
        }
        let ops: Vec<Opnd> = args
            .iter()
            .map(|a| {
                let op = self.expr(a, hint);
                self.unwrap(op)
            })
            .collect();
        let mut t = ops[0].e.ty.clone();
        if n == 2 {
            match self.unify(&ops[0], &ops[1]) {
                Some(u) => t = u,
                None => {
                    let (a, b) = (self.show(ops[0].ty()), self.show(ops[1].ty()));
                    self.error(
                        "E0300",
                        span,
                        format!("`{name}` needs two values of one type, found {a} and {b}"),
                    );
                    return (Vec::new(), Ty::Error);
                }
            }
        }
        if ops.iter().all(|o| o.is_untyped()) {
            t = match hint {
                Some(h)
                    if is_numeric(h)
                        && ops.iter().all(|o| {
                            self.unify(o, &Opnd::new(mk(ExprKind::Nil, h.clone(), span)))
                                .is_some()
                        }) =>
                {
                    h.clone()
                }
                _ => {
                    let first = ops
                        .iter()
                        .find(|o| o.e.ty == Ty::UntypedFloat)
                        .unwrap_or(&ops[0]);
                    self.default_ty(first.clone()).ty
                }
            };
        }
        if !is_numeric(&t) && t != Ty::Error {
            let shown = self.show(&t);
            self.error(
                "E0300",
                span,
                format!("`{name}` needs numbers or tbb values, found {shown}"),
            );
            return (Vec::new(), Ty::Error);
        }
        let args = ops
            .into_iter()
            .map(|o| self.coerce(o, &t, "E0300"))
            .collect();
        (args, t)
    }

    /// `free(p)`: a wild pointer (or `NULL`).
    fn pointer_arg(&mut self, args: &[ast::Expr], span: Span) -> Vec<tast::Expr> {
        if !self.arg_count("free", 1, args, span) {
            return Vec::new();
        }
        let op = self.expr(&args[0], None);
        let v = self.rvalue(op);
        match v.ty {
            Ty::Ptr(_) | Ty::Error => vec![v],
            _ => {
                let shown = self.show(&v.ty);
                self.error(
                    "E0300",
                    v.span,
                    format!("type mismatch: `free` needs a wild pointer, found {shown}"),
                );
                vec![poisoned(v)]
            }
        }
    }

    /// The task argument(s) of `join_all`/`race` (`Task<T>[]`) or
    /// `with_timeout` (`Task<T>`): the arguments and T.
    fn tasks_arg(
        &mut self,
        name: &str,
        args: &[ast::Expr],
        span: Span,
        array: bool,
    ) -> (Vec<tast::Expr>, Ty) {
        if args.is_empty() || (array && args.len() != 1) {
            let n = if array { 1 } else { 2 };
            self.arg_count(name, n, args, span);
            return (Vec::new(), Ty::Error);
        }
        let op = self.expr(&args[0], None);
        let v = self.rvalue(op);
        let t = match (&v.ty, array) {
            (Ty::Array(e), true) => match &**e {
                Ty::Task(t) => Some((**t).clone()),
                _ => None,
            },
            (Ty::Task(t), false) => Some((**t).clone()),
            (Ty::Error, _) => Some(Ty::Error),
            _ => None,
        };
        match t {
            Some(t) => (vec![v], t),
            None => {
                let want = if array {
                    "an array of tasks (Task<T>[])"
                } else {
                    "a task (Task<T>)"
                };
                let shown = self.show(&v.ty);
                self.error(
                    "E0300",
                    v.span,
                    format!("type mismatch: `{name}` needs {want}, found {shown}"),
                );
                (vec![poisoned(v)], Ty::Error)
            }
        }
    }
}

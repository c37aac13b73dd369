//! The top level (LANGUAGE.md §3): structs, functions, globals and
//! constants, the global initializer and `main` (type expressions: `types`).
//!
//! Phases, each needing the previous one:
//! 1. struct names (types may be used in any order);
//! 2. top-level value names (functions get their ids; E0201 on duplicates);
//! 3. constants, in source order (they may size arrays anywhere);
//! 4. struct fields (E0205, E0319) and pointer plainness (E0321);
//! 5. function signatures and global types;
//! 6. global initializers, in order, into the synthetic `Init` function;
//! 7. function bodies; then the flow rules (E0310, W0003) and `main` (E0210).

use super::types::TyPos;
use super::Checker;
use crate::check::coerce::is_const;
use crate::scope::{FnCtx, Top};
use crate::tast::{self, ExprKind, FuncId, FuncKind, GlobalId, LocalId, StmtKind};
use crate::types::{StructId, Ty};
use aria_syntax::ast::{self, TypeKind};
use aria_syntax::{Diagnostic, Span};

/// What each top-level item turned out to be.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    Struct,
    Func(FuncId),
    Const,
    Global,
    /// A duplicate name (E0201 already reported).
    Skip,
}

/// Built-in type names a struct may not take (E0212).
const BUILTIN_TYPES: &[&str] = &[
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "flt32",
    "flt64",
    "tbb8",
    "tbb16",
    "tbb32",
    "tbb64",
    "bool",
    "string",
    "NIL",
    "void",
    "result",
    "func",
    "Task",
    "Chan",
    "TcpListener",
    "TcpConn",
    "wild",
];

/// `func:f = T(..) {..};` (or with a full `func<..>` type) at top level.
fn is_function_decl(v: &ast::VarDecl) -> bool {
    !v.is_const
        && matches!(v.ty.kind, TypeKind::Func(_))
        && matches!(&v.init, Some(e) if matches!(e.kind, ast::ExprKind::Lambda(_)))
}

fn lambda_of(v: &ast::VarDecl) -> &ast::Lambda {
    match &v.init.as_ref().expect("function has a lambda").kind {
        ast::ExprKind::Lambda(l) => l,
        _ => unreachable!("checked by is_function_decl"),
    }
}

/// An empty function to be filled in once its body is checked.
pub fn placeholder(name: &str, kind: FuncKind, is_async: bool, ret: Ty, span: Span) -> tast::Func {
    tast::Func {
        name: name.to_string(),
        kind,
        is_async,
        params: Vec::new(),
        ret,
        locals: Vec::new(),
        captures: Vec::new(),
        body: tast::Block {
            stmts: Vec::new(),
            span,
        },
        span,
    }
}

/// Check a whole program; the typed program only when there is no error.
pub fn check_program(
    program: &ast::Program,
    src: Option<&[u8]>,
) -> (Option<tast::Program>, Vec<Diagnostic>) {
    let mut c = Checker::new(src);
    c.collect_structs(program);
    let roles = c.collect_values(program);
    let init = FuncId(c.funcs.len() as u32);
    c.funcs.push(placeholder(
        "<init>",
        FuncKind::Init,
        false,
        Ty::Nil,
        Span::default(),
    ));
    c.fns.push(FnCtx::new(FuncKind::Init, false, Ty::Nil));
    c.eval_consts(program, &roles);
    c.resolve_structs(program);
    c.resolve_signatures(program, &roles);
    c.check_globals(program, &roles, init);
    c.check_functions(program, &roles);
    let main = c.check_main();
    for f in &c.funcs {
        if f.kind != FuncKind::Init {
            crate::flow::check_func(f, &mut c.diags);
        }
    }
    c.finish(main, init)
}

impl Checker {
    fn finish(
        mut self,
        main: Option<FuncId>,
        init: FuncId,
    ) -> (Option<tast::Program>, Vec<Diagnostic>) {
        let ok = !self.diags.iter().any(|d| d.is_error()) && !self.recovered;
        let program = match main {
            Some(main) if ok => {
                let p = tast::Program {
                    structs: std::mem::take(&mut self.structs),
                    globals: std::mem::take(&mut self.globals),
                    funcs: std::mem::take(&mut self.funcs),
                    init,
                    main,
                };
                crate::validate::validate(&p, &mut self.diags);
                Some(p)
            }
            _ => None,
        };
        let mut diags = self.diags;
        diags.sort_by_key(|d| (d.span.start, d.span.end));
        diags.dedup_by(|a, b| a.code == b.code && a.span == b.span && a.message == b.message);
        let ok = !diags.iter().any(|d| d.is_error());
        (program.filter(|_| ok), diags)
    }

    // ---- phase 1 and 4: structs ------------------------------------------

    fn collect_structs(&mut self, program: &ast::Program) {
        for item in &program.items {
            let ast::Item::Struct(s) = item else { continue };
            let name = &s.name.name;
            if BUILTIN_TYPES.contains(&name.as_str()) {
                self.error(
                    "E0212",
                    s.name.span,
                    format!("`{name}` is a built-in type name and cannot be redeclared"),
                );
                continue;
            }
            if self.struct_ids.contains_key(name) {
                self.error(
                    "E0201",
                    s.name.span,
                    format!("struct `{name}` is already declared"),
                );
                continue;
            }
            let id = StructId(self.structs.len() as u32);
            self.struct_ids.insert(name.clone(), id);
            self.structs.push(tast::StructInfo {
                name: name.clone(),
                fields: Vec::new(),
                span: s.span,
            });
        }
    }

    fn resolve_structs(&mut self, program: &ast::Program) {
        self.pending_plain = Some(Vec::new());
        for item in &program.items {
            let ast::Item::Struct(s) = item else { continue };
            let Some(&id) = self.struct_ids.get(&s.name.name) else {
                continue;
            };
            if self.structs[id.0 as usize].span != s.span {
                continue; // a duplicate declaration
            }
            let mut fields: Vec<(String, Ty)> = Vec::new();
            for f in &s.fields {
                let ty = self.resolve_type(&f.ty, TyPos::Inner);
                if fields.iter().any(|(n, _)| *n == f.name.name) {
                    self.error(
                        "E0205",
                        f.name.span,
                        format!(
                            "field `{}` is declared twice in `{}`",
                            f.name.name, s.name.name
                        ),
                    );
                    continue;
                }
                fields.push((f.name.name.clone(), ty));
            }
            self.structs[id.0 as usize].fields = fields;
        }
        for (ty, span) in self.pending_plain.take().unwrap_or_default() {
            self.require_plain(&ty, span, "a `wild` pointer");
        }
        self.check_self_containment();
    }

    /// E0319: a struct may not contain itself by value, directly, through
    /// a fixed array or through another struct.
    fn check_self_containment(&mut self) {
        for i in 0..self.structs.len() {
            let id = StructId(i as u32);
            let mut seen = Vec::new();
            let fields = self.structs[i].fields.clone();
            if fields.iter().any(|(_, t)| self.contains(t, id, &mut seen)) {
                let s = &self.structs[i];
                let (name, span) = (s.name.clone(), s.span);
                self.error_help(
                    "E0319",
                    span,
                    format!("struct `{name}` contains itself by value"),
                    format!("use a dynamic array `{name}[]` or a pointer instead"),
                );
            }
        }
    }

    fn contains(&self, t: &Ty, target: StructId, seen: &mut Vec<StructId>) -> bool {
        match t {
            Ty::Struct(id) if *id == target => true,
            Ty::Struct(id) => {
                if seen.contains(id) {
                    return false;
                }
                seen.push(*id);
                let fields = self.structs[id.0 as usize].fields.clone();
                fields.iter().any(|(_, f)| self.contains(f, target, seen))
            }
            Ty::Fixed(e, _) => self.contains(e, target, seen),
            _ => false,
        }
    }

    // ---- phase 2 and 3: names and constants ---------------------------------

    fn collect_values(&mut self, program: &ast::Program) -> Vec<Role> {
        let mut roles = Vec::new();
        for (i, item) in program.items.iter().enumerate() {
            let v = match item {
                ast::Item::Struct(_) => {
                    roles.push(Role::Struct);
                    continue;
                }
                ast::Item::Var(v) => v,
            };
            let name = &v.name.name;
            let order = i as u32;
            let dup = self.top.contains_key(name);
            if dup {
                self.error(
                    "E0201",
                    v.name.span,
                    format!("`{name}` is already declared at top level"),
                );
            }
            let role = if is_function_decl(v) {
                let l = lambda_of(v);
                let id = FuncId(self.funcs.len() as u32);
                self.funcs.push(placeholder(
                    name,
                    FuncKind::TopLevel,
                    l.is_async,
                    Ty::Error,
                    v.span,
                ));
                if !dup {
                    self.top.insert(name.clone(), Top::Func(id));
                }
                Role::Func(id)
            } else if dup {
                Role::Skip
            } else if v.is_const {
                self.top
                    .insert(name.clone(), Top::Const { value: None, order });
                Role::Const
            } else {
                self.top.insert(name.clone(), Top::PendingGlobal);
                Role::Global
            };
            roles.push(role);
        }
        roles
    }

    fn eval_consts(&mut self, program: &ast::Program, roles: &[Role]) {
        for (i, item) in program.items.iter().enumerate() {
            let (ast::Item::Var(v), Role::Const) = (item, roles[i]) else {
                continue;
            };
            self.init_order = Some(i as u32);
            let value = self.const_value(v);
            if let Some(Top::Const { value: slot, .. }) = self.top.get_mut(&v.name.name) {
                *slot = value;
            }
        }
        self.init_order = None;
    }

    /// The folded value of a `const` declaration (E0325 if not constant).
    pub fn const_value(&mut self, v: &ast::VarDecl) -> Option<tast::Expr> {
        let ty = self.resolve_type(&v.ty, TyPos::Var);
        let Some(init) = &v.init else {
            self.error(
                "E0325",
                v.name.span,
                format!("constant `{}` needs a value", v.name.name),
            );
            return None;
        };
        let errors_before = self.error_count();
        let e = self.expect(init, &ty, "E0300");
        // Poison without a new error: the expression used something that is
        // not known while constants are evaluated (a function's value).
        let silent = e.ty == Ty::Error && self.error_count() == errors_before;
        if e.ty == Ty::Error && !silent {
            return None;
        }
        if silent || !is_const(&e) {
            self.error_help(
                "E0325",
                init.span,
                format!("constant `{}` needs a constant expression", v.name.name),
                "constant expressions are literals, constants, `ERR` and operators on them",
            );
            return None;
        }
        Some(e)
    }

    // ---- phase 5: signatures and global types --------------------------------

    fn resolve_signatures(&mut self, program: &ast::Program, roles: &[Role]) {
        let mut next_global = 0u32;
        for (i, item) in program.items.iter().enumerate() {
            let ast::Item::Var(v) = item else { continue };
            match roles[i] {
                Role::Func(id) => self.function_signature(id, v),
                Role::Global => {
                    let ty = match v.ty.kind {
                        // Typed by the initializer (phase 6).
                        TypeKind::Func(None) | TypeKind::Result(None) => Ty::Error,
                        _ => self.resolve_type(&v.ty, TyPos::Var),
                    };
                    let id = GlobalId(next_global);
                    next_global += 1;
                    self.globals.push(tast::GlobalInfo {
                        name: v.name.name.clone(),
                        ty,
                        span: v.span,
                    });
                    let order = i as u32;
                    self.top
                        .insert(v.name.name.clone(), Top::Global { id, order });
                }
                _ => {}
            }
        }
    }

    fn function_signature(&mut self, id: FuncId, v: &ast::VarDecl) {
        let l = lambda_of(v);
        let sig = self.lambda_sig(l);
        if let TypeKind::Func(Some(_)) = v.ty.kind {
            let declared = self.resolve_type(&v.ty, TyPos::Var);
            self.check_declared_func_ty(&declared, &sig.ty(), v.ty.span);
        }
        let f = &mut self.funcs[id.0 as usize];
        f.ret = sig.ret.clone();
        for (name, ty, span) in &sig.params {
            f.locals.push(tast::LocalInfo {
                name: name.clone(),
                ty: ty.clone(),
                by_ref: false,
                span: *span,
            });
            f.params.push(LocalId(f.locals.len() as u32 - 1));
        }
    }

    /// `func<..>:f = lambda` needs the lambda's exact type (§2.6).
    pub fn check_declared_func_ty(&mut self, declared: &Ty, actual: &Ty, span: Span) {
        if declared != actual
            && !crate::convert::has_error(declared)
            && !crate::convert::has_error(actual)
        {
            let (d, a) = (self.show(declared), self.show(actual));
            self.error(
                "E0300",
                span,
                format!("type mismatch: declared {d}, but the function is {a}"),
            );
        }
    }

    // ---- phase 6: global initializers -----------------------------------------

    fn check_globals(&mut self, program: &ast::Program, roles: &[Role], init: FuncId) {
        let mut stmts = Vec::new();
        let mut next = 0u32;
        for (i, item) in program.items.iter().enumerate() {
            let (ast::Item::Var(v), Role::Global) = (item, roles[i]) else {
                continue;
            };
            let id = GlobalId(next);
            next += 1;
            self.init_order = Some(i as u32);
            let value = self.global_init(id, v);
            let ty = self.globals[id.0 as usize].ty.clone();
            let target = super::mk(ExprKind::Global(id), ty, v.name.span);
            stmts.push(tast::Stmt {
                kind: StmtKind::Assign(target, None, value),
                span: v.span,
            });
        }
        self.init_order = None;
        let ctx = self.fns.pop().expect("init context");
        let f = &mut self.funcs[init.0 as usize];
        f.locals = ctx.locals;
        f.body = tast::Block {
            stmts,
            span: Span::default(),
        };
    }

    /// A global's initial value (its zero value without an initializer).
    fn global_init(&mut self, id: GlobalId, v: &ast::VarDecl) -> tast::Expr {
        let declared = self.globals[id.0 as usize].ty.clone();
        let bare = matches!(v.ty.kind, TypeKind::Func(None) | TypeKind::Result(None));
        let Some(init) = &v.init else {
            if bare {
                self.resolve_type(&v.ty, TyPos::Var); // reports E0309
            }
            return super::mk(ExprKind::Zero, declared, v.span);
        };
        if !bare {
            return self.expect(init, &declared, "E0300");
        }
        let e = self.inferred_init(&v.ty, init);
        self.globals[id.0 as usize].ty = e.ty.clone();
        e
    }

    /// The initializer of a `func:` or `result:` declaration, which gives
    /// the variable its type (E0309 when it cannot).
    pub fn inferred_init(&mut self, ty: &ast::TypeExpr, init: &ast::Expr) -> tast::Expr {
        let op = self.expr(init, None);
        if op.is_error() {
            return op.e;
        }
        let is_result = matches!(ty.kind, TypeKind::Result(None));
        match (&op.e.ty, is_result) {
            (Ty::Result(_), true) => op.e,
            (_, true) => {
                let shown = self.show(&op.e.ty);
                self.error_help(
                    "E0309",
                    init.span,
                    format!("bare `result` needs a result initializer, found {shown}"),
                    "initialise it with a call or an `await`, or write the type",
                );
                super::coerce::poisoned(op.e)
            }
            (_, false) => {
                let e = self.rvalue(op);
                if !matches!(e.ty, Ty::Func(_) | Ty::Error) {
                    let shown = self.show(&e.ty);
                    self.error(
                        "E0300",
                        init.span,
                        format!("type mismatch: expected a function value, found {shown}"),
                    );
                    return super::coerce::poisoned(e);
                }
                e
            }
        }
    }

    // ---- phase 7: function bodies and main --------------------------------------

    fn check_functions(&mut self, program: &ast::Program, roles: &[Role]) {
        for (i, item) in program.items.iter().enumerate() {
            let (ast::Item::Var(v), Role::Func(id)) = (item, roles[i]) else {
                continue;
            };
            let l = lambda_of(v);
            let f = &self.funcs[id.0 as usize];
            let mut ctx = FnCtx::new(FuncKind::TopLevel, f.is_async, f.ret.clone());
            let params: Vec<_> = f
                .locals
                .iter()
                .map(|p| (p.name.clone(), p.ty.clone(), p.span))
                .collect();
            ctx.locals.clear();
            let saved = std::mem::take(&mut self.fns);
            self.fns.push(ctx);
            let (ids, body) = self.function_body(&params, &l.body);
            let ctx = self.fns.pop().expect("function context");
            self.fns = saved;
            let f = &mut self.funcs[id.0 as usize];
            f.params = ids;
            f.locals = ctx.locals;
            f.body = body;
        }
    }

    /// Declare the parameters in the body's outermost scope (§3) and check
    /// the body's statements there.
    pub fn function_body(
        &mut self,
        params: &[(String, Ty, Span)],
        body: &ast::Block,
    ) -> (Vec<LocalId>, tast::Block) {
        let ids = params
            .iter()
            .map(|(n, t, s)| self.declare(n, t.clone(), *s, false))
            .collect();
        let stmts = self.stmts(&body.stmts);
        (
            ids,
            tast::Block {
                stmts,
                span: body.span,
            },
        )
    }

    /// E0210: `main` takes no parameters and produces an integer or NIL.
    fn check_main(&mut self) -> Option<FuncId> {
        match self.top.get("main").cloned() {
            Some(Top::Func(id)) => {
                let f = &self.funcs[id.0 as usize];
                let ok_ret = matches!(f.ret, Ty::Int(_) | Ty::Nil | Ty::Error);
                if !f.params.is_empty() || !ok_ret {
                    let span = f.span;
                    self.error_help(
                        "E0210",
                        span,
                        "`main` has the wrong signature",
                        "write `func:main = int32() { ... };` (no parameters; an integer or NIL value type)",
                    );
                }
                Some(id)
            }
            Some(Top::Global { id, .. }) => {
                let span = self.globals[id.0 as usize].span;
                self.error("E0210", span, "`main` must be a function");
                None
            }
            _ => {
                self.error_help(
                    "E0210",
                    Span::default(),
                    "the program has no `main` function",
                    "add `func:main = int32() { pass(0); };`",
                );
                None
            }
        }
    }
}

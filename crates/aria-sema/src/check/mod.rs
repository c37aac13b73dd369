//! The checker: one pass over the program that resolves names, types every
//! expression, folds constants, makes conversions and unwraps explicit, and
//! reports every independent error (poison types stop cascades).
//!
//! The work is split by idea: `items` (top level, declarations, types),
//! `stmt` (statements and jumps), `pick`, `expr` (expressions), `ops`
//! (operators and casts), `call` and `builtins` (calls), `types` (type
//! expressions), `lambda`
//! (closures and captures), `asyncs` (await rules), `coerce` (implicit
//! conversions and result unwraps).

mod asyncs;
mod builtins;
mod call;
mod coerce;
mod expr;
mod items;
mod lambda;
mod ops;
mod pick;
mod stmt;
mod types;

use crate::scope::{Binding, FnCtx, Resolved, Top};
use crate::tast::{self, Capture, ExprKind, FuncId, LocalId};
use crate::types::{StructId, Ty};
use aria_syntax::span::LineIndex;
use aria_syntax::{Diagnostic, Span};
use std::collections::HashMap;

pub use items::check_program;

/// An expression being checked: a typed-AST node that may still be an
/// untyped constant (type `UntypedInt`, `UntypedFloat` or `Null`), plus
/// the flavour of untyped literal it came from.
#[derive(Debug, Clone)]
pub struct Opnd {
    pub e: tast::Expr,
    pub flavor: Flavor,
}

/// Untyped literals whose behaviour differs from a plain integer constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Plain,
    /// A char literal: an integer constant whose default type is `uint8`.
    Char,
    /// `ERR`: typed `tbb64` by default but converts to any tbb type.
    Err,
}

impl Opnd {
    pub fn new(e: tast::Expr) -> Opnd {
        Opnd {
            e,
            flavor: Flavor::Plain,
        }
    }

    pub fn ty(&self) -> &Ty {
        &self.e.ty
    }

    /// Still adapts to the type it is used at (§2.9 rule 3).
    pub fn is_untyped(&self) -> bool {
        crate::convert::is_untyped(&self.e.ty) || self.flavor == Flavor::Err
    }

    pub fn is_error(&self) -> bool {
        self.e.ty == Ty::Error
    }
}

/// Build a typed-AST expression.
pub fn mk(kind: ExprKind, ty: Ty, span: Span) -> tast::Expr {
    tast::Expr { kind, ty, span }
}

/// A poison expression: the error is already reported.
pub fn poison(span: Span) -> Opnd {
    Opnd::new(mk(ExprKind::Nil, Ty::Error, span))
}

pub struct Checker {
    pub diags: Vec<Diagnostic>,
    lines: Option<LineIndex>,
    pub structs: Vec<tast::StructInfo>,
    pub struct_ids: HashMap<String, StructId>,
    /// Struct fields are being resolved: plain-type checks of `wild S@`
    /// wait until every struct is known.
    pending_plain: Option<Vec<(Ty, Span)>>,
    pub top: HashMap<String, Top>,
    pub globals: Vec<tast::GlobalInfo>,
    pub funcs: Vec<tast::Func>,
    /// Functions being checked, outermost first (a lambda's creator below it).
    pub fns: Vec<FnCtx>,
    /// Order of the global whose initializer is being checked (E0206).
    pub init_order: Option<u32>,
    /// The tree holds nodes left by the parser's error recovery (already
    /// reported by the parser): no typed program can come out.
    pub recovered: bool,
}

impl Checker {
    pub fn new(src: Option<&[u8]>) -> Checker {
        Checker {
            diags: Vec::new(),
            lines: src.map(LineIndex::new),
            structs: Vec::new(),
            struct_ids: HashMap::new(),
            pending_plain: None,
            top: HashMap::new(),
            globals: Vec::new(),
            funcs: Vec::new(),
            fns: Vec::new(),
            init_order: None,
            recovered: false,
        }
    }

    // ---- diagnostics -------------------------------------------------

    pub fn error(&mut self, code: &'static str, span: Span, msg: impl Into<String>) {
        self.diags.push(Diagnostic::error(code, span, msg));
    }

    pub fn error_help(
        &mut self,
        code: &'static str,
        span: Span,
        msg: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.diags
            .push(Diagnostic::error(code, span, msg).with_help(help));
    }

    pub fn warn_help(
        &mut self,
        code: &'static str,
        span: Span,
        msg: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.diags
            .push(Diagnostic::warning(code, span, msg).with_help(help));
    }

    pub fn error_count(&self) -> usize {
        self.diags.iter().filter(|d| d.is_error()).count()
    }

    /// `lambda@LINE:COL` when the source is known, else `lambda@OFFSET`.
    pub fn lambda_name(&self, span: Span) -> String {
        match &self.lines {
            Some(ix) => {
                let (l, c) = ix.line_col(span.start);
                format!("lambda@{l}:{c}")
            }
            None => format!("lambda@{}", span.start),
        }
    }

    // ---- types -------------------------------------------------------

    /// Source spelling of a type, with struct names (for messages).
    pub fn show(&self, t: &Ty) -> String {
        match t {
            Ty::Struct(id) => self
                .structs
                .get(id.0 as usize)
                .map(|s| s.name.clone())
                .unwrap_or_else(|| "struct".into()),
            Ty::Array(e) => format!("{}[]", self.show(e)),
            Ty::Fixed(e, n) => format!("{}[{n}]", self.show(e)),
            Ty::Result(e) => format!("result<{}>", self.show(e)),
            Ty::Task(e) => format!("Task<{}>", self.show(e)),
            Ty::Chan(e) => format!("Chan<{}>", self.show(e)),
            Ty::Ptr(e) => format!("wild {}@", self.show(e)),
            Ty::Func(f) => {
                let ps: Vec<String> = f.params.iter().map(|p| self.show(p)).collect();
                format!("func<{}({})>", self.show(&f.ret), ps.join(", "))
            }
            _ => t.to_string(),
        }
    }

    pub fn struct_fields(&self, id: StructId) -> &[(String, Ty)] {
        &self.structs[id.0 as usize].fields
    }

    /// §7.8: a pointer, an array of wild-bearing elements, or a struct with
    /// a wild-bearing field.
    pub fn is_wild_bearing(&self, t: &Ty) -> bool {
        tast::is_wild_bearing(&self.structs, t)
    }

    /// §2.8: what `wild T@` may point to: integers, floats, bool, tbb,
    /// pointers and structs of plain fields.
    pub fn is_plain(&self, t: &Ty) -> bool {
        self.plain_in(t, &mut Vec::new())
    }

    fn plain_in(&self, t: &Ty, seen: &mut Vec<StructId>) -> bool {
        match t {
            Ty::Int(_) | Ty::Float(_) | Ty::Tbb(_) | Ty::Bool | Ty::Ptr(_) | Ty::Error => true,
            Ty::Struct(id) => {
                if seen.contains(id) {
                    return true;
                }
                seen.push(*id);
                let fields = self.struct_fields(*id).to_vec();
                fields.iter().all(|(_, f)| self.plain_in(f, seen))
            }
            _ => false,
        }
    }

    /// Report E0321 unless `t` is plain (deferred while struct fields are
    /// still being resolved).
    pub fn require_plain(&mut self, t: &Ty, span: Span, what: &str) {
        if let Some(pending) = &mut self.pending_plain {
            pending.push((t.clone(), span));
            return;
        }
        if !self.is_plain(t) {
            let shown = self.show(t);
            self.error_help(
                "E0321",
                span,
                format!("{what} needs a plain element type, found {shown}"),
                "plain types: integers, floats, bool, tbb, pointers and structs of plain fields",
            );
        }
    }

    /// The type of a function used as a value (`Task<T>` value for async).
    pub fn func_ty(&self, id: FuncId) -> Ty {
        let f = &self.funcs[id.0 as usize];
        let params = f
            .params
            .iter()
            .map(|p| f.locals[p.0 as usize].ty.clone())
            .collect();
        let ret = if f.is_async {
            Ty::Task(f.ret.clone().into())
        } else {
            f.ret.clone()
        };
        Ty::Func(crate::types::FuncTy { ret, params }.into())
    }

    // ---- functions and names -------------------------------------------

    pub fn cur(&mut self) -> &mut FnCtx {
        self.fns.last_mut().expect("checking inside a function")
    }

    pub fn cur_ref(&self) -> &FnCtx {
        self.fns.last().expect("checking inside a function")
    }

    /// Checking a global initializer itself (not a lambda inside one).
    pub fn in_global_init(&self) -> bool {
        self.fns.len() == 1 && self.cur_ref().kind == tast::FuncKind::Init
    }

    pub fn local_ty(&self, id: LocalId) -> Ty {
        self.cur_ref().local(id).ty.clone()
    }

    /// Resolve a value name from the current function outward. Using a
    /// local of an enclosing function records the captures that bring it
    /// here.
    pub fn lookup(&mut self, name: &str, span: Span) -> Option<Resolved> {
        for k in (0..self.fns.len()).rev() {
            match self.fns[k].find(name) {
                Some(Binding::Const(e)) => return Some(Resolved::Const(e.clone())),
                Some(Binding::Local(id)) => {
                    let id = *id;
                    return Some(Resolved::Local(self.capture(k, id, span)));
                }
                None => {}
            }
        }
        if let Some(t) = self.top.get(name) {
            return Some(match t {
                Top::Func(id) => Resolved::Func(*id),
                Top::Global { id, order } => Resolved::Global(*id, *order),
                Top::PendingGlobal => Resolved::PendingGlobal,
                Top::Const { value: Some(e), .. } => Resolved::Const(e.clone()),
                Top::Const { value: None, order } => Resolved::ConstLater(*order),
            });
        }
        if let Some(b) = builtins::function(name) {
            return Some(Resolved::Builtin(b));
        }
        builtins::constant(name).map(Resolved::BuiltinConst)
    }

    /// Bring local `id` of function `k` into the current function through
    /// every lambda in between: sync lambdas share the variable (both sides
    /// become `by_ref`), async lambdas take a copy (E0403 for wild-bearing
    /// values, §7.8).
    fn capture(&mut self, k: usize, mut id: LocalId, span: Span) -> LocalId {
        for j in k + 1..self.fns.len() {
            if let Some(inner) = self.fns[j].captured.get(&id) {
                id = *inner;
                continue;
            }
            let outer = self.fns[j - 1].local(id).clone();
            let readonly = self.fns[j - 1].is_readonly(id);
            let by_ref = !self.fns[j].is_async || self.fns[j].self_local == Some(id);
            if self.fns[j].is_async && self.is_wild_bearing(&outer.ty) {
                let shown = self.show(&outer.ty);
                self.error_help(
                    "E0403",
                    span,
                    format!(
                        "async lambda captures `{}` of wild-bearing type {shown}",
                        outer.name
                    ),
                    "a task may move between workers: pass the pointer as an argument \
                     of an async function instead",
                );
            }
            let inner = self.fns[j].add_local(&outer.name, outer.ty, outer.span, readonly);
            if by_ref {
                self.fns[j - 1].locals[id.0 as usize].by_ref = true;
                self.fns[j].locals[inner.0 as usize].by_ref = true;
            }
            self.fns[j].captures.push(Capture {
                outer: id,
                inner,
                by_ref,
            });
            self.fns[j].captured.insert(id, inner);
            id = inner;
        }
        id
    }

    /// Declare a new local in the innermost scope (E0201 on a duplicate).
    pub fn declare(&mut self, name: &str, ty: Ty, span: Span, readonly: bool) -> LocalId {
        let id = self.cur().add_local(name, ty, span, readonly);
        if !self.cur().bind(name, Binding::Local(id)) {
            self.error(
                "E0201",
                span,
                format!("`{name}` is already declared in this scope"),
            );
        }
        id
    }

    pub fn push_scope(&mut self) {
        self.cur().scopes.push(HashMap::new());
    }

    pub fn pop_scope(&mut self) {
        self.cur().scopes.pop();
    }

    /// Name used by an implicit unwrap's panic message (§4.4): the
    /// function, `Type.method`, the variable, or the awaited task's function.
    pub fn unwrap_name(&self, e: &tast::Expr) -> String {
        use tast::Callee;
        match &e.kind {
            ExprKind::Call(Callee::Direct(id), _) => self.funcs[id.0 as usize].name.clone(),
            ExprKind::Call(Callee::Builtin(b), _) => b.display_name().to_string(),
            ExprKind::Call(Callee::Value(c), _) => self.value_name(c),
            ExprKind::Await(t) => self.value_name(t),
            ExprKind::Convert(inner) => self.unwrap_name(inner),
            _ => self.value_name(e),
        }
    }

    /// The name a value is known by: a variable, a function, a field.
    fn value_name(&self, e: &tast::Expr) -> String {
        match &e.kind {
            ExprKind::Local(id) => self.cur_ref().local(*id).name.clone(),
            ExprKind::Global(id) => self.globals[id.0 as usize].name.clone(),
            ExprKind::FuncRef(id) | ExprKind::Closure(id) => self.funcs[id.0 as usize].name.clone(),
            ExprKind::Field(base, i) | ExprKind::Arrow(base, i) => match &base.ty {
                Ty::Struct(s) => self.struct_fields(*s)[*i].0.clone(),
                Ty::Ptr(p) => match &**p {
                    Ty::Struct(s) => self.struct_fields(*s)[*i].0.clone(),
                    _ => "value".into(),
                },
                _ => "value".into(),
            },
            ExprKind::Unwrap(inner, _) | ExprKind::Convert(inner) => self.unwrap_name(inner),
            ExprKind::Call(..) | ExprKind::Await(_) => self.unwrap_name(e),
            ExprKind::Index(base, _) => self.value_name(base),
            _ => "value".into(),
        }
    }
}

//! Environments (LANGUAGE.md §3 "Scope").
//!
//! Names live in three layers, searched innermost first:
//! 1. the block scopes of the function being checked, then those of the
//!    enclosing functions (a lambda sees its creator's locals: using one
//!    records a capture, see `Checker::capture`);
//! 2. the top level: functions, globals and constants, visible everywhere
//!    in any order (globals read by an initializer must be earlier: E0206);
//! 3. the built-ins (functions and `ERR_*` constants), which every other
//!    layer may shadow.
//!
//! Types (built-in and struct names) are a separate namespace.

use crate::tast::{Capture, Expr, FuncId, FuncKind, GlobalId, LocalId, LocalInfo};
use crate::types::Ty;
use aria_syntax::Span;
use std::collections::HashMap;

/// What a name in a block scope stands for.
#[derive(Debug, Clone)]
pub enum Binding {
    Local(LocalId),
    /// A `const` local: uses are replaced by the folded value.
    Const(Expr),
}

/// What a top-level name stands for.
#[derive(Debug, Clone)]
pub enum Top {
    Func(FuncId),
    /// A non-const global; `order` is its position among the top-level
    /// variable declarations, for the E0206 "later global" check.
    Global {
        id: GlobalId,
        order: u32,
    },
    /// A global whose type is not known yet (constants are evaluated before
    /// the other globals are typed): reading it in a constant is E0325.
    PendingGlobal,
    /// A `const` global; `None` until evaluated (or when it failed).
    Const {
        value: Option<Expr>,
        order: u32,
    },
}

/// A name resolved to what it stands for, seen from the current function.
#[derive(Debug, Clone)]
pub enum Resolved {
    /// A local of the current function (possibly a capture of an outer one).
    Local(LocalId),
    Const(Expr),
    Global(GlobalId, u32),
    PendingGlobal,
    /// A constant global not evaluated yet: declared later (E0206) or broken.
    ConstLater(u32),
    Func(FuncId),
    Builtin(crate::tast::Builtin),
    /// `ERR_*` failure code constant.
    BuiltinConst(i64),
}

/// A loop being checked: `break`/`continue` target it. `defer_depth` is the
/// number of enclosing `defer` blocks at the loop, so a jump from inside a
/// deeper defer leaves that defer (E0326).
#[derive(Debug, Clone, Copy)]
pub struct LoopCtx {
    pub defer_depth: usize,
}

/// A `pick` being checked: its labels (case index by name) and the case
/// whose body is being checked, for `fall` (E0208).
#[derive(Debug, Clone)]
pub struct PickCtx {
    pub labels: HashMap<String, usize>,
    pub current: usize,
    pub defer_depth: usize,
}

/// Per-function checking state: locals, block scopes, captures, and the
/// statement context (loops, picks, defers) that jumps are checked against.
#[derive(Debug)]
pub struct FnCtx {
    pub kind: FuncKind,
    pub is_async: bool,
    /// The value type T (`pass` converts to it).
    pub ret: Ty,
    pub locals: Vec<LocalInfo>,
    /// Parallel to `locals`: read-only (`$`).
    pub readonly: Vec<bool>,
    pub scopes: Vec<HashMap<String, Binding>>,
    pub captures: Vec<Capture>,
    /// Outer local (of the enclosing function) -> the local standing for it here.
    pub captured: HashMap<LocalId, LocalId>,
    /// For the lambda of `func:f = ...;` in a body: the enclosing function's
    /// local `f`, captured by reference even by an async lambda so that the
    /// function can call itself (a copy would be taken before `f` is set).
    pub self_local: Option<LocalId>,
    pub loops: Vec<LoopCtx>,
    pub picks: Vec<PickCtx>,
    pub defer_depth: usize,
}

impl FnCtx {
    pub fn new(kind: FuncKind, is_async: bool, ret: Ty) -> FnCtx {
        FnCtx {
            kind,
            is_async,
            ret,
            locals: Vec::new(),
            readonly: Vec::new(),
            scopes: vec![HashMap::new()],
            captures: Vec::new(),
            captured: HashMap::new(),
            self_local: None,
            loops: Vec::new(),
            picks: Vec::new(),
            defer_depth: 0,
        }
    }

    /// A new local, not yet visible by name.
    pub fn add_local(&mut self, name: &str, ty: Ty, span: Span, readonly: bool) -> LocalId {
        self.locals.push(LocalInfo {
            name: name.to_string(),
            ty,
            by_ref: false,
            span,
        });
        self.readonly.push(readonly);
        LocalId(self.locals.len() as u32 - 1)
    }

    /// Bind `name` in the innermost scope; false when the scope already has
    /// it (E0201, reported by the caller).
    pub fn bind(&mut self, name: &str, b: Binding) -> bool {
        let scope = self.scopes.last_mut().expect("a function has a scope");
        if scope.contains_key(name) {
            return false;
        }
        scope.insert(name.to_string(), b);
        true
    }

    /// Innermost binding of `name` in this function's scopes.
    pub fn find(&self, name: &str) -> Option<&Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    pub fn local(&self, id: LocalId) -> &LocalInfo {
        &self.locals[id.0 as usize]
    }

    pub fn is_readonly(&self, id: LocalId) -> bool {
        self.readonly[id.0 as usize]
    }

    /// Statements here may leave the function (`pass`, `?`...): not inside a
    /// defer (E0326) and not a global initializer.
    pub fn in_defer(&self) -> bool {
        self.defer_depth > 0
    }
}

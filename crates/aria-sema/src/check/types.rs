//! Type expressions (LANGUAGE.md §2): built-in and struct names (E0203),
//! where `result<T>` may appear (E0320), bare `func`/`result` (E0309),
//! pointers (E0321) and fixed-array sizes (E0316, E0325).

use super::coerce::const_of;
use super::Checker;
use crate::consts::Const;
use crate::types::{FuncTy, IntKind, Ty};
use aria_syntax::ast;
use aria_syntax::Span;

/// Where a type expression appears: decides whether `result<T>` is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TyPos {
    /// A variable or parameter: `result<T>` allowed.
    Var,
    /// A function's value type: `result<T>` is E0320.
    Ret,
    /// Inside another type or a struct field: `result<T>` is E0320.
    Inner,
}

/// Largest fixed-array length accepted (a value array this big is a bug).
const MAX_FIXED: i128 = i32::MAX as i128;

impl Checker {
    /// Resolve a type expression (E0203, E0309, E0320, E0321, E0316, E0325).
    pub fn resolve_type(&mut self, t: &ast::TypeExpr, pos: TyPos) -> Ty {
        use ast::TypeKind as K;
        match &t.kind {
            K::Int(k) => Ty::Int(*k),
            K::Float(k) => Ty::Float(*k),
            K::Tbb(k) => Ty::Tbb(*k),
            K::Bool => Ty::Bool,
            K::String => Ty::String,
            K::Nil => Ty::Nil,
            K::TcpListener => Ty::TcpListener,
            K::TcpConn => Ty::TcpConn,
            K::Result(None) => {
                self.error_help(
                    "E0309",
                    t.span,
                    "bare `result` needs a result initializer",
                    "write `result<T>`, or `result:r = f();`",
                );
                Ty::Error
            }
            K::Result(Some(inner)) => self.result_type(t.span, inner, pos),
            K::Func(None) => {
                self.error_help(
                    "E0309",
                    t.span,
                    "bare `func` is only allowed in a declaration initialised with a function",
                    "write the full type: `func<R(P1, P2)>`",
                );
                Ty::Error
            }
            K::Func(Some((ret, params))) => {
                let ret = self.resolve_type(ret, TyPos::Ret);
                let params = params
                    .iter()
                    .map(|p| self.resolve_type(p, TyPos::Var))
                    .collect();
                Ty::Func(FuncTy { ret, params }.into())
            }
            K::Task(inner) => Ty::Task(self.resolve_type(inner, TyPos::Inner).into()),
            K::Chan(inner) => Ty::Chan(self.resolve_type(inner, TyPos::Inner).into()),
            K::Wild(inner) => {
                let inner_ty = self.resolve_type(inner, TyPos::Inner);
                self.require_plain(&inner_ty, inner.span, "a `wild` pointer");
                Ty::Ptr(inner_ty.into())
            }
            K::PtrNoWild(inner) => {
                self.resolve_type(inner, TyPos::Inner);
                self.error_help(
                    "E0321",
                    t.span,
                    "pointer types must be `wild`",
                    "write `wild T@`",
                );
                Ty::Error
            }
            K::Array(elem, None) => Ty::Array(self.resolve_type(elem, TyPos::Inner).into()),
            K::Array(elem, Some(n)) => {
                let elem = self.resolve_type(elem, TyPos::Inner);
                match self.array_size(n) {
                    Some(n) => Ty::Fixed(elem.into(), n),
                    None => Ty::Error,
                }
            }
            K::Named(name) => match self.struct_ids.get(name) {
                Some(id) => Ty::Struct(*id),
                None => {
                    self.error("E0203", t.span, format!("unknown type `{name}`"));
                    Ty::Error
                }
            },
        }
    }

    fn result_type(&mut self, span: Span, inner: &ast::TypeExpr, pos: TyPos) -> Ty {
        let inner = self.resolve_type(inner, TyPos::Inner);
        match pos {
            TyPos::Var => Ty::Result(inner.into()),
            TyPos::Ret => {
                self.error_help(
                    "E0320",
                    span,
                    "a function's value type cannot be a result",
                    "every call already returns a result: use the value type T",
                );
                Ty::Error
            }
            TyPos::Inner => {
                self.error(
                    "E0320",
                    span,
                    "`result<T>` can only be the type of a variable or parameter",
                );
                Ty::Error
            }
        }
    }

    /// A fixed array's size: a positive integer constant (E0316, E0325).
    fn array_size(&mut self, e: &ast::Expr) -> Option<u64> {
        let op = self.expr(e, Some(&Ty::Int(IntKind::I64)));
        let op = self.unwrap(op);
        if op.is_error() {
            return None;
        }
        match (const_of(&op.e), &op.e.ty) {
            (Some(Const::Int(n)), Ty::UntypedInt | Ty::Int(_))
                if n > 0 && n <= MAX_FIXED && op.flavor != super::Flavor::Err =>
            {
                Some(n as u64)
            }
            (Some(Const::Int(n)), Ty::UntypedInt | Ty::Int(_)) if n > MAX_FIXED => {
                self.error("E0316", e.span, format!("array size {n} is too large"));
                None
            }
            (Some(Const::Int(n)), Ty::UntypedInt | Ty::Int(_)) => {
                self.error(
                    "E0316",
                    e.span,
                    format!("array size must be positive, found {n}"),
                );
                None
            }
            (Some(_), _) => {
                let shown = self.show(&op.e.ty);
                self.error(
                    "E0316",
                    e.span,
                    format!("array size must be an integer, found {shown}"),
                );
                None
            }
            (None, _) => {
                self.error("E0325", e.span, "array size must be a constant expression");
                None
            }
        }
    }
}

//! Lambdas and closures (LANGUAGE.md §4.3, §7.1): each lambda becomes its
//! own `Func` of kind `Lambda`, created at run time by `Closure(id)`. Its
//! captures are recorded while its body is checked (see `Checker::capture`).

use super::items::placeholder;
use super::types::TyPos;
use super::{mk, Checker};
use crate::scope::FnCtx;
use crate::tast::{self, ExprKind, FuncId, FuncKind};
use crate::types::{FuncTy, Ty};
use aria_syntax::ast;
use aria_syntax::Span;

/// A lambda's resolved signature.
#[derive(Debug, Clone)]
pub struct LamSig {
    pub is_async: bool,
    /// The value type T.
    pub ret: Ty,
    pub params: Vec<(String, Ty, Span)>,
}

impl LamSig {
    /// `func<R(P..)>`, R being `Task<T>` for an async lambda.
    pub fn ty(&self) -> Ty {
        let ret = if self.is_async {
            Ty::Task(self.ret.clone().into())
        } else {
            self.ret.clone()
        };
        let params = self.params.iter().map(|p| p.1.clone()).collect();
        Ty::Func(FuncTy { ret, params }.into())
    }
}

impl Checker {
    /// Resolve the value type (E0320 for a result) and parameter types.
    pub fn lambda_sig(&mut self, l: &ast::Lambda) -> LamSig {
        let ret = self.resolve_type(&l.ret, TyPos::Ret);
        let params = l
            .params
            .iter()
            .map(|p| {
                let ty = self.resolve_type(&p.ty, TyPos::Var);
                (p.name.name.clone(), ty, p.name.span)
            })
            .collect();
        LamSig {
            is_async: l.is_async,
            ret,
            params,
        }
    }

    /// A lambda expression: check its body as a new function nested in the
    /// current one and give back the closure creation.
    pub fn lambda(&mut self, l: &ast::Lambda, name: Option<&str>) -> tast::Expr {
        let sig = self.lambda_sig(l);
        self.lambda_with_sig(l, &sig, name, None)
    }

    /// Check a lambda with a resolved signature; `self_local` is the local
    /// it initialises (`func:f = ...;`), through which it calls itself.
    pub fn lambda_with_sig(
        &mut self,
        l: &ast::Lambda,
        sig: &LamSig,
        name: Option<&str>,
        self_local: Option<tast::LocalId>,
    ) -> tast::Expr {
        let fid = FuncId(self.funcs.len() as u32);
        let name = match name {
            Some(n) => n.to_string(),
            None => self.lambda_name(l.span),
        };
        self.funcs.push(placeholder(
            &name,
            FuncKind::Lambda,
            sig.is_async,
            sig.ret.clone(),
            l.span,
        ));
        let mut ctx = FnCtx::new(FuncKind::Lambda, sig.is_async, sig.ret.clone());
        ctx.self_local = self_local;
        self.fns.push(ctx);
        let (ids, body) = self.function_body(&sig.params, &l.body);
        let ctx = self.fns.pop().expect("lambda context");
        let f = &mut self.funcs[fid.0 as usize];
        f.params = ids;
        f.locals = ctx.locals;
        f.captures = ctx.captures;
        f.body = body;
        mk(ExprKind::Closure(fid), sig.ty(), l.span)
    }
}

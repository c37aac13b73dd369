//! The program and declarations (LANGUAGE.md §3, §9): structs, variables
//! and constants, `func:` and `async func:` declarations.

use super::lookahead::{is_expr_start, is_type_keyword};
use super::recovery::starts_statement;
use super::{PResult, Parser};
use crate::ast::{Item, Param, Program, StructDecl, TypeExpr, TypeKind, VarDecl};
use crate::span::Span;
use crate::token::{Kw, TokenKind};

impl Parser {
    /// `Program = { StructDecl | AsyncDecl | VarDecl } EOF`. A failed
    /// declaration is skipped up to the next one.
    pub(super) fn program(&mut self) -> Program {
        let mut items = Vec::new();
        while !self.at_eof() {
            let at = self.pos;
            self.stmt_start = self.span().start;
            match self.item() {
                Ok(item) => items.push(item),
                Err(_) => self.sync(at, true),
            }
            if self.pos == at {
                self.bump();
            }
        }
        Program { items }
    }

    fn item(&mut self) -> PResult<Item> {
        match self.kind() {
            TokenKind::Kw(Kw::Struct) => Ok(Item::Struct(self.struct_decl()?)),
            TokenKind::Kw(Kw::Async) if self.nth(1) == &TokenKind::Kw(Kw::Func) => {
                Ok(Item::Var(self.async_decl()?))
            }
            TokenKind::Kw(Kw::Const) => Ok(Item::Var(self.var_decl()?)),
            _ if self.starts_decl() => Ok(Item::Var(self.var_decl()?)),
            k if begins_statement(k) => {
                let span = self.span();
                Err(self.error_with_help(
                    "E0108",
                    span,
                    "statement at top level",
                    "statements belong inside a function body, e.g. `func:main = int32() { .. };`",
                ))
            }
            _ => Err(self.unexpected("a declaration")),
        }
    }

    /// `[const] Type : name [= Expr] ;`
    pub(super) fn var_decl(&mut self) -> PResult<VarDecl> {
        let mut decl = self.var_decl_head()?;
        self.decl_end()?;
        decl.span = self.span_from(decl.span);
        Ok(decl)
    }

    /// A variable declaration without its `;` (also a `for` initializer).
    pub(super) fn var_decl_head(&mut self) -> PResult<VarDecl> {
        let start = self.span();
        let is_const = self.eat(&TokenKind::Kw(Kw::Const));
        let ty = self.parse_type()?;
        self.expect(&TokenKind::Colon, "`:` between the type and the name")?;
        let name = self.ident("a name")?;
        let init = if self.eat(&TokenKind::Assign) {
            Some(self.parse_expr()?)
        } else {
            None
        };
        Ok(VarDecl {
            is_const,
            ty,
            name,
            init,
            span: self.span_from(start),
        })
    }

    /// `async func : name = T(params) { body } ;` becomes a `VarDecl` of
    /// bare `func` type initialised with an async lambda.
    pub(super) fn async_decl(&mut self) -> PResult<VarDecl> {
        let start = self.bump();
        let func = self.expect(&TokenKind::Kw(Kw::Func), "`func`")?;
        self.expect(&TokenKind::Colon, "`:` and the function name")?;
        let name = self.ident("the function name")?;
        self.expect(
            &TokenKind::Assign,
            "`=` and the function body `T(..) { .. }`",
        )?;
        let lambda_start = self.span();
        let init = self.lambda(true, lambda_start)?;
        self.decl_end()?;
        Ok(VarDecl {
            is_const: false,
            ty: TypeExpr {
                kind: TypeKind::Func(None),
                span: func,
            },
            name,
            init: Some(init),
            span: self.span_from(start),
        })
    }

    /// `struct : Name { Type:field, .. } ;`
    pub(super) fn struct_decl(&mut self) -> PResult<StructDecl> {
        let start = self.bump();
        self.expect(&TokenKind::Colon, "`:` after `struct`")?;
        let name = self.ident("the struct name")?;
        self.expect(&TokenKind::LBrace, "`{` and the fields")?;
        let mut fields = Vec::new();
        while !self.eat(&TokenKind::RBrace) {
            let ty = self.parse_type()?;
            self.expect(&TokenKind::Colon, "`:` between the field type and name")?;
            let field = self.ident("a field name")?;
            fields.push(Param { ty, name: field });
            if !self.eat(&TokenKind::Comma) {
                self.expect(&TokenKind::RBrace, "`,` or `}`")?;
                break;
            }
        }
        self.decl_end()?;
        Ok(StructDecl {
            name,
            fields,
            span: self.span_from(start),
        })
    }

    /// The `;` ending a declaration (E0101 if missing). When what follows
    /// can begin the next statement nothing is skipped, so only the `;` is
    /// reported; otherwise the caller resynchronises.
    fn decl_end(&mut self) -> PResult<()> {
        if self.eat(&TokenKind::Semi) {
            return Ok(());
        }
        let rejected = match self.kind() {
            TokenKind::PlusPlus | TokenKind::MinusMinus | TokenKind::Error => true,
            TokenKind::Kw(k) => k.is_reserved_for_later(),
            _ => false,
        };
        if rejected {
            return Err(self.unexpected("`;`"));
        }
        if self.depth == 0 && self.at(&TokenKind::RBrace) {
            // `};` with one `}` too many after a top-level declaration.
            let span = self.bump();
            self.eat(&TokenKind::Semi);
            self.error("E0100", span, "unmatched `}`");
            return Ok(());
        }
        let span = Span {
            start: self.prev_end,
            end: self.prev_end,
        };
        let found = self.kind().describe();
        self.error_with_help(
            "E0101",
            span,
            format!("missing `;` after the declaration, found {found}"),
            "every declaration ends with `;`, also `func:f = T() { .. };`",
        );
        if self.can_follow_declaration() {
            Ok(())
        } else {
            Err(super::Reported)
        }
    }

    /// Tokens that plausibly begin what comes after a declaration.
    fn can_follow_declaration(&self) -> bool {
        match self.kind() {
            TokenKind::Eof | TokenKind::RBrace | TokenKind::LBrace | TokenKind::Ident(_) => true,
            TokenKind::Kw(k) => {
                starts_statement(*k) || *k == Kw::Async || is_type_keyword(self.kind())
            }
            _ => false,
        }
    }
}

/// Tokens that begin a statement (top level: E0108).
fn begins_statement(k: &TokenKind) -> bool {
    match k {
        TokenKind::LBrace => true,
        TokenKind::Kw(kw) => {
            starts_statement(*kw) || matches!(kw, Kw::Else | Kw::Then | Kw::End) || is_expr_start(k)
        }
        _ => is_expr_start(k),
    }
}

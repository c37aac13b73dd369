//! Primary expressions: literals, names, `$`, parentheses, templates, array
//! and struct literals, lambdas, `chan<T>(..)` / `alloc<T>(..)`.

use super::lookahead::is_type_keyword;
use super::{PResult, Parser};
use crate::ast::{Expr, ExprKind, Lambda, Param, TemplatePart};
use crate::span::Span;
use crate::token::{Kw, TokenKind};

impl Parser {
    pub(super) fn primary(&mut self) -> PResult<Expr> {
        let start = self.span();
        let kind = match self.kind().clone() {
            TokenKind::Ident(name) => return self.name_expr(name),
            TokenKind::LParen => return self.paren(),
            TokenKind::LBracket => return self.array_literal(),
            TokenKind::TemplateStart => return self.template(),
            TokenKind::Kw(Kw::Async) => return self.async_lambda(),
            TokenKind::Kw(k @ (Kw::ChanFn | Kw::Alloc)) => return self.chan_or_alloc(k),
            TokenKind::Kw(Kw::Nil) if self.type_then_paren(self.pos) => {
                return self.type_led_expr()
            }
            ref k if is_type_keyword(k) => return self.type_led_expr(),
            TokenKind::Int(v) => ExprKind::Int(v),
            TokenKind::Float(v) => ExprKind::Float(v),
            TokenKind::Char(b) => ExprKind::Char(b),
            TokenKind::Str(bytes) => ExprKind::Str(bytes),
            TokenKind::Kw(Kw::True) => ExprKind::Bool(true),
            TokenKind::Kw(Kw::False) => ExprKind::Bool(false),
            TokenKind::Kw(Kw::Nil) => ExprKind::Nil,
            TokenKind::Kw(Kw::Null) => ExprKind::Null,
            TokenKind::Kw(Kw::Err) => ExprKind::Err,
            TokenKind::Dollar => ExprKind::Dollar,
            _ => return Err(self.unexpected("an expression")),
        };
        self.bump();
        Ok(Expr { kind, span: start })
    }

    /// `Name{` is always a struct literal; `Name(..)` may be a lambda that
    /// returns a struct (or `result`); otherwise a plain name.
    fn name_expr(&mut self, name: String) -> PResult<Expr> {
        if self.nth(1) == &TokenKind::LBrace {
            return self.struct_literal();
        }
        if self.lambda_ahead(self.pos) {
            let start = self.span();
            return self.lambda(false, start);
        }
        let span = self.bump();
        Ok(Expr {
            kind: ExprKind::Ident(name),
            span,
        })
    }

    /// A type keyword in expression position: only a lambda may start so.
    /// `int32(x)` is E0110 (a conversion is written `x => int32`).
    fn type_led_expr(&mut self) -> PResult<Expr> {
        let start = self.span();
        if self.lambda_ahead(self.pos) {
            return self.lambda(false, start);
        }
        let after_type = self.skip_type(self.pos);
        if let Some(j) = after_type.filter(|&j| self.kind_at(j) == &TokenKind::LParen) {
            let span = start.to(self.span_at(j));
            return Err(self.error_with_help(
                "E0110",
                span,
                "a type followed by `(` is not a lambda here",
                "a lambda is `T(Type:name, ..) { .. }`; to convert a value write `value => T`",
            ));
        }
        Err(self.unexpected("an expression"))
    }

    /// `( Expr )`; the node's span covers the parentheses.
    fn paren(&mut self) -> PResult<Expr> {
        let start = self.bump();
        let mut e = self.parse_expr()?;
        self.expect(&TokenKind::RParen, "`)`")?;
        e.span = self.span_from(start);
        Ok(e)
    }

    /// `[ e, .. ]`, trailing comma allowed.
    fn array_literal(&mut self) -> PResult<Expr> {
        let start = self.bump();
        let mut items = Vec::new();
        while !self.eat(&TokenKind::RBracket) {
            items.push(self.parse_expr()?);
            if !self.eat(&TokenKind::Comma) {
                self.expect(&TokenKind::RBracket, "`,` or `]`")?;
                break;
            }
        }
        Ok(Expr {
            kind: ExprKind::Array(items),
            span: self.span_from(start),
        })
    }

    /// `Name{ field: e, .. }`, trailing comma allowed.
    fn struct_literal(&mut self) -> PResult<Expr> {
        let name = self.ident("a struct name")?;
        self.bump();
        let mut fields = Vec::new();
        while !self.eat(&TokenKind::RBrace) {
            let field = self.ident("a field name or `}`")?;
            self.expect(&TokenKind::Colon, "`:` after the field name")?;
            fields.push((field, self.parse_expr()?));
            if !self.eat(&TokenKind::Comma) {
                self.expect(&TokenKind::RBrace, "`,` or `}`")?;
                break;
            }
        }
        let span = self.span_from(name.span);
        Ok(Expr {
            kind: ExprKind::StructLit(name, fields),
            span,
        })
    }

    /// `` `text &{ expr } ..` `` from the lexer's template pieces.
    fn template(&mut self) -> PResult<Expr> {
        let start = self.bump();
        let mut parts = Vec::new();
        loop {
            match self.kind().clone() {
                TokenKind::TemplateText(bytes) => {
                    self.bump();
                    parts.push(TemplatePart::Text(bytes));
                }
                TokenKind::InterpStart => {
                    self.bump();
                    // `&{}` was reported by the lexer (E0111).
                    if self.eat(&TokenKind::InterpEnd) {
                        continue;
                    }
                    let e = self.parse_expr()?;
                    self.expect(&TokenKind::InterpEnd, "`}` to close the interpolation")?;
                    parts.push(TemplatePart::Interp(e));
                }
                TokenKind::TemplateEnd => {
                    self.bump();
                    break;
                }
                _ => return Err(self.unexpected("the end of the template")),
            }
        }
        Ok(Expr {
            kind: ExprKind::Template(parts),
            span: self.span_from(start),
        })
    }

    /// `async T(params) { body }`.
    fn async_lambda(&mut self) -> PResult<Expr> {
        let start = self.bump();
        if !self.lambda_ahead(self.pos) {
            if self.type_then_paren(self.pos) {
                return self.type_led_expr();
            }
            return Err(self.unexpected("a lambda `T(..) { .. }` after `async`"));
        }
        self.lambda(true, start)
    }

    /// `RetType(Type:p, ..) { body }` (the caller checked the lookahead).
    pub(super) fn lambda(&mut self, is_async: bool, start: Span) -> PResult<Expr> {
        let ret = self.parse_type()?;
        let params = self.params()?;
        let body = self.body_block()?;
        let span = self.span_from(start);
        let lambda = Lambda {
            is_async,
            ret,
            params,
            body,
            span,
        };
        Ok(Expr {
            kind: ExprKind::Lambda(Box::new(lambda)),
            span,
        })
    }

    /// `( [ Type:name { , Type:name } ] )`.
    pub(super) fn params(&mut self) -> PResult<Vec<Param>> {
        self.expect(&TokenKind::LParen, "`(` and the parameters")?;
        let mut params = Vec::new();
        if self.eat(&TokenKind::RParen) {
            return Ok(params);
        }
        loop {
            let ty = self.parse_type()?;
            self.expect(&TokenKind::Colon, "`:` between parameter type and name")?;
            let name = self.ident("a parameter name")?;
            params.push(Param { ty, name });
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(&TokenKind::RParen, "`,` or `)`")?;
        Ok(params)
    }

    /// `chan<T>(args)` / `alloc<T>(args)`. Without the type argument it is
    /// E0404, reported here since the tree needs the type; the call is kept
    /// as an `Error` node that sema skips.
    fn chan_or_alloc(&mut self, k: Kw) -> PResult<Expr> {
        let start = self.bump();
        if self.at(&TokenKind::LParen) {
            self.error_with_help(
                "E0404",
                start,
                format!("`{}` needs a type argument", k.as_str()),
                &format!("write `{}<T>(..)`", k.as_str()),
            );
            self.call_args()?;
            return Ok(Expr {
                kind: ExprKind::Error,
                span: self.span_from(start),
            });
        }
        self.expect(&TokenKind::Lt, "`<` and a type argument")?;
        let ty = self.parse_type()?;
        self.expect_gt()?;
        let args = self.call_args()?;
        let kind = match k {
            Kw::ChanFn => ExprKind::Chan(ty, args),
            _ => ExprKind::Alloc(ty, args),
        };
        Ok(Expr {
            kind,
            span: self.span_from(start),
        })
    }
}

//! Control-flow statements (LANGUAGE.md §5.2-5.8): `if`, `while`, `for`,
//! `till`, `when`, `pick`, `defer`. Conditions are parenthesised (E0103)
//! and bodies are blocks (E0102).

use super::{PResult, Parser};
use crate::ast::{Block, Expr, PickAlt, PickCase, PickPattern, RelOp, Stmt, StmtKind};
use crate::span::Span;
use crate::token::{Kw, TokenKind};

impl Parser {
    /// `if (c) { } [else (if .. | { })]`. An `else if` chain is read in a
    /// loop (chains may be long) and folded into nested `If`s afterwards.
    pub(super) fn if_stmt(&mut self) -> PResult<StmtKind> {
        let links_before = self.links;
        self.bump();
        let cond = self.paren_cond()?;
        let then = self.body_block()?;
        let mut chain: Vec<(Span, Expr, Block)> = Vec::new();
        let mut last_else = None;
        let mut count = 0;
        while self.eat(&TokenKind::Kw(Kw::Else)) {
            let start = self.span();
            if !self.eat(&TokenKind::Kw(Kw::If)) {
                let block = self.body_block()?;
                last_else = Some(Box::new(Stmt {
                    kind: StmtKind::Block(block),
                    span: self.span_from(start),
                }));
                break;
            }
            self.link(&mut count, start)?;
            let cond = self.paren_cond()?;
            chain.push((start, cond, self.body_block()?));
        }
        let end = self.prev_end;
        let other = chain
            .into_iter()
            .rev()
            .fold(last_else, |other, (start, c, b)| {
                let span = Span {
                    start: start.start,
                    end,
                };
                let kind = StmtKind::If(c, b, other);
                Some(Box::new(Stmt { kind, span }))
            });
        if let Some(other) = &other {
            self.check_stmt_height(links_before, other)?;
        }
        Ok(StmtKind::If(cond, then, other))
    }

    pub(super) fn while_stmt(&mut self) -> PResult<StmtKind> {
        self.bump();
        let cond = self.paren_cond()?;
        Ok(StmtKind::While(cond, self.body_block()?))
    }

    /// `for ( [init] ; [cond] ; [update] ) { }`; `init` is a declaration
    /// `Type:name = e` or a simple statement, `update` a simple statement.
    pub(super) fn for_stmt(&mut self) -> PResult<StmtKind> {
        self.bump();
        self.open_paren()?;
        let init = if self.at(&TokenKind::Semi) {
            None
        } else {
            Some(Box::new(self.for_init()?))
        };
        self.expect(&TokenKind::Semi, "`;` after the loop initializer")?;
        let cond = self.optional_expr(&TokenKind::Semi)?;
        self.expect(&TokenKind::Semi, "`;` after the loop condition")?;
        let update = if self.at(&TokenKind::RParen) {
            None
        } else {
            let start = self.span();
            let kind = self.simple_stmt()?;
            Some(Box::new(Stmt {
                kind,
                span: self.span_from(start),
            }))
        };
        self.expect(&TokenKind::RParen, "`)`")?;
        let body = self.body_block()?;
        Ok(StmtKind::For {
            init,
            cond,
            update,
            body,
        })
    }

    fn for_init(&mut self) -> PResult<Stmt> {
        let start = self.span();
        let kind = if self.starts_decl() {
            StmtKind::Var(self.var_decl_head()?)
        } else {
            self.simple_stmt()?
        };
        Ok(Stmt {
            kind,
            span: self.span_from(start),
        })
    }

    /// `till(limit, step) { }`.
    pub(super) fn till_stmt(&mut self) -> PResult<StmtKind> {
        self.bump();
        self.open_paren()?;
        let limit = self.parse_expr()?;
        self.expect(&TokenKind::Comma, "`,` and the step")?;
        let step = self.parse_expr()?;
        self.expect(&TokenKind::RParen, "`)`")?;
        Ok(StmtKind::Till(limit, step, self.body_block()?))
    }

    /// `when (c) { } [then { }] [end { }]`.
    pub(super) fn when_stmt(&mut self) -> PResult<StmtKind> {
        self.bump();
        let cond = self.paren_cond()?;
        let body = self.body_block()?;
        let then = self.optional_clause(Kw::Then)?;
        let end = self.optional_clause(Kw::End)?;
        Ok(StmtKind::When {
            cond,
            body,
            then,
            end,
        })
    }

    fn optional_clause(&mut self, k: Kw) -> PResult<Option<Block>> {
        if !self.eat(&TokenKind::Kw(k)) {
            return Ok(None);
        }
        Ok(Some(self.body_block()?))
    }

    /// `defer { .. }` or `defer call(..);` (stored as a one-statement block).
    pub(super) fn defer_stmt(&mut self) -> PResult<StmtKind> {
        self.bump();
        if self.at(&TokenKind::LBrace) {
            return Ok(StmtKind::Defer(self.parse_block()?));
        }
        let e = self.parse_expr()?;
        self.check_effect(&e);
        self.expect_semi()?;
        let span = e.span;
        let stmt = Stmt {
            kind: StmtKind::Expr(e),
            span,
        };
        Ok(StmtKind::Defer(Block {
            stmts: vec![stmt],
            span,
        }))
    }

    /// `pick (v) { case, case, .. }`, trailing comma allowed.
    pub(super) fn pick_stmt(&mut self) -> PResult<StmtKind> {
        self.bump();
        let selector = self.paren_cond()?;
        self.expect(&TokenKind::LBrace, "`{` and the cases")?;
        let mut cases = Vec::new();
        while !self.eat(&TokenKind::RBrace) {
            cases.push(self.pick_case()?);
            if !self.eat(&TokenKind::Comma) {
                self.expect(&TokenKind::RBrace, "`,` or `}` after the case")?;
                break;
            }
        }
        Ok(StmtKind::Pick(selector, cases))
    }

    /// `[label:] ( * | ! | alt, .. ) { }`.
    fn pick_case(&mut self) -> PResult<PickCase> {
        let start = self.span();
        let label =
            if matches!(self.kind(), TokenKind::Ident(_)) && self.nth(1) == &TokenKind::Colon {
                let label = self.ident("a case label")?;
                self.bump();
                Some(label)
            } else {
                None
            };
        self.expect(&TokenKind::LParen, "`(` and a case pattern")?;
        let pattern = self.pick_pattern()?;
        self.expect(&TokenKind::RParen, "`,` or `)`")?;
        let body = self.body_block()?;
        Ok(PickCase {
            label,
            pattern,
            body,
            span: self.span_from(start),
        })
    }

    fn pick_pattern(&mut self) -> PResult<PickPattern> {
        if self.nth(1) == &TokenKind::RParen {
            if self.eat(&TokenKind::Star) {
                return Ok(PickPattern::Wild);
            }
            if self.eat(&TokenKind::Bang) {
                return Ok(PickPattern::Never);
            }
        }
        let mut alts = vec![self.pick_alt()?];
        while self.eat(&TokenKind::Comma) {
            alts.push(self.pick_alt()?);
        }
        Ok(PickPattern::Alts(alts))
    }

    /// `e`, `lo..hi` (inclusive), `lo...hi` (exclusive), `< e` `<= e` `> e`
    /// `>= e` `!= e`.
    fn pick_alt(&mut self) -> PResult<PickAlt> {
        let rel = match self.kind() {
            TokenKind::Lt => Some(RelOp::Lt),
            TokenKind::Le => Some(RelOp::Le),
            TokenKind::Gt => Some(RelOp::Gt),
            TokenKind::Ge => Some(RelOp::Ge),
            TokenKind::BangEq => Some(RelOp::Ne),
            _ => None,
        };
        if let Some(op) = rel {
            self.bump();
            return Ok(PickAlt::Rel(op, self.parse_expr()?));
        }
        let value = self.parse_expr()?;
        let inclusive = match self.kind() {
            TokenKind::DotDot => true,
            TokenKind::DotDotDot => false,
            _ => return Ok(PickAlt::Value(value)),
        };
        self.bump();
        Ok(PickAlt::Range(value, self.parse_expr()?, inclusive))
    }

    /// `( Expr )` after `if`/`while`/`when`/`pick` (E0103 without `(`).
    pub(super) fn paren_cond(&mut self) -> PResult<Expr> {
        self.open_paren()?;
        let cond = self.parse_expr()?;
        self.expect(&TokenKind::RParen, "`)` after the condition")?;
        Ok(cond)
    }

    /// The `(` after a control keyword, or E0103.
    fn open_paren(&mut self) -> PResult<Span> {
        if self.at(&TokenKind::LParen) {
            return Ok(self.bump());
        }
        let span = self.span();
        Err(self.error_with_help(
            "E0103",
            span,
            "the condition needs parentheses",
            "write it as `keyword (condition) { .. }`",
        ))
    }
}

//! Statements: dispatch, blocks, simple statements and jumps (LANGUAGE.md
//! §5). Control-flow statements with bodies live in `control.rs`.

use super::lookahead::is_type_keyword;
use super::{PResult, Parser};
use crate::ast::{AssignOp, Block, Expr, ExprKind, Stmt, StmtKind};
use crate::token::{Kw, TokenKind};

impl Parser {
    /// One statement. An error travels to the enclosing block loop, which
    /// resynchronises; `stmt_start` scopes the lexer-error suppression.
    pub(super) fn parse_stmt(&mut self) -> PResult<Stmt> {
        let saved = self.stmt_start;
        self.stmt_start = self.span().start;
        let result = self.stmt_inner();
        self.stmt_start = saved;
        result
    }

    /// Dispatch (§9): a leading keyword decides; otherwise `Type : name`
    /// makes a declaration and anything else is a simple statement.
    fn stmt_inner(&mut self) -> PResult<Stmt> {
        let start = self.span();
        let kind = match self.kind() {
            TokenKind::LBrace => StmtKind::Block(self.parse_block()?),
            TokenKind::Kw(k) if has_statement_form(*k) => self.keyword_stmt(*k)?,
            TokenKind::Kw(Kw::Async) if self.nth(1) == &TokenKind::Kw(Kw::Func) => {
                StmtKind::Var(self.async_decl()?)
            }
            _ if self.starts_decl() => StmtKind::Var(self.var_decl()?),
            _ => {
                let kind = self.simple_stmt()?;
                self.expect_semi()?;
                kind
            }
        };
        Ok(Stmt {
            kind,
            span: self.span_from(start),
        })
    }

    fn keyword_stmt(&mut self, k: Kw) -> PResult<StmtKind> {
        match k {
            Kw::If => self.if_stmt(),
            Kw::While => self.while_stmt(),
            Kw::For => self.for_stmt(),
            Kw::Till => self.till_stmt(),
            Kw::When => self.when_stmt(),
            Kw::Pick => self.pick_stmt(),
            Kw::Defer => self.defer_stmt(),
            Kw::Struct => Ok(StmtKind::Struct(self.struct_decl()?)),
            Kw::Const => Ok(StmtKind::Var(self.var_decl()?)),
            _ => self.jump_stmt(k),
        }
    }

    /// A declaration starts here: `Type : name`, or a type keyword that is
    /// not `T(` (so `int32 x;` reports the missing `:`, not an expression).
    pub(super) fn starts_decl(&self) -> bool {
        self.is_decl_start(self.pos)
            || (is_type_keyword(self.kind()) && !self.type_then_paren(self.pos))
    }

    /// `break; continue; fall(l); pass([e]); fail(e); return [e];` and the
    /// stray `else`/`then`/`end`.
    fn jump_stmt(&mut self, k: Kw) -> PResult<StmtKind> {
        if matches!(k, Kw::Else | Kw::Then | Kw::End) {
            return Err(self.unexpected("a statement"));
        }
        self.bump();
        let kind = match k {
            Kw::Break => StmtKind::Break,
            Kw::Continue => StmtKind::Continue,
            Kw::Fall => {
                self.expect(&TokenKind::LParen, "`(` and a case label")?;
                let label = self.ident("a case label")?;
                self.expect(&TokenKind::RParen, "`)`")?;
                StmtKind::Fall(label)
            }
            Kw::Pass => {
                self.expect(&TokenKind::LParen, "`(`")?;
                let value = self.optional_expr(&TokenKind::RParen)?;
                self.expect(&TokenKind::RParen, "`)`")?;
                StmtKind::Pass(value)
            }
            Kw::Fail => {
                self.expect(&TokenKind::LParen, "`(` and an error code")?;
                let code = self.parse_expr()?;
                self.expect(&TokenKind::RParen, "`)`")?;
                StmtKind::Fail(code)
            }
            _ => StmtKind::Return(self.optional_expr(&TokenKind::Semi)?),
        };
        self.expect_semi()?;
        Ok(kind)
    }

    /// An expression unless the next token is `end`.
    pub(super) fn optional_expr(&mut self, end: &TokenKind) -> PResult<Option<Expr>> {
        if self.at(end) {
            return Ok(None);
        }
        Ok(Some(self.parse_expr()?))
    }

    pub(super) fn expect_semi(&mut self) -> PResult<()> {
        self.expect(&TokenKind::Semi, "`;`").map(|_| ())
    }

    /// `Simple = Expr [ assign-op Expr | "++" | "--" ]` without the `;`.
    pub(super) fn simple_stmt(&mut self) -> PResult<StmtKind> {
        let target = self.parse_expr()?;
        if let Some(op) = assign_op(self.kind()) {
            self.bump();
            self.check_assignable(&target);
            let value = self.parse_expr()?;
            return Ok(StmtKind::Assign(target, op, value));
        }
        let increment = match self.kind() {
            TokenKind::PlusPlus => true,
            TokenKind::MinusMinus => false,
            _ => {
                self.check_effect(&target);
                return Ok(StmtKind::Expr(target));
            }
        };
        self.bump();
        self.check_assignable(&target);
        Ok(StmtKind::IncDec(target, increment))
    }

    /// E0104: only variables, `a[i]`, `s.f`, `p->f` are assignable (`$` is
    /// let through: sema reports it as immutable, E0308).
    fn check_assignable(&mut self, target: &Expr) {
        use ExprKind::*;
        if !matches!(
            target.kind,
            Ident(_) | Index(..) | Member(..) | Arrow(..) | Dollar | Error
        ) {
            self.error_with_help(
                "E0104",
                target.span,
                "this expression cannot be assigned to",
                "assignable places are variables, `a[i]`, `s.f` and `p->f`",
            );
        }
    }

    /// E0107: an expression statement must be a call, an `await`, or a `?`
    /// form over one (a pipe is a call).
    pub(super) fn check_effect(&mut self, e: &Expr) {
        if !has_effect(e) {
            self.error_with_help(
                "E0107",
                e.span,
                "this expression statement has no effect",
                "a statement expression must be a call, an `await`, or `?` applied to one",
            );
        }
    }

    /// `{ Stmt* }`; each failed statement is skipped and the block goes on.
    pub(super) fn parse_block(&mut self) -> PResult<Block> {
        self.nested(|p| p.block_inner())
    }

    fn block_inner(&mut self) -> PResult<Block> {
        let start = self.expect(&TokenKind::LBrace, "`{`")?;
        let mut stmts = Vec::new();
        loop {
            match self.kind() {
                TokenKind::RBrace => break,
                TokenKind::Eof => return Err(self.unexpected("`}` to close the block")),
                _ => {}
            }
            let at = self.pos;
            match self.parse_stmt() {
                Ok(stmt) => stmts.push(stmt),
                Err(_) => self.sync(at, false),
            }
            if self.pos == at && !matches!(self.kind(), TokenKind::RBrace | TokenKind::Eof) {
                self.bump();
            }
        }
        self.bump();
        Ok(Block {
            stmts,
            span: self.span_from(start),
        })
    }

    /// A body: must be a block (E0102).
    pub(super) fn body_block(&mut self) -> PResult<Block> {
        if self.at(&TokenKind::LBrace) {
            return self.parse_block();
        }
        let span = self.span();
        let found = self.kind().describe();
        Err(self.error_with_help(
            "E0102",
            span,
            format!("the body must be a block `{{ .. }}`, found {found}"),
            "wrap the body in braces",
        ))
    }
}

/// Keywords that begin a statement form of their own (`async` is handled
/// by the caller: only `async func` is a declaration).
fn has_statement_form(k: Kw) -> bool {
    use Kw::*;
    super::recovery::starts_statement(k) || matches!(k, Else | Then | End)
}

fn assign_op(k: &TokenKind) -> Option<AssignOp> {
    Some(match k {
        TokenKind::Assign => AssignOp::Set,
        TokenKind::PlusEq => AssignOp::Add,
        TokenKind::MinusEq => AssignOp::Sub,
        TokenKind::StarEq => AssignOp::Mul,
        TokenKind::SlashEq => AssignOp::Div,
        TokenKind::PercentEq => AssignOp::Rem,
        _ => return None,
    })
}

/// Whether `e` may stand as a statement (iterative over `?` forms).
fn has_effect(mut e: &Expr) -> bool {
    loop {
        match &e.kind {
            ExprKind::Propagate(inner) | ExprKind::Default(inner, _) => e = inner,
            ExprKind::Call(..) | ExprKind::Await(_) | ExprKind::Pipe(..) | ExprKind::Error => {
                return true
            }
            _ => return false,
        }
    }
}

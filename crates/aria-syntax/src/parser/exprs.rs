//! Operator expressions, loosest first (LANGUAGE.md §6): `is c : a : b`,
//! default `e ? d`, pipe `|>`, binary levels 4-13, casts `=>`, prefix
//! operators and `await`, postfix tails (calls, indexing, members, `?`).

use super::lookahead::is_expr_start;
use super::{PResult, Parser};
use crate::ast::{BinOp, Expr, ExprKind, Ident, UnOp};
use crate::span::Span;
use crate::token::{Kw, TokenKind};

impl Parser {
    /// `Expr = "is" Expr ":" Expr ":" Expr | Pipe [ "?" Expr ]`.
    pub(super) fn parse_expr(&mut self) -> PResult<Expr> {
        self.nested(|p| p.expr_inner())
    }

    fn expr_inner(&mut self) -> PResult<Expr> {
        if self.at(&TokenKind::Kw(Kw::Is)) {
            return self.ternary();
        }
        let lhs = self.pipe()?;
        // A `?` still here is followed by an ExprStart (postfix tails took
        // the others): the binary default, right-associative.
        if !self.eat(&TokenKind::Question) {
            return Ok(lhs);
        }
        let rhs = self.parse_expr()?;
        let span = lhs.span.to(rhs.span);
        Ok(Expr {
            kind: ExprKind::Default(Box::new(lhs), Box::new(rhs)),
            span,
        })
    }

    /// `is c : a : b`; the false branch extends as far right as possible.
    fn ternary(&mut self) -> PResult<Expr> {
        let start = self.bump();
        let cond = self.parse_expr()?;
        self.expect(&TokenKind::Colon, "`:` after the condition of `is`")?;
        let then = self.parse_expr()?;
        self.expect(&TokenKind::Colon, "`:` before the false branch of `is`")?;
        let other = self.parse_expr()?;
        let span = start.to(other.span);
        Ok(Expr {
            kind: ExprKind::Ternary(Box::new(cond), Box::new(then), Box::new(other)),
            span,
        })
    }

    /// `Pipe = Or { "|>" Unary }`.
    fn pipe(&mut self) -> PResult<Expr> {
        let links_before = self.links;
        let mut lhs = self.binary()?;
        let mut count = 0;
        while self.at(&TokenKind::PipeGt) {
            let op = self.bump();
            self.link(&mut count, op)?;
            let rhs = self.unary()?;
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Pipe(Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
        if count > 0 {
            self.check_expr_height(links_before, &lhs)?;
        }
        Ok(lhs)
    }

    /// Binary levels 4-13 by operator precedence, iteratively (an operand
    /// and an operator stack), so long chains cost no recursion.
    /// Comparisons and equalities do not associate (E0105).
    fn binary(&mut self) -> PResult<Expr> {
        let links_before = self.links;
        let first = self.cast()?;
        if binop(self.kind()).is_none() {
            return Ok(first);
        }
        let mut operands = vec![first];
        let mut ops: Vec<(BinOp, u8)> = Vec::new();
        let mut count = 0;
        while let Some((op, prec)) = binop(self.kind()) {
            while let Some(&(_, top)) = ops.last() {
                if top < prec {
                    break;
                }
                if top == prec && is_non_assoc(prec) {
                    return Err(self.chained_comparison());
                }
                reduce(&mut operands, &mut ops);
            }
            let span = self.bump();
            self.link(&mut count, span)?;
            ops.push((op, prec));
            operands.push(self.cast()?);
        }
        while !ops.is_empty() {
            reduce(&mut operands, &mut ops);
        }
        let e = operands.pop().unwrap_or_else(error_expr);
        self.check_expr_height(links_before, &e)?;
        Ok(e)
    }

    fn chained_comparison(&mut self) -> super::Reported {
        let span = self.span();
        self.error_with_help(
            "E0105",
            span,
            "comparison operators cannot be chained",
            "compare twice and join with `&&`: `a < b && b < c`",
        )
    }

    /// `Cast = Unary { "=>" Type }`.
    fn cast(&mut self) -> PResult<Expr> {
        let links_before = self.links;
        let mut e = self.unary()?;
        let mut count = 0;
        while self.at(&TokenKind::FatArrow) {
            let op = self.bump();
            self.link(&mut count, op)?;
            let ty = self.parse_type()?;
            let span = e.span.to(ty.span);
            e = Expr {
                kind: ExprKind::Cast(Box::new(e), ty),
                span,
            };
        }
        if count > 0 {
            self.check_expr_height(links_before, &e)?;
        }
        Ok(e)
    }

    /// Prefix `- ! ~` (recursive, right-assoc), `await`, or a postfix form.
    pub(super) fn unary(&mut self) -> PResult<Expr> {
        let op = match self.kind() {
            TokenKind::Minus => UnOp::Neg,
            TokenKind::Bang => UnOp::Not,
            TokenKind::Tilde => UnOp::BitNot,
            TokenKind::Kw(Kw::Await) => return self.nested(|p| p.await_expr()),
            _ => return self.postfix(),
        };
        self.nested(|p| {
            let start = p.bump();
            let operand = p.unary()?;
            let span = start.to(operand.span);
            Ok(Expr {
                kind: ExprKind::Unary(op, Box::new(operand)),
                span,
            })
        })
    }

    /// `"await" Primary { Access } [ "?" { Tail } ]`: the operand spans
    /// calls, indexing and members but not a postfix `?`, which (with any
    /// tails after it) applies to the awaited result.
    fn await_expr(&mut self) -> PResult<Expr> {
        let links_before = self.links;
        let start = self.bump();
        let mut count = 0;
        let operand = self.primary()?;
        let operand = self.tails(operand, false, &mut count)?;
        let mut e = Expr {
            span: start.to(operand.span),
            kind: ExprKind::Await(Box::new(operand)),
        };
        if self.at(&TokenKind::Question) && !is_expr_start(self.nth(1)) {
            let q = self.bump();
            self.link(&mut count, q)?;
            e = Expr {
                span: e.span.to(q),
                kind: ExprKind::Propagate(Box::new(e)),
            };
            e = self.tails(e, true, &mut count)?;
        }
        self.check_expr_height(links_before, &e)?;
        Ok(e)
    }

    /// `Primary { Tail }`.
    fn postfix(&mut self) -> PResult<Expr> {
        let links_before = self.links;
        let e = self.primary()?;
        let mut count = 0;
        let e = self.tails(e, true, &mut count)?;
        if count > 0 {
            self.check_expr_height(links_before, &e)?;
        }
        Ok(e)
    }

    /// Calls, indexing, `.name`, `->name` and (if `question`) postfix `?`
    /// when the token after it cannot start an expression.
    fn tails(&mut self, mut e: Expr, question: bool, count: &mut usize) -> PResult<Expr> {
        loop {
            let start = e.span;
            let kind = match self.kind() {
                TokenKind::LParen => ExprKind::Call(Box::new(e), self.call_args()?),
                TokenKind::LBracket => {
                    self.bump();
                    let index = self.parse_expr()?;
                    self.expect(&TokenKind::RBracket, "`]`")?;
                    ExprKind::Index(Box::new(e), Box::new(index))
                }
                TokenKind::Dot => {
                    self.bump();
                    ExprKind::Member(Box::new(e), self.member_name()?)
                }
                TokenKind::Arrow => {
                    self.bump();
                    ExprKind::Arrow(Box::new(e), self.ident("a field name")?)
                }
                TokenKind::Question if question && !is_expr_start(self.nth(1)) => {
                    self.bump();
                    ExprKind::Propagate(Box::new(e))
                }
                _ => return Ok(e),
            };
            e = Expr {
                kind,
                span: self.span_from(start),
            };
            self.link(count, e.span)?;
        }
    }

    /// After `.`: a name, or `await` / `then` (task methods).
    fn member_name(&mut self) -> PResult<Ident> {
        let name = match self.kind() {
            TokenKind::Kw(Kw::Await) => "await",
            TokenKind::Kw(Kw::Then) => "then",
            _ => return self.ident("a field or method name"),
        };
        let span = self.bump();
        Ok(Ident {
            name: name.to_string(),
            span,
        })
    }

    /// `( [ Expr { , Expr } ] )`.
    pub(super) fn call_args(&mut self) -> PResult<Vec<Expr>> {
        self.expect(&TokenKind::LParen, "`(`")?;
        let mut args = Vec::new();
        if self.eat(&TokenKind::RParen) {
            return Ok(args);
        }
        loop {
            args.push(self.parse_expr()?);
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(&TokenKind::RParen, "`,` or `)`")?;
        Ok(args)
    }

    /// An identifier, or E0100 naming `what` was expected.
    pub(super) fn ident(&mut self, what: &str) -> PResult<Ident> {
        let TokenKind::Ident(name) = self.kind() else {
            return Err(self.unexpected(what));
        };
        let name = name.clone();
        let span = self.bump();
        Ok(Ident { name, span })
    }
}

/// Binary operator and precedence (larger binds tighter) of a token.
fn binop(k: &TokenKind) -> Option<(BinOp, u8)> {
    use TokenKind::*;
    Some(match k {
        Star => (BinOp::Mul, 10),
        Slash => (BinOp::Div, 10),
        Percent => (BinOp::Rem, 10),
        Plus => (BinOp::Add, 9),
        Minus => (BinOp::Sub, 9),
        Shl => (BinOp::Shl, 8),
        Shr => (BinOp::Shr, 8),
        Lt => (BinOp::Lt, 7),
        Le => (BinOp::Le, 7),
        Gt => (BinOp::Gt, 7),
        Ge => (BinOp::Ge, 7),
        Cmp3 => (BinOp::Cmp3, 7),
        EqEq => (BinOp::Eq, 6),
        BangEq => (BinOp::Ne, 6),
        Amp => (BinOp::BitAnd, 5),
        Caret => (BinOp::BitXor, 4),
        Pipe => (BinOp::BitOr, 3),
        AmpAmp => (BinOp::And, 2),
        PipePipe => (BinOp::Or, 1),
        _ => return None,
    })
}

/// Comparison (7) and equality (8 in §6) levels do not associate.
fn is_non_assoc(prec: u8) -> bool {
    prec == 7 || prec == 6
}

/// Pops one operator and its two operands and pushes the combined node.
fn reduce(operands: &mut Vec<Expr>, ops: &mut Vec<(BinOp, u8)>) {
    let (Some((op, _)), Some(rhs), Some(lhs)) = (ops.pop(), operands.pop(), operands.pop()) else {
        return;
    };
    let span = lhs.span.to(rhs.span);
    operands.push(Expr {
        kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
        span,
    });
}

/// Placeholder for an impossible empty operand stack (never panics).
fn error_expr() -> Expr {
    Expr {
        kind: ExprKind::Error,
        span: Span::default(),
    }
}

//! Types (LANGUAGE.md §2, grammar `Type` / `BaseType`).

use super::{PResult, Parser};
use crate::ast::{Expr, FloatKind, IntKind, TbbKind, TypeExpr, TypeKind};
use crate::span::Span;
use crate::token::{Kw, Token, TokenKind};

impl Parser {
    /// `Type = BaseType { "[" [ Expr ] "]" }`; the first suffix is the
    /// outermost array (`int32[3][4]` is three rows of `int32[4]`).
    pub(super) fn parse_type(&mut self) -> PResult<TypeExpr> {
        self.nested(|p| p.type_with_suffixes())
    }

    fn type_with_suffixes(&mut self) -> PResult<TypeExpr> {
        let links_before = self.links;
        let start = self.span();
        let base = self.base_type()?;
        let mut sizes: Vec<Option<Box<Expr>>> = Vec::new();
        let mut count = 0;
        while self.at(&TokenKind::LBracket) {
            let open = self.bump();
            self.link(&mut count, open)?;
            let size = if self.at(&TokenKind::RBracket) {
                None
            } else {
                Some(Box::new(self.parse_expr()?))
            };
            self.expect(&TokenKind::RBracket, "`]`")?;
            sizes.push(size);
        }
        let span = self.span_from(start);
        let ty = sizes.into_iter().rev().fold(base, |inner, size| TypeExpr {
            kind: TypeKind::Array(Box::new(inner), size),
            span,
        });
        self.check_type_height(links_before, &ty)?;
        Ok(ty)
    }

    /// A base type with its `@` suffixes; `@` without `wild` is kept as
    /// `PtrNoWild` for sema to reject (E0321).
    fn base_type(&mut self) -> PResult<TypeExpr> {
        let start = self.span();
        let mut ty = self.pointer_core()?;
        let mut count = 0;
        while self.at(&TokenKind::At) {
            let at = self.bump();
            self.link(&mut count, at)?;
            ty = TypeExpr {
                kind: TypeKind::PtrNoWild(Box::new(ty)),
                span: self.span_from(start),
            };
        }
        Ok(ty)
    }

    /// `wild BaseType @` or a type atom, iteratively: `n` leading `wild`s
    /// take up to `n` `@`s. A `wild` without its `@` is E0321 (reported
    /// here, once: the tree has no node for it); the bare type is kept.
    fn pointer_core(&mut self) -> PResult<TypeExpr> {
        let start = self.span();
        let mut wilds = 0usize;
        while self.eat(&TokenKind::Kw(Kw::Wild)) {
            wilds += 1;
        }
        let mut ty = self.type_atom()?;
        let mut missing = false;
        let mut count = 0;
        for _ in 0..wilds {
            if !self.at(&TokenKind::At) {
                missing = true;
                break;
            }
            let at = self.bump();
            self.link(&mut count, at)?;
            ty = TypeExpr {
                kind: TypeKind::Wild(Box::new(ty)),
                span: self.span_from(start),
            };
        }
        if missing {
            self.error_with_help(
                "E0321",
                self.span_from(start),
                "`wild` applies only to pointer types",
                "write `wild T@`",
            );
        }
        Ok(ty)
    }

    /// Built-in type names, `result[<T>]`, `func[<R(P..)>]`, `Task<T>`,
    /// `Chan<T>` and struct names.
    fn type_atom(&mut self) -> PResult<TypeExpr> {
        let start = self.span();
        let kind = match self.kind().clone() {
            TokenKind::Kw(k) if k.is_simple_type() => {
                self.bump();
                simple_type(k)
            }
            TokenKind::Kw(Kw::Func) => {
                self.bump();
                self.func_type_args()?
            }
            TokenKind::Kw(k @ (Kw::Task | Kw::Chan)) => {
                self.bump();
                let inner = Box::new(self.type_argument()?);
                match k {
                    Kw::Task => TypeKind::Task(inner),
                    _ => TypeKind::Chan(inner),
                }
            }
            TokenKind::Ident(name) => {
                self.bump();
                self.named_type(name)?
            }
            _ => return Err(self.unexpected("a type")),
        };
        Ok(TypeExpr {
            kind,
            span: self.span_from(start),
        })
    }

    /// `result` is not reserved: it names the result type only here.
    fn named_type(&mut self, name: String) -> PResult<TypeKind> {
        if name != "result" {
            return Ok(TypeKind::Named(name));
        }
        if !self.at(&TokenKind::Lt) {
            return Ok(TypeKind::Result(None));
        }
        Ok(TypeKind::Result(Some(Box::new(self.type_argument()?))))
    }

    /// `< Type >`
    fn type_argument(&mut self) -> PResult<TypeExpr> {
        self.expect(&TokenKind::Lt, "`<` and a type argument")?;
        let ty = self.parse_type()?;
        self.expect_gt()?;
        Ok(ty)
    }

    /// After `func`: nothing (bare `func`) or `< R ( P, .. ) >`.
    fn func_type_args(&mut self) -> PResult<TypeKind> {
        if !self.eat(&TokenKind::Lt) {
            return Ok(TypeKind::Func(None));
        }
        let ret = self.parse_type()?;
        self.expect(&TokenKind::LParen, "`(` and the parameter types")?;
        let mut params = Vec::new();
        if !self.at(&TokenKind::RParen) {
            loop {
                params.push(self.parse_type()?);
                if !self.eat(&TokenKind::Comma) {
                    break;
                }
            }
        }
        self.expect(&TokenKind::RParen, "`)`")?;
        self.expect_gt()?;
        Ok(TypeKind::Func(Some((Box::new(ret), params))))
    }

    /// Consumes a `>` closing type arguments. A `>>` (lexed as one token by
    /// longest match) is split in place: its first half is consumed and the
    /// token becomes a `>` for the enclosing argument list.
    pub(super) fn expect_gt(&mut self) -> PResult<()> {
        match self.kind() {
            TokenKind::Gt => {
                self.bump();
                Ok(())
            }
            TokenKind::Shr => {
                let span = self.span();
                let half = Span {
                    start: span.start + 1,
                    end: span.end,
                };
                self.toks[self.pos] = Token {
                    kind: TokenKind::Gt,
                    span: half,
                };
                self.prev_end = half.start;
                Ok(())
            }
            _ => Err(self.unexpected("`>`")),
        }
    }
}

/// The type named by a keyword that takes no arguments.
fn simple_type(k: Kw) -> TypeKind {
    use Kw::*;
    match k {
        Int8 => TypeKind::Int(IntKind::I8),
        Int16 => TypeKind::Int(IntKind::I16),
        Int32 => TypeKind::Int(IntKind::I32),
        Int64 => TypeKind::Int(IntKind::I64),
        Uint8 => TypeKind::Int(IntKind::U8),
        Uint16 => TypeKind::Int(IntKind::U16),
        Uint32 => TypeKind::Int(IntKind::U32),
        Uint64 => TypeKind::Int(IntKind::U64),
        Flt32 => TypeKind::Float(FloatKind::F32),
        Flt64 => TypeKind::Float(FloatKind::F64),
        Tbb8 => TypeKind::Tbb(TbbKind::T8),
        Tbb16 => TypeKind::Tbb(TbbKind::T16),
        Tbb32 => TypeKind::Tbb(TbbKind::T32),
        Tbb64 => TypeKind::Tbb(TbbKind::T64),
        Bool => TypeKind::Bool,
        String => TypeKind::String,
        Nil | Void => TypeKind::Nil,
        TcpListener => TypeKind::TcpListener,
        TcpConn => TypeKind::TcpConn,
        _ => TypeKind::Nil,
    }
}

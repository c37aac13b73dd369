//! Token-level lookahead that decides between two parses without building
//! anything: is this `Type : name` (a declaration)? Is this `Type (` a lambda?
//! The scans are structural (balanced `<>`, `[]`) and capped, so they cost
//! little and never run away on garbage.

use super::Parser;
use crate::token::{Kw, TokenKind};

/// Longest type the lookahead will scan over, in tokens.
const MAX_TYPE_TOKENS: usize = 4096;

impl Parser {
    /// Index just past a type that starts at token `i`, if one does.
    /// `budget` caps how many tokens may be scanned.
    pub(super) fn skip_type_within(&self, i: usize, budget: usize) -> Option<usize> {
        let limit = i.saturating_add(budget);
        let mut j = i;
        while self.kind_at(j) == &TokenKind::Kw(Kw::Wild) && j < limit {
            j += 1;
        }
        let generic = match self.kind_at(j) {
            TokenKind::Kw(k) if k.is_base_type() => matches!(k, Kw::Func | Kw::Task | Kw::Chan),
            TokenKind::Ident(name) => name == "result",
            _ => return None,
        };
        j += 1;
        if generic && self.kind_at(j) == &TokenKind::Lt {
            j = self.skip_angles(j, limit)?;
        }
        while self.kind_at(j) == &TokenKind::At && j < limit {
            j += 1;
        }
        while self.kind_at(j) == &TokenKind::LBracket {
            j = self.skip_brackets(j, limit)?;
        }
        (j <= limit).then_some(j)
    }

    pub(super) fn skip_type(&self, i: usize) -> Option<usize> {
        self.skip_type_within(i, MAX_TYPE_TOKENS)
    }

    /// Past the `<..>` starting at `i` (a `>>` closes two levels).
    fn skip_angles(&self, i: usize, limit: usize) -> Option<usize> {
        let mut depth: i64 = 0;
        let mut j = i;
        while j < limit {
            match self.kind_at(j) {
                TokenKind::Lt => depth += 1,
                TokenKind::Gt => depth -= 1,
                TokenKind::Shr => depth -= 2,
                k if stops_scan(k) => return None,
                _ => {}
            }
            j += 1;
            if depth <= 0 {
                return Some(j);
            }
        }
        None
    }

    /// Past the `[..]` starting at `i`.
    fn skip_brackets(&self, i: usize, limit: usize) -> Option<usize> {
        let mut depth = 0usize;
        let mut j = i;
        while j < limit {
            match self.kind_at(j) {
                TokenKind::LBracket => depth += 1,
                TokenKind::RBracket => depth -= 1,
                k if stops_scan(k) => return None,
                _ => {}
            }
            j += 1;
            if depth == 0 {
                return Some(j);
            }
        }
        None
    }

    /// `Type : Ident` starts at token `i` (a declaration or a parameter).
    pub(super) fn is_decl_start(&self, i: usize) -> bool {
        self.decl_start_within(i, MAX_TYPE_TOKENS)
    }

    pub(super) fn decl_start_within(&self, i: usize, budget: usize) -> bool {
        self.skip_type_within(i, budget).is_some_and(|j| {
            self.kind_at(j) == &TokenKind::Colon
                && matches!(self.kind_at(j + 1), TokenKind::Ident(_))
        })
    }

    /// A type at `i` followed by `(` starts a lambda only when the next
    /// tokens are `) {` or `Type : Ident` (LANGUAGE.md §6).
    pub(super) fn lambda_ahead(&self, i: usize) -> bool {
        let Some(j) = self.skip_type(i) else {
            return false;
        };
        if self.kind_at(j) != &TokenKind::LParen {
            return false;
        }
        let empty =
            self.kind_at(j + 1) == &TokenKind::RParen && self.kind_at(j + 2) == &TokenKind::LBrace;
        empty || self.is_decl_start(j + 1)
    }

    /// A type at `i` directly followed by `(` (a lambda or E0110).
    pub(super) fn type_then_paren(&self, i: usize) -> bool {
        self.skip_type(i)
            .is_some_and(|j| self.kind_at(j) == &TokenKind::LParen)
    }
}

/// Tokens no type can contain: a scan stops there.
fn stops_scan(k: &TokenKind) -> bool {
    matches!(
        k,
        TokenKind::Semi | TokenKind::LBrace | TokenKind::RBrace | TokenKind::Eof
    )
}

/// `ExprStart` of LANGUAGE.md §9: after `?` it means "binary default".
pub(super) fn is_expr_start(k: &TokenKind) -> bool {
    use TokenKind::*;
    match k {
        Int(_) | Float(_) | Char(_) | Str(_) | TemplateStart | Ident(_) | Dollar | LParen
        | LBracket | Minus | Bang | Tilde => true,
        Kw(k) => is_expr_start_kw(*k),
        _ => false,
    }
}

fn is_expr_start_kw(k: Kw) -> bool {
    use Kw::*;
    k.is_base_type()
        || matches!(
            k,
            Await | Async | Is | True | False | Nil | Null | Err | ChanFn | Alloc | Wild
        )
}

/// A keyword that can only begin a type here (`NIL` is also a value).
pub(super) fn is_type_keyword(k: &TokenKind) -> bool {
    matches!(k, TokenKind::Kw(k) if (k.is_base_type() && *k != Kw::Nil) || *k == Kw::Wild)
}

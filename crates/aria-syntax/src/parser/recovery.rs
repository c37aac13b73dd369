//! Re-synchronisation after a syntax error.
//!
//! The statement (or top-level declaration) that failed is skipped: tokens
//! are dropped up to its `;`, or up to the `}` closing a block it opened,
//! keeping track of the brackets opened since the statement began (so a `;`
//! or `}` inside them does not end it). A `}` that closes an enclosing block
//! is left for that block. Skipping also stops before a token that surely
//! begins the next statement (a statement keyword) or, at top level, the
//! next declaration, so one error does not swallow its neighbours. After
//! "nesting too deep" the whole statement is skipped instead (up to its `;`
//! or the end of the enclosing block): a deep construct such as a long
//! `else if` chain would otherwise fail again at each of its pieces.

use super::lookahead::is_type_keyword;
use super::Parser;
use crate::token::{Kw, TokenKind};

/// How far the top-level resync looks for a `Type : name` declaration start.
const DECL_PEEK: usize = 64;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Opener {
    Paren,
    Bracket,
    /// `{` of a block (true) or of a struct literal (false).
    Brace(bool),
    Template,
    Interp,
}

/// Open brackets, with a count per kind so "is one open?" is O(1).
#[derive(Default)]
struct Openers {
    stack: Vec<Opener>,
    counts: [usize; 5],
}

fn slot(o: Opener) -> usize {
    match o {
        Opener::Paren => 0,
        Opener::Bracket => 1,
        Opener::Brace(_) => 2,
        Opener::Template => 3,
        Opener::Interp => 4,
    }
}

impl Openers {
    fn push(&mut self, o: Opener) {
        self.counts[slot(o)] += 1;
        self.stack.push(o);
    }

    fn is_open(&self, like: Opener) -> bool {
        self.counts[slot(like)] > 0
    }

    /// Closes the innermost opener of `like`'s kind (and anything left open
    /// inside it); returns it, or None if none is open (stray closer).
    fn close(&mut self, like: Opener) -> Option<Opener> {
        if !self.is_open(like) {
            return None;
        }
        while let Some(o) = self.stack.pop() {
            self.counts[slot(o)] -= 1;
            if slot(o) == slot(like) {
                return Some(o);
            }
        }
        None
    }
}

impl Parser {
    /// Skips the rest of the statement that began at token `start`.
    /// `top_level` also stops at the start of a top-level declaration.
    pub(super) fn sync(&mut self, start: usize, top_level: bool) {
        let whole = std::mem::take(&mut self.skip_whole_stmt);
        if self.at_eof() {
            return;
        }
        let mut open = Openers::default();
        for i in start..self.pos {
            self.track(&mut open, i);
        }
        loop {
            let i = self.pos;
            let free = open.stack.is_empty();
            match self.kind_at(i) {
                TokenKind::Eof => return,
                TokenKind::Semi if free => {
                    self.bump();
                    return;
                }
                // At top level no block encloses us: a stray `}` is junk.
                TokenKind::RBrace if !open.is_open(Opener::Brace(true)) && !top_level => return,
                _ if free && i > start && !whole && self.starts_next(i, top_level) => return,
                _ => {}
            }
            let closed = self.track(&mut open, i);
            self.bump();
            if closed == Some(Opener::Brace(true)) && open.stack.is_empty() && !whole {
                self.eat(&TokenKind::Semi);
                return;
            }
        }
    }

    /// Updates `open` for token `i`; returns the opener a closer matched.
    fn track(&self, open: &mut Openers, i: usize) -> Option<Opener> {
        let opener = match self.kind_at(i) {
            TokenKind::LParen => Opener::Paren,
            TokenKind::LBracket => Opener::Bracket,
            TokenKind::LBrace => {
                let literal = i > 0 && matches!(self.kind_at(i - 1), TokenKind::Ident(_));
                Opener::Brace(!literal)
            }
            TokenKind::TemplateStart => Opener::Template,
            TokenKind::InterpStart => Opener::Interp,
            TokenKind::RParen => return open.close(Opener::Paren),
            TokenKind::RBracket => return open.close(Opener::Bracket),
            TokenKind::RBrace => return open.close(Opener::Brace(true)),
            TokenKind::TemplateEnd => return open.close(Opener::Template),
            TokenKind::InterpEnd => return open.close(Opener::Interp),
            _ => return None,
        };
        open.push(opener);
        None
    }

    /// Token `i` surely begins a new statement (or declaration).
    fn starts_next(&self, i: usize, top_level: bool) -> bool {
        match self.kind_at(i) {
            TokenKind::Kw(k) if starts_statement(*k) => true,
            TokenKind::Kw(Kw::Async) => self.kind_at(i + 1) == &TokenKind::Kw(Kw::Func),
            k if top_level && (is_type_keyword(k) || matches!(k, TokenKind::Ident(_))) => {
                self.decl_start_within(i, DECL_PEEK)
            }
            _ => false,
        }
    }
}

/// Keywords that can only begin a statement or declaration.
pub(super) fn starts_statement(k: Kw) -> bool {
    use Kw::*;
    matches!(
        k,
        If | While
            | For
            | Till
            | When
            | Pick
            | Defer
            | Break
            | Continue
            | Fall
            | Pass
            | Fail
            | Return
            | Const
            | Struct
    )
}

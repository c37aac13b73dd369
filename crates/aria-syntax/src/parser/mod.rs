//! Hand-written recursive-descent parser (LANGUAGE.md §6 and §9). Binary
//! operators are parsed by an iterative operator-precedence loop (operand
//! and operator stacks), the other levels by one function each.
//!
//! Error handling: a parse function that finds a problem reports it once and
//! returns `Err(Reported)`; the error travels up with `?` to the nearest
//! statement or declaration loop, which re-synchronises (`recovery.rs`) and
//! goes on. So each statement yields at most one error and one run reports
//! every independent error.
//!
//! Robustness: recursion is bounded by `MAX_DEPTH` (expressions, blocks,
//! types), and the height of the trees built by loops (`a+b+c..`, `f()()..`)
//! by `MAX_HEIGHT` (`height.rs`), so neither the parser nor the code that
//! later walks or drops the tree can overflow the stack. Every loop consumes
//! a token or exits.

mod control;
mod exprs;
mod height;
mod items;
mod lookahead;
mod primary;
mod recovery;
mod stmts;
mod types;

use crate::ast::Program;
use crate::diag::Diagnostic;
use crate::lexer::lex;
use crate::span::Span;
use crate::stack::with_big_stack;
use crate::token::{Token, TokenKind};

/// Deepest recursion (nested expressions, blocks, types) before E0100.
const MAX_DEPTH: u32 = 256;

/// Tallest tree a chain of operators or postfix operations may build.
const MAX_HEIGHT: usize = 1000;

/// Parses a whole source file. Lexer and parser diagnostics are returned
/// together, ordered by position. Runs on a thread with a large stack (see
/// `stack.rs`), so any input is safe on any caller's thread.
pub fn parse(src: &[u8]) -> (Program, Vec<Diagnostic>) {
    with_big_stack(|| parse_here(src))
}

/// `parse` on the current thread's stack.
pub(crate) fn parse_here(src: &[u8]) -> (Program, Vec<Diagnostic>) {
    let (toks, mut diags) = lex(src);
    let mut lex_errors: Vec<u32> = diags
        .iter()
        .filter(|d| breaks_token_stream(d.code))
        .map(|d| d.span.start)
        .collect();
    lex_errors.sort_unstable();
    let mut parser = Parser::new(toks, lex_errors);
    let program = parser.program();
    diags.append(&mut parser.diags);
    diags.sort_by_key(|d| d.span.start);
    (program, diags)
}

/// Lexer errors after which the tokens no longer reflect what was meant
/// (a stray character, an unterminated comment or literal); bad numbers,
/// chars and escapes still make one well-formed token.
fn breaks_token_stream(code: &str) -> bool {
    matches!(code, "E0001" | "E0002" | "E0003" | "E0004" | "E0009")
}

/// Marker: an error was reported (or deliberately suppressed); unwind to the
/// nearest recovery point.
#[derive(Debug, Clone, Copy)]
struct Reported;

type PResult<T> = Result<T, Reported>;

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    /// End offset of the last consumed token (for node spans).
    prev_end: u32,
    diags: Vec<Diagnostic>,
    /// Sorted start offsets of lexer errors that break the token stream.
    lex_errors: Vec<u32>,
    /// Start offset of the statement or declaration being parsed: parser
    /// errors in a statement that already holds a lexer error are dropped,
    /// since they are almost always consequences of it.
    stmt_start: u32,
    /// Current recursion depth (see `MAX_DEPTH`).
    depth: u32,
    /// Number of nodes built by chain loops so far (see `height.rs`).
    links: usize,
    /// Set by `too_deep`: the next resync ignores statement keywords.
    skip_whole_stmt: bool,
}

impl Parser {
    fn new(toks: Vec<Token>, lex_errors: Vec<u32>) -> Parser {
        Parser {
            toks,
            pos: 0,
            prev_end: 0,
            diags: Vec::new(),
            lex_errors,
            stmt_start: 0,
            depth: 0,
            links: 0,
            skip_whole_stmt: false,
        }
    }

    // ----- cursor -------------------------------------------------------

    /// The token `n` places ahead (the final `Eof` past the end).
    fn nth(&self, n: usize) -> &TokenKind {
        self.kind_at(self.pos + n)
    }

    fn kind_at(&self, i: usize) -> &TokenKind {
        let last = self.toks.len() - 1;
        &self.toks[i.min(last)].kind
    }

    fn kind(&self) -> &TokenKind {
        self.nth(0)
    }

    fn span(&self) -> Span {
        self.span_at(self.pos)
    }

    fn span_at(&self, i: usize) -> Span {
        let last = self.toks.len() - 1;
        self.toks[i.min(last)].span
    }

    fn at(&self, kind: &TokenKind) -> bool {
        self.kind() == kind
    }

    fn at_eof(&self) -> bool {
        self.at(&TokenKind::Eof)
    }

    /// Consumes the current token (never moves past `Eof`); returns its span.
    fn bump(&mut self) -> Span {
        let span = self.span();
        if !self.at_eof() {
            self.pos += 1;
            self.prev_end = span.end;
        }
        span
    }

    fn eat(&mut self, kind: &TokenKind) -> bool {
        let hit = self.at(kind);
        if hit {
            self.bump();
        }
        hit
    }

    /// Consumes `kind` or reports "expected `what`, found ..." (E0100).
    fn expect(&mut self, kind: &TokenKind, what: &str) -> PResult<Span> {
        if self.at(kind) {
            Ok(self.bump())
        } else {
            Err(self.unexpected(what))
        }
    }

    /// Span from `start` to the end of the last consumed token.
    fn span_from(&self, start: Span) -> Span {
        Span {
            start: start.start,
            end: self.prev_end.max(start.start),
        }
    }

    // ----- diagnostics ----------------------------------------------------

    /// Reports an error unless a lexer error inside the current statement
    /// (up to the error's end) makes it a likely consequence.
    /// Also drops a second error at the position of the previous one (a
    /// construct cut off at end of file fails at every enclosing level).
    fn error(&mut self, code: &'static str, span: Span, msg: impl Into<String>) -> Reported {
        let repeated = self
            .diags
            .last()
            .is_some_and(|d| d.span.start == span.start);
        if !repeated && !self.lexer_error_between(self.stmt_start, span.end) {
            self.diags.push(Diagnostic::error(code, span, msg));
        }
        Reported
    }

    fn error_with_help(
        &mut self,
        code: &'static str,
        span: Span,
        msg: impl Into<String>,
        help: &str,
    ) -> Reported {
        let before = self.diags.len();
        self.error(code, span, msg);
        if let Some(d) = self.diags.get_mut(before) {
            d.help = Some(help.to_string());
        }
        Reported
    }

    fn lexer_error_between(&self, start: u32, end: u32) -> bool {
        let i = self.lex_errors.partition_point(|&o| o < start);
        self.lex_errors.get(i).is_some_and(|&o| o <= end)
    }

    /// "expected X, found Y" for the current token, with the codes that
    /// depend on what was found: E0010 for words reserved for later, E0106
    /// for `++`/`--`, and silence for input the lexer already rejected.
    fn unexpected(&mut self, expected: &str) -> Reported {
        let span = self.span();
        match self.kind().clone() {
            TokenKind::Error => Reported,
            TokenKind::Kw(k) if k.is_reserved_for_later() => self.error(
                "E0010",
                span,
                format!("`{}` is reserved for later versions", k.as_str()),
            ),
            TokenKind::PlusPlus | TokenKind::MinusMinus => self.error_with_help(
                "E0106",
                span,
                "`++`/`--` is a statement, not an expression",
                "write the increment as its own statement: `x++;`",
            ),
            found => self.error(
                "E0100",
                span,
                format!("expected {expected}, found {}", found.describe()),
            ),
        }
    }

    // ----- limits -----------------------------------------------------------

    /// Runs `f` one recursion level deeper, or reports "nesting too deep".
    fn nested<T>(&mut self, f: impl FnOnce(&mut Parser) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_DEPTH {
            return Err(self.too_deep(self.span()));
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    /// "nesting too deep"; also makes the next resync skip the whole
    /// statement (the deep construct usually goes on past the next keyword).
    fn too_deep(&mut self, span: Span) -> Reported {
        self.skip_whole_stmt = true;
        self.error(
            "E0100",
            span,
            "nesting too deep: simplify this expression or split it up",
        )
    }
}

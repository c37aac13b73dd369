//! The lexer: bytes to tokens (LANGUAGE.md §1).
//!
//! It never stops at an error: each problem becomes a diagnostic and lexing
//! goes on, so one run reports every lexical error. Templates are lexed with
//! an explicit mode stack (not recursion), so arbitrarily deep nesting of
//! templates and interpolations cannot overflow the stack.

mod literals;

use crate::diag::Diagnostic;
use crate::span::Span;
use crate::token::{Kw, Token, TokenKind};

/// Tokenises `src`. The token list always ends with one `Eof` token.
pub fn lex(src: &[u8]) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut lexer = Lexer {
        src,
        pos: 0,
        toks: Vec::new(),
        diags: Vec::new(),
        modes: Vec::new(),
    };
    lexer.run();
    (lexer.toks, lexer.diags)
}

/// What the lexer is inside of, innermost last.
enum Mode {
    /// Template text; `start` is the offset of the opening backtick.
    Template { start: usize },
    /// Code of an `&{ .. }` interpolation: `depth` counts the plain braces
    /// open inside it, `first_tok` is the token index right after `&{`
    /// (to detect the empty interpolation, E0111).
    Interp {
        start: usize,
        depth: u32,
        first_tok: usize,
    },
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    toks: Vec<Token>,
    diags: Vec<Diagnostic>,
    modes: Vec<Mode>,
}

impl Lexer<'_> {
    fn run(&mut self) {
        loop {
            if matches!(self.modes.last(), Some(Mode::Template { .. })) {
                if !self.template_piece() {
                    break;
                }
                continue;
            }
            self.skip_trivia();
            if self.pos >= self.src.len() {
                break;
            }
            self.token();
        }
        self.report_unclosed();
        let end = self.src.len();
        self.push(TokenKind::Eof, end, end);
    }

    /// Byte `i` places ahead, or 0 past the end (0 starts no token).
    fn at(&self, i: usize) -> u8 {
        self.src.get(self.pos + i).copied().unwrap_or(0)
    }

    /// Byte `i` places ahead, if any.
    fn at_byte(&self, i: usize) -> Option<u8> {
        self.src.get(self.pos + i).copied()
    }

    fn push(&mut self, kind: TokenKind, start: usize, end: usize) {
        self.toks.push(Token {
            kind,
            span: Span::new(start, end),
        });
    }

    fn error(&mut self, code: &'static str, start: usize, end: usize, msg: impl Into<String>) {
        self.diags
            .push(Diagnostic::error(code, Span::new(start, end), msg));
    }

    /// E0004 for the innermost template or interpolation still open at EOF.
    fn report_unclosed(&mut self) {
        let (start, len, what) = match self.modes.last() {
            None => return,
            Some(Mode::Template { start }) => (*start, 1, "template"),
            Some(Mode::Interp { start, .. }) => (*start, 2, "interpolation"),
        };
        self.error(
            "E0004",
            start,
            start + len,
            format!("unterminated {what}: the file ends before it is closed"),
        );
    }

    /// Whitespace and comments.
    fn skip_trivia(&mut self) {
        loop {
            match (self.at(0), self.at(1)) {
                (b, _) if b.is_ascii_whitespace() => self.pos += 1,
                (b'/', b'/') => {
                    while self.pos < self.src.len() && self.src[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                (b'/', b'*') => self.block_comment(),
                _ => return,
            }
        }
    }

    /// `/* .. */`, not nesting: the first `*/` ends it.
    fn block_comment(&mut self) {
        let start = self.pos;
        self.pos += 2;
        while self.pos < self.src.len() {
            if self.at(0) == b'*' && self.at(1) == b'/' {
                self.pos += 2;
                return;
            }
            self.pos += 1;
        }
        self.error("E0002", start, start + 2, "unterminated block comment");
    }

    /// One token in code (outside template text). Consumes at least one byte.
    fn token(&mut self) {
        let start = self.pos;
        match self.at(0) {
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => self.word(),
            b'0'..=b'9' => self.number(),
            b'"' => self.string(),
            b'\'' => self.char_lit(),
            b'`' => {
                self.pos += 1;
                self.push(TokenKind::TemplateStart, start, self.pos);
                self.modes.push(Mode::Template { start });
            }
            b'{' => self.open_brace(),
            b'}' => self.close_brace(),
            _ => self.operator(),
        }
    }

    /// Identifier or keyword.
    fn word(&mut self) {
        let start = self.pos;
        while self.at(0).is_ascii_alphanumeric() || self.at(0) == b'_' {
            self.pos += 1;
        }
        let text = &self.src[start..self.pos];
        let kind = match Kw::lookup(text) {
            Some(kw) => TokenKind::Kw(kw),
            // Only ASCII letters, digits and `_` were consumed.
            None => TokenKind::Ident(String::from_utf8_lossy(text).into_owned()),
        };
        self.push(kind, start, self.pos);
    }

    fn open_brace(&mut self) {
        if let Some(Mode::Interp { depth, .. }) = self.modes.last_mut() {
            *depth += 1;
        }
        self.pos += 1;
        self.push(TokenKind::LBrace, self.pos - 1, self.pos);
    }

    /// `}`: either a plain brace or the end of an interpolation.
    fn close_brace(&mut self) {
        let start = self.pos;
        self.pos += 1;
        if let Some(Mode::Interp {
            start: interp,
            depth,
            first_tok,
        }) = self.modes.last_mut()
        {
            if *depth > 0 {
                *depth -= 1;
            } else {
                let (interp, empty) = (*interp, *first_tok == self.toks.len());
                self.modes.pop();
                if empty {
                    self.error("E0111", interp, self.pos, "empty interpolation `&{}`");
                }
                self.push(TokenKind::InterpEnd, start, self.pos);
                return;
            }
        }
        self.push(TokenKind::RBrace, start, self.pos);
    }

    /// Operators and punctuation by longest match; anything else is E0001
    /// (or E0009 for the recognised but rejected `??`, `<|`, `#`).
    fn operator(&mut self) {
        let start = self.pos;
        if let Some((kind, len)) = operator_at(self.at(0), self.at(1), self.at(2)) {
            self.pos += len;
            self.push(kind, start, self.pos);
            return;
        }
        if let Some(len) = rejected_operator(self.at(0), self.at(1)) {
            self.pos += len;
            let text = String::from_utf8_lossy(&self.src[start..self.pos]).into_owned();
            self.error(
                "E0009",
                start,
                self.pos,
                format!("operator `{text}` is not part of this language subset"),
            );
            self.push(TokenKind::Error, start, self.pos);
            return;
        }
        self.bad_characters();
    }

    /// A run of characters that start no token: one E0001 for the run.
    fn bad_characters(&mut self) {
        let start = self.pos;
        while self.pos < self.src.len() && is_bad_start(self.src[self.pos]) {
            self.pos += 1;
        }
        let pos = self.pos.max(start + 1).min(self.src.len());
        self.pos = pos;
        let first = self.src[start];
        let msg = if first.is_ascii() {
            format!("unexpected character `{}`", first.escape_ascii())
        } else {
            "unexpected non-ASCII character (only allowed in comments and literals)".to_string()
        };
        self.error("E0001", start, self.pos, msg);
        self.push(TokenKind::Error, start, self.pos);
    }

    /// Template text up to the next `&{`, closing backtick or EOF. Returns
    /// false at EOF (the caller reports E0004).
    fn template_piece(&mut self) -> bool {
        let start = self.pos;
        let mut text = Vec::new();
        while self.pos < self.src.len() {
            match self.at(0) {
                b'`' => {
                    self.flush_text(start, text);
                    self.pos += 1;
                    self.push(TokenKind::TemplateEnd, self.pos - 1, self.pos);
                    self.modes.pop();
                    return true;
                }
                b'&' if self.at(1) == b'{' => {
                    self.flush_text(start, text);
                    self.pos += 2;
                    self.push(TokenKind::InterpStart, self.pos - 2, self.pos);
                    self.modes.push(Mode::Interp {
                        start: self.pos - 2,
                        depth: 0,
                        first_tok: self.toks.len(),
                    });
                    return true;
                }
                b'\\' => self.escape(&mut text, true),
                b => {
                    text.push(b);
                    self.pos += 1;
                }
            }
        }
        self.flush_text(start, text);
        false
    }

    fn flush_text(&mut self, start: usize, text: Vec<u8>) {
        if self.pos > start {
            self.push(TokenKind::TemplateText(text), start, self.pos);
        }
    }
}

/// The fixed token starting with bytes `a b c`, longest match first.
fn operator_at(a: u8, b: u8, c: u8) -> Option<(TokenKind, usize)> {
    use TokenKind::*;
    let three = match (a, b, c) {
        (b'<', b'=', b'>') => Some(Cmp3),
        (b'.', b'.', b'.') => Some(DotDotDot),
        _ => None,
    };
    if let Some(kind) = three {
        return Some((kind, 3));
    }
    let two = match (a, b) {
        (b'+', b'+') => Some(PlusPlus),
        (b'+', b'=') => Some(PlusEq),
        (b'-', b'-') => Some(MinusMinus),
        (b'-', b'=') => Some(MinusEq),
        (b'-', b'>') => Some(Arrow),
        (b'*', b'=') => Some(StarEq),
        (b'/', b'=') => Some(SlashEq),
        (b'%', b'=') => Some(PercentEq),
        (b'=', b'=') => Some(EqEq),
        (b'=', b'>') => Some(FatArrow),
        (b'!', b'=') => Some(BangEq),
        (b'<', b'=') => Some(Le),
        (b'<', b'<') => Some(Shl),
        (b'>', b'=') => Some(Ge),
        (b'>', b'>') => Some(Shr),
        (b'&', b'&') => Some(AmpAmp),
        (b'|', b'|') => Some(PipePipe),
        (b'|', b'>') => Some(PipeGt),
        (b'.', b'.') => Some(DotDot),
        _ => None,
    };
    if let Some(kind) = two {
        return Some((kind, 2));
    }
    // Longest match: `<|` and `??` are (rejected) two-byte operators, not
    // `<` or `?` followed by something.
    if rejected_operator(a, b) == Some(2) {
        return None;
    }
    let one = match a {
        b'+' => Plus,
        b'-' => Minus,
        b'*' => Star,
        b'/' => Slash,
        b'%' => Percent,
        b'=' => Assign,
        b'!' => Bang,
        b'<' => Lt,
        b'>' => Gt,
        b'&' => Amp,
        b'|' => Pipe,
        b'^' => Caret,
        b'~' => Tilde,
        b'?' => Question,
        b'.' => Dot,
        b'(' => LParen,
        b')' => RParen,
        b'[' => LBracket,
        b']' => RBracket,
        b',' => Comma,
        b';' => Semi,
        b':' => Colon,
        b'$' => Dollar,
        b'@' => At,
        _ => return None,
    };
    Some((one, 1))
}

/// Length of a recognised-but-rejected operator (E0009) at `a b`.
fn rejected_operator(a: u8, b: u8) -> Option<usize> {
    match (a, b) {
        (b'?', b'?') | (b'<', b'|') => Some(2),
        (b'#', _) => Some(1),
        _ => None,
    }
}

/// Bytes that cannot start any token (E0001): non-ASCII, control
/// characters other than whitespace, and `\`.
fn is_bad_start(b: u8) -> bool {
    if b.is_ascii_whitespace() || b.is_ascii_alphanumeric() {
        return false;
    }
    !b"_\"'`{}+-*/%=!<>&|^~?.()[],;:$@#".contains(&b)
}

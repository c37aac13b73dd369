//! Tokens produced by the lexer (LANGUAGE.md §1).
//!
//! Representation choices the parser relies on:
//!
//! * **Templates** are split into pieces: `TemplateStart` (the opening
//!   backtick), then any mix of `TemplateText(bytes)` (escapes already
//!   decoded) and interpolations `InterpStart` (`&{`) .. ordinary tokens ..
//!   `InterpEnd` (the balancing `}`), then `TemplateEnd` (closing backtick).
//!   Interpolations may contain further templates, so these nest.
//! * **`>>`** is always lexed as one `Shr` token (longest match). Where a type
//!   argument list is closed (`Task<Chan<int32>>`) the parser splits it into
//!   two `>` in place (see `Parser::expect_gt`).
//! * Bad input that the lexer already reported (`??`, `<|`, `#`, stray
//!   characters) becomes an `Error` token, so the parser can stay silent about
//!   it instead of cascading.

use std::fmt;

use crate::span::Span;

/// Reserved words, including the ones reserved for later versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kw {
    Alloc,
    Async,
    Await,
    Bool,
    Break,
    /// `chan` (the constructor `chan<T>(n)`).
    ChanFn,
    /// `Chan` (the type `Chan<T>`).
    Chan,
    Const,
    Continue,
    Defer,
    Else,
    End,
    /// `ERR`
    Err,
    Fail,
    Fall,
    False,
    Flt32,
    Flt64,
    For,
    Func,
    If,
    Int8,
    Int16,
    Int32,
    Int64,
    Is,
    /// `NIL`
    Nil,
    /// `NULL`
    Null,
    Pass,
    Pick,
    Return,
    String,
    Struct,
    Task,
    Tbb8,
    Tbb16,
    Tbb32,
    Tbb64,
    TcpConn,
    TcpListener,
    Then,
    Till,
    True,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Void,
    When,
    While,
    Wild,
    // Reserved for later versions (E0010).
    Loop,
    Use,
    Mod,
    Pub,
    Extern,
}

/// Every keyword with its spelling, in one table so lookup and printing agree.
const KEYWORDS: &[(&str, Kw)] = &[
    ("alloc", Kw::Alloc),
    ("async", Kw::Async),
    ("await", Kw::Await),
    ("bool", Kw::Bool),
    ("break", Kw::Break),
    ("chan", Kw::ChanFn),
    ("Chan", Kw::Chan),
    ("const", Kw::Const),
    ("continue", Kw::Continue),
    ("defer", Kw::Defer),
    ("else", Kw::Else),
    ("end", Kw::End),
    ("ERR", Kw::Err),
    ("fail", Kw::Fail),
    ("fall", Kw::Fall),
    ("false", Kw::False),
    ("flt32", Kw::Flt32),
    ("flt64", Kw::Flt64),
    ("for", Kw::For),
    ("func", Kw::Func),
    ("if", Kw::If),
    ("int8", Kw::Int8),
    ("int16", Kw::Int16),
    ("int32", Kw::Int32),
    ("int64", Kw::Int64),
    ("is", Kw::Is),
    ("NIL", Kw::Nil),
    ("NULL", Kw::Null),
    ("pass", Kw::Pass),
    ("pick", Kw::Pick),
    ("return", Kw::Return),
    ("string", Kw::String),
    ("struct", Kw::Struct),
    ("Task", Kw::Task),
    ("tbb8", Kw::Tbb8),
    ("tbb16", Kw::Tbb16),
    ("tbb32", Kw::Tbb32),
    ("tbb64", Kw::Tbb64),
    ("TcpConn", Kw::TcpConn),
    ("TcpListener", Kw::TcpListener),
    ("then", Kw::Then),
    ("till", Kw::Till),
    ("true", Kw::True),
    ("uint8", Kw::Uint8),
    ("uint16", Kw::Uint16),
    ("uint32", Kw::Uint32),
    ("uint64", Kw::Uint64),
    ("void", Kw::Void),
    ("when", Kw::When),
    ("while", Kw::While),
    ("wild", Kw::Wild),
    ("loop", Kw::Loop),
    ("use", Kw::Use),
    ("mod", Kw::Mod),
    ("pub", Kw::Pub),
    ("extern", Kw::Extern),
];

impl Kw {
    /// The keyword spelled `word`, if any (`result` is not a keyword).
    pub fn lookup(word: &[u8]) -> Option<Kw> {
        KEYWORDS
            .iter()
            .find(|(s, _)| s.as_bytes() == word)
            .map(|&(_, k)| k)
    }

    pub fn as_str(self) -> &'static str {
        KEYWORDS
            .iter()
            .find(|&&(_, k)| k == self)
            .map(|&(s, _)| s)
            .unwrap_or("?")
    }

    /// `loop use mod pub extern`: rejected with E0010 wherever they appear.
    pub fn is_reserved_for_later(self) -> bool {
        matches!(self, Kw::Loop | Kw::Use | Kw::Mod | Kw::Pub | Kw::Extern)
    }

    /// Type keywords that take no type arguments.
    pub fn is_simple_type(self) -> bool {
        self.is_base_type() && !matches!(self, Kw::Func | Kw::Task | Kw::Chan)
    }

    /// Keywords that name a built-in base type on their own or with type
    /// arguments (`wild` is a type prefix and handled separately).
    pub fn is_base_type(self) -> bool {
        use Kw::*;
        matches!(
            self,
            Int8 | Int16
                | Int32
                | Int64
                | Uint8
                | Uint16
                | Uint32
                | Uint64
                | Flt32
                | Flt64
                | Tbb8
                | Tbb16
                | Tbb32
                | Tbb64
                | Bool
                | String
                | Nil
                | Void
                | TcpListener
                | TcpConn
                | Func
                | Task
                | Chan
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    Ident(String),
    /// Integer literal value (malformed literals carry 0 after E0006/E0007).
    Int(u64),
    Float(f64),
    /// Char literal byte.
    Char(u8),
    /// String literal bytes, escapes decoded.
    Str(Vec<u8>),
    /// Opening backtick of a template.
    TemplateStart,
    /// Literal text of a template, escapes decoded.
    TemplateText(Vec<u8>),
    /// `&{` inside a template.
    InterpStart,
    /// The `}` closing an interpolation.
    InterpEnd,
    /// Closing backtick of a template.
    TemplateEnd,
    Kw(Kw),
    Plus,
    PlusPlus,
    PlusEq,
    Minus,
    MinusMinus,
    MinusEq,
    /// `->`
    Arrow,
    Star,
    StarEq,
    Slash,
    SlashEq,
    Percent,
    PercentEq,
    /// `=`
    Assign,
    /// `==`
    EqEq,
    /// `=>`
    FatArrow,
    Bang,
    BangEq,
    Lt,
    Le,
    /// `<=>`
    Cmp3,
    Shl,
    Gt,
    Ge,
    Shr,
    Amp,
    AmpAmp,
    Pipe,
    PipePipe,
    /// `|>`
    PipeGt,
    Caret,
    Tilde,
    Question,
    Dot,
    DotDot,
    DotDotDot,
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Semi,
    Colon,
    Dollar,
    At,
    /// Input the lexer already rejected with a diagnostic.
    Error,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

impl TokenKind {
    /// Source spelling of a fixed token (operators, punctuation, keywords).
    pub fn fixed_text(&self) -> Option<&'static str> {
        use TokenKind::*;
        Some(match self {
            Kw(k) => k.as_str(),
            Plus => "+",
            PlusPlus => "++",
            PlusEq => "+=",
            Minus => "-",
            MinusMinus => "--",
            MinusEq => "-=",
            Arrow => "->",
            Star => "*",
            StarEq => "*=",
            Slash => "/",
            SlashEq => "/=",
            Percent => "%",
            PercentEq => "%=",
            Assign => "=",
            EqEq => "==",
            FatArrow => "=>",
            Bang => "!",
            BangEq => "!=",
            Lt => "<",
            Le => "<=",
            Cmp3 => "<=>",
            Shl => "<<",
            Gt => ">",
            Ge => ">=",
            Shr => ">>",
            Amp => "&",
            AmpAmp => "&&",
            Pipe => "|",
            PipePipe => "||",
            PipeGt => "|>",
            Caret => "^",
            Tilde => "~",
            Question => "?",
            Dot => ".",
            DotDot => "..",
            DotDotDot => "...",
            LParen => "(",
            RParen => ")",
            LBrace => "{",
            RBrace => "}",
            LBracket => "[",
            RBracket => "]",
            Comma => ",",
            Semi => ";",
            Colon => ":",
            Dollar => "$",
            At => "@",
            TemplateStart | TemplateEnd => "`",
            InterpStart => "&{",
            InterpEnd => "}",
            _ => return None,
        })
    }

    /// How a diagnostic names this token: "`;`", "identifier `x`", ...
    pub fn describe(&self) -> String {
        match self {
            TokenKind::Ident(name) => format!("identifier `{name}`"),
            TokenKind::Int(_) => "integer literal".into(),
            TokenKind::Float(_) => "float literal".into(),
            TokenKind::Char(_) => "char literal".into(),
            TokenKind::Str(_) => "string literal".into(),
            TokenKind::TemplateText(_) => "template text".into(),
            TokenKind::TemplateStart => "template".into(),
            TokenKind::Error => "invalid input".into(),
            TokenKind::Eof => "end of file".into(),
            TokenKind::Kw(k) => format!("keyword `{}`", k.as_str()),
            other => format!("`{}`", other.fixed_text().unwrap_or("?")),
        }
    }
}

/// The `--emit=tokens` spelling: `kind` or `kind payload`.
impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenKind::Ident(name) => write!(f, "ident {name}"),
            TokenKind::Int(v) => write!(f, "int {v}"),
            TokenKind::Float(v) => write!(f, "float {v:?}"),
            TokenKind::Char(b) => write!(f, "char {b}"),
            TokenKind::Str(bytes) => write!(f, "string {}", quote(bytes)),
            TokenKind::TemplateText(bytes) => write!(f, "template_text {}", quote(bytes)),
            TokenKind::TemplateStart => f.write_str("template_start"),
            TokenKind::TemplateEnd => f.write_str("template_end"),
            TokenKind::InterpStart => f.write_str("interp_start"),
            TokenKind::InterpEnd => f.write_str("interp_end"),
            TokenKind::Kw(k) => write!(f, "keyword {}", k.as_str()),
            TokenKind::Error => f.write_str("error"),
            TokenKind::Eof => f.write_str("eof"),
            other => write!(f, "punct {}", other.fixed_text().unwrap_or("?")),
        }
    }
}

/// Bytes as a double-quoted, escaped, ASCII-only string.
fn quote(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in bytes {
        out.extend(std::ascii::escape_default(b).map(char::from));
    }
    out.push('"');
    out
}

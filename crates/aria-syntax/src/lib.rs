//! Aria's front end: spans, diagnostics, tokens, lexer, parser and AST.
//!
//! Entry points: [`lex`] (bytes to tokens), [`parse`] (bytes to a
//! [`ast::Program`] plus diagnostics; runs the lexer) and the dumps in
//! [`dump`] for `--emit=tokens|ast`. [`with_big_stack`] runs a closure on a
//! thread with a 16 MiB stack (the parser uses it; tree walkers may too).

pub mod ast;
pub mod diag;
pub mod dump;
pub mod fuzz;
pub mod lexer;
pub mod parser;
pub mod span;
pub mod stack;
pub mod token;

pub use diag::{Diagnostic, Severity};
pub use dump::{dump_ast, dump_tokens};
pub use lexer::lex;
pub use parser::parse;
pub use span::Span;
pub use stack::with_big_stack;
pub use token::{Kw, Token, TokenKind};

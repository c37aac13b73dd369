//! Aria's front end: spans, diagnostics, tokens, lexer, parser and AST.

pub mod ast;
pub mod diag;
pub mod span;

pub use diag::{Diagnostic, Severity};
pub use span::Span;

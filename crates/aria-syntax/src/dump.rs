//! Text dumps for `aria --emit=tokens|ast`.

use std::fmt::Write;

use crate::lexer::lex;
use crate::parser::parse_here;
use crate::span::LineIndex;

/// One token per line: `LINE:COL kind [payload]`.
pub fn dump_tokens(src: &[u8]) -> String {
    let (toks, _) = lex(src);
    let index = LineIndex::new(src);
    let mut out = String::new();
    for tok in &toks {
        let (line, col) = index.line_col(tok.span.start);
        let _ = writeln!(out, "{line}:{col} {}", tok.kind);
    }
    out
}

/// The syntax tree in Rust's pretty `Debug` form (formatted on the
/// parser's large stack: the tree may be a few thousand levels tall).
pub fn dump_ast(src: &[u8]) -> String {
    crate::stack::with_big_stack(|| {
        let (program, _) = parse_here(src);
        format!("{program:#?}\n")
    })
}

//! The lexer on arbitrary bytes: no panic; the token list ends with exactly
//! one `Eof`; token spans are in order and inside the source; every
//! diagnostic is coded. Also renders the `--emit=tokens` dump.
#![no_main]

use aria_syntax::TokenKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|src: &[u8]| {
    let (toks, diags) = aria_syntax::lex(src);
    let eofs = toks.iter().filter(|t| t.kind == TokenKind::Eof).count();
    assert_eq!(eofs, 1, "expected one Eof token");
    assert!(toks.last().is_some_and(|t| t.kind == TokenKind::Eof));
    let mut prev = 0;
    for t in &toks {
        assert!(
            prev <= t.span.start && t.span.start <= t.span.end && t.span.end as usize <= src.len(),
            "token span out of order or outside the source: {t:?} after offset {prev}"
        );
        prev = t.span.start;
    }
    aria_fuzz::assert_coded(&diags, src);
    let _ = aria_syntax::dump_tokens(src);
});

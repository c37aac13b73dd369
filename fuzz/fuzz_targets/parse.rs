//! The parser (and lexer) on arbitrary bytes: no panic, no stack overflow
//! (nesting is bounded by the parser's depth limits), every diagnostic coded.
//! Also renders the `--emit=ast` dump.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|src: &[u8]| {
    let (_program, diags) = aria_syntax::parse(src);
    aria_fuzz::assert_coded(&diags, src);
    let _ = aria_syntax::dump_ast(src);
});

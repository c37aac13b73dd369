//! Unit tests of the checker on parsed source: one small program per
//! diagnostic code, the LANGUAGE.md §11 examples, and the shape of the
//! typed output for key constructs.

mod codes;
mod examples;
mod sexp;
mod shapes;
mod tools;

use crate::tast;
use aria_syntax::Diagnostic;

/// Parse and check; panics on a parse error (the tests are about sema).
pub fn run(src: &str) -> (Option<tast::Program>, Vec<Diagnostic>) {
    let (ast, pdiags) = aria_syntax::parse(src.as_bytes());
    let perrs: Vec<_> = pdiags.iter().filter(|d| d.is_error()).collect();
    assert!(
        perrs.is_empty(),
        "parse errors in test source: {perrs:#?}\n{src}"
    );
    crate::check_source(&ast, src.as_bytes())
}

/// Render diagnostics for failure messages.
pub fn show(src: &str, diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| d.render("t.aria", src.as_bytes(), false))
        .collect()
}

/// The program must check without errors (warnings allowed).
pub fn ok(src: &str) -> tast::Program {
    let (p, diags) = run(src);
    let errs: Vec<_> = diags.iter().filter(|d| d.is_error()).cloned().collect();
    assert!(errs.is_empty(), "unexpected errors:\n{}", show(src, &errs));
    p.expect("a program without errors has output")
}

/// Codes of all diagnostics, in order.
pub fn codes(src: &str) -> Vec<&'static str> {
    run(src).1.iter().map(|d| d.code).collect()
}

/// The program reports `code` (and yields no output if it is an error).
pub fn has(src: &str, code: &str) {
    let (p, diags) = run(src);
    assert!(
        diags.iter().any(|d| d.code == code),
        "expected {code}, got:\n{}\n{src}",
        show(src, &diags)
    );
    if code.starts_with('E') {
        assert!(p.is_none(), "errors must block the output");
    }
}

/// Wrap statements in a sync `main`.
pub fn in_main(body: &str) -> String {
    format!("func:main = int32() {{\n{body}\npass(0);\n}};\n")
}

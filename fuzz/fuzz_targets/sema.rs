//! The type checker on every input that parses cleanly (the only inputs the
//! driver gives it): no panic; a typed program comes back exactly when there
//! is no error; the sema diagnostics are coded and sorted by position; the
//! checker is deterministic (`check` and `check_source` report the same).
#![no_main]

use aria_syntax::Diagnostic;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|src: &[u8]| {
    let (ast, diags) = aria_syntax::parse(src);
    if diags.iter().any(Diagnostic::is_error) {
        return;
    }
    let (typed, sema) = aria_sema::check_source(&ast, src);
    let failed = sema.iter().any(Diagnostic::is_error);
    assert_eq!(
        typed.is_some(),
        !failed,
        "typed program and errors disagree"
    );
    assert!(
        sema.windows(2).all(|w| w[0].span.start <= w[1].span.start),
        "sema diagnostics not sorted by position"
    );
    aria_fuzz::assert_coded(&sema, src);
    // Without the source only lambda names differ: same codes, same spans.
    let (typed2, sema2) = aria_sema::check(&ast);
    assert_eq!(typed.is_some(), typed2.is_some());
    let key = |d: &Diagnostic| (d.code, d.span);
    assert_eq!(
        sema.iter().map(key).collect::<Vec<_>>(),
        sema2.iter().map(key).collect::<Vec<_>>(),
        "check and check_source disagree"
    );
});

//! Checks shared by the fuzz targets: the promises of ARCHITECTURE.md §10
//! ("no panic, no hang, every rejection is a coded diagnostic") written as
//! assertions, so libFuzzer reports a broken one as a crash.

use aria_syntax::{Diagnostic, Severity};

/// Every diagnostic carries a code of its kind (`E0300` for an error,
/// `W0003` for a warning: a letter and four digits) and a span inside the
/// source; rendering it (what `aria check` prints) must not panic either.
pub fn assert_coded(diags: &[Diagnostic], src: &[u8]) {
    for d in diags {
        let letter = match d.severity {
            Severity::Error => b'E',
            Severity::Warning => b'W',
        };
        let code = d.code.as_bytes();
        assert!(
            code.len() == 5 && code[0] == letter && code[1..].iter().all(u8::is_ascii_digit),
            "uncoded diagnostic: {d:?}"
        );
        assert!(
            d.span.start <= d.span.end && d.span.end as usize <= src.len(),
            "diagnostic span outside the source ({} bytes): {d:?}",
            src.len()
        );
        assert!(!d.message.is_empty(), "diagnostic without a message: {d:?}");
        let text = d.render("fuzz.aria", src, false);
        assert!(
            text.contains(&format!("[{}]", d.code)),
            "rendered diagnostic lacks its code: {text}"
        );
    }
}

/// The front end as `aria check` runs it (crates/aria/src/driver.rs,
/// `front_end`): parse; on a parse error stop; else type-check with the
/// source. Returns every diagnostic, and asserts that the checker returns a
/// typed program exactly when it reports no error.
pub fn front_end(src: &[u8]) -> Vec<Diagnostic> {
    let (ast, mut diags) = aria_syntax::parse(src);
    if diags.iter().any(Diagnostic::is_error) {
        return diags;
    }
    let (typed, sema) = aria_sema::check_source(&ast, src);
    let failed = sema.iter().any(Diagnostic::is_error);
    assert_eq!(
        typed.is_some(),
        !failed,
        "the checker returned {} program and {} error",
        if typed.is_some() { "a" } else { "no" },
        if failed { "an" } else { "no" },
    );
    diags.extend(sema);
    diags
}

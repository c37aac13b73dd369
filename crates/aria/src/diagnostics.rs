//! Printing compile-time diagnostics (LANGUAGE.md §10.1) and driver errors.

use std::io::{IsTerminal, Write};

use aria_syntax::Diagnostic;

/// Whether stderr gets ANSI colours: only on a terminal, and not when
/// `NO_COLOR` is set (https://no-color.org).
pub fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Renders `diags` in source order (stable for equal positions) to stderr.
pub fn print(diags: &mut [Diagnostic], file: &str, src: &[u8]) {
    diags.sort_by_key(|d| d.span.start);
    let color = stderr_color();
    let mut out = String::new();
    for d in diags.iter() {
        out.push_str(&d.render(file, src, color));
    }
    write_stderr(&out);
}

/// `FILE: error: MSG` (a failure that has no source position).
pub fn error_in_file(file: &str, msg: &str) {
    let (on, off) = if stderr_color() {
        ("\x1b[1;31m", "\x1b[0m")
    } else {
        ("", "")
    };
    write_stderr(&format!("{file}: {on}error{off}: {msg}\n"));
}

/// `error: MSG` (a failure before there is a file to speak of).
pub fn error(msg: &str) {
    let (on, off) = if stderr_color() {
        ("\x1b[1;31m", "\x1b[0m")
    } else {
        ("", "")
    };
    write_stderr(&format!("{on}error{off}: {msg}\n"));
}

fn write_stderr(s: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(s.as_bytes());
    let _ = err.flush();
}

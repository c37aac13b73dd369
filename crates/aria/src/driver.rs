//! The pipeline: read → parse → check → lower → codegen → run (or, for
//! `aria build`, → object file → link: `native.rs`).
//!
//! Every stage reports through `diagnostics`; the first stage with an
//! error ends the run with status 1 (nothing runs). Warnings are printed and
//! compilation goes on.

use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use aria_syntax::Diagnostic;

use crate::diagnostics;

/// `--emit` forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    /// The lexer's tokens, one per line
    Tokens,
    /// The syntax tree
    Ast,
    /// The mid-level IR (basic blocks over machine locals)
    Mir,
    /// The Cranelift IR of every function, before optimisation
    Clif,
}

/// Exit status of a program that does not compile (and of `check` with errors).
pub(crate) const STATUS_ERROR: i32 = 1;
/// Exit status when the compiler itself fails (a bug, reported as such).
pub(crate) const STATUS_ICE: i32 = 70;

/// A source file, read.
pub(crate) struct Source {
    /// The path as given on the command line (diagnostics, panic locations).
    pub name: String,
    bytes: Vec<u8>,
}

pub(crate) fn read(path: &Path) -> Result<Source, i32> {
    let name = path.to_string_lossy().into_owned();
    match std::fs::read(path) {
        Ok(bytes) => Ok(Source { name, bytes }),
        Err(e) => {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_string(),
                std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                _ if path.is_dir() => "it is a directory".to_string(),
                _ => e.to_string(),
            };
            diagnostics::error(&format!("cannot read `{name}`: {why}"));
            Err(STATUS_ERROR)
        }
    }
}

/// Writes `text` to stdout, ignoring a closed pipe (`aria run --emit=mir f | head`).
fn print_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(Diagnostic::is_error)
}

/// Runs a compiler stage, turning a panic (a compiler bug) into an error
/// report with status 70 instead of a crash that looks like an Aria panic.
pub(crate) fn guarded<T>(stage: &str, file: &str, f: impl FnOnce() -> T) -> Result<T, i32> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        diagnostics::error_in_file(file, &format!("internal compiler error in {stage}: {msg}"));
        STATUS_ICE
    })
}

/// Parses and checks `src`, printing every diagnostic. Returns the typed
/// program when there is no error.
fn front_end(src: &Source) -> Result<aria_sema::tast::Program, i32> {
    let file = src.name.as_str();
    let (ast, mut diags) = guarded("the parser", file, || aria_syntax::parse(&src.bytes))?;
    if has_errors(&diags) {
        // Sema would only add follow-on errors about the broken parts.
        diagnostics::print(&mut diags, file, &src.bytes);
        return Err(STATUS_ERROR);
    }
    let (typed, mut sema_diags) = guarded("the type checker", file, || {
        aria_sema::check_source(&ast, &src.bytes)
    })?;
    diags.append(&mut sema_diags);
    diagnostics::print(&mut diags, file, &src.bytes);
    if has_errors(&diags) {
        return Err(STATUS_ERROR);
    }
    typed.ok_or_else(|| {
        diagnostics::error_in_file(
            file,
            "internal compiler error: the type checker produced no program and no error",
        );
        STATUS_ICE
    })
}

/// `aria check FILE`.
pub fn check(path: &Path) -> i32 {
    let src = match read(path) {
        Ok(s) => s,
        Err(status) => return status,
    };
    match front_end(&src) {
        Ok(_) => 0,
        Err(status) => status,
    }
}

/// `aria run FILE [--emit=FORM]`: returns the status to exit with, unless
/// the program runs (the runtime then exits the process itself).
pub fn run(path: &Path, emit: Option<Emit>) -> i32 {
    let src = match read(path) {
        Ok(s) => s,
        Err(status) => return status,
    };
    match run_source(&src, emit) {
        Ok(status) | Err(status) => status,
    }
}

fn run_source(src: &Source, emit: Option<Emit>) -> Result<i32, i32> {
    let file = src.name.as_str();
    match emit {
        Some(Emit::Tokens) => return emit_tokens(src),
        Some(Emit::Ast) => {
            let (_, mut diags) = guarded("the parser", file, || aria_syntax::parse(&src.bytes))?;
            diagnostics::print(&mut diags, file, &src.bytes);
            let text = guarded("the parser", file, || aria_syntax::dump_ast(&src.bytes))?;
            print_stdout(&text);
            return Ok(if has_errors(&diags) { STATUS_ERROR } else { 0 });
        }
        _ => {}
    }
    let mir = mir_of(src)?;
    match emit {
        Some(Emit::Mir) => {
            print_stdout(&format!("{mir}"));
            return Ok(0);
        }
        Some(Emit::Clif) => {
            let clif = guarded("the code generator", file, || aria_codegen::emit_clif(&mir))?
                .map_err(|msg| {
                    diagnostics::error_in_file(file, &msg);
                    STATUS_ICE
                })?;
            print_stdout(&clif);
            return Ok(0);
        }
        _ => {}
    }
    let program = guarded("the code generator", file, || {
        aria_codegen::compile_jit(&mir)
    })?
    .map_err(|msg| {
        diagnostics::error_in_file(file, &msg);
        STATUS_ICE
    })?;
    drop(mir);
    aria_codegen::run(program)
}

/// The front end and the lowering: the MIR of `src` (diagnostics printed),
/// as `aria run` and `aria build` both compile it.
pub(crate) fn mir_of(src: &Source) -> Result<aria_mir::mir::Program, i32> {
    let file = src.name.as_str();
    let typed = front_end(src)?;
    let text = source_text(&src.bytes);
    guarded("the lowering", file, || {
        aria_mir::lower(&typed, file, &text)
    })?
    .map_err(|msg| {
        diagnostics::error_in_file(file, &msg);
        STATUS_ERROR
    })
}

/// `--emit=tokens`: `LINE:COL kind [payload]` per token; lexical
/// diagnostics go to stderr.
fn emit_tokens(src: &Source) -> Result<i32, i32> {
    let file = src.name.as_str();
    let (_, mut diags) = guarded("the lexer", file, || aria_syntax::lex(&src.bytes))?;
    diagnostics::print(&mut diags, file, &src.bytes);
    let text = guarded("the lexer", file, || aria_syntax::dump_tokens(&src.bytes))?;
    print_stdout(&text);
    Ok(if has_errors(&diags) { STATUS_ERROR } else { 0 })
}

/// The source as text for the lowering, byte offsets preserved: a byte
/// that is not part of valid UTF-8 (possible only inside comments and
/// literals) becomes `?`.
fn source_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(std::iter::repeat_n('?', chunk.invalid().len()));
    }
    out
}

/// Flushes stdout and exits with `status`.
pub fn exit(status: i32) -> ! {
    let _ = std::io::stdout().flush();
    std::process::exit(status)
}

#[cfg(test)]
mod tests {
    use super::source_text;

    #[test]
    fn source_text_keeps_offsets() {
        let bytes = b"a\xff\xfeb // \xc3\xa9";
        let t = source_text(bytes);
        assert_eq!(t.len(), bytes.len());
        assert_eq!(t, "a??b // \u{e9}");
    }
}

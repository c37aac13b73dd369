//! The program entry `aria_main` (LANGUAGE.md §3, §10.4).
//!
//! Runs the global initialisers, then `main`, then exits: with `main`'s
//! pass value (`NIL`: 0), with 1 after `error: main failed with code C`, or
//! with 101 after a panic report. Stdout is flushed before any report and
//! before exiting.

use std::ffi::{c_char, CStr};
use std::sync::OnceLock;

use crate::layout::*;
use crate::output::{flush_stdout, write_stderr};
use crate::panic::{self, PanicInfo};
use crate::process::{before_exit, start_clock};
use crate::AriaResult;

/// An Aria function taking only its environment: `fn(env) -> (err, val)`.
pub type AriaEntryFn = unsafe extern "C" fn(env: i64) -> AriaResult;

/// `main_kind`: `main` returns `NIL`.
pub const MAIN_NIL: i32 = 0;
/// `main_kind`: `main`'s integer value, widened to i64 by the wrapper, is the status.
pub const MAIN_INT: i32 = 1;

static PROGRAM_FILE: OnceLock<String> = OnceLock::new();

/// The source file `aria_main` was given, if any.
pub fn program_file() -> Option<&'static str> {
    PROGRAM_FILE.get().map(String::as_str)
}

/// Reports the panic recorded on this thread (or, if none is recorded, one
/// with `code` and no message) on stderr after flushing stdout; returns 101.
pub fn report_panic(code: i64) -> i32 {
    let info = panic::take().unwrap_or(PanicInfo {
        code,
        ..PanicInfo::default()
    });
    flush_stdout();
    write_stderr(&info.report(), false);
    EXIT_PANIC
}

/// The status for a non-zero `err` returned by `main` or an initialiser:
/// a panic report (101) if this thread is unwinding, else the failure
/// message (1).
pub fn status_for_failure(err: i64) -> i32 {
    if panic::is_panicking() {
        report_panic(err)
    } else {
        flush_stdout();
        write_stderr(
            format!("error: main failed with code {err}").as_bytes(),
            true,
        );
        EXIT_MAIN_FAILED
    }
}

/// Runs `init_globals` then `main` on this thread and returns the exit
/// status, having written any report. Does not exit (testable).
///
/// # Safety
/// The functions must follow the Aria calling convention with `env = 0`.
pub unsafe fn run_program(
    init_globals: Option<AriaEntryFn>,
    main: Option<AriaEntryFn>,
    main_kind: i32,
) -> i32 {
    start_clock();
    if let Some(init) = init_globals {
        // SAFETY: caller contract.
        let r = unsafe { init(0) };
        if r.err != 0 {
            return status_for_failure(r.err);
        }
    }
    let Some(main) = main else { return 0 };
    // SAFETY: caller contract.
    let r = unsafe { main(0) };
    if r.err != 0 {
        return status_for_failure(r.err);
    }
    if main_kind == MAIN_INT {
        r.val as i32
    } else {
        0
    }
}

/// Flushes stdout and ends the process with `status`.
pub fn exit_process(status: i32) -> ! {
    // The scheduler's graceful shutdown (LANGUAGE.md §7.9) goes here, before
    // the final flush.
    before_exit();
    std::process::exit(status)
}

/// Ends the process with a panic report for `code`/`message` (used where a
/// panic cannot be propagated, e.g. allocation failure inside a function
/// without an error result).
pub fn fatal_panic(code: i64, message: &[u8]) -> ! {
    panic::raise(code, message);
    let status = report_panic(code);
    exit_process(status)
}

/// The program entry: runs `init_globals` (may be null) and `main`, then
/// exits per LANGUAGE.md §3 / §10.4. `file` is the NUL-terminated source
/// path (may be null).
///
/// # Safety
/// The functions follow the Aria calling convention; `file` is null or
/// NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn aria_main(
    init_globals: Option<AriaEntryFn>,
    main: Option<AriaEntryFn>,
    main_kind: i32,
    file: *const c_char,
) -> ! {
    // SAFETY: caller contract.
    unsafe { enter_program(file) };
    // SAFETY: caller contract.
    let status = unsafe { run_program(init_globals, main, main_kind) };
    // LANGUAGE.md §7.9: incomplete tasks are cancelled and unwind first.
    crate::sched::shutdown::shutdown_for_exit();
    exit_process(status)
}

/// Common start of `aria_main` and `aria_main_async`: `SIGPIPE` is
/// ignored, stack overflows are reported, the clock starts,
/// the program's file name is recorded for reports, and this thread becomes
/// the main thread whose deadlocks are detected (LANGUAGE.md §7.10).
///
/// # Safety
/// `file` is null or NUL-terminated.
pub(crate) unsafe fn enter_program(file: *const c_char) {
    start_clock();
    // A write to a broken connection fails (ERR_IO) instead of killing the
    // process (an `aria build` executable has no Rust `main` to do this).
    crate::net::ignore_sigpipe();
    // A stack overflow is reported as under `aria run` (Rust's runtime
    // already does it there; a built executable has no Rust `main`).
    crate::stack_guard::install();
    if !file.is_null() {
        // SAFETY: caller contract.
        let f = unsafe { CStr::from_ptr(file) }
            .to_string_lossy()
            .into_owned();
        let _ = PROGRAM_FILE.set(f);
    }
    crate::sched::deadlock::enter_program();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::capture;
    use crate::string::new_str;

    unsafe extern "C" fn init_ok(_env: i64) -> AriaResult {
        // SAFETY: printing a fresh string.
        unsafe {
            let s = new_str(b"init");
            crate::output::aria_print(s, 1, 1);
            crate::object::aria_release(s);
        }
        AriaResult::ok(0)
    }
    unsafe extern "C" fn main_42(_env: i64) -> AriaResult {
        AriaResult::ok(42)
    }
    unsafe extern "C" fn main_big(_env: i64) -> AriaResult {
        AriaResult::ok(0x1_0000_0003)
    }
    unsafe extern "C" fn main_fails(_env: i64) -> AriaResult {
        AriaResult::err(7)
    }
    unsafe extern "C" fn main_panics(_env: i64) -> AriaResult {
        // A runtime call panics; the generated caller locates and propagates.
        // SAFETY: a fresh string.
        let r = unsafe {
            let s = new_str(b"abc");
            let r = crate::string::aria_str_index(s, 10);
            crate::object::aria_release(s);
            r
        };
        if r.err != 0 && panic::aria_panicking() != 0 {
            // SAFETY: NUL-terminated literal.
            unsafe { panic::aria_panic_locate(c"prog.aria:4:12 in main".as_ptr()) };
            let code = panic::aria_panic_suspend();
            // a defer runs here
            panic::aria_panic_resume(code);
            return AriaResult::err(code);
        }
        AriaResult::ok(0)
    }

    #[test]
    fn exit_statuses_and_reports() {
        // SAFETY: the test functions follow the convention.
        unsafe {
            let (st, out, err) = capture(|| run_program(Some(init_ok), Some(main_42), MAIN_INT));
            assert_eq!(
                (st, out.as_slice(), err.as_slice()),
                (42, &b"init\n"[..], &b""[..])
            );
            let (st, _, _) = capture(|| run_program(None, Some(main_42), MAIN_NIL));
            assert_eq!(st, 0);
            let (st, _, _) = capture(|| run_program(None, Some(main_big), MAIN_INT));
            assert_eq!(st, 3, "wrapped to int32");
            let (st, _, err) = capture(|| run_program(None, Some(main_fails), MAIN_INT));
            assert_eq!(st, 1);
            assert_eq!(
                String::from_utf8(err).unwrap(),
                "error: main failed with code 7\n"
            );
            let (st, _, err) = capture(|| run_program(Some(init_ok), Some(main_panics), MAIN_NIL));
            assert_eq!(st, 101);
            assert_eq!(
                String::from_utf8(err).unwrap(),
                "panic (code -102): index out of bounds: index 10, length 3\n  at prog.aria:4:12 in main\n"
            );
            assert!(!panic::is_panicking());
            let (st, _, err) = capture(|| run_program(Some(main_panics), Some(main_42), MAIN_INT));
            assert_eq!(st, 101, "a panic in a global initialiser exits 101");
            assert!(err.starts_with(b"panic (code -102)"));
        }
    }
}

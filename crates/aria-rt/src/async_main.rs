//! The entry point of a program whose `main` is `async` (LANGUAGE.md §3):
//! `main` runs as task #1 and the main thread waits for it.
//!
//! `aria_main_async(init_globals, main_ramp, main_kind, file)`: runs the
//! global initialisers on the main thread (as `aria_main`), calls
//! `main_ramp(0)` — the ramp of `async func:main`, returning `(0, task)` —
//! blocks in `.await()` on the task with deadlock detection, then shuts the
//! scheduler down (§7.9) and exits: `main`'s pass value (`NIL`: 0); 1 after
//! `error: main failed with code C`; 101 if `main` panicked (the task
//! boundary already printed the report, ending `  awaited by main`); 102 on
//! deadlock.

use std::ffi::c_char;

use crate::entry::{exit_process, run_program, status_for_failure, AriaEntryFn, MAIN_INT};
use crate::layout::{is_panic_code, EXIT_PANIC};
use crate::sched::block_on;
use crate::task::Task;

/// Runs an async `main`; see the module documentation.
///
/// # Safety
/// The functions follow the Aria calling convention with `env = 0`;
/// `main_ramp` returns `(err, task)` with the task +1; `file` is null or
/// NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn aria_main_async(
    init_globals: Option<AriaEntryFn>,
    main_ramp: Option<AriaEntryFn>,
    main_kind: i32,
    file: *const c_char,
) -> ! {
    // SAFETY: caller contract.
    unsafe { crate::entry::enter_program(file) };
    // SAFETY: caller contract.
    let status = unsafe { run_async_program(init_globals, main_ramp, main_kind) };
    crate::sched::shutdown::shutdown_for_exit();
    exit_process(status)
}

/// Runs the initialisers and the async `main`; returns the exit status
/// (reports written). Does not exit.
///
/// # Safety
/// As for [`aria_main_async`].
pub unsafe fn run_async_program(
    init_globals: Option<AriaEntryFn>,
    main_ramp: Option<AriaEntryFn>,
    main_kind: i32,
) -> i32 {
    // SAFETY: caller contract.
    unsafe {
        let st = run_program(init_globals, None, main_kind);
        if st != 0 {
            return st;
        }
        let Some(ramp) = main_ramp else { return 0 };
        let r = ramp(0);
        if r.err != 0 {
            return status_for_failure(r.err);
        }
        let task = r.val as *mut Task;
        let res = block_on::block_on(task);
        crate::task::release(task);
        if res.err == 0 {
            if main_kind == MAIN_INT {
                res.val as i32
            } else {
                0
            }
        } else if is_panic_code(res.err) {
            crate::panic::take();
            EXIT_PANIC
        } else {
            status_for_failure(res.err)
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::output::capture;
    use crate::task::native::fn_task;
    use crate::AriaResult;

    unsafe extern "C" fn ramp_42(_env: i64) -> AriaResult {
        let t = fn_task(|_| Some((0, 42)));
        // SAFETY: a new task.
        unsafe { crate::task::abi::aria_task_spawn(t) };
        AriaResult::ok(t as i64)
    }
    unsafe extern "C" fn ramp_fails(_env: i64) -> AriaResult {
        let t = fn_task(|_| Some((7, 0)));
        // SAFETY: a new task.
        unsafe { crate::task::abi::aria_task_spawn(t) };
        AriaResult::ok(t as i64)
    }
    unsafe extern "C" fn ramp_panics(_env: i64) -> AriaResult {
        let t = fn_task(|_| Some((crate::panic::raise(-104, b"boom"), 0)));
        // SAFETY: a new task.
        unsafe { crate::task::abi::aria_task_spawn(t) };
        AriaResult::ok(t as i64)
    }

    #[test]
    fn async_main_statuses() {
        // SAFETY: the ramps follow the convention.
        unsafe {
            assert_eq!(run_async_program(None, Some(ramp_42), MAIN_INT), 42);
            assert_eq!(
                run_async_program(None, Some(ramp_42), crate::entry::MAIN_NIL),
                0
            );
            let (st, _, err) = capture(|| run_async_program(None, Some(ramp_fails), MAIN_INT));
            assert_eq!(
                (st, String::from_utf8(err).unwrap().as_str()),
                (1, "error: main failed with code 7\n")
            );
            // The report is printed by the task boundary (on a worker).
            let (st, _, err) = capture(|| run_async_program(None, Some(ramp_panics), MAIN_INT));
            assert_eq!((st, err.len()), (EXIT_PANIC, 0));
            assert!(!crate::panic::is_panicking());
        }
    }
}

//! Deadlock detection (LANGUAGE.md §7.10): the main thread waits for a task
//! while no task is running or runnable, no timer is pending and no task
//! waits on I/O or pool work. Then the runtime prints
//! `fatal: deadlock: main is waiting for task #ID (NAME) and no task can make progress`,
//! shuts down (§7.9) and exits with 102.
//!
//! Invariants:
//! - Only a watcher (the main thread in `.await()` or async main, in an Aria
//!   program) decides; it is unparked when the last worker parks, and checks
//!   once when it starts waiting.
//! - *Quiescent*: every worker parked (none searching, none running), every
//!   queue and inbox empty, no timer of an incomplete task pending, none
//!   firing, no pool job, no I/O.
//!   Anything that could make progress later must first unpark a worker,
//!   which changes the idle generation; so two quiescent readings 20 ms
//!   apart with the same generation, the awaited task still incomplete,
//!   mean nothing can ever wake it.

use std::sync::atomic::{AtomicBool, Ordering::*};
use std::time::Duration;

use super::Shared;
use crate::layout::EXIT_DEADLOCK;
use crate::task::{describe, state, Task};

static PROGRAM: AtomicBool = AtomicBool::new(false);

/// An Aria program starts on this thread (`aria_main`, `aria_main_async`):
/// it is the main thread, and deadlocks of the main thread are detected.
pub fn enter_program() {
    super::block_on::set_main_thread();
    PROGRAM.store(true, Relaxed);
}

/// Is detection on for runtime `shared` (an Aria program is running —
/// declared by [`enter_program`], or `aria_main` was given a source file —
/// or a test asked for it)?
pub fn enabled(shared: &Shared) -> bool {
    PROGRAM.load(Relaxed)
        || shared.detect_deadlock.load(Relaxed)
        || crate::entry::program_file().is_some()
}

/// Nothing can run now (see the module invariants).
pub fn quiescent(shared: &Shared) -> bool {
    let s = shared.idle.load();
    s.num_unparked() == 0
        && s.num_searching() == 0
        && shared.injector.is_empty()
        && shared
            .remotes
            .iter()
            .all(|r| r.stealer.is_empty() && r.inbox.is_empty())
        && !shared.timers.is_firing()
        && !shared.timers.has_live()
        && shared.blocking.pending() == 0
        && super::io::socket_waiters(shared) == 0
        && shared.coreless.load(SeqCst) == 0
}

/// Quiescent now and 20 ms later with no park/unpark in between, and `t`
/// still incomplete.
///
/// # Safety
/// `t` is live.
pub unsafe fn detect(shared: &Shared, t: *mut Task) -> bool {
    if !quiescent(shared) {
        return false;
    }
    let g = shared.idle.generation();
    std::thread::sleep(Duration::from_millis(20));
    // SAFETY: caller contract.
    quiescent(shared) && shared.idle.generation() == g && !unsafe { state(t).is_complete() }
}

/// The `#ID (NAME)` the report names: the awaited task if it is an Aria
/// task, else the oldest incomplete Aria task.
///
/// # Safety
/// `t` is live.
pub unsafe fn blocked_task(shared: &Shared, t: *mut Task) -> String {
    // SAFETY: caller contract.
    unsafe {
        if (*t).id > 0 {
            return format!("#{} ({})", (*t).id, crate::task::name(t));
        }
        match shared.registry.lowest() {
            Some((id, name)) => format!("#{id} ({name})"),
            None => {
                let d = describe(t);
                let (id, name) = d.split_once(' ').unwrap_or((&d, "?"));
                format!("{id} ({name})")
            }
        }
    }
}

/// Reports the deadlock, shuts down and exits with 102.
///
/// # Safety
/// `t` is live.
pub unsafe fn fatal(shared: &Shared, t: *mut Task) -> ! {
    // SAFETY: caller contract.
    let which = unsafe { blocked_task(shared, t) };
    crate::output::flush_stdout();
    crate::output::write_stderr(
        format!("fatal: deadlock: main is waiting for task {which} and no task can make progress")
            .as_bytes(),
        true,
    );
    super::shutdown::shutdown_for_exit();
    crate::process::before_exit();
    std::process::exit(EXIT_DEADLOCK)
}

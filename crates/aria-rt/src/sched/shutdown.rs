//! Ending a runtime.
//!
//! - [`shutdown_for_exit`] (LANGUAGE.md §7.9), when `main` ends: every
//!   incomplete task is cancelled (tasks spawned from then on are cancelled
//!   at spawn), and they get at most [`UNWIND_BUDGET`] in total to unwind and
//!   run their defers; then the workers are stopped and joined if they stop
//!   in time. A task that reaches no suspension point in time is abandoned
//!   (the process is about to exit).
//! - [`shutdown_graceful`] (`aria_scheduler_shutdown`, `Runtime::shutdown`):
//!   no cancellation; waits until every registered task completed or the
//!   runtime is quiescent (what is left can never run), then stops and joins
//!   every worker.
//!
//! Invariants: both are idempotent per runtime; after either, the global
//! runtime is forgotten so a later use starts a fresh one.

use std::sync::atomic::Ordering::*;
use std::time::{Duration, Instant};

use super::{clear_global, deadlock, global_if_started, Shared};
use crate::task::{release, wait};

/// Total time given to cancelled tasks to unwind at exit.
pub const UNWIND_BUDGET: Duration = Duration::from_millis(1000);

/// Cancels everything on the global runtime and stops it (before exit).
pub fn shutdown_for_exit() {
    let Some(shared) = global_if_started() else {
        return;
    };
    if shared.closing.swap(true, SeqCst) {
        return;
    }
    let deadline = Instant::now() + UNWIND_BUDGET;
    cancel_all(shared);
    // Tasks spawned while we cancelled were cancelled at spawn; cancel once
    // more for those registered in between.
    cancel_all(shared);
    // Tasks enter the registry when they first suspend: a task running its
    // first run (the runtime is not quiescent) may still register, see
    // `closing` and cancel itself.
    while (!shared.registry.is_empty() || !deadlock::quiescent(shared)) && Instant::now() < deadline
    {
        if deadlock::quiescent(shared) && quiet_for(shared, Duration::from_millis(5)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    shared.stop_workers();
    shared.join_workers(Some(
        deadline.max(Instant::now() + Duration::from_millis(50)),
    ));
    clear_global(shared);
}

/// Waits for the tasks of `shared` to finish, then stops and joins its workers.
pub fn shutdown_graceful(shared: &Shared) {
    if shared.stop.load(SeqCst) {
        return;
    }
    loop {
        if shared.registry.is_empty() && deadlock::quiescent(shared) {
            break;
        }
        if deadlock::quiescent(shared) && quiet_for(shared, Duration::from_millis(10)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    shared.stop_workers();
    shared.join_workers(None);
    shared.blocking.shutdown();
    clear_global(shared);
}

/// Still quiescent after `d`, with no park or unpark in between.
fn quiet_for(shared: &Shared, d: Duration) -> bool {
    let g = shared.idle.generation();
    std::thread::sleep(d);
    deadlock::quiescent(shared) && shared.idle.generation() == g
}

fn cancel_all(shared: &Shared) {
    for t in shared.registry.snapshot() {
        // SAFETY: the snapshot retained each task.
        unsafe {
            wait::cancel(t);
            release(t);
        }
    }
}

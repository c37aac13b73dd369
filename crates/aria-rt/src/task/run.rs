//! One run of a task, and its completion.
//!
//! Invariants:
//! - [`run`] is called only by the thread that popped the task from a run
//!   queue (state `SCHEDULED`); [`run_direct`] only on an idle task it moved
//!   to `RUNNING` itself. While `RUNNING`, the thread-local *current task*
//!   is the task.
//! - A task cancelled before its first run never runs: its frame is dropped
//!   (`vtable.drop`) and it completes with `ERR_CANCELLED`.
//! - After `resume` returns pending, the thread's panic state (a task that
//!   suspends while unwinding) moves into the task and is restored before
//!   its next run; the pin request becomes the task's affinity; only then is
//!   the run ended ([`State::end_run`](super::state::State::end_run)), after
//!   which another thread may own the task.
//! - [`finish`]: a panic report is printed first (its chain of waiters read
//!   under the task's lock); then, under the lock, `COMPLETE` is published
//!   and every waiter is notified; after the lock callbacks run in
//!   registration order, and the run reference is dropped (last touch).

use std::ptr;

use super::lock::Guard;
use super::state::{CANCELLED, SPAWNED, STARTED};
use super::{
    callbacks, flags, registry, report, set_result, state, wait, Task, FLAG_REGISTERED,
    RESUME_PENDING,
};
use crate::layout::ERR_CANCELLED;
use crate::panic::{self, PanicInfo, PanicState};
use crate::sched::context;

/// Runs task `t`, which this thread popped from a run queue.
///
/// # Safety
/// `t` is live and `SCHEDULED`, owned by this thread's pop.
pub unsafe fn run(t: *mut Task) {
    // SAFETY: caller contract.
    unsafe {
        let prev = state(t).start_run();
        if prev & CANCELLED != 0 && prev & STARTED == 0 {
            ((*(*t).vtable).drop)(t);
            set_result(t, ERR_CANCELLED, 0);
            finish(t, None);
            return;
        }
        resume_running(t);
    }
}

/// Runs an idle task on this thread without a queue (`aria_scheduler_resume`).
/// False if the task was not idle (queued, running or complete).
///
/// # Safety
/// `t` is live; the caller holds a reference.
pub unsafe fn run_direct(t: *mut Task) -> bool {
    // SAFETY: caller contract.
    unsafe {
        if !state(t).try_start_direct() {
            return false;
        }
        resume_running(t);
        true
    }
}

/// Calls `resume` on a `RUNNING` task and handles the outcome.
unsafe fn resume_running(t: *mut Task) {
    // SAFETY: `t` is RUNNING on this thread (callers).
    unsafe {
        let saved = ptr::replace((*t).panic.get(), ptr::null_mut());
        if !saved.is_null() {
            panic::restore(*Box::from_raw(saved));
        }
        let outer = context::enter_task(t);
        let r = ((*(*t).vtable).resume)(t);
        context::leave_task(outer);
        if r != RESUME_PENDING {
            let report = if panic::is_panicking() {
                let info = panic::take().unwrap_or_default();
                let code = if info.code != 0 {
                    info.code
                } else {
                    *(*t).result_err.get()
                };
                set_result(t, code, 0);
                Some(PanicInfo { code, ..info })
            } else {
                // A recorded panic whose unwinding ended inside the task (not
                // expected from generated code): forget it.
                let _ = panic::save();
                None
            };
            finish(t, report);
        } else {
            suspend(t);
        }
    }
}

/// The run ended pending.
unsafe fn suspend(t: *mut Task) {
    // SAFETY: `t` is RUNNING on this thread until `end_run`.
    unsafe {
        let ps = panic::save();
        if ps != PanicState::default() {
            *(*t).panic.get() = Box::into_raw(Box::new(ps));
        }
        let pin = if *(*t).pin_request.get() != 0 {
            context::worker_index()
        } else {
            -1
        };
        (*t).pinned.store(pin, std::sync::atomic::Ordering::Relaxed);
        if state(t).end_run() {
            crate::sched::schedule_yield(t);
        }
    }
}

/// Completes running task `t` whose result is stored: notifies waiters,
/// prints the panic report `report` (if any), runs callbacks, unregisters
/// it and drops the run reference.
///
/// # Safety
/// `t` is `RUNNING` on this thread with its result stored.
pub unsafe fn finish(t: *mut Task, report: Option<PanicInfo>) {
    // SAFETY: caller contract; `t` stays alive through the run reference
    // (or, for a never-spawned task resumed directly, the caller's).
    unsafe {
        wait::ensure_unlinked(t);
        if let Some(info) = report {
            // Report before waking the waiters, so the report precedes what
            // they print about the failure.
            let chain = {
                let _g = Guard::new(&(*t).lock);
                report::chain_locked(t)
            };
            report::print_task_panic(&info, t, &chain);
        }
        let drain = {
            let _g = Guard::new(&(*t).lock);
            let prev = state(t).complete();
            debug_assert!(prev & super::state::COMPLETE == 0);
            let list = (*(*t).waiters.get()).take();
            wait::notify_all(t, list);
            callbacks::start_drain_locked(t)
        };
        if drain {
            callbacks::drain(t);
        }
        if flags(t) & FLAG_REGISTERED != 0 {
            registry::remove(t);
        }
        if state(t).load() & SPAWNED != 0 {
            super::release(t);
        }
    }
}

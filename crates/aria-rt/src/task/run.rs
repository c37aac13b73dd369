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
//! - [`start_inline`] (`await f(x)`'s fast path) runs a new, never spawned
//!   task's first run nested in the awaiting task's run, on its thread:
//!   idle → `RUNNING` by [`State::start_unshared`] (nobody else knows the
//!   task yet). Completing there, it was never seen by another thread (it
//!   never waited on anything; its only handle is its awaiter's) nor
//!   attached to the runtime (no run reference, not registered): its report
//!   is printed and `COMPLETE` stored ([`State::complete_unshared`]), with
//!   no waiter or callback to notify. Suspending, it is attached (runtime,
//!   run reference, registry, cancelled if the runtime is closing) *before*
//!   [`State::end_run`], so from then on it is exactly a spawned task that
//!   suspended in its first run: the wake that ends its wait schedules it
//!   once. While it runs inline, its `inline_parent` is the awaiting task,
//!   which reports follow as its first waiter.
//!
//! [`State::start_unshared`]: super::state::State::start_unshared
//! [`State::complete_unshared`]: super::state::State::complete_unshared
//! [`State::end_run`]: super::state::State::end_run

use std::ptr;
use std::sync::atomic::Ordering::{Acquire, Relaxed};

use super::lock::Guard;
use super::state::{CANCELLED, SPAWNED, STARTED};
use super::{
    callbacks, flags, registry, report, set_result, state, wait, Task, FLAG_C_FRAME, FLAG_NUMBERED,
    FLAG_REGISTERED, RESUME_PENDING,
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
            let report = completion_report(t);
            finish(t, report);
        } else {
            suspend(t);
        }
    }
}

/// After `resume` returned complete: a panic ending the task becomes its
/// result and the report to print; the thread's panic state is cleared.
unsafe fn completion_report(t: *mut Task) -> Option<PanicInfo> {
    // SAFETY: `t` is RUNNING on this thread (callers).
    unsafe {
        if panic::is_panicking() {
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
        }
    }
}

/// `aria_task_start_inline`: runs the first run of task `t` — new, never
/// spawned, awaited next by the task running on this thread — right here,
/// nested in the current run, when this thread may (a worker core, a
/// current task that is not cancelled, less than
/// [`MAX_INLINE_DEPTH`](context::MAX_INLINE_DEPTH) inline runs deep, a
/// runtime that is not closing); otherwise spawns it. Returns 1 when `t`
/// completed here, else 0 (suspended, or spawned, or already spawned).
///
/// # Safety
/// `t` is live; the caller holds a reference and is the only holder.
pub unsafe fn start_inline(t: *mut Task) -> i32 {
    // SAFETY: caller contract; see the module invariants.
    unsafe {
        let host = context::inline_host();
        let Some((parent, shared)) = host.filter(|&(parent, shared)| {
            state(t).load() == 0
                && !state(parent).is_cancelled()
                && !(*shared).closing.load(Acquire)
        }) else {
            // (Spawning an already spawned task does nothing.)
            crate::sched::spawn(t);
            return 0;
        };
        state(t).start_unshared();
        (*t).inline_parent.store(parent, Relaxed);
        // The awaiting task is not unwinding (an await is never reached in
        // cleanup code), but keep whatever it recorded out of the child's run.
        let outer_panic = panic::save();
        let outer = context::enter_inline(t);
        let r = ((*(*t).vtable).resume)(t);
        context::leave_inline(outer);
        let done = if r != RESUME_PENDING {
            let report = completion_report(t);
            finish_unshared(t, report);
            (*t).inline_parent.store(ptr::null_mut(), Relaxed);
            1
        } else {
            attach_suspended(&*shared, t);
            {
                // A report walking from what `t` waits for may read the link.
                let _g = Guard::new(&(*t).lock);
                (*t).inline_parent.store(ptr::null_mut(), Relaxed);
            }
            suspend(t);
            0
        };
        panic::restore(outer_panic);
        done
    }
}

/// [`finish`] for a task that completed in its inline first run, which no
/// other thread can have seen: it never suspended, so it never waited on
/// anything (no waiter list links to it), and its only handle is its
/// awaiter's (nobody else can wait for it or register callbacks). It was
/// never attached (no registry entry, no run reference). So only the
/// report and `COMPLETE` remain.
///
/// # Safety
/// `t` is `RUNNING` on this thread with its result stored, as stated.
unsafe fn finish_unshared(t: *mut Task, report: Option<PanicInfo>) {
    // SAFETY: caller contract.
    unsafe {
        debug_assert!((*(*t).waiters.get()).head.is_null());
        debug_assert!((*(*t).callbacks.get()).is_null());
        debug_assert!(state(t).load() & SPAWNED == 0);
        if let Some(info) = report {
            let chain = {
                let _g = Guard::new(&(*t).lock);
                report::chain_locked(t)
            };
            report::print_task_panic(&info, t, &chain);
        }
        state(t).complete_unshared();
    }
}

/// Hands task `t`, which is `RUNNING` on this thread at the end of its
/// first (inline) run, to runtime `shared` as [`crate::sched::attach`] does
/// for a task spawned before running: runtime pointer, run reference,
/// registry, `SPAWNED`. A runtime closing meanwhile cancels it the way
/// shutdown cancels a suspended task (claiming its wait, so the wake
/// requeues it when its run ends).
unsafe fn attach_suspended(shared: &crate::sched::Shared, t: *mut Task) {
    // SAFETY: `t` is RUNNING on this thread, not yet known to the runtime.
    unsafe {
        *(*t).sched.get() = shared;
        super::retain(t);
        if flags(t) & (FLAG_NUMBERED | FLAG_C_FRAME) != 0 {
            *(*t).flags.get() |= FLAG_REGISTERED;
            shared.registry.insert(t);
        }
        let prev = state(t).mark_spawned();
        debug_assert!(prev & SPAWNED == 0, "inline task was spawned");
        if shared.closing.load(Acquire) {
            wait::cancel(t);
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

//! One run of a task, and its completion.
//!
//! Invariants:
//! - [`run`] is called only by the thread that popped the task from a run
//!   queue (state `SCHEDULED`); [`run_direct`] only on an idle task it moved
//!   to `RUNNING` itself. While `RUNNING`, the thread-local *current task*
//!   is the task.
//! - A task cancelled before its first run never runs: its frame is dropped
//!   (`vtable.drop`) and it completes with `ERR_CANCELLED`. So does an Aria
//!   task or C frame whose first run would start while its runtime shuts
//!   down for exit (`closing`).
//! - An Aria task or C frame enters its runtime's registry when a run of it
//!   first ends pending (before [`State::end_run`](super::state::State::end_run)),
//!   and leaves it at completion: a task that completes in its first run
//!   never touches the registry. Shutdown for exit finds the others: the
//!   queued ones not yet started (by the rule above), the running ones (it
//!   waits for the runtime to go quiet; they register, see `closing` and
//!   cancel themselves), the suspended ones (registered).
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
//!   run reference; then registered, cancelled if the runtime is closing) *before*
//!   [`State::end_run`], so from then on it is exactly a spawned task that
//!   suspended in its first run: the wake that ends its wait schedules it
//!   once. While it runs inline, its `inline_parent` is the awaiting task,
//!   which reports follow as its first waiter.
//!
//! [`State::start_unshared`]: super::state::State::start_unshared
//! [`State::complete_unshared`]: super::state::State::complete_unshared
//! [`State::end_run`]: super::state::State::end_run

use std::ptr;
use std::sync::atomic::Ordering::Acquire;

use super::lock::Guard;
use super::state::{CANCELLED, SPAWNED, STARTED};
use super::{
    callbacks, extra, extra_or_new, flags, is_registered, registry, report, runner_bits,
    set_inline_parent, set_result, set_runner_bits, state, wait, Task, FLAG_REGISTRABLE,
    RESUME_PENDING, RUNNER_PIN_REQUEST, RUNNER_REGISTERED, RUNNER_YIELD,
};
use crate::layout::ERR_CANCELLED;
use crate::panic::{self, PanicInfo};
use crate::sched::context;

/// Runs task `t`, which this thread popped from a run queue.
///
/// # Safety
/// `t` is live and `SCHEDULED`, owned by this thread's pop.
pub unsafe fn run(t: *mut Task) {
    // SAFETY: caller contract.
    unsafe {
        let prev = state(t).start_run();
        if prev & STARTED == 0 && (prev & CANCELLED != 0 || closing_unregistered(t)) {
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

/// A registrable task about to start its first run while its runtime shuts
/// down for exit: shutdown cancels the tasks of the registry, which this
/// one never entered (it enters when it first suspends), so it is
/// cancelled here, before its first run, as if shutdown had found it.
///
/// # Safety
/// `t` is live and `RUNNING` on this thread, not yet started.
#[inline]
unsafe fn closing_unregistered(t: *mut Task) -> bool {
    // SAFETY: caller contract; a started task's runtime outlives it.
    unsafe {
        let shared = *(*t).sched.get();
        flags(t) & FLAG_REGISTRABLE != 0 && !shared.is_null() && (*shared).closing.load(Acquire)
    }
}

/// Calls `resume` on a `RUNNING` task and handles the outcome.
unsafe fn resume_running(t: *mut Task) {
    // SAFETY: `t` is RUNNING on this thread (callers).
    unsafe {
        let x = extra(t);
        if !x.is_null() {
            let saved = ptr::replace((*x).panic.get(), ptr::null_mut());
            if !saved.is_null() {
                panic::restore(*Box::from_raw(saved));
            }
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
            if !panic::is_clear() {
                let _ = panic::save();
            }
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
        set_inline_parent(t, parent);
        // The awaiting task is not unwinding (an await is never reached in
        // cleanup code), but keep whatever it recorded out of the child's run.
        let outer_panic = (!panic::is_clear()).then(panic::save);
        let outer = context::enter_inline(t);
        let r = ((*(*t).vtable).resume)(t);
        context::leave_inline(outer);
        let done = if r != RESUME_PENDING {
            let report = completion_report(t);
            finish_unshared(t, report);
            set_inline_parent(t, ptr::null_mut());
            1
        } else {
            {
                // A report walking from what `t` waits for may read the link.
                let _g = Guard::new(&(*t).lock);
                set_inline_parent(t, ptr::null_mut());
            }
            attach_suspended(&*shared, t);
            suspend(t);
            0
        };
        // The child's run left the thread's state clear (its completion
        // took a panic, its suspension saved it into the child).
        if let Some(p) = outer_panic {
            panic::restore(p);
        }
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
        debug_assert!(extra(t).is_null());
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
/// `SPAWNED` ([`suspend`] then registers it).
unsafe fn attach_suspended(shared: &crate::sched::Shared, t: *mut Task) {
    // SAFETY: `t` is RUNNING on this thread, not yet known to the runtime.
    unsafe {
        *(*t).sched.get() = shared;
        super::retain(t);
        let prev = state(t).mark_spawned();
        debug_assert!(prev & SPAWNED == 0, "inline task was spawned");
    }
}

/// The first suspension of a registrable task: it enters its runtime's
/// registry (where shutdown finds it). A runtime closing meanwhile cancels
/// it the way shutdown cancels a suspended task (claiming its wait, so the
/// wake requeues it when its run ends): shutdown sets `closing` before it
/// walks the registry, and the registry's lock orders that walk with the
/// insertion here, so either the walk sees the task or this load sees
/// `closing` (or both: cancelling is idempotent).
///
/// # Safety
/// `t` is `RUNNING` on this thread, attached, not registered.
#[cold]
unsafe fn register(t: *mut Task) {
    // SAFETY: caller contract; the runtime of an attached task outlives it.
    unsafe {
        let shared = &*(*(*t).sched.get());
        set_runner_bits(t, RUNNER_REGISTERED, true);
        shared.registry.insert(t);
        if shared.closing.load(Acquire) {
            wait::cancel(t);
        }
    }
}

/// The run ended pending.
unsafe fn suspend(t: *mut Task) {
    // SAFETY: `t` is RUNNING on this thread until `end_run`.
    unsafe {
        let bits = runner_bits(t);
        if bits & RUNNER_REGISTERED == 0 && flags(t) & FLAG_REGISTRABLE != 0 {
            register(t);
        }
        if !panic::is_clear() {
            let ps = panic::save();
            *(*extra_or_new(t)).panic.get() = Box::into_raw(Box::new(ps));
        }
        let pin = if bits & RUNNER_PIN_REQUEST != 0 {
            context::worker_index() as i16
        } else {
            -1
        };
        (*t).pinned.store(pin, std::sync::atomic::Ordering::Relaxed);
        let requeue = if bits & RUNNER_YIELD != 0 {
            set_runner_bits(t, RUNNER_YIELD, false);
            state(t).end_run_yield();
            true
        } else {
            state(t).end_run()
        };
        if requeue {
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
        if is_registered(t) {
            registry::remove(t);
        }
        if state(t).load() & SPAWNED != 0 {
            super::release(t);
        }
    }
}

//! The per-thread scheduler context.
//!
//! Invariants:
//! - `shared` is set for the whole life of a worker thread (and of a thread
//!   that gave its core away to a substitute, until it exits); it is null
//!   on every other thread.
//! - `core` is non-null exactly while this thread owns a worker core. It is
//!   only dereferenced for short, non-overlapping borrows (no borrow is held
//!   across a task's `resume`), so a task that wakes or spawns from inside
//!   its run can reach the same core.
//! - `current` is the task whose `resume` this thread is executing (null
//!   between runs); `budget` counts the awaits of already-complete tasks
//!   that the current run may still take without yielding.
//! - A task run inline (`aria_task_start_inline`) is nested inside its
//!   awaiting task's run: `current` is the child for the nested `resume`
//!   and the parent again after it; the budget is the run's, shared by the
//!   nested tasks (the thread has not been back to the scheduler); `inline`
//!   counts the nested inline runs on this thread's stack.

use std::cell::Cell;
use std::ptr;

use super::worker::Core;
use super::Shared;
use crate::task::Task;

/// Awaits of complete tasks a run may take before it yields (Tokio's budget).
pub const BUDGET: u32 = 128;

/// Inline runs nested on one thread's stack before `aria_task_start_inline`
/// falls back to a spawn (deep `await f(n - 1)` recursion must not
/// overflow the worker's stack).
pub const MAX_INLINE_DEPTH: u32 = 32;

struct Ctx {
    shared: Cell<*const Shared>,
    core: Cell<*mut Core>,
    current: Cell<*mut Task>,
    budget: Cell<u32>,
    inline: Cell<u32>,
}

thread_local! {
    static CTX: Ctx = const {
        Ctx {
            shared: Cell::new(ptr::null()),
            core: Cell::new(ptr::null_mut()),
            current: Cell::new(ptr::null_mut()),
            budget: Cell::new(BUDGET),
            inline: Cell::new(0),
        }
    };
}

/// Sets the runtime of this (worker) thread.
pub(crate) fn set_shared(s: *const Shared) {
    CTX.with(|c| c.shared.set(s));
}

/// The runtime this thread works for (null if not a worker thread).
#[inline]
pub(crate) fn shared() -> *const Shared {
    CTX.try_with(|c| c.shared.get()).unwrap_or(ptr::null())
}

/// This thread's runtime and core (see [`shared`], [`core`]) in one look-up.
#[inline]
pub(crate) fn shared_and_core() -> (*const Shared, *mut Core) {
    CTX.try_with(|c| (c.shared.get(), c.core.get()))
        .unwrap_or((ptr::null(), ptr::null_mut()))
}

#[inline]
pub(crate) fn core() -> *mut Core {
    CTX.try_with(|c| c.core.get()).unwrap_or(ptr::null_mut())
}

pub(crate) fn set_core(core: *mut Core) {
    CTX.with(|c| c.core.set(core));
}

/// Takes this thread's core (leaving none).
pub(crate) fn take_core() -> *mut Core {
    CTX.with(|c| c.core.replace(ptr::null_mut()))
}

/// Is this thread a worker holding a core (able to run tasks inline)?
#[inline]
pub fn on_worker() -> bool {
    !core().is_null()
}

/// The index of this thread's core, or -1.
pub fn worker_index() -> i32 {
    let c = core();
    if c.is_null() {
        -1
    } else {
        // SAFETY: a non-null core belongs to this thread (module invariant).
        unsafe { (*c).index as i32 }
    }
}

/// Marks `t` as this thread's current task and refills the budget; returns
/// the previous current task (for nesting).
#[inline]
pub(crate) fn enter_task(t: *mut Task) -> *mut Task {
    CTX.with(|c| {
        c.budget.set(BUDGET);
        c.current.replace(t)
    })
}

#[inline]
pub(crate) fn leave_task(outer: *mut Task) {
    CTX.with(|c| c.current.set(outer));
}

/// If this thread may run a task inline now — it holds a worker core of
/// a runtime, runs a task, and is less than [`MAX_INLINE_DEPTH`] inline
/// runs deep — the current task and the runtime.
#[inline]
pub(crate) fn inline_host() -> Option<(*mut Task, *const Shared)> {
    CTX.try_with(|c| {
        let cur = c.current.get();
        if cur.is_null() || c.core.get().is_null() || c.inline.get() >= MAX_INLINE_DEPTH {
            return None;
        }
        Some((cur, c.shared.get()))
    })
    .ok()
    .flatten()
}

/// Enters the inline run of `t` nested in the current run: `t` becomes the
/// current task, the budget stays the run's. Returns the outer task.
#[inline]
pub(crate) fn enter_inline(t: *mut Task) -> *mut Task {
    CTX.with(|c| {
        c.inline.set(c.inline.get() + 1);
        c.current.replace(t)
    })
}

/// Inline runs nested on this thread's stack now.
#[cfg(all(test, not(loom)))]
pub(crate) fn inline_depth() -> u32 {
    CTX.with(|c| c.inline.get())
}

/// Ends the inline run entered by [`enter_inline`].
#[inline]
pub(crate) fn leave_inline(outer: *mut Task) {
    CTX.with(|c| {
        c.inline.set(c.inline.get() - 1);
        c.current.set(outer);
    });
}

/// The task this thread is running (null if none).
#[inline]
pub fn current_task() -> *mut Task {
    CTX.try_with(|c| c.current.get()).unwrap_or(ptr::null_mut())
}

/// Takes one unit of budget; false when the run must yield.
#[inline]
pub(crate) fn consume_budget() -> bool {
    CTX.with(|c| {
        let b = c.budget.get();
        if b == 0 {
            false
        } else {
            c.budget.set(b - 1);
            true
        }
    })
}

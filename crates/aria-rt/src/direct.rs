//! Awaiting a built-in operation without a task (docs/RUNTIME_ABI.md,
//! "Awaiting without a task"; DECISIONS #37): the sentinels that the
//! `aria_*_try_*` and `aria_*_finish_*` calls of channels ([`crate::chan`]),
//! sockets ([`crate::net`]) and `sleep` ([`crate::asynclib`]) answer with,
//! and the checks they share.
//!
//! An `await` of such an operation (the operand is the call itself) calls
//! its try function, which either completes it at once ([`at_once`]: one
//! unit of the run's budget), makes the awaiting task its waiter
//! ([`TRY_WAIT`]: the task publishes a `WAIT_NATIVE` wait before its node
//! is visible, suspends, and the finish function ends the wait after the
//! wake), hands back a built-in task ([`TRY_TASK`]: no task runs on this
//! thread, or the budget ran out), or does nothing because the task must
//! stop ([`TRY_CANCELLED`], [`must_stop`]). The code generator mirrors the
//! sentinels (`aria_mir::mir::TRY_*`).

use crate::asynclib::ready;
use crate::task::{state, Task};
use crate::AriaResult;

/// `err` of the `aria_*_try_*` calls: the operation did not complete here;
/// `val` is its built-in task (owned), exactly what the plain call
/// (`aria_chan_recv`...) would have returned: await it.
pub const TRY_TASK: i64 = i64::MIN;
/// `err` of the `aria_*_try_*` and `aria_*_finish_*` calls: the awaiting
/// task has a pending cancellation request (or the runtime is closing for
/// exit); the operation did not happen and the `await` must stop now, as
/// when `aria_task_cancelled` returns 1 after it.
pub const TRY_CANCELLED: i64 = i64::MIN + 1;
/// `err` of the `aria_*_try_*` calls: the awaiting task now waits for the
/// operation, `val` (its block): the task suspends, and when resumed calls
/// the operation's `aria_*_finish_*(val, task)` for the `{err, val}` of the
/// await (or `TRY_CANCELLED`).
pub const TRY_WAIT: i64 = i64::MIN + 2;

/// The shape every `aria_*_try_*` call shares: `{TRY_CANCELLED, 0}`, with
/// nothing done, when the task running the `await` must stop
/// ([`must_stop`]); `{TRY_TASK, plain()}` (the operation's built-in task)
/// when no task runs on this thread; else `direct(current task)`.
pub(crate) fn try_op(
    direct: impl FnOnce(*mut Task) -> AriaResult,
    plain: impl FnOnce() -> *mut Task,
) -> AriaResult {
    let cur = crate::sched::context::current_task();
    if cur.is_null() {
        return AriaResult {
            err: TRY_TASK,
            val: plain() as i64,
        };
    }
    // SAFETY: the current task is live while it runs.
    if unsafe { must_stop(cur) } {
        return AriaResult::err(TRY_CANCELLED);
    }
    direct(cur)
}

/// Must running task `t` stop at its await: a pending cancellation
/// request, or its runtime closing for exit (what `aria_task_cancelled`
/// honours after any await)?
///
/// # Safety
/// `t` is live.
pub(crate) unsafe fn must_stop(t: *mut Task) -> bool {
    // SAFETY: caller contract; a task's runtime outlives it.
    unsafe {
        if state(t).is_cancelled() {
            return true;
        }
        let shared = (*t).sched.get().read();
        !shared.is_null() && (*shared).closing.load(std::sync::atomic::Ordering::Acquire)
    }
}

/// `{err, 0}` of an operation completed at once by an `await` that takes
/// one unit of cooperative budget for it, as `aria_task_await` does for a
/// complete task; out of budget: `{TRY_TASK, a complete task}`, whose
/// await then yields, exactly as on the task path.
pub(crate) fn at_once(err: i64, val: i64, managed: bool) -> AriaResult {
    if crate::sched::context::consume_budget() {
        AriaResult { err, val }
    } else {
        AriaResult {
            err: TRY_TASK,
            val: ready(err, val, managed) as i64,
        }
    }
}

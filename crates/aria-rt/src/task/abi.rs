//! The task functions called by generated code (docs/RUNTIME_ABI.md, "Tasks
//! and the scheduler"). All take borrowed task pointers and return owned
//! results, like the rest of the runtime ABI.

use std::sync::OnceLock;

use super::state::{COMPLETE, DETACHED};
use super::wait;
use super::{
    alloc_task, flags, next_id, result, state, Task, TaskVTable, FLAG_NUMBERED, FLAG_RESULT_MANAGED,
};
use crate::layout::{ERR_CANCELLED, IMMORTAL_RC, PANIC_DETACHED};
use crate::sched::context;
use crate::AriaResult;

/// A new Aria task for `vtable`: numbered (ids count from 1 in creation
/// order), frame zeroed, not yet queued. Returns +1 for the caller.
///
/// # Safety
/// `vtable` points to a static, valid task vtable.
#[no_mangle]
pub unsafe extern "C" fn aria_task_new(vtable: *const TaskVTable) -> *mut Task {
    // SAFETY: caller contract.
    let vt: &'static TaskVTable = unsafe { &*vtable };
    alloc_task(vt, FLAG_NUMBERED, next_id())
}

/// Queues a new task (the eager start of an async call): on this worker's
/// queue, or the global injector from other threads. The scheduler starts
/// on first use. The caller keeps its reference.
///
/// # Safety
/// `task` came from `aria_task_new`, is initialised, and was never spawned.
#[no_mangle]
pub unsafe extern "C" fn aria_task_spawn(task: *mut Task) {
    // SAFETY: caller contract.
    unsafe { crate::sched::spawn_new(task) }
}

/// The fast path of `await f(x)` on a direct call of an async function: the
/// task came from `f`'s no-spawn ramp (`aria_task_new`, frame initialised,
/// not spawned) and is awaited right after this call. Runs its first run
/// inline on this thread, nested in the awaiting task's run; if it
/// suspends there it becomes an ordinary suspended task of the scheduler.
/// Falls back to `aria_task_spawn` when not inside a task on a worker, when
/// the awaiting task is cancelled, or beyond a nesting depth. Returns 1 when
/// the task completed here, else 0; either way, continue with the await
/// (`aria_task_await` does not suspend on a completed task).
///
/// # Safety
/// `task` came from `aria_task_new`, is initialised, was never spawned, and
/// the caller (the awaiting task's frame) holds the only reference.
#[no_mangle]
pub unsafe extern "C" fn aria_task_start_inline(task: *mut Task) -> i32 {
    // SAFETY: caller contract.
    unsafe { super::run::start_inline(task) }
}

/// `await target` inside the task `current` (which is running this code).
/// 1: do not suspend — `target` is complete (or `current` is cancelled, or
/// `target` is detached); continue with `aria_task_cancelled` and
/// `aria_task_result`. 0: `current` is registered and will be woken exactly
/// once; store the resume state and return 0 from `resume`.
///
/// # Safety
/// `current` is the running task; `target` is a live task that the frame
/// keeps referenced until after `aria_task_result`.
#[no_mangle]
pub unsafe extern "C" fn aria_task_await(current: *mut Task, target: *mut Task) -> i32 {
    // SAFETY: caller contract.
    unsafe {
        if target == yield_task() {
            if state(current).load() & super::state::CANCELLED != 0 {
                return 1;
            }
            super::request_yield(current);
            return 0;
        }
        let s = state(target).load();
        if s & (COMPLETE | DETACHED) != 0 {
            if context::consume_budget() {
                return 1;
            }
            // Out of budget: yield before continuing.
            super::request_yield(current);
            return 0;
        }
        if wait::register(current, target) {
            1
        } else {
            0
        }
    }
}

/// The result of `target` after an `await` (or `.await()`): `{err, val}`,
/// `val` retained when managed. A detached `target` panics (-107); an
/// incomplete one (the awaiting task was cancelled) gives `ERR_CANCELLED`.
///
/// # Safety
/// `target` is a live task.
#[no_mangle]
pub unsafe extern "C" fn aria_task_result(target: *mut Task) -> AriaResult {
    // SAFETY: caller contract.
    unsafe { take_result(target) }
}

/// `{err, val}` of a task for an awaiter (see [`aria_task_result`]).
///
/// # Safety
/// `t` is a live task.
pub unsafe fn take_result(t: *mut Task) -> AriaResult {
    // SAFETY: caller contract.
    unsafe {
        if t == yield_task() {
            return AriaResult::ok(0);
        }
        let s = state(t).load();
        if s & DETACHED != 0 {
            let msg = format!("await on detached task #{}", (*t).id);
            return AriaResult::err(crate::panic::raise(PANIC_DETACHED, msg.as_bytes()));
        }
        if s & COMPLETE == 0 {
            return AriaResult::err(ERR_CANCELLED);
        }
        let (err, val) = result(t);
        if err == 0 && flags(t) & FLAG_RESULT_MANAGED != 0 {
            crate::object::aria_retain(val as *mut u8);
        }
        AriaResult { err, val }
    }
}

/// 1 if cancellation of `current` was requested: the generated code then
/// runs its active defers and completes with `ERR_CANCELLED`. Called after
/// every resumption at an await (and after an await that did not suspend).
///
/// # Safety
/// `current` is the running task.
#[no_mangle]
pub unsafe extern "C" fn aria_task_cancelled(current: *mut Task) -> i8 {
    // SAFETY: caller contract.
    unsafe {
        if state(current).load() & super::state::CANCELLED != 0 {
            wait::ensure_unlinked(current);
            1
        } else {
            // At exit every incomplete task is cancelled (LANGUAGE.md §7.9):
            // a task resumed because a built-in task it awaited was cancelled
            // first must stop here too, not continue with that failure.
            i8::from(runtime_closing(current))
        }
    }
}

/// Is the runtime of `t` shutting down for exit?
///
/// # Safety
/// `t` is a live task.
unsafe fn runtime_closing(t: *mut Task) -> bool {
    // SAFETY: caller contract; a task's runtime outlives it.
    unsafe {
        let shared = (*t).sched.get().read();
        !shared.is_null() && (*shared).closing.load(std::sync::atomic::Ordering::Acquire)
    }
}

/// Wild affinity: `pinned != 0` pins `current` to the worker running it for
/// its next suspension; `0` unpins. Call before returning 0 from `resume`.
///
/// # Safety
/// `current` is the running task.
#[no_mangle]
pub unsafe extern "C" fn aria_task_pin(current: *mut Task, pinned: i8) {
    // SAFETY: caller contract: runner-only field.
    unsafe { super::set_runner_bits(current, super::RUNNER_PIN_REQUEST, pinned != 0) }
}

/// `t.await()` from synchronous code: blocks this thread (parked, no
/// spinning) until `t` completes and returns `aria_task_result(t)`. On a
/// worker thread a substitute worker takes over while it blocks.
///
/// # Safety
/// `task` is a live task.
#[no_mangle]
pub unsafe extern "C" fn aria_task_block_on(task: *mut Task) -> AriaResult {
    // SAFETY: caller contract.
    unsafe { crate::sched::block_on::block_on(task) }
}

/// `t.done()`: 1 once `t` completed in any way.
///
/// # Safety
/// `task` is a live task.
#[no_mangle]
pub unsafe extern "C" fn aria_task_done(task: *mut Task) -> i8 {
    // SAFETY: caller contract.
    unsafe { i8::from(state(task).is_complete()) }
}

/// `t.cancel()`: requests cancellation (no effect once complete).
///
/// # Safety
/// `task` is a live task.
#[no_mangle]
pub unsafe extern "C" fn aria_task_cancel(task: *mut Task) {
    // SAFETY: caller contract.
    unsafe { wait::cancel(task) }
}

/// `t.detach()`: nobody will await `t`; awaiting it later panics (-107).
/// Its result is released with the task.
///
/// # Safety
/// `task` is a live task.
#[no_mangle]
pub unsafe extern "C" fn aria_task_detach(task: *mut Task) {
    // SAFETY: caller contract.
    unsafe {
        if task != yield_task() {
            state(task).detach();
        }
    }
}

/// `t.then(callback)`: see [`super::callbacks`]. `closure` is borrowed.
///
/// # Safety
/// `task` is a live task, `closure` a live closure object.
#[no_mangle]
pub unsafe extern "C" fn aria_task_then(task: *mut Task, closure: *mut u8) {
    // SAFETY: caller contract.
    unsafe { super::callbacks::then(task, closure) }
}

// ---- the yield sentinel ----------------------------------------------------------------

struct YieldTask;
impl super::native::Native for YieldTask {
    const NAME: &'static std::ffi::CStr = c"yield_now";
    unsafe fn resume(_this: *mut Self, _task: *mut Task) -> Option<(i64, i64)> {
        Some((0, 0))
    }
}

static YIELD: OnceLock<usize> = OnceLock::new();

/// The immortal task returned by `yield_now()` (and `sleep(ms <= 0)`): it is
/// complete, and awaiting it requeues the awaiting task behind the other
/// runnable tasks instead of continuing.
pub fn yield_task() -> *mut Task {
    *YIELD.get_or_init(|| {
        let t = super::native::new_task(YieldTask, false, false);
        // SAFETY: fresh task, not shared yet.
        unsafe {
            (*t).rc
                .store(IMMORTAL_RC, std::sync::atomic::Ordering::Relaxed);
            super::set_result(t, 0, 0);
            state(t).complete();
        }
        t as usize
    }) as *mut Task
}

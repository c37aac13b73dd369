//! Completion callbacks: `t.then(callback)` (LANGUAGE.md §7.5).
//!
//! A callback is an Aria closure object (RUNTIME_ABI.md) whose function is
//! called as `fn(env = closure, err: i64, val: i64) -> (i64, i8)`: the task's
//! result, a managed `val` retained for the call (Aria functions own their
//! arguments; the task keeps its own reference), as a plain synchronous
//! call on the thread that drains the queue. Its returned error is ignored;
//! a panic in it is reported (`  in callback of task #ID NAME`) and cleared.
//!
//! The queue hangs from the task's [`Extra`](super::Extra) part (made by
//! the first `then`). Invariants (all under the task's lock):
//! - each queued closure holds one reference, dropped after its call;
//! - `running` is true while exactly one thread drains the queue, so callbacks
//!   run one after another in registration order, even when some are
//!   registered after completion from other threads;
//! - before completion nothing drains; completion starts the drain on the
//!   completing thread; a registration after completion starts one if none
//!   is running — inline on a worker thread, else on a worker through a
//!   built-in task.

use std::collections::VecDeque;
use std::ptr;

use super::lock::Guard;
use super::state::COMPLETE;
use super::{describe, extra, extra_or_new, result, retain, state, Task};
use crate::panic;
use crate::AriaResult;

/// The callback queue of one task.
pub struct Callbacks {
    queue: VecDeque<*mut u8>,
    running: bool,
}

/// The machine signature of a callback's function.
pub type CallbackFn = unsafe extern "C" fn(env: *mut u8, err: i64, val: i64) -> AriaResult;

/// Registers `closure` (borrowed; retained here) to run once `t` completes.
///
/// # Safety
/// `t` is a live task and `closure` a live closure object.
pub unsafe fn then(t: *mut Task, closure: *mut u8) {
    // SAFETY: caller contract.
    unsafe {
        crate::object::aria_retain(closure);
        let x = extra_or_new(t);
        let start = {
            let _g = Guard::new(&(*t).lock);
            let slot = (*x).callbacks.get();
            if (*slot).is_null() {
                *slot = Box::into_raw(Box::new(Callbacks {
                    queue: VecDeque::new(),
                    running: false,
                }));
            }
            let cbs = &mut **slot;
            cbs.queue.push_back(closure);
            if state(t).load() & COMPLETE != 0 && !cbs.running {
                cbs.running = true;
                true
            } else {
                false
            }
        };
        if start {
            if crate::sched::context::on_worker() {
                drain(t);
            } else {
                retain(t);
                crate::asynclib::spawn_callback_runner(t);
            }
        }
    }
}

/// With `t`'s lock held at completion: true (and `running` set) when there
/// are callbacks to drain.
///
/// # Safety
/// `t` is live and its lock is held by the caller.
pub unsafe fn start_drain_locked(t: *mut Task) -> bool {
    // SAFETY: caller contract.
    unsafe {
        let x = extra(t);
        if x.is_null() {
            return false;
        }
        let cbs = *(*x).callbacks.get();
        if cbs.is_null() || (*cbs).queue.is_empty() || (*cbs).running {
            return false;
        }
        (*cbs).running = true;
        true
    }
}

/// Runs queued callbacks until the queue is empty (this thread set `running`).
///
/// # Safety
/// `t` is live and complete; the caller set `running`.
pub unsafe fn drain(t: *mut Task) {
    // SAFETY: caller contract.
    unsafe {
        let (err, val) = result(t);
        loop {
            let closure = {
                let _g = Guard::new(&(*t).lock);
                let cbs = &mut **(*extra(t)).callbacks.get();
                match cbs.queue.pop_front() {
                    Some(c) => c,
                    None => {
                        cbs.running = false;
                        return;
                    }
                }
            };
            call(t, closure, err, val);
            crate::object::aria_release(closure);
        }
    }
}

/// Calls one callback and reports a panic it raised.
unsafe fn call(t: *mut Task, closure: *mut u8, err: i64, val: i64) {
    // SAFETY: `closure` is a live closure object (queued with a reference).
    unsafe {
        let f = crate::object::read_i64(closure, crate::layout::CLOSURE_FNPTR_OFFSET);
        if f == 0 {
            return;
        }
        let f: CallbackFn = std::mem::transmute::<usize, CallbackFn>(f as usize);
        let outer_panic = panic::save();
        // Aria functions own their arguments (RUNTIME_ABI.md): the callback
        // releases a managed `val`, so it gets its own reference.
        if err == 0 && super::flags(t) & super::FLAG_RESULT_MANAGED != 0 {
            crate::object::aria_retain(val as *mut u8);
        }
        let _ = f(closure, err, val);
        if panic::is_panicking() {
            let info = panic::take().unwrap_or_default();
            super::report::print_lines(&info, &[format!("  in callback of task {}", describe(t))]);
        } else {
            let _ = panic::save();
        }
        panic::restore(outer_panic);
    }
}

/// Releases the callbacks never run (task destroyed) and frees the queue.
///
/// # Safety
/// Exclusive access to `t` (its destructor).
pub unsafe fn free(t: *mut Task) {
    // SAFETY: caller contract.
    unsafe {
        let x = extra(t);
        if x.is_null() {
            return;
        }
        let cbs = ptr::replace((*x).callbacks.get(), ptr::null_mut());
        if cbs.is_null() {
            return;
        }
        let cbs = Box::from_raw(cbs);
        for c in cbs.queue {
            crate::object::aria_release(c);
        }
    }
}

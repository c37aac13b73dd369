//! `.await()` from synchronous code: the calling thread blocks until the
//! task completes (LANGUAGE.md §7.4).
//!
//! The thread links a node living on its stack into the task's waiter list
//! and parks (`std::thread::park`, no spinning) until the node's `done` flag
//! is set by the completion.
//!
//! Invariants:
//! - The completion sets `done` and unparks under the task's lock, having
//!   cloned the `Thread` handle first, so it never touches the node after
//!   the waiting thread can observe `done` and return.
//! - On a worker thread the core is handed to a new substitute thread
//!   before blocking, so the runtime keeps N running workers; after the
//!   wait this thread finishes the task it was running, without a core, and
//!   then exits.
//! - On the program's main thread with deadlock detection enabled, the
//!   thread is a *watcher*: it is unparked whenever the last worker parks
//!   and then checks for a deadlock ([`super::deadlock`]).

use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::OnceLock;
use std::thread::{Thread, ThreadId};

use super::{arc_of, context, deadlock, lock, Shared};
use crate::task::abi::{take_result, yield_task};
use crate::task::state::{COMPLETE, DETACHED};
use crate::task::wait::{self, WaitNode, NODE_THREAD};
use crate::task::{state, Task};
use crate::AriaResult;

#[repr(C)]
struct ThreadNode {
    node: WaitNode,
    thread: Thread,
    done: AtomicBool,
}

unsafe fn notify_thread(node: *mut WaitNode, _target: *mut Task) {
    // SAFETY: `node` is the first field of a live ThreadNode whose thread
    // waits until `done` is set; nothing is read after the store but the
    // cloned handle.
    unsafe {
        let tn = node.cast::<ThreadNode>();
        let th = (*tn).thread.clone();
        (*tn).done.store(true, Release);
        th.unpark();
    }
}

static MAIN_THREAD: OnceLock<ThreadId> = OnceLock::new();

/// Declares the calling thread the program's main thread.
pub fn set_main_thread() {
    let _ = MAIN_THREAD.set(std::thread::current().id());
}

/// Is the calling thread the program's main thread (declared, or named
/// "main" by the Rust runtime)?
pub fn is_main_thread() -> bool {
    let cur = std::thread::current();
    match MAIN_THREAD.get() {
        Some(id) => *id == cur.id(),
        None => cur.name() == Some("main"),
    }
}

/// Blocks until `t` completes; returns `aria_task_result(t)`.
///
/// # Safety
/// `t` is live and the caller holds a reference.
pub unsafe fn block_on(t: *mut Task) -> AriaResult {
    // SAFETY: caller contract.
    unsafe {
        if t == yield_task() || state(t).load() & (COMPLETE | DETACHED) != 0 {
            return take_result(t);
        }
        let is_main = is_main_thread();
        let mut tn = ThreadNode {
            node: WaitNode::new(NODE_THREAD, context::current_task(), notify_thread),
            thread: std::thread::current(),
            done: AtomicBool::new(false),
        };
        tn.node.is_main = is_main;
        let node = std::ptr::addr_of_mut!(tn.node);
        if !wait::link(t, node) {
            return take_result(t);
        }
        let gave_core = give_away_core();
        let shared = (*t).sched.get().read();
        let watch = is_main && !shared.is_null() && deadlock::enabled(&*shared);
        if watch {
            lock(&(*shared).watchers).push(std::thread::current());
        }
        while !tn.done.load(Acquire) {
            if watch && deadlock::detect(&*shared, t) {
                deadlock::fatal(&*shared, t);
            }
            std::thread::park();
        }
        if watch {
            let me = std::thread::current().id();
            lock(&(*shared).watchers).retain(|th| th.id() != me);
        }
        if gave_core {
            // Running again, without a core, until `run_worker` exits.
            (*context::shared()).coreless.fetch_add(1, SeqCst);
        }
        take_result(t)
    }
}

/// On a worker thread: hands the core to a substitute worker thread.
/// Returns whether it did.
fn give_away_core() -> bool {
    let s = context::shared();
    if s.is_null() {
        return false;
    }
    let core = context::take_core();
    if core.is_null() {
        return false;
    }
    // SAFETY: this thread owned the core; ownership moves to the substitute.
    // The runtime outlives its worker threads.
    unsafe {
        let shared: &Shared = &*s;
        arc_of(shared).start_worker(Box::from_raw(core));
    }
    true
}

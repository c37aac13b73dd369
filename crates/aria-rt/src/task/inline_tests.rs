//! Tests of `aria_task_start_inline`, the fast path of `await f(x)`
//! ([`super::run::start_inline`]): tasks written in Rust drive the ABI the
//! way generated coroutines do (create without spawning, start inline, then
//! `aria_task_await` / `aria_task_cancelled` / `aria_task_result`).

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::*};
use std::sync::{Arc, Mutex};

use super::abi::*;
use super::native::fn_task;
use super::state::{COMPLETE, RUNNING, SCHEDULED, SPAWNED, STARTED};
use super::{inline_parent, is_registered, release, state, Task};
use crate::asynclib::{aria_sleep, aria_yield_now};
use crate::layout::ERR_CANCELLED;
use crate::sched::context::{self, MAX_INLINE_DEPTH};
use crate::sched::Runtime;
use crate::AriaResult;

/// The result of a task whose Rust code panicked (an assertion failed).
const TEST_PANIC: i64 = -999;

/// A task pointer that closures may capture.
#[derive(Clone, Copy)]
struct P(*mut Task);
// SAFETY: tasks are thread-safe objects; tests keep them referenced.
unsafe impl Send for P {}

impl P {
    /// Through a method, so closures capture the whole `P` (which is Send).
    fn get(self) -> *mut Task {
        self.0
    }
}

/// A numbered task running `f`; a Rust panic (failed assertion) inside
/// fails the task with [`TEST_PANIC`] instead of unwinding into the runtime.
fn task(mut f: impl FnMut(*mut Task) -> Option<(i64, i64)> + Send + 'static) -> *mut Task {
    fn_task(move |me| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(me)))
            .unwrap_or(Some((TEST_PANIC, 0)))
    })
}

fn run_root(rt: &Runtime, t: *mut Task) -> AriaResult {
    // SAFETY: `t` is new; we hold its reference until released.
    unsafe {
        rt.spawn(t);
        let r = rt.block_on(t);
        release(t);
        r
    }
}

/// The rest of `await child` after `aria_task_start_inline`, as generated
/// code does it: `None` to suspend, else the child's result (released).
unsafe fn await_child(me: *mut Task, child: *mut Task) -> Option<AriaResult> {
    // SAFETY: caller contract: `me` runs this, `child` is referenced.
    unsafe {
        if aria_task_await(me, child) == 0 {
            return None;
        }
        let r = if aria_task_cancelled(me) != 0 {
            aria_task_cancel(child);
            AriaResult::err(ERR_CANCELLED)
        } else {
            aria_task_result(child)
        };
        release(child);
        Some(r)
    }
}

#[test]
fn a_child_that_does_not_suspend_completes_inside_the_awaiting_run() {
    let rt = Runtime::new(1);
    let root = task(|me| {
        let child = task(move |c| {
            assert_eq!(context::current_task(), c, "the child is the current task");
            assert_eq!(context::inline_depth(), 1);
            Some((0, 21))
        });
        // SAFETY: the await protocol; `child` is new and only ours.
        unsafe {
            assert_eq!(aria_task_start_inline(child), 1, "completed inline");
            assert_eq!(context::current_task(), me, "the parent is current again");
            assert_eq!(context::inline_depth(), 0);
            let s = state(child).load();
            assert!(s & COMPLETE != 0 && s & SPAWNED == 0, "never spawned");
            assert!(!is_registered(child), "never registered");
            assert_eq!((*child).rc.load(Relaxed), 1, "the awaiter's reference only");
            assert!(inline_parent(child).is_null());
            let r = await_child(me, child).expect("a complete child does not suspend");
            Some((r.err, r.val * 2))
        }
    });
    assert_eq!(run_root(&rt, root), AriaResult::ok(42));
    rt.shutdown();
}

#[test]
fn a_child_that_suspends_becomes_an_ordinary_task_woken_once() {
    let rt = Runtime::new(2);
    let runs = Arc::new(AtomicUsize::new(0));
    let child_runs = runs.clone();
    let mut child = P(std::ptr::null_mut());
    let root = task(move |me| {
        // SAFETY: the await protocol; the tasks stay referenced.
        unsafe {
            if child.get().is_null() {
                let runs = child_runs.clone();
                let mut sleep = P(std::ptr::null_mut());
                child = P(task(move |c| {
                    runs.fetch_add(1, SeqCst);
                    if sleep.get().is_null() {
                        sleep = P(aria_sleep(20));
                        if aria_task_await(c, sleep.get()) == 0 {
                            return None;
                        }
                    }
                    assert!(state(sleep.get()).is_complete(), "woken only by the timer");
                    release(sleep.get());
                    Some((0, 7))
                }));
                assert_eq!(aria_task_start_inline(child.get()), 0, "suspended");
                assert_eq!(context::current_task(), me);
                let s = state(child.get()).load();
                assert_eq!(s & (SPAWNED | STARTED), SPAWNED | STARTED);
                assert_eq!(s & (RUNNING | COMPLETE), 0, "idle, waiting for the timer");
                assert!(is_registered(child.get()), "registered");
                assert_eq!((*child.get()).rc.load(Relaxed), 2, "ours and the run's");
                assert!(inline_parent(child.get()).is_null());
            }
            let r = await_child(me, child.get())?;
            Some((r.err, r.val + 1))
        }
    });
    assert_eq!(run_root(&rt, root), AriaResult::ok(8));
    assert_eq!(runs.load(SeqCst), 2, "one inline run, one after the wake");
    rt.shutdown();
}

#[test]
fn a_child_that_yields_is_requeued_and_completes() {
    let rt = Runtime::new(1);
    let mut child = P(std::ptr::null_mut());
    let root = task(move |me| {
        // SAFETY: the await protocol; the child stays referenced.
        unsafe {
            if child.get().is_null() {
                let mut yielded = false;
                child = P(task(move |c| {
                    if !yielded {
                        yielded = true;
                        if aria_task_await(c, aria_yield_now()) == 0 {
                            return None;
                        }
                    }
                    Some((0, 5))
                }));
                assert_eq!(aria_task_start_inline(child.get()), 0);
                let s = state(child.get()).load();
                assert_eq!(
                    s & (SCHEDULED | RUNNING),
                    SCHEDULED,
                    "requeued by its yield"
                );
            }
            let r = await_child(me, child.get())?;
            Some((r.err, r.val))
        }
    });
    assert_eq!(run_root(&rt, root), AriaResult::ok(5));
    rt.shutdown();
}

#[test]
fn outside_a_task_the_child_is_spawned() {
    let ran = Arc::new(AtomicBool::new(false));
    let r2 = ran.clone();
    let child = task(move |_| {
        r2.store(true, SeqCst);
        Some((0, 3))
    });
    // SAFETY: `child` is new; we hold its reference until released.
    unsafe {
        assert_eq!(aria_task_start_inline(child), 0, "not on a worker: spawned");
        assert_ne!(state(child).load() & SPAWNED, 0);
        let r = aria_task_block_on(child);
        assert_eq!(r, AriaResult::ok(3));
        release(child);
    }
    assert!(ran.load(SeqCst));
}

#[test]
fn a_cancelled_awaiter_spawns_the_child_and_cancels_it_before_it_runs() {
    let rt = Runtime::new(1);
    let ran = Arc::new(AtomicBool::new(false));
    let r2 = ran.clone();
    let root = task(move |me| {
        let r3 = r2.clone();
        let child = task(move |_| {
            r3.store(true, SeqCst);
            Some((0, 1))
        });
        // SAFETY: the await protocol.
        unsafe {
            aria_task_cancel(me);
            assert_eq!(aria_task_start_inline(child), 0, "spawned, not run");
            assert_ne!(state(child).load() & SPAWNED, 0);
            let r = await_child(me, child).expect("a cancelled task does not suspend");
            Some((r.err, 0))
        }
    });
    assert_eq!(run_root(&rt, root), AriaResult::err(ERR_CANCELLED));
    rt.shutdown();
    assert!(
        !ran.load(SeqCst),
        "a task cancelled before its first run never runs"
    );
}

/// Task `k` of a chain starts task `k - 1` inline and adds 1 to its value.
fn chain(k: i64, max_depth: Arc<AtomicU32>) -> *mut Task {
    let mut child = P(std::ptr::null_mut());
    task(move |me| {
        max_depth.fetch_max(context::inline_depth(), SeqCst);
        if k == 0 {
            return Some((0, 0));
        }
        // SAFETY: the await protocol.
        unsafe {
            if child.get().is_null() {
                child = P(chain(k - 1, max_depth.clone()));
                aria_task_start_inline(child.get());
            }
            let r = await_child(me, child.get())?;
            Some((r.err, r.val + 1))
        }
    })
}

#[test]
fn nesting_is_bounded_so_deep_chains_cannot_overflow_the_stack() {
    let rt = Runtime::new(2);
    let depth = Arc::new(AtomicU32::new(0));
    let r = run_root(&rt, chain(20_000, depth.clone()));
    assert_eq!(r, AriaResult::ok(20_000));
    assert_eq!(
        depth.load(SeqCst),
        MAX_INLINE_DEPTH,
        "beyond the bound: spawned"
    );
    rt.shutdown();
}

#[test]
fn a_panic_inline_is_reported_with_the_awaiting_tasks() {
    let rt = Runtime::new(1);
    let report = Arc::new(Mutex::new(String::new()));
    let ids = Arc::new(Mutex::new(Vec::new()));
    let (rep, ids2) = (report.clone(), ids.clone());
    let root = task(move |me| {
        let (rep, ids3) = (rep.clone(), ids2.clone());
        let mid = task(move |mid| {
            let ids4 = ids3.clone();
            let leaf = task(move |leaf| {
                // SAFETY: a live task (this one).
                ids4.lock().unwrap().push(unsafe { (*leaf).id });
                Some((crate::panic::raise(-104, b"boom"), 0))
            });
            // SAFETY: the await protocol.
            unsafe {
                let (done, _, err) = crate::output::capture(|| aria_task_start_inline(leaf));
                assert_eq!(done, 1);
                assert!(
                    !crate::panic::is_panicking(),
                    "the report cleared the panic"
                );
                *rep.lock().unwrap() = String::from_utf8(err).unwrap();
                ids3.lock().unwrap().push((*mid).id);
                let r = await_child(mid, leaf).unwrap();
                Some((r.err, 0))
            }
        });
        // SAFETY: the await protocol.
        unsafe {
            ids2.lock().unwrap().push((*me).id);
            aria_task_start_inline(mid);
            let r = await_child(me, mid)?;
            Some((r.err, 0))
        }
    });
    assert_eq!(run_root(&rt, root), AriaResult::err(-104));
    rt.shutdown();
    let ids = ids.lock().unwrap().clone();
    let (root_id, leaf_id, mid_id) = (ids[0], ids[1], ids[2]);
    assert!(
        root_id < mid_id && mid_id < leaf_id,
        "ids in creation order"
    );
    assert_eq!(
        *report.lock().unwrap(),
        format!(
            "panic (code -104): boom\n  in task #{leaf_id} task\n  \
             awaited by task #{mid_id} task\n  awaited by task #{root_id} task\n"
        )
    );
}

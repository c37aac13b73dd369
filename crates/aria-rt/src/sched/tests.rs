//! Scheduler tests driving tasks written in Rust through the same ABI as
//! generated code (`aria_task_await` / `aria_task_result` /
//! `aria_task_cancelled` at each await). Each test uses its own runtime.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering::*};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use super::{context, deadlock, Runtime};
use crate::asynclib::{aria_sleep, aria_with_timeout, aria_yield_now, join_all_tasks, race_tasks};
use crate::layout::*;
use crate::task::abi::*;
use crate::task::native::{fn_task, new_task, Native};
use crate::task::{release, state, Task};

/// A task pointer that closures may capture.
#[derive(Clone, Copy)]
struct P(*mut Task);
// SAFETY: tasks are thread-safe objects; tests keep them referenced.
unsafe impl Send for P {}

impl P {
    /// Use through a method so closures capture the whole `P` (which is Send).
    fn get(self) -> *mut Task {
        self.0
    }
}

/// Await step as generated code does it: true when `target` is ready.
unsafe fn ready(me: *mut Task, target: *mut Task) -> bool {
    // SAFETY: caller contract (running task, live target).
    unsafe { aria_task_await(me, target) == 1 }
}

/// Spawns `t` on the current worker's runtime (inside a task).
unsafe fn spawn_here(t: *mut Task) -> *mut Task {
    // SAFETY: `t` is new.
    unsafe { super::spawn(t) };
    t
}

/// A task returning `v` at once.
fn value_task(v: i64) -> *mut Task {
    fn_task(move |_| Some((0, v)))
}

/// A task that awaits each of `children` in order and sums their values.
fn sum_task(children: Vec<P>) -> *mut Task {
    let mut i = 0;
    let mut sum = 0;
    fn_task(move |me| {
        // SAFETY: the children are spawned and referenced by this closure.
        unsafe {
            while i < children.len() {
                let c = children[i].0;
                if !ready(me, c) {
                    return None;
                }
                if aria_task_cancelled(me) != 0 {
                    return Some((ERR_CANCELLED, 0));
                }
                let r = aria_task_result(c);
                if r.err != 0 {
                    return Some((r.err, 0));
                }
                sum += r.val;
                release(c);
                i += 1;
            }
            Some((0, sum))
        }
    })
}

fn run_root(rt: &Runtime, t: *mut Task) -> crate::AriaResult {
    // SAFETY: `t` is new; we hold its reference until released.
    unsafe {
        rt.spawn(t);
        let r = rt.block_on(t);
        release(t);
        r
    }
}

#[test]
fn spawn_and_block_on() {
    let rt = Runtime::new(2);
    let r = run_root(&rt, value_task(42));
    assert_eq!(r, crate::AriaResult::ok(42));
    rt.shutdown();
}

#[test]
fn chain_of_awaiting_tasks() {
    // Task k awaits task k-1 (spawned by it) and adds 1: 1000 nested awaits.
    fn chain(k: i64) -> *mut Task {
        let mut child = P(std::ptr::null_mut());
        fn_task(move |me| {
            // SAFETY: standard await protocol.
            unsafe {
                if k == 0 {
                    return Some((0, 0));
                }
                if child.0.is_null() {
                    child = P(spawn_here(chain(k - 1)));
                    // Let the child run first half of the time.
                    if k % 2 == 0 && !ready(me, aria_yield_now()) {
                        return None;
                    }
                }
                if !ready(me, child.0) {
                    return None;
                }
                let r = aria_task_result(child.0);
                release(child.0);
                Some((r.err, r.val + 1))
            }
        })
    }
    let rt = Runtime::new(2);
    assert_eq!(run_root(&rt, chain(1000)), crate::AriaResult::ok(1000));
    rt.shutdown();
}

#[test]
fn tree_of_tasks_skynet_small() {
    // 10-ary tree of depth 4 (11,111 tasks); leaves return their ordinal.
    fn node(num: i64, size: i64) -> *mut Task {
        let mut kids: Vec<P> = Vec::new();
        let mut i = 0;
        let mut sum = 0;
        fn_task(move |me| {
            // SAFETY: standard await protocol.
            unsafe {
                if size == 1 {
                    return Some((0, num));
                }
                if kids.is_empty() {
                    let s = size / 10;
                    kids = (0..10)
                        .map(|k| P(spawn_here(node(num + k * s, s))))
                        .collect();
                }
                while i < kids.len() {
                    if !ready(me, kids[i].0) {
                        return None;
                    }
                    sum += aria_task_result(kids[i].0).val;
                    release(kids[i].0);
                    i += 1;
                }
                Some((0, sum))
            }
        })
    }
    let rt = Runtime::new(2);
    let n = 10_000;
    assert_eq!(
        run_root(&rt, node(0, n)),
        crate::AriaResult::ok(n * (n - 1) / 2)
    );
    rt.shutdown();
}

#[test]
fn a_million_trivial_tasks() {
    // Spawned and awaited in batches of 10,000 so the test's memory stays
    // small (other tests of this process check the RSS).
    let n: i64 = 1_000_000;
    let batch: i64 = 10_000;
    let t0 = Instant::now();
    let mut kids: Vec<P> = Vec::new();
    let mut next = 0i64;
    let mut i = 0usize;
    let mut sum = 0i64;
    let root = fn_task(move |me| {
        // SAFETY: standard await protocol.
        unsafe {
            loop {
                if i == kids.len() {
                    if next == n {
                        return Some((0, sum));
                    }
                    kids.clear();
                    i = 0;
                    kids.extend((next..next + batch).map(|k| P(spawn_here(value_task(k)))));
                    next += batch;
                }
                if !ready(me, kids[i].0) {
                    return None;
                }
                sum += aria_task_result(kids[i].0).val;
                release(kids[i].0);
                i += 1;
            }
        }
    });
    let rt = Runtime::new(2);
    assert_eq!(run_root(&rt, root), crate::AriaResult::ok(n * (n - 1) / 2));
    rt.shutdown();
    assert!(
        t0.elapsed() < Duration::from_secs(60),
        "took {:?}",
        t0.elapsed()
    );
}

#[test]
fn concurrent_wakes_never_double_schedule() {
    // A task with no wait of its own, woken by 4 threads at once, 200 times:
    // it never runs twice at the same time (and `start_run` asserts it is
    // never queued twice), and no wake is lost (every burst gets a run).
    let running = Arc::new(AtomicBool::new(false));
    let runs = Arc::new(AtomicUsize::new(0));
    let (r2, n2) = (running.clone(), runs.clone());
    let t = fn_task(move |_| {
        assert!(!r2.swap(true, SeqCst), "ran concurrently");
        std::thread::yield_now();
        n2.fetch_add(1, SeqCst);
        r2.store(false, SeqCst);
        None
    });
    let rt = Runtime::new(2);
    // SAFETY: `t` stays referenced by this test (never completes).
    unsafe { rt.spawn(t) };
    let tp = P(t);
    let bursts = 200;
    let barrier = Arc::new(Barrier::new(5));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let b = barrier.clone();
            std::thread::spawn(move || {
                let tp = tp;
                for _ in 0..bursts {
                    b.wait();
                    // SAFETY: the test holds a reference to the task.
                    unsafe { super::wake(tp.0) };
                    b.wait();
                }
            })
        })
        .collect();
    for burst in 0..bursts {
        let before = runs.load(SeqCst);
        barrier.wait();
        barrier.wait();
        let deadline = Instant::now() + Duration::from_secs(10);
        while runs.load(SeqCst) == before && Instant::now() < deadline {
            std::thread::yield_now();
        }
        assert!(runs.load(SeqCst) > before, "burst {burst}: wake lost");
    }
    for th in threads {
        th.join().unwrap();
    }
    // Let any NOTIFIED rerun finish before checking it is idle.
    std::thread::sleep(Duration::from_millis(20));
    // Each wake makes at most one run: wakes landing while the task is
    // queued merge, one landing while it runs makes one rerun (how many
    // merge depends on timing, so only the bounds are fixed).
    let total = runs.load(SeqCst);
    assert!(total >= bursts && total <= 4 * bursts + 1, "runs = {total}");
    // SAFETY: test reference.
    unsafe {
        crate::task::wait::cancel(t);
        super::wake(t);
    }
}

#[test]
fn sleep_ordering_and_yield() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut kids = Vec::new();
    for ms in [50i64, 10, 30, 20] {
        let order = order.clone();
        let mut s = P(std::ptr::null_mut());
        kids.push(fn_task(move |me| {
            // SAFETY: standard await protocol.
            unsafe {
                if s.0.is_null() {
                    s = P(aria_sleep(ms));
                }
                if !ready(me, s.0) {
                    return None;
                }
                let r = aria_task_result(s.0);
                release(s.0);
                order.lock().unwrap().push(ms);
                Some((r.err, ms))
            }
        }));
    }
    let rt = Runtime::new(2);
    let t0 = Instant::now();
    // SAFETY: new tasks, then awaited and released.
    unsafe {
        for &k in &kids {
            rt.spawn(k);
        }
        for &k in &kids {
            assert_eq!(rt.block_on(k).err, 0);
            release(k);
        }
    }
    assert!(t0.elapsed() >= Duration::from_millis(50));
    assert_eq!(*order.lock().unwrap(), vec![10, 20, 30, 50]);
    rt.shutdown();
}

#[test]
fn many_sleepers_are_cheap() {
    // 20,000 concurrent sleeps of 1..20 ms: no thread per sleep.
    let rt = Runtime::new(2);
    let n = 20_000;
    let mut kids = Vec::new();
    for i in 0..n {
        let mut s = P(std::ptr::null_mut());
        kids.push(P(fn_task(move |me| unsafe {
            // SAFETY: standard await protocol.
            if s.0.is_null() {
                s = P(aria_sleep((i * 7919) % 20 + 1));
            }
            if !ready(me, s.0) {
                return None;
            }
            release(s.0);
            Some((0, 1))
        })));
    }
    let root = sum_task(kids.clone());
    let t0 = Instant::now();
    // SAFETY: new tasks.
    unsafe {
        for k in &kids {
            rt.spawn(k.0);
        }
    }
    assert_eq!(run_root(&rt, root), crate::AriaResult::ok(n));
    assert!(t0.elapsed() < Duration::from_secs(20));
    rt.shutdown();
}

/// A task that awaits `sleep(ms)`; on cancellation it records that its
/// "defer" ran and completes with ERR_CANCELLED.
fn sleeper(ms: i64, defer_ran: Arc<AtomicBool>) -> *mut Task {
    let mut s = P(std::ptr::null_mut());
    fn_task(move |me| {
        // SAFETY: standard await protocol.
        unsafe {
            if s.0.is_null() {
                s = P(aria_sleep(ms));
            }
            if !ready(me, s.0) {
                return None;
            }
            if aria_task_cancelled(me) != 0 {
                aria_task_cancel(s.0);
                release(s.0);
                defer_ran.store(true, SeqCst);
                return Some((ERR_CANCELLED, 0));
            }
            release(s.0);
            Some((0, 1))
        }
    })
}

#[test]
fn cancel_a_sleeping_task() {
    let rt = Runtime::new(2);
    let ran = Arc::new(AtomicBool::new(false));
    let t = sleeper(60_000, ran.clone());
    let t0 = Instant::now();
    // SAFETY: test holds the reference.
    unsafe {
        rt.spawn(t);
        wait_until_started(t);
        assert_eq!(aria_task_done(t), 0);
        aria_task_cancel(t);
        let r = rt.block_on(t);
        assert_eq!(r.err, ERR_CANCELLED);
        assert_eq!(aria_task_done(t), 1);
        release(t);
    }
    assert!(ran.load(SeqCst), "the defer ran");
    assert!(t0.elapsed() < Duration::from_secs(5));
    rt.shutdown();
}

/// A task doing `await sleep(ms)` the way generated code does without a
/// task (`aria_try_sleep`, suspend, `aria_finish_sleep`): `(0, 1)`, or
/// `ERR_CANCELLED` when told to stop.
fn direct_sleeper(ms: i64) -> *mut Task {
    let mut waiting = false;
    fn_task(move |me| {
        // SAFETY: the protocol of RUNTIME_ABI.md ("Awaiting without a task").
        unsafe {
            let r = if waiting {
                crate::asynclib::aria_finish_sleep(std::ptr::null_mut(), me)
            } else {
                crate::asynclib::aria_try_sleep(ms)
            };
            match r.err {
                crate::direct::TRY_WAIT => {
                    waiting = true;
                    None
                }
                crate::direct::TRY_CANCELLED => Some((ERR_CANCELLED, 0)),
                _ => Some((0, 1)),
            }
        }
    })
}

/// Waits (at most 10 s: valgrind is slow) until `t` has run once, so a
/// cancellation then finds it suspended rather than not yet started.
fn wait_until_started(t: *mut Task) {
    let t0 = Instant::now();
    // SAFETY: the caller holds a reference.
    let started = || unsafe { state(t).load() & crate::task::state::STARTED != 0 };
    while !started() && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(started(), "the task never ran");
    // Let its first run reach its suspension.
    std::thread::sleep(Duration::from_millis(10));
}

/// Waits (at most 2 s) until `t`'s count falls to `rc`.
fn wait_for_rc(t: *mut Task, rc: i64) {
    let t0 = Instant::now();
    // SAFETY: the caller holds a reference.
    while unsafe { (*t).rc.load(SeqCst) } != rc && t0.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(1));
    }
    // SAFETY: as above.
    assert_eq!(unsafe { (*t).rc.load(SeqCst) }, rc);
}

#[test]
fn a_task_sleeping_itself_is_held_only_by_its_timer_entry() {
    let rt = Runtime::new(2);
    let t = direct_sleeper(5);
    let t0 = Instant::now();
    // SAFETY: test holds the reference.
    unsafe {
        rt.spawn(t);
        assert_eq!(rt.block_on(t), crate::AriaResult::ok(1));
    }
    assert!(t0.elapsed() >= Duration::from_millis(5));
    // The fired entry gave its reference back: only ours is left.
    wait_for_rc(t, 1);
    // SAFETY: ours.
    unsafe { release(t) };
    // Cancelled while it sleeps: it stops well before its deadline (one
    // second: room for a loaded machine or valgrind); its entry, now
    // stale, keeps a reference until the deadline, then gives it back.
    let t = direct_sleeper(1000);
    let t0 = Instant::now();
    // SAFETY: test holds the reference.
    unsafe {
        rt.spawn(t);
        wait_until_started(t);
        aria_task_cancel(t);
        assert_eq!(rt.block_on(t).err, ERR_CANCELLED);
    }
    assert!(t0.elapsed() < Duration::from_millis(1000));
    wait_for_rc(t, 1);
    // SAFETY: ours.
    unsafe { release(t) };
    rt.shutdown();
}

#[test]
fn cancelled_before_first_run_never_runs() {
    struct Guarded(Arc<AtomicUsize>, Arc<AtomicUsize>);
    impl Native for Guarded {
        const NAME: &'static std::ffi::CStr = c"guarded";
        unsafe fn resume(this: *mut Self, _t: *mut Task) -> Option<(i64, i64)> {
            // SAFETY: runner.
            unsafe { (*this).0.fetch_add(1, SeqCst) };
            Some((0, 0))
        }
    }
    impl Drop for Guarded {
        fn drop(&mut self) {
            self.1.fetch_add(1, SeqCst);
        }
    }
    let runs = Arc::new(AtomicUsize::new(0));
    let drops = Arc::new(AtomicUsize::new(0));
    let rt = Runtime::new(1);
    // Keep the single worker busy so the task cannot start before the cancel.
    let gate = Arc::new(AtomicBool::new(false));
    let g2 = gate.clone();
    let busy = fn_task(move |_| {
        while !g2.load(SeqCst) {
            std::thread::yield_now();
        }
        Some((0, 0))
    });
    let t = new_task(Guarded(runs.clone(), drops.clone()), true, false);
    // SAFETY: test references.
    unsafe {
        rt.spawn(busy);
        std::thread::sleep(Duration::from_millis(10));
        rt.spawn(t);
        aria_task_cancel(t);
        gate.store(true, SeqCst);
        assert_eq!(rt.block_on(t).err, ERR_CANCELLED);
        rt.block_on(busy);
        release(t);
        release(busy);
    }
    assert_eq!(runs.load(SeqCst), 0, "never ran");
    assert_eq!(drops.load(SeqCst), 1, "frame dropped once");
    rt.shutdown();
}

#[test]
fn join_all_semantics() {
    let rt = Runtime::new(2);
    // Values in array order, whatever the completion order.
    let mut kids = Vec::new();
    for i in 0..5i64 {
        let mut s = P(std::ptr::null_mut());
        kids.push(fn_task(move |me| unsafe {
            // SAFETY: standard await protocol.
            if s.0.is_null() {
                s = P(aria_sleep(50 - i * 10));
            }
            if !ready(me, s.0) {
                return None;
            }
            release(s.0);
            Some((0, i * i))
        }));
    }
    // SAFETY: new tasks, referenced by `kids` until released.
    unsafe {
        for &k in &kids {
            rt.spawn(k);
        }
        let j = join_all_tasks(&kids, ELEM_I64, 8);
        let r = rt.block_on(j);
        assert_eq!(r.err, 0);
        assert_eq!(
            crate::array::test_support::bits(r.val as *const u8),
            vec![0, 1, 4, 9, 16]
        );
        crate::object::aria_release(r.val as *mut u8);
        release(j);
        for &k in &kids {
            release(k);
        }
        // The failure of the lowest-index failed task.
        let a = value_task(1);
        let b = fn_task(|_| Some((7, 0)));
        let c = fn_task(|_| Some((9, 0)));
        for &k in &[a, b, c] {
            rt.spawn(k);
        }
        let j = join_all_tasks(&[a, c, b], ELEM_I64, 8);
        assert_eq!(rt.block_on(j).err, 9);
        release(j);
        for k in [a, b, c] {
            release(k);
        }
        // [] completes with [].
        let j = join_all_tasks(&[], ELEM_I64, 8);
        let r = rt.block_on(j);
        assert_eq!((r.err, crate::array::parts(r.val as *const u8).0), (0, 0));
        crate::object::aria_release(r.val as *mut u8);
        release(j);
    }
    rt.shutdown();
}

/// A task completing with `(err, val)` after sleeping `ms`.
fn sleepy(ms: i64, err: i64, val: i64) -> *mut Task {
    let mut s = P(std::ptr::null_mut());
    fn_task(move |me| unsafe {
        // SAFETY: standard await protocol.
        if s.0.is_null() {
            s = P(aria_sleep(ms));
        }
        if !ready(me, s.0) {
            return None;
        }
        release(s.0);
        Some((err, val))
    })
}

#[test]
fn join_all_mixed_complete_and_pending() {
    let rt = Runtime::new(2);
    // SAFETY: new tasks, referenced here until released.
    unsafe {
        // Arguments complete when join_all starts (no node) mixed with
        // pending ones: values still in array order.
        let d0 = value_task(10);
        let d2 = value_task(12);
        for t in [d0, d2] {
            rt.spawn(t);
            rt.block_on(t);
        }
        let p1 = sleepy(20, 0, 11);
        let p3 = sleepy(5, 0, 13);
        rt.spawn(p1);
        rt.spawn(p3);
        let j = join_all_tasks(&[d0, p1, d2, p3], ELEM_I64, 8);
        let r = rt.block_on(j);
        assert_eq!(r.err, 0);
        assert_eq!(
            crate::array::test_support::bits(r.val as *const u8),
            vec![10, 11, 12, 13]
        );
        crate::object::aria_release(r.val as *mut u8);
        release(j);
        // The lowest-index failure, complete or pending.
        let df = fn_task(|_| Some((7, 0)));
        rt.spawn(df);
        rt.block_on(df);
        let pf = sleepy(10, 5, 0);
        rt.spawn(pf);
        let j = join_all_tasks(&[pf, df], ELEM_I64, 8);
        assert_eq!(rt.block_on(j).err, 5);
        release(j);
        let j = join_all_tasks(&[df, pf], ELEM_I64, 8);
        assert_eq!(rt.block_on(j).err, 7);
        release(j);
        for t in [d0, d2, p1, p3, df, pf] {
            release(t);
        }
        // Arguments completing while join_all checks and links them.
        for round in 0..200i64 {
            let kids: Vec<*mut Task> = (0..40).map(|i| value_task(round + i)).collect();
            for &k in &kids {
                rt.spawn(k);
            }
            let j = join_all_tasks(&kids, ELEM_I64, 8);
            let r = rt.block_on(j);
            assert_eq!(r.err, 0);
            let want: Vec<i64> = (0..40).map(|i| round + i).collect();
            assert_eq!(crate::array::test_support::bits(r.val as *const u8), want);
            crate::object::aria_release(r.val as *mut u8);
            release(j);
            for k in kids {
                release(k);
            }
        }
    }
    rt.shutdown();
}

#[test]
fn race_and_with_timeout() {
    let rt = Runtime::new(2);
    // SAFETY: test references.
    unsafe {
        let slow_ran = Arc::new(AtomicBool::new(false));
        let slow = sleeper(60_000, slow_ran.clone());
        let fast_ran = Arc::new(AtomicBool::new(false));
        let fast = sleeper(5, fast_ran.clone());
        rt.spawn(slow);
        rt.spawn(fast);
        let r = race_tasks(&[slow, fast]);
        assert_eq!(rt.block_on(r), crate::AriaResult::ok(1));
        assert_eq!(
            rt.block_on(slow).err,
            ERR_CANCELLED,
            "the loser is cancelled"
        );
        assert!(slow_ran.load(SeqCst));
        for t in [r, slow, fast] {
            release(t);
        }
        // race([]) fails ERR_INVALID.
        let r = race_tasks(&[]);
        assert_eq!(rt.block_on(r).err, ERR_INVALID);
        release(r);
        // with_timeout: in time.
        let f = sleeper(5, Arc::new(AtomicBool::new(false)));
        rt.spawn(f);
        let w = aria_with_timeout(f, 10_000);
        assert_eq!(rt.block_on(w), crate::AriaResult::ok(1));
        release(w);
        release(f);
        // with_timeout: too slow; the argument is cancelled.
        let ran = Arc::new(AtomicBool::new(false));
        let s = sleeper(60_000, ran.clone());
        rt.spawn(s);
        let t0 = Instant::now();
        let w = aria_with_timeout(s, 20);
        assert_eq!(rt.block_on(w).err, ERR_TIMEOUT);
        assert!(t0.elapsed() >= Duration::from_millis(20));
        assert_eq!(rt.block_on(s).err, ERR_CANCELLED);
        assert!(ran.load(SeqCst));
        release(w);
        release(s);
        // Cancelling a join_all spreads to its arguments.
        let ran = Arc::new(AtomicBool::new(false));
        let s = sleeper(60_000, ran.clone());
        rt.spawn(s);
        // Let it start (a task cancelled before its first run never runs).
        std::thread::sleep(Duration::from_millis(20));
        let j = join_all_tasks(&[s], ELEM_I64, 8);
        aria_task_cancel(j);
        assert_eq!(rt.block_on(j).err, ERR_CANCELLED);
        assert_eq!(rt.block_on(s).err, ERR_CANCELLED);
        assert!(ran.load(SeqCst));
        release(j);
        release(s);
    }
    rt.shutdown();
}

/// A task that signals `started`, then blocks its thread for `ms` without
/// reaching a cancellation point and completes with `v`.
fn busy_task(ms: u64, v: i64, started: Arc<AtomicBool>) -> *mut Task {
    fn_task(move |_| {
        started.store(true, SeqCst);
        std::thread::sleep(Duration::from_millis(ms));
        Some((0, v))
    })
}

fn wait_flag(f: &AtomicBool) {
    while !f.load(SeqCst) {
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn with_timeout_and_race_settle_and_pass_on_what_took_effect() {
    let rt = Runtime::new(2);
    // SAFETY: test references.
    unsafe {
        // The timer fires while the argument runs: it is cancelled, but
        // completes successfully all the same; with_timeout waits for it
        // and passes its value on instead of ERR_TIMEOUT.
        let started = Arc::new(AtomicBool::new(false));
        let t = busy_task(60, 42, started.clone());
        rt.spawn(t);
        wait_flag(&started);
        let t0 = Instant::now();
        let w = aria_with_timeout(t, 5);
        assert_eq!(rt.block_on(w), crate::AriaResult::ok(42));
        assert!(
            state(t).is_complete(),
            "with_timeout settled after its argument"
        );
        assert!(t0.elapsed() >= Duration::from_millis(20));
        release(w);
        release(t);
        // The same when with_timeout itself is cancelled.
        let started = Arc::new(AtomicBool::new(false));
        let t = busy_task(40, 43, started.clone());
        rt.spawn(t);
        wait_flag(&started);
        let w = aria_with_timeout(t, 60_000);
        aria_task_cancel(w);
        assert_eq!(rt.block_on(w), crate::AriaResult::ok(43));
        release(w);
        release(t);
        // Nothing took effect: ERR_TIMEOUT, after the argument settled.
        let ran = Arc::new(AtomicBool::new(false));
        let s = sleeper(60_000, ran.clone());
        rt.spawn(s);
        std::thread::sleep(Duration::from_millis(10));
        let w = aria_with_timeout(s, 5);
        assert_eq!(rt.block_on(w).err, ERR_TIMEOUT);
        assert!(state(s).is_complete() && ran.load(SeqCst));
        release(w);
        release(s);
        // A cancelled race settles: an argument that succeeded all the same
        // is its result; the others were cancelled.
        let started = Arc::new(AtomicBool::new(false));
        let busy = busy_task(40, 7, started.clone());
        let ran = Arc::new(AtomicBool::new(false));
        let slow = sleeper(60_000, ran.clone());
        rt.spawn(slow);
        rt.spawn(busy);
        wait_flag(&started);
        std::thread::sleep(Duration::from_millis(10));
        let r = race_tasks(&[slow, busy]);
        aria_task_cancel(r);
        assert_eq!(rt.block_on(r), crate::AriaResult::ok(7));
        assert_eq!(rt.block_on(slow).err, ERR_CANCELLED);
        for t in [r, slow, busy] {
            release(t);
        }
        // A cancelled race none of whose arguments succeeded fails
        // ERR_CANCELLED.
        let ran = Arc::new(AtomicBool::new(false));
        let slow = sleeper(60_000, ran.clone());
        rt.spawn(slow);
        std::thread::sleep(Duration::from_millis(10));
        let r = race_tasks(&[slow]);
        aria_task_cancel(r);
        assert_eq!(rt.block_on(r).err, ERR_CANCELLED);
        assert!(ran.load(SeqCst));
        release(r);
        release(slow);
    }
    rt.shutdown();
}

#[test]
fn block_on_inside_a_worker_starts_a_substitute() {
    // One worker: a task blocks its thread in `.await()` on a task that
    // needs a worker to run. The substitute keeps the runtime going.
    let rt = Runtime::new(1);
    let outer = fn_task(|_| {
        let inner = value_task(5);
        // SAFETY: synchronous code inside a task (a sync helper).
        unsafe {
            super::spawn(inner);
            let r = aria_task_block_on(inner);
            release(inner);
            assert!(context::core().is_null(), "the core went to the substitute");
            Some((0, r.val + 1))
        }
    });
    assert_eq!(run_root(&rt, outer), crate::AriaResult::ok(6));
    // The runtime still works afterwards.
    assert_eq!(run_root(&rt, value_task(1)), crate::AriaResult::ok(1));
    rt.shutdown();
}

#[test]
fn panic_in_a_task_is_contained() {
    let rt = Runtime::new(1);
    let t = fn_task(|_| {
        let code = crate::panic::raise(PANIC_DIV_ZERO, b"division by zero");
        Some((code, 0))
    });
    let r = run_root(&rt, t);
    assert_eq!(r.err, PANIC_DIV_ZERO);
    assert!(!crate::panic::is_panicking());
    // The worker survived.
    assert_eq!(run_root(&rt, value_task(3)), crate::AriaResult::ok(3));
    rt.shutdown();
}

#[test]
fn awaited_by_chain_for_reports() {
    // c is awaited by b, b by a, a by the test thread (not main): the
    // chain names b and a.
    let rt = Runtime::new(2);
    let gate = Arc::new(AtomicBool::new(false));
    let g = gate.clone();
    let c = fn_task(move |me| unsafe {
        // SAFETY: await protocol on the yield task while the gate is closed.
        if !g.load(SeqCst) {
            let _ = ready(me, aria_yield_now());
            return None;
        }
        Some((0, 0))
    });
    let cp = P(c);
    let b = fn_task(move |me| unsafe {
        // SAFETY: standard await protocol.
        if !ready(me, cp.get()) {
            return None;
        }
        Some((0, 0))
    });
    let bp = P(b);
    let a = fn_task(move |me| unsafe {
        // SAFETY: standard await protocol.
        if !ready(me, bp.get()) {
            return None;
        }
        Some((0, 0))
    });
    // SAFETY: test references.
    unsafe {
        rt.spawn(c);
        rt.spawn(b);
        rt.spawn(a);
        // Wait until b waits on c and a on b.
        let deadline = Instant::now() + Duration::from_secs(5);
        while ((*(*c).waiters.get()).head.is_null() || (*(*b).waiters.get()).head.is_null())
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(1));
        }
        let lines = {
            let _g = crate::task::lock::Guard::new(&(*c).lock);
            crate::task::report::chain_locked(c)
        };
        assert_eq!(
            lines,
            vec![
                format!("  awaited by task #{} task", (*b).id),
                format!("  awaited by task #{} task", (*a).id)
            ]
        );
        gate.store(true, SeqCst);
        assert_eq!(rt.block_on(a).err, 0);
        for t in [a, b, c] {
            release(t);
        }
    }
    rt.shutdown();
}

#[test]
fn callbacks_run_once_in_order() {
    static SEEN: Mutex<Vec<(i64, i64)>> = Mutex::new(Vec::new());
    unsafe extern "C" fn cb(env: *mut u8, err: i64, val: i64) -> crate::AriaResult {
        // SAFETY: env is the closure; its first capture is a tag.
        let tag = unsafe { crate::object::read_i64(env, CLOSURE_CAPS_OFFSET) };
        SEEN.lock().unwrap().push((tag, err * 1000 + val));
        crate::AriaResult::ok(0)
    }
    let rt = Runtime::new(2);
    // SAFETY: closures built per RUNTIME_ABI; test references.
    unsafe {
        let mk = |tag: i64| {
            let c = crate::closure::aria_closure_new(
                cb as *const () as usize as i64,
                1,
                std::ptr::null(),
            );
            crate::object::write_i64(c, CLOSURE_CAPS_OFFSET, tag);
            c
        };
        let mut s = P(std::ptr::null_mut());
        let t = fn_task(move |me| {
            if s.0.is_null() {
                s = P(aria_sleep(20));
            }
            if !ready(me, s.0) {
                return None;
            }
            release(s.0);
            Some((0, 7))
        });
        rt.spawn(t);
        for tag in 1..=3 {
            let c = mk(tag);
            aria_task_then(t, c);
            crate::object::aria_release(c);
        }
        assert_eq!(rt.block_on(t).val, 7);
        // Registered after completion from a non-worker thread: still runs, in order.
        let c = mk(4);
        aria_task_then(t, c);
        crate::object::aria_release(c);
        let deadline = Instant::now() + Duration::from_secs(5);
        while SEEN.lock().unwrap().len() < 4 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(*SEEN.lock().unwrap(), vec![(1, 7), (2, 7), (3, 7), (4, 7)]);
        release(t);
    }
    rt.shutdown();
}

#[test]
fn detached_task_panics_when_awaited() {
    let rt = Runtime::new(1);
    let t = value_task(1);
    // SAFETY: test reference.
    unsafe {
        rt.spawn(t);
        aria_task_detach(t);
        let r = rt.block_on(t);
        assert_eq!(r.err, PANIC_DETACHED);
        let info = crate::panic::take().unwrap();
        assert_eq!(
            info.message,
            format!("await on detached task #{}", (*t).id).into_bytes()
        );
        release(t);
    }
    rt.shutdown();
}

#[test]
fn yield_now_interleaves_and_budget_yields() {
    // Two tasks append to a log, yielding between entries: they alternate.
    let log = Arc::new(Mutex::new(Vec::new()));
    let mk = |tag: i64, log: Arc<Mutex<Vec<i64>>>| {
        let mut i = 0;
        fn_task(move |me| unsafe {
            // SAFETY: await protocol on the yield task.
            while i < 5 {
                if i > 0 && aria_task_cancelled(me) != 0 {
                    return Some((ERR_CANCELLED, 0));
                }
                log.lock().unwrap().push(tag);
                i += 1;
                if !ready(me, aria_yield_now()) {
                    return None;
                }
            }
            Some((0, 0))
        })
    };
    let rt = Runtime::new(1);
    let a = mk(1, log.clone());
    let b = mk(2, log.clone());
    // SAFETY: test references.
    unsafe {
        rt.spawn(a);
        rt.spawn(b);
        rt.block_on(a);
        rt.block_on(b);
        release(a);
        release(b);
    }
    let l = log.lock().unwrap().clone();
    let switches = l.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(switches >= 8, "yield_now interleaves: {l:?}");
    // Budget: a task awaiting complete tasks in a loop lets another run.
    let flag = Arc::new(AtomicBool::new(false));
    let f2 = flag.clone();
    let done_task = value_task(0);
    let dp = P(done_task);
    let mut saw_other = false;
    let spinner = fn_task(move |me| unsafe {
        // SAFETY: await protocol on a complete task.
        for _ in 0..10_000 {
            if f2.load(SeqCst) {
                saw_other = true;
                break;
            }
            if !ready(me, dp.get()) {
                return None;
            }
        }
        Some((0, i64::from(saw_other)))
    });
    let f3 = flag.clone();
    let other = fn_task(move |_| {
        f3.store(true, SeqCst);
        Some((0, 0))
    });
    // SAFETY: test references.
    unsafe {
        rt.spawn(done_task);
        rt.block_on(done_task);
        rt.spawn(spinner);
        rt.spawn(other);
        assert_eq!(
            rt.block_on(spinner).val,
            1,
            "the budget made the spinner yield"
        );
        for t in [spinner, other, done_task] {
            release(t);
        }
    }
    rt.shutdown();
}

#[test]
fn pinned_tasks_resume_on_their_worker() {
    let rt = Runtime::new(2);
    let bad = Arc::new(AtomicUsize::new(0));
    let mut kids = Vec::new();
    for _ in 0..8 {
        let bad = bad.clone();
        let mut i = 0;
        let mut home = -1;
        kids.push(P(fn_task(move |me| unsafe {
            // SAFETY: await protocol on the yield task, pinned.
            let w = context::worker_index();
            if home < 0 {
                home = w;
            } else if w != home {
                bad.fetch_add(1, SeqCst);
            }
            while i < 200 {
                i += 1;
                aria_task_pin(me, 1);
                if !ready(me, aria_yield_now()) {
                    return None;
                }
            }
            Some((0, 0))
        })));
    }
    // SAFETY: new tasks.
    unsafe {
        for k in &kids {
            rt.spawn(k.0);
        }
    }
    let root = sum_task(kids);
    assert_eq!(run_root(&rt, root).err, 0);
    assert_eq!(bad.load(SeqCst), 0, "a pinned task moved");
    rt.shutdown();
}

#[test]
fn deadlock_is_detected_and_timers_are_progress() {
    let rt = Runtime::new(2);
    // A task waiting on a task that never completes (never spawned).
    let never = value_task(0);
    let np = P(never);
    let stuck = fn_task(move |me| unsafe {
        // SAFETY: await protocol.
        if !ready(me, np.get()) {
            return None;
        }
        if aria_task_cancelled(me) != 0 {
            return Some((ERR_CANCELLED, 0));
        }
        Some((0, 0))
    });
    // SAFETY: test references.
    unsafe {
        rt.spawn(stuck);
        std::thread::sleep(Duration::from_millis(30));
        assert!(deadlock::detect(rt.shared(), stuck));
        assert_eq!(
            deadlock::blocked_task(rt.shared(), stuck),
            format!("#{} (task)", (*stuck).id)
        );
        // A pending timer is progress.
        let mut s = P(std::ptr::null_mut());
        let napper = fn_task(move |me| {
            if s.0.is_null() {
                s = P(aria_sleep(200));
            }
            if !ready(me, s.0) {
                return None;
            }
            release(s.0);
            Some((0, 0))
        });
        rt.spawn(napper);
        std::thread::sleep(Duration::from_millis(30));
        assert!(!deadlock::detect(rt.shared(), stuck));
        rt.block_on(napper);
        release(napper);
        aria_task_cancel(stuck);
        assert_eq!(rt.block_on(stuck).err, ERR_CANCELLED);
        release(stuck);
        release(never);
    }
    rt.shutdown();
}

#[test]
fn shutdown_cancels_nothing_but_drains() {
    let rt = Runtime::new(2);
    let done = Arc::new(AtomicI64::new(0));
    for _ in 0..100 {
        let d = done.clone();
        let mut s = P(std::ptr::null_mut());
        let t = fn_task(move |me| unsafe {
            // SAFETY: await protocol.
            if s.0.is_null() {
                s = P(aria_sleep(10));
            }
            if !ready(me, s.0) {
                return None;
            }
            release(s.0);
            d.fetch_add(1, SeqCst);
            Some((0, 0))
        });
        // SAFETY: new task; the runtime keeps it alive until completion.
        unsafe {
            rt.spawn(t);
            release(t);
        }
    }
    rt.shutdown();
    assert_eq!(done.load(SeqCst), 100);
    // SAFETY: the task was never spawned; we hold its only reference.
    unsafe {
        let t = value_task(0);
        assert!(!state(t).is_complete());
        release(t);
    }
}

#[test]
fn aria_threads_values() {
    assert_eq!(super::threads_from(None, 4), (4, None));
    assert_eq!(super::threads_from(Some("3"), 4), (3, None));
    assert_eq!(super::threads_from(Some(" 8 "), 4), (8, None));
    for bad in ["0", "-2", "many", ""] {
        let (n, w) = super::threads_from(Some(bad), 4);
        assert_eq!(n, 4);
        assert_eq!(
            w.unwrap(),
            format!("warning: ignoring ARIA_THREADS={bad}: not a positive integer")
        );
    }
}

#[test]
fn blocking_pool_tasks() {
    // On the global runtime (the test thread is not a worker).
    let t = super::blocking::spawn_blocking_task(false, || {
        std::thread::sleep(Duration::from_millis(10));
        (0, 5)
    });
    // SAFETY: test reference.
    unsafe {
        assert_eq!(aria_task_block_on(t), crate::AriaResult::ok(5));
        release(t);
    }
    // A managed result, cancelled before the job ends: the job releases it.
    let gate = Arc::new(AtomicBool::new(false));
    let g = gate.clone();
    let t = super::blocking::spawn_blocking_task(true, move || {
        while !g.load(SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        (0, crate::string::new_str(b"file contents") as i64)
    });
    // SAFETY: test reference.
    unsafe {
        aria_task_cancel(t);
        assert_eq!(aria_task_block_on(t).err, ERR_CANCELLED);
        gate.store(true, SeqCst);
        let deadline = Instant::now() + Duration::from_secs(5);
        while super::global().blocking.pending() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(super::global().blocking.pending(), 0);
        release(t);
    }
}

#[test]
fn suspended_frames_keep_values_and_completion_frees_them() {
    // The frame (here: the closure) owns a value while the task is
    // suspended, even with every handle dropped; completion drops it.
    let value = Arc::new(());
    let finished = Arc::new(AtomicBool::new(false));
    let (v, f) = (value.clone(), finished.clone());
    let mut s = P(std::ptr::null_mut());
    let t = fn_task(move |me| unsafe {
        // SAFETY: await protocol.
        if s.0.is_null() {
            s = P(aria_sleep(30));
        }
        if !ready(me, s.0) {
            return None;
        }
        release(s.0);
        assert_eq!(Arc::strong_count(&v), 2);
        f.store(true, SeqCst);
        Some((0, 0))
    });
    let rt = Runtime::new(1);
    // SAFETY: test reference, dropped while the task sleeps.
    unsafe {
        rt.spawn(t);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!((*t).rc.load(SeqCst), 2, "our handle + the run reference");
        release(t);
    }
    assert_eq!(
        Arc::strong_count(&value),
        2,
        "the suspended frame holds the value"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while Arc::strong_count(&value) > 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(
        finished.load(SeqCst),
        "a task runs to completion without handles"
    );
    assert_eq!(
        Arc::strong_count(&value),
        1,
        "completion released the frame's value"
    );
    rt.shutdown();
}

#[test]
fn report_format() {
    let t = value_task(0);
    let info = crate::panic::PanicInfo {
        code: -101,
        message: b"division by zero".to_vec(),
        location: Some("prog.aria:3:9 in crasher".into()),
    };
    // SAFETY: live task.
    let (_, _, err) = crate::output::capture(|| unsafe {
        crate::task::report::print_task_panic(
            &info,
            t,
            &[
                "  awaited by task #1 main".to_string(),
                "  awaited by main".to_string(),
            ],
        )
    });
    // SAFETY: live task.
    let id = unsafe { (*t).id };
    assert_eq!(
        String::from_utf8(err).unwrap(),
        format!("panic (code -101): division by zero\n  at prog.aria:3:9 in crasher\n  in task #{id} task\n  awaited by task #1 main\n  awaited by main\n")
    );
    // SAFETY: test reference.
    unsafe { release(t) };
}

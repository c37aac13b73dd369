//! Test helpers: Rust `async` blocks run as Aria tasks, awaiting runtime
//! tasks through the same ABI as generated code (`aria_task_await`, then
//! `aria_task_result` after the wake).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::sched::{context, Runtime};
use crate::task::abi::{aria_task_await, aria_task_result};
use crate::task::native::{new_task, Native};
use crate::task::{release, Task};
use crate::AriaResult;

/// The result of a test task whose Rust code panicked.
pub const TEST_PANIC: i64 = -999;

type BoxFut = Pin<Box<dyn Future<Output = (i64, i64)> + Send>>;

/// A numbered task polling a future; the future's leaves are [`Await`]s.
pub struct FutTask(BoxFut);

impl Native for FutTask {
    const NAME: &'static std::ffi::CStr = c"test";
    unsafe fn resume(this: *mut Self, _task: *mut Task) -> Option<(i64, i64)> {
        let mut cx = Context::from_waker(Waker::noop());
        // SAFETY: runner-only access to the frame.
        let fut = unsafe { &mut (*this).0 };
        // A failed assertion must not unwind through the `extern "C"` resume:
        // the task fails with TEST_PANIC instead (the message is printed).
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fut.as_mut().poll(&mut cx)))
        {
            Ok(Poll::Ready(r)) => Some(r),
            Ok(Poll::Pending) => None,
            Err(_) => Some((TEST_PANIC, 0)),
        }
    }
}

/// A new (unspawned) numbered task running `f`.
pub fn fut_task(f: impl Future<Output = (i64, i64)> + Send + 'static) -> *mut Task {
    new_task(FutTask(Box::pin(f)), true, false)
}

/// Spawns `f` on the runtime of the current worker (inside a task); returns
/// the task (+1).
pub fn spawn_here(f: impl Future<Output = (i64, i64)> + Send + 'static) -> usize {
    let t = fut_task(f);
    // SAFETY: new task.
    unsafe { crate::sched::spawn(t) };
    t as usize
}

/// Runs `f` as a task on `rt` and waits for it from this thread.
pub fn block(rt: &Runtime, f: impl Future<Output = (i64, i64)> + Send + 'static) -> AriaResult {
    let t = fut_task(f);
    // SAFETY: `t` is new; we hold its reference until released.
    unsafe {
        rt.spawn(t);
        let r = rt.block_on(t);
        release(t);
        r
    }
}

/// Awaits a task (taking over the caller's reference, released after).
pub struct Await {
    t: usize,
    registered: bool,
}

/// `await t` in a test future: yields `aria_task_result(t)` and releases `t`.
pub fn aw(t: *mut Task) -> Await {
    Await {
        t: t as usize,
        registered: false,
    }
}

/// As [`aw`] for a task held as `usize`.
pub fn awu(t: usize) -> Await {
    aw(t as *mut Task)
}

impl Future for Await {
    type Output = AriaResult;
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<AriaResult> {
        let t = self.t as *mut Task;
        let me = context::current_task();
        assert!(!me.is_null(), "Await polled outside a task");
        // SAFETY: `me` runs this poll; `t` is live (we hold a reference).
        unsafe {
            // Resumed after registering: `t` completed (or we were cancelled).
            if !self.registered && aria_task_await(me, t) == 0 {
                self.registered = true;
                return Poll::Pending;
            }
            let r = aria_task_result(t);
            release(t);
            self.t = 0;
            Poll::Ready(r)
        }
    }
}

impl Drop for Await {
    fn drop(&mut self) {
        if self.t != 0 {
            // SAFETY: our reference, never awaited to the end.
            unsafe { release(self.t as *mut Task) };
        }
    }
}

/// The finish call of an operation the current task waits for
/// (`aria_chan_finish_recv` and the like).
pub type FinishFn = unsafe extern "C" fn(*mut u8, *mut Task) -> AriaResult;

/// Ends an operation the current task waits for itself (an `aria_*_try_*`
/// call returned `TRY_WAIT` with block `op`): suspends once, as generated
/// code does, then yields `finish(op, task)` after the wake.
pub struct Finish {
    op: i64,
    finish: FinishFn,
    suspended: bool,
}

/// `await` of a `TRY_WAIT` in a test future (see [`Finish`]).
pub fn finish(op: i64, finish: FinishFn) -> Finish {
    Finish {
        op,
        finish,
        suspended: false,
    }
}

impl Future for Finish {
    type Output = AriaResult;
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<AriaResult> {
        if !self.suspended {
            self.suspended = true;
            return Poll::Pending;
        }
        let me = context::current_task();
        // SAFETY: `me` runs this poll, woken from the wait on `op`.
        Poll::Ready(unsafe { (self.finish)(self.op as *mut u8, me) })
    }
}

/// A small deterministic PRNG (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

//! A small pool of threads for blocking work (file I/O), separate from the
//! workers so a blocking call never stalls a worker (LANGUAGE.md §7.14).
//!
//! Threads are started on demand up to [`MAX_THREADS`] and leave after
//! [`KEEP_ALIVE`] idle. [`spawn_blocking_task`] wraps a job in a built-in
//! task: the job runs on the pool, stores its result in the task's frame,
//! then claims the task's `WAIT_NATIVE` wait and wakes it.
//!
//! Invariants:
//! - `pending` counts submitted jobs not yet finished (including the wake
//!   of their task): the runtime is not quiescent while it is non-zero.
//! - A job's task reads the stored result only after the job's own claim
//!   woke it; if a cancellation claimed the wait first, the task completes
//!   with `ERR_CANCELLED` without reading, and the job releases a managed
//!   result itself. A job whose task was cancelled before the job started
//!   is dropped without running.

use std::collections::VecDeque;
use std::ffi::CStr;
use std::sync::atomic::{AtomicUsize, Ordering::*};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::lock;
use crate::layout::ERR_CANCELLED;
use crate::task::native::{new_task, start_waiting, Native};
use crate::task::wait::{claim, WAIT_NATIVE};
use crate::task::{release, retain, Task, TaskRef};

pub const MAX_THREADS: usize = 16;
pub const KEEP_ALIVE: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send>;

struct Inner {
    queue: Mutex<PoolState>,
    cv: Condvar,
    pending: AtomicUsize,
}

struct PoolState {
    jobs: VecDeque<Job>,
    idle: usize,
    threads: usize,
    shutdown: bool,
}

pub struct BlockingPool {
    inner: Arc<Inner>,
}

impl Default for BlockingPool {
    fn default() -> Self {
        BlockingPool::new()
    }
}

impl BlockingPool {
    pub fn new() -> BlockingPool {
        BlockingPool {
            inner: Arc::new(Inner {
                queue: Mutex::new(PoolState {
                    jobs: VecDeque::new(),
                    idle: 0,
                    threads: 0,
                    shutdown: false,
                }),
                cv: Condvar::new(),
                pending: AtomicUsize::new(0),
            }),
        }
    }

    /// Jobs submitted and not finished.
    pub fn pending(&self) -> usize {
        self.inner.pending.load(SeqCst)
    }

    /// Runs `job` on a pool thread.
    pub fn submit(&self, job: impl FnOnce() + Send + 'static) {
        self.inner.pending.fetch_add(1, SeqCst);
        let mut q = lock(&self.inner.queue);
        q.jobs.push_back(Box::new(job));
        if q.idle > 0 {
            self.inner.cv.notify_one();
        } else if q.threads < MAX_THREADS {
            q.threads += 1;
            let inner = self.inner.clone();
            let spawned = std::thread::Builder::new()
                .name("aria-blocking".into())
                .spawn(move || pool_thread(inner));
            if spawned.is_err() {
                q.threads -= 1;
            }
        }
    }

    /// Lets idle pool threads exit.
    pub fn shutdown(&self) {
        lock(&self.inner.queue).shutdown = true;
        self.inner.cv.notify_all();
    }
}

fn pool_thread(inner: Arc<Inner>) {
    let mut q = lock(&inner.queue);
    loop {
        if let Some(job) = q.jobs.pop_front() {
            drop(q);
            job();
            inner.pending.fetch_sub(1, SeqCst);
            q = lock(&inner.queue);
            continue;
        }
        if q.shutdown {
            break;
        }
        q.idle += 1;
        let (g, timeout) = inner
            .cv
            .wait_timeout(q, KEEP_ALIVE)
            .unwrap_or_else(|e| e.into_inner());
        q = g;
        q.idle -= 1;
        if timeout.timed_out() && q.jobs.is_empty() {
            break;
        }
    }
    q.threads -= 1;
}

/// The frame of a blocking task: the job's result, written by the job
/// before its claim; `delivered` is set only when that claim succeeded.
struct BlockingFrame {
    result: std::cell::UnsafeCell<(i64, i64)>,
    delivered: std::sync::atomic::AtomicBool,
}

// SAFETY: `result` is written by the job before its claim and read by the
// task only after the job's successful claim (`delivered`) woke it.
unsafe impl Send for BlockingFrame {}

impl Native for BlockingFrame {
    const NAME: &'static CStr = c"blocking";
    unsafe fn resume(this: *mut Self, _task: *mut Task) -> Option<(i64, i64)> {
        // SAFETY: see the type's invariant; without `delivered` we were woken
        // by a cancellation and must not read `result`.
        unsafe {
            if (*this).delivered.load(Acquire) {
                Some(*(*this).result.get())
            } else {
                Some((ERR_CANCELLED, 0))
            }
        }
    }
}

/// A built-in task whose value is `job()` run on the blocking pool of the
/// current runtime. `managed`: the job returns a managed value (+1).
pub fn spawn_blocking_task(
    managed: bool,
    job: impl FnOnce() -> (i64, i64) + Send + 'static,
) -> *mut Task {
    let shared = super::current();
    let frame = BlockingFrame {
        result: std::cell::UnsafeCell::new((0, 0)),
        delivered: std::sync::atomic::AtomicBool::new(false),
    };
    let t = new_task(frame, false, managed);
    // SAFETY: `t` is new; the job keeps a reference until it finished.
    unsafe {
        start_waiting(shared, t);
        retain(t);
    }
    let tr = TaskRef(std::ptr::NonNull::new(t).expect("allocated"));
    shared.blocking.submit(move || {
        let t = tr.as_ptr();
        // A task cancelled before its job started: the job is dropped unrun
        // (its result could not be delivered: the cancellation claims the wait).
        // SAFETY: the job's reference keeps `t` alive.
        let (err, val) = if unsafe { crate::task::state(t).is_cancelled() } {
            drop(job);
            (ERR_CANCELLED, 0)
        } else {
            job()
        };
        // SAFETY: the job's reference keeps `t` alive (its memory outlives a
        // completion); see BlockingFrame for the frame discipline.
        unsafe {
            let frame = crate::task::frame(t).cast::<BlockingFrame>();
            *(*frame).result.get() = (err, val);
            if claim(t, WAIT_NATIVE) {
                (*frame).delivered.store(true, Release);
                crate::sched::wake(t);
            } else if managed && err == 0 {
                crate::object::aria_release(val as *mut u8);
            }
            release(t);
        }
    });
    t
}

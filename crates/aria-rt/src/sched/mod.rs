//! The multi-threaded work-stealing scheduler (ARCHITECTURE.md §6), modelled
//! on Tokio's `runtime/scheduler/multi_thread`.
//!
//! A [`Shared`] runtime has N workers ([`worker`]), each owning a core: a
//! FIFO deque plus a LIFO slot ([`queue`]). Tasks spawned or woken from
//! outside the workers go to the global injector, pinned tasks to their
//! worker's private inbox. Idle workers park ([`park`], [`idle`]); the
//! parked worker holding the driver token sleeps until the next timer
//! ([`timer`]) — in the I/O driver's poll ([`io`]) once sockets are in
//! use. Blocking work runs on a separate pool ([`blocking`]).
//! [`block_on`] makes a thread wait for a task (handing a worker's core to a
//! substitute), [`shutdown`] ends a runtime, [`deadlock`] detects a main
//! thread waiting forever.
//!
//! Invariants:
//! - Every path that makes a task `SCHEDULED` pushes it to exactly one
//!   queue: [`wake`] (after a successful `State::wake`), [`schedule_yield`]
//!   (after `State::end_run` returned true), [`spawn`] and [`spawn_new`] (a
//!   new task; `spawn_new` sets `SCHEDULED` by a plain store on a task no
//!   other thread can reach yet).
//! - A push that may leave stealable work wakes a parked worker unless one
//!   is searching; the searching protocol in [`idle`] guarantees the work is
//!   found.
//! - A runtime is never freed while tasks may point to it: runtimes are
//!   leaked (they are few: the global one, and the ones tests create).
//! - The global runtime starts on first use; `ARIA_THREADS` (a positive
//!   integer) overrides the number of workers, another value draws a
//!   warning on stderr and is ignored.

pub mod block_on;
pub mod blocking;
pub mod context;
pub mod deadlock;
pub mod idle;
pub mod io;
pub mod park;
pub mod queue;
pub mod shutdown;
pub mod timer;
pub mod worker;

#[cfg(all(test, not(loom)))]
mod tests;

use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering::*};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{JoinHandle, Thread};

use crossbeam_deque::{Injector, Stealer};

use crate::task::state::SPAWNED;
use crate::task::{registry::Registry, state, Task, TaskRef};
use blocking::BlockingPool;
use idle::Idle;
use park::Parker;
use timer::Timers;
use worker::Core;

/// What another thread may touch of a worker.
pub struct Remote {
    pub stealer: Stealer<TaskRef>,
    /// Pinned tasks for this worker; never stolen.
    pub inbox: Injector<TaskRef>,
    pub parker: Parker,
}

/// One runtime: its workers, queues, timers and registry.
pub struct Shared {
    pub remotes: Box<[Remote]>,
    pub injector: Injector<TaskRef>,
    pub idle: Idle,
    pub timers: Timers,
    /// 0, or 1 + the index of the worker parked as the timer driver.
    pub driver: AtomicUsize,
    pub registry: Registry,
    pub blocking: BlockingPool,
    /// Workers exit when set.
    pub stop: AtomicBool,
    /// Set by shutdown: tasks spawned from now on are cancelled at once.
    pub closing: AtomicBool,
    /// Detect a main thread waiting forever (Aria programs only).
    pub detect_deadlock: AtomicBool,
    /// Threads blocked in `.await()` with deadlock detection, woken when the
    /// last worker parks.
    pub watchers: Mutex<Vec<Thread>>,
    /// Threads that gave their core away in `.await()` and, the wait over,
    /// are still finishing their task without a core: running, so no
    /// deadlock (`deadlock::quiescent`).
    pub coreless: AtomicUsize,
    /// The I/O driver, started on first use ([`io::reactor`]).
    pub io: std::sync::OnceLock<io::Reactor>,
    io_init: Mutex<()>,
    /// Worker threads (and substitutes), and how many are still running.
    threads: Mutex<Vec<JoinHandle<()>>>,
    alive: Mutex<usize>,
    alive_cv: Condvar,
}

// SAFETY: all fields are thread-safe; `TaskRef`s in the queues are Send.
unsafe impl Sync for Shared {}
// SAFETY: as above.
unsafe impl Send for Shared {}

impl Shared {
    /// A runtime with `n` workers (not started).
    fn new(n: usize) -> (Arc<Shared>, Vec<Core>) {
        let n = n.max(1);
        let cores: Vec<Core> = (0..n).map(Core::new).collect();
        let remotes = cores
            .iter()
            .map(|c| Remote {
                stealer: c.queue.stealer(),
                inbox: Injector::new(),
                parker: Parker::new(),
            })
            .collect();
        let shared = Arc::new(Shared {
            remotes,
            injector: Injector::new(),
            idle: Idle::new(n),
            timers: Timers::new(),
            driver: AtomicUsize::new(0),
            registry: Registry::new(),
            blocking: BlockingPool::new(),
            stop: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            detect_deadlock: AtomicBool::new(false),
            watchers: Mutex::new(Vec::new()),
            coreless: AtomicUsize::new(0),
            io: std::sync::OnceLock::new(),
            io_init: Mutex::new(()),
            threads: Mutex::new(Vec::new()),
            alive: Mutex::new(0),
            alive_cv: Condvar::new(),
        });
        (shared, cores)
    }

    pub fn num_workers(&self) -> usize {
        self.remotes.len()
    }

    /// Starts a thread running `core`.
    pub(crate) fn start_worker(self: &Arc<Shared>, core: Box<Core>) {
        *lock(&self.alive) += 1;
        let shared = self.clone();
        let name = format!("aria-worker-{}", core.index);
        let h = std::thread::Builder::new()
            .name(name)
            .stack_size(8 << 20)
            .spawn(move || {
                let _alt_stack = crate::stack_guard::enter_thread();
                worker::run_worker(shared, core)
            })
            .unwrap_or_else(|e| {
                crate::output::write_stderr(
                    format!("fatal: cannot start a worker thread: {e}").as_bytes(),
                    true,
                );
                std::process::exit(70)
            });
        lock(&self.threads).push(h);
    }

    /// A worker thread ended.
    pub(crate) fn thread_exited(&self) {
        let mut a = lock(&self.alive);
        *a -= 1;
        self.alive_cv.notify_all();
    }

    /// Wakes a parked worker if none is searching.
    #[inline]
    pub fn notify_parked(&self) {
        if let Some(w) = self.idle.worker_to_notify() {
            self.remotes[w].parker.unpark();
        }
    }

    /// [`Shared::notify_parked`] after a push to this worker's own queue:
    /// skipped, without a read-modify-write, when a plain load shows every
    /// worker awake or one searching. A stale reading can only miss a worker
    /// that parks at this very moment, and then the work is not stranded:
    /// it sits in the queue of this worker, which is running and will take
    /// it (only some parallelism is lost, for that moment). Pushes from
    /// outside the workers (`push_remote`) and pinned pushes always take
    /// the full path.
    #[inline]
    pub fn notify_parked_local(&self) {
        if self.idle.may_notify() {
            self.notify_parked();
        }
    }

    /// Wakes a parked worker if any queue holds work (the last searcher's duty).
    pub(crate) fn notify_if_work_pending(&self) {
        let pending =
            self.remotes.iter().any(|r| !r.stealer.is_empty()) || !self.injector.is_empty();
        if pending {
            self.notify_parked();
        }
    }

    /// Makes sure some worker will fire the timer just inserted as earliest.
    pub(crate) fn timer_added_earliest(&self) {
        let d = self.driver.load(SeqCst);
        if d != 0 {
            self.remotes[d - 1].parker.unpark();
        } else if let Some(w) = self.idle.any_sleeper() {
            self.remotes[w].parker.unpark();
        }
    }

    /// Every worker parked: let the deadlock watchers look.
    pub(crate) fn on_all_parked(&self) {
        let w = lock(&self.watchers);
        for t in w.iter() {
            t.unpark();
        }
    }

    /// Queues a task from a thread that has no core of this runtime.
    pub(crate) fn push_remote(&self, t: TaskRef) {
        self.injector.push(t);
        self.notify_parked();
    }

    /// Queues a pinned task to its worker's inbox.
    pub(crate) fn push_pinned(&self, w: usize, t: TaskRef) {
        let w = w.min(self.remotes.len() - 1);
        self.remotes[w].inbox.push(t);
        self.remotes[w].parker.unpark();
    }

    /// Stops the workers (they exit at their next loop turn).
    pub(crate) fn stop_workers(&self) {
        self.stop.store(true, SeqCst);
        let _ = self.idle.all_sleepers();
        for r in self.remotes.iter() {
            r.parker.unpark();
        }
    }

    /// Waits until every worker thread has exited, at most until `deadline`;
    /// joins them if they all did. True if all exited.
    pub(crate) fn join_workers(&self, deadline: Option<std::time::Instant>) -> bool {
        let mut a = lock(&self.alive);
        while *a > 0 {
            match deadline {
                None => a = self.alive_cv.wait(a).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = std::time::Instant::now();
                    if now >= d {
                        return false;
                    }
                    a = self
                        .alive_cv
                        .wait_timeout(a, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
        drop(a);
        let handles: Vec<_> = lock(&self.threads).drain(..).collect();
        let me = std::thread::current().id();
        for h in handles {
            if h.thread().id() != me {
                let _ = h.join();
            }
        }
        true
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

// ---- scheduling --------------------------------------------------------------------------

/// How a task became runnable (decides where it is queued).
#[derive(Clone, Copy, PartialEq, Eq)]
enum How {
    /// New task: the LIFO slot.
    Spawn,
    /// Woken by an event: the LIFO slot.
    Wake,
    /// Requeued after its run (yield, or woken while running): back of the deque.
    Yield,
}

/// Wakes task `t`: schedules it if it was idle, marks it `NOTIFIED` if it is
/// running, else nothing.
///
/// # Safety
/// `t` is a live task (kept alive by the caller's claim or reference).
#[inline]
pub unsafe fn wake(t: *mut Task) {
    // SAFETY: caller contract.
    unsafe {
        if state(t).wake() {
            schedule(t, How::Wake);
        }
    }
}

/// Requeues a task whose run just ended with `end_run() == true`.
///
/// # Safety
/// `t` is live and `SCHEDULED` by the caller's transition.
pub(crate) unsafe fn schedule_yield(t: *mut Task) {
    // SAFETY: caller contract.
    unsafe { schedule(t, How::Yield) }
}

unsafe fn schedule(t: *mut Task, how: How) {
    // SAFETY: `t` is live; its runtime was set at spawn and outlives it.
    unsafe {
        let shared = &*(*(*t).sched.get());
        let tr = TaskRef::from_raw(t);
        let pin = (*t).pinned.load(Relaxed);
        if pin >= 0 {
            shared.push_pinned(pin as usize, tr);
            return;
        }
        let (mine, core) = context::shared_and_core();
        if !core.is_null() && ptr::eq(mine, shared) {
            let place = match how {
                How::Spawn => worker::Place::Spawn,
                How::Wake => worker::Place::Lifo,
                How::Yield => worker::Place::Yield,
            };
            worker::schedule_local(shared, core, tr, place);
        } else {
            shared.push_remote(tr);
        }
    }
}

/// Gives task `t` to runtime `shared` without queueing it: takes the run
/// reference. (Aria tasks and C frames enter the registry only if they
/// suspend: `task::run`.) A task attached while the runtime shuts down is
/// cancelled (so it never runs). Returns false (doing nothing) for a task
/// that was already attached.
///
/// # Safety
/// `t` is live and idle; no other thread attaches it at the same time.
pub unsafe fn attach(shared: &Shared, t: *mut Task) -> bool {
    // SAFETY: caller contract: the header may be initialised here.
    unsafe {
        if state(t).load() & SPAWNED != 0 {
            return false;
        }
        *(*t).sched.get() = shared;
        crate::task::retain(t);
        if shared.closing.load(Acquire) {
            state(t).cancel();
        }
        let prev = state(t).mark_spawned();
        debug_assert!(prev & SPAWNED == 0, "task attached concurrently");
        true
    }
}

/// Hands task `t` (the caller keeps its own reference) to runtime `shared`
/// and queues it: the eager start of an async call. Spawning a task twice
/// does nothing the second time.
///
/// # Safety
/// As for [`attach`].
pub unsafe fn spawn_on(shared: &Shared, t: *mut Task) {
    // SAFETY: caller contract.
    unsafe {
        if attach(shared, t) && state(t).wake() {
            schedule(t, How::Spawn);
        }
    }
}

/// `aria_task_spawn`: [`spawn`] for a task that `aria_task_new` just made
/// on this thread, which no other thread can reach yet: the run reference
/// and the first scheduling are plain stores (no read-modify-write; the
/// queue push publishes them), and a new task is never pinned.
///
/// # Safety
/// `t` is live; if it was never spawned, no other thread can reach it.
pub unsafe fn spawn_new(t: *mut Task) {
    let (mine, core) = context::shared_and_core();
    // SAFETY: a worker's runtime outlives the thread; the global is leaked;
    // caller contract for the task.
    unsafe {
        let shared = if mine.is_null() { global() } else { &*mine };
        if state(t).load() != 0 {
            // Already spawned (or started): the general path decides.
            spawn_on(shared, t);
            return;
        }
        *(*t).sched.get() = shared;
        let rc = &(*t).rc;
        rc.store(rc.load(Relaxed) + 1, Relaxed);
        let extra = if shared.closing.load(Acquire) {
            crate::task::state::CANCELLED
        } else {
            0
        };
        state(t).schedule_unshared(extra);
        let tr = TaskRef::from_raw(t);
        if core.is_null() {
            shared.push_remote(tr);
        } else {
            worker::schedule_local(shared, core, tr, worker::Place::Spawn);
        }
    }
}

/// Spawns on the runtime of this worker thread, else on the global runtime
/// (started on first use).
///
/// # Safety
/// As for [`spawn_on`].
pub unsafe fn spawn(t: *mut Task) {
    let s = context::shared();
    // SAFETY: a worker's runtime outlives the thread; the global is leaked.
    unsafe {
        if s.is_null() {
            spawn_on(global(), t)
        } else {
            spawn_on(&*s, t)
        }
    }
}

/// The runtime for new work from this thread: the worker's own, else the global.
pub fn current() -> &'static Shared {
    let s = context::shared();
    if s.is_null() {
        global()
    } else {
        // SAFETY: runtimes are leaked (module invariant).
        unsafe { &*s }
    }
}

// ---- runtimes ----------------------------------------------------------------------------

/// A runtime handle for Rust code and tests; the global runtime behind the
/// ABI is one of these.
#[derive(Clone)]
pub struct Runtime {
    shared: Arc<Shared>,
}

impl Runtime {
    /// Starts a runtime with `n` workers (0: the default count).
    pub fn new(n: usize) -> Runtime {
        let n = if n == 0 { default_threads() } else { n };
        let (shared, cores) = Shared::new(n);
        // Leak one count: tasks point to the runtime with raw pointers.
        std::mem::forget(shared.clone());
        for c in cores {
            shared.start_worker(Box::new(c));
        }
        Runtime { shared }
    }

    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Spawns task `t` (the caller keeps its reference).
    ///
    /// # Safety
    /// As for [`spawn_on`].
    pub unsafe fn spawn(&self, t: *mut Task) {
        // SAFETY: caller contract.
        unsafe { spawn_on(&self.shared, t) }
    }

    /// Blocks this thread until `t` completes; returns its result (retained).
    ///
    /// # Safety
    /// `t` is live and the caller holds a reference.
    pub unsafe fn block_on(&self, t: *mut Task) -> crate::AriaResult {
        // SAFETY: caller contract.
        unsafe { block_on::block_on(t) }
    }

    /// Graceful shutdown: waits until every task completed or nothing can
    /// make progress any more, then stops and joins the workers.
    pub fn shutdown(&self) {
        shutdown::shutdown_graceful(&self.shared);
    }
}

static GLOBAL: AtomicPtr<Shared> = AtomicPtr::new(ptr::null_mut());
static GLOBAL_INIT: Mutex<()> = Mutex::new(());

/// The global runtime, started on first use.
pub fn global() -> &'static Shared {
    let p = GLOBAL.load(Acquire);
    if !p.is_null() {
        // SAFETY: published runtimes are leaked.
        return unsafe { &*p };
    }
    init_global(0)
}

/// Starts the global runtime with `n` workers (0: default) unless running.
pub fn init_global(n: usize) -> &'static Shared {
    let _g = lock(&GLOBAL_INIT);
    let p = GLOBAL.load(Acquire);
    if !p.is_null() {
        // SAFETY: published runtimes are leaked.
        return unsafe { &*p };
    }
    let rt = Runtime::new(n);
    let p = Arc::as_ptr(&rt.shared) as *mut Shared;
    std::mem::forget(rt);
    GLOBAL.store(p, Release);
    // SAFETY: just leaked.
    unsafe { &*p }
}

/// The global runtime if it was started.
pub fn global_if_started() -> Option<&'static Shared> {
    let p = GLOBAL.load(Acquire);
    // SAFETY: published runtimes are leaked.
    (!p.is_null()).then(|| unsafe { &*p })
}

/// Forgets the global runtime (after shutting it down), so that the next
/// use starts a new one.
pub(crate) fn clear_global(s: &Shared) {
    let _g = lock(&GLOBAL_INIT);
    let _ = GLOBAL.compare_exchange(
        s as *const Shared as *mut Shared,
        ptr::null_mut(),
        AcqRel,
        Acquire,
    );
}

/// The shared `Arc` of a runtime reached by reference (for substitutes).
pub(crate) fn arc_of(s: &Shared) -> Arc<Shared> {
    // SAFETY: every Shared lives in an Arc (Shared::new) with one leaked
    // count, so incrementing and rebuilding an Arc from it is sound.
    unsafe {
        Arc::increment_strong_count(s as *const Shared);
        Arc::from_raw(s as *const Shared)
    }
}

/// Number of workers by default: `ARIA_THREADS` if it is a positive
/// integer (otherwise a warning), else the available cores.
pub fn default_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let var = std::env::var_os("ARIA_THREADS");
    let (n, warning) = threads_from(var.as_ref().map(|v| v.to_string_lossy()).as_deref(), cores);
    if let Some(w) = warning {
        crate::output::write_stderr(w.as_bytes(), true);
    }
    n
}

/// The worker count for an `ARIA_THREADS` value and the core count, with
/// the warning to print for a value that is not a positive integer.
pub fn threads_from(var: Option<&str>, cores: usize) -> (usize, Option<String>) {
    match var {
        None => (cores, None),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => (n.min(1024), None),
            _ => (
                cores,
                Some(format!(
                    "warning: ignoring ARIA_THREADS={v}: not a positive integer"
                )),
            ),
        },
    }
}

//! The task state word: one atomic `u64` of lifecycle bits.
//!
//! Invariants (every transition below keeps them; `loom_` tests check them):
//! - `SCHEDULED`: the task sits in exactly one run queue, or is about to be
//!   pushed by the one thread whose transition set the bit. Set only by
//!   [`State::wake`] and [`State::end_run`]; cleared only by [`State::start_run`]
//!   (by the thread that popped the task). Never together with `RUNNING`.
//! - `RUNNING`: exactly one thread is inside the task's `resume`.
//! - `NOTIFIED`: only together with `RUNNING`: a wake arrived during the run;
//!   [`State::end_run`] turns it into exactly one requeue.
//! - `COMPLETE`: final. Once set, `SCHEDULED`, `RUNNING` and `NOTIFIED` stay
//!   clear and wakes are ignored.
//! - `CANCELLED`, `DETACHED`: sticky requests; `STARTED`: set at the first run;
//!   `SPAWNED`: the task was handed to a scheduler.
//!
//! So a wake schedules a task at most once however many threads wake it at
//! the same time, and a wake is never lost: it either schedules an idle task
//! or marks a running one `NOTIFIED`. Only the bit logic lives here; the
//! queues belong to [`crate::sched`].

use crate::sync::atomic::{AtomicU64, Ordering::*};

pub const SCHEDULED: u64 = 1 << 0;
pub const RUNNING: u64 = 1 << 1;
pub const NOTIFIED: u64 = 1 << 2;
pub const COMPLETE: u64 = 1 << 3;
pub const CANCELLED: u64 = 1 << 4;
pub const DETACHED: u64 = 1 << 5;
pub const STARTED: u64 = 1 << 6;
pub const SPAWNED: u64 = 1 << 7;

/// The state word of a task.
#[repr(transparent)]
pub struct State(AtomicU64);

impl State {
    /// A task nobody has scheduled yet.
    pub fn new() -> State {
        State(AtomicU64::new(0))
    }

    /// A task whose first scheduling is already decided (its creator pushes it).
    pub fn new_scheduled() -> State {
        State(AtomicU64::new(SCHEDULED | SPAWNED))
    }

    #[inline]
    pub fn load(&self) -> u64 {
        self.0.load(Acquire)
    }

    /// Marks the task spawned; returns the previous word (the caller that
    /// first set `SPAWNED` does the spawning).
    #[inline]
    pub fn mark_spawned(&self) -> u64 {
        self.0.fetch_or(SPAWNED, AcqRel)
    }

    /// Marks a built-in task spawned and started (it never takes the
    /// "cancelled before its first run" path: its resume handles cancellation).
    #[inline]
    pub fn mark_spawned_started(&self) -> u64 {
        self.0.fetch_or(SPAWNED | STARTED, AcqRel)
    }

    /// A wake: true when the caller moved the task from idle to `SCHEDULED`
    /// and must now push it to a run queue. A running task is marked
    /// `NOTIFIED` instead. When the task is already scheduled or notified
    /// the word is still written (an unchanged compare-exchange): the run
    /// that will follow starts with an RMW later in the word's modification
    /// order, so it happens after everything the waker did before waking
    /// (a plain load here would allow the store-buffering reordering that
    /// loses the wake-up; `loom_` test). Complete tasks are left alone.
    #[inline]
    pub fn wake(&self) -> bool {
        let mut cur = self.0.load(Acquire);
        loop {
            if cur & COMPLETE != 0 {
                return false;
            }
            let (next, schedule) =
                if cur & SCHEDULED != 0 || cur & (RUNNING | NOTIFIED) == RUNNING | NOTIFIED {
                    (cur, false)
                } else if cur & RUNNING != 0 {
                    (cur | NOTIFIED, false)
                } else {
                    (cur | SCHEDULED, true)
                };
            match self.0.compare_exchange_weak(cur, next, AcqRel, Acquire) {
                Ok(_) => return schedule,
                Err(actual) => cur = actual,
            }
        }
    }

    /// The thread that popped the task starts running it: `SCHEDULED` becomes
    /// `RUNNING`, and `STARTED` is set at the first run (one `fetch_xor`: no
    /// other thread touches these three bits while `SCHEDULED` is set; a
    /// relaxed load tells whether `STARTED` is set, as whoever set it did so
    /// before the task was queued). Returns the previous word.
    #[inline]
    pub fn start_run(&self) -> u64 {
        let bits = if self.0.load(Relaxed) & STARTED == 0 {
            SCHEDULED | RUNNING | STARTED
        } else {
            SCHEDULED | RUNNING
        };
        let prev = self.0.fetch_xor(bits, AcqRel);
        debug_assert!(
            prev & SCHEDULED != 0 && prev & RUNNING == 0 && (prev ^ bits) & STARTED != 0,
            "start_run on state {prev:#x}"
        );
        prev
    }

    /// The first scheduling of a new task that no other thread can reach yet
    /// (`aria_task_spawn` on the task `aria_task_new` just made): idle →
    /// `SCHEDULED | SPAWNED` (plus `extra`, e.g. `CANCELLED`) by a plain
    /// store. The queue push that publishes the task orders it.
    #[inline]
    pub fn schedule_unshared(&self, extra: u64) {
        debug_assert_eq!(self.0.load(Relaxed), 0, "schedule_unshared on a used task");
        self.0.store(SCHEDULED | SPAWNED | extra, Relaxed);
    }

    /// Starts running a task that is idle (not queued, not running, not
    /// complete) without popping it from a queue (`aria_scheduler_resume`).
    /// False if the task is in any other state.
    pub fn try_start_direct(&self) -> bool {
        let mut cur = self.0.load(Acquire);
        loop {
            if cur & (SCHEDULED | RUNNING | COMPLETE) != 0 {
                return false;
            }
            match self
                .0
                .compare_exchange_weak(cur, cur | RUNNING | STARTED, AcqRel, Acquire)
            {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Starts the first run of a new task that no other thread can reach
    /// yet (`aria_task_start_inline`): idle → `RUNNING | STARTED` by a plain
    /// store, as nothing can race with it. Another thread reaches the task
    /// only once it waits for something, through the lock of what it waits
    /// for, which orders this store before that thread's RMWs.
    #[inline]
    pub fn start_unshared(&self) {
        debug_assert_eq!(self.0.load(Relaxed), 0, "start_unshared on a used task");
        self.0.store(RUNNING | STARTED, Relaxed);
    }

    /// Completes a task started by [`State::start_unshared`] that never
    /// waited for anything in that run, so no other thread ever reached it:
    /// `RUNNING` → `COMPLETE` by a plain store.
    #[inline]
    pub fn complete_unshared(&self) {
        debug_assert_eq!(self.0.load(Relaxed), RUNNING | STARTED);
        self.0.store(STARTED | COMPLETE, Release);
    }

    /// The run ended with the task pending. True when a wake arrived during
    /// the run (`NOTIFIED`): the task is now `SCHEDULED` again and the caller
    /// must push it to a run queue, exactly once. Otherwise it is idle.
    #[inline]
    pub fn end_run(&self) -> bool {
        let mut cur = self.0.load(Acquire);
        loop {
            debug_assert!(cur & RUNNING != 0, "end_run on state {cur:#x}");
            let (next, requeue) = if cur & NOTIFIED != 0 {
                ((cur & !(RUNNING | NOTIFIED)) | SCHEDULED, true)
            } else {
                (cur & !RUNNING, false)
            };
            match self.0.compare_exchange_weak(cur, next, AcqRel, Acquire) {
                Ok(_) => return requeue,
                Err(actual) => cur = actual,
            }
        }
    }

    /// The run of a task that yielded ended (pending): it is `SCHEDULED`
    /// again whether or not a wake arrived during the run (`NOTIFIED` is
    /// absorbed), and the caller must push it to a run queue, exactly once.
    /// One RMW, where marking the task `NOTIFIED` at the yield and ending
    /// the run with [`State::end_run`] would take two.
    #[inline]
    pub fn end_run_yield(&self) {
        let mut cur = self.0.load(Acquire);
        loop {
            debug_assert!(cur & RUNNING != 0, "end_run_yield on state {cur:#x}");
            let next = (cur & !(RUNNING | NOTIFIED)) | SCHEDULED;
            match self.0.compare_exchange_weak(cur, next, AcqRel, Acquire) {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }

    /// The run ended with the task complete. Returns the previous word (its
    /// `DETACHED` bit tells who drops the result: see [`State::detach`]).
    pub fn complete(&self) -> u64 {
        let mut cur = self.0.load(Acquire);
        loop {
            let next = (cur & !(RUNNING | NOTIFIED | SCHEDULED)) | COMPLETE;
            match self.0.compare_exchange_weak(cur, next, AcqRel, Acquire) {
                Ok(_) => return cur,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Requests cancellation (the caller then sets the cancel bit of the
    /// task's wait word: see [`crate::task::wait`]).
    #[inline]
    pub fn cancel(&self) -> u64 {
        self.0.fetch_or(CANCELLED, AcqRel)
    }

    /// Marks the task detached. Whoever sets the second of `DETACHED` and
    /// `COMPLETE` (this call, or [`State::complete`]) drops the result.
    #[inline]
    pub fn detach(&self) -> u64 {
        self.0.fetch_or(DETACHED, AcqRel)
    }

    #[inline]
    pub fn is_complete(&self) -> bool {
        self.load() & COMPLETE != 0
    }

    /// Is cancellation requested?
    #[inline]
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Acquire) & CANCELLED != 0
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn lifecycle() {
        let s = State::new();
        assert!(s.wake(), "idle -> scheduled");
        assert!(!s.wake(), "already scheduled");
        let prev = s.start_run();
        assert_eq!(prev & STARTED, 0);
        assert!(s.load() & STARTED != 0 && s.load() & RUNNING != 0);
        assert!(!s.wake(), "running -> notified");
        assert!(s.load() & NOTIFIED != 0);
        assert!(s.end_run(), "notified -> requeue");
        assert_eq!(s.load() & (SCHEDULED | RUNNING | NOTIFIED), SCHEDULED);
        s.start_run();
        assert!(!s.end_run(), "plain pending -> idle");
        assert_eq!(s.load() & (SCHEDULED | RUNNING), 0);
        assert!(s.try_start_direct());
        assert!(!s.try_start_direct());
        let prev = s.complete();
        assert!(prev & RUNNING != 0);
        assert!(!s.wake(), "complete ignores wakes");
        assert!(s.detach() & COMPLETE != 0);
    }

    #[test]
    fn unshared_inline_run() {
        let s = State::new();
        s.start_unshared();
        assert_eq!(s.load(), RUNNING | STARTED);
        s.complete_unshared();
        assert_eq!(s.load(), STARTED | COMPLETE);
        assert!(!s.wake(), "complete ignores wakes");
        // Suspending instead: the ordinary end of a run.
        let s = State::new();
        s.start_unshared();
        assert!(!s.wake(), "running -> notified");
        s.mark_spawned();
        assert!(s.end_run(), "notified -> requeue");
        assert_eq!(s.load() & (SCHEDULED | RUNNING | NOTIFIED), SCHEDULED);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::atomic::{AtomicBool, AtomicUsize};
    use crate::sync::{thread, Arc, Mutex};

    /// A run queue holding at most the one task of the model: its length.
    struct Queue(Mutex<usize>);
    impl Queue {
        fn push(&self) {
            let mut q = self.0.lock().unwrap();
            *q += 1;
            assert_eq!(*q, 1, "a task was queued twice");
        }
        fn pop(&self) -> bool {
            let mut q = self.0.lock().unwrap();
            if *q == 0 {
                return false;
            }
            *q -= 1;
            true
        }
    }

    /// Runs the task once (it stays pending); the run sees `msg`.
    fn run_once(s: &State, q: &Queue, msg: &AtomicBool, seen: &AtomicBool) {
        s.start_run();
        // Relaxed: only the state word may order the message.
        if msg.load(Relaxed) {
            seen.store(true, SeqCst);
        }
        if s.end_run() {
            q.push();
        }
    }

    #[test]
    fn loom_concurrent_wakes_schedule_once() {
        loom::model(|| {
            let s = Arc::new(State::new());
            let pushes = Arc::new(AtomicUsize::new(0));
            let ths: Vec<_> = (0..2)
                .map(|_| {
                    let (s, pushes) = (s.clone(), pushes.clone());
                    thread::spawn(move || {
                        if s.wake() {
                            pushes.fetch_add(1, SeqCst);
                        }
                    })
                })
                .collect();
            if s.wake() {
                pushes.fetch_add(1, SeqCst);
            }
            for t in ths {
                t.join().unwrap();
            }
            assert_eq!(pushes.load(SeqCst), 1);
            assert_eq!(s.load() & (SCHEDULED | RUNNING | NOTIFIED), SCHEDULED);
        });
    }

    #[test]
    fn loom_wake_during_run_requeues_once_and_is_never_lost() {
        loom::model(|| {
            let s = Arc::new(State::new_scheduled());
            let q = Arc::new(Queue(Mutex::new(1)));
            let msg = Arc::new(AtomicBool::new(false));
            let seen = Arc::new(AtomicBool::new(false));
            // Two wakers publish a message and wake the task.
            let ths: Vec<_> = (0..2)
                .map(|_| {
                    let (s, q, msg) = (s.clone(), q.clone(), msg.clone());
                    thread::spawn(move || {
                        msg.store(true, Relaxed);
                        if s.wake() {
                            q.push();
                        }
                    })
                })
                .collect();
            // A worker runs whatever is queued.
            {
                let (s, q, msg, seen) = (s.clone(), q.clone(), msg.clone(), seen.clone());
                let worker = thread::spawn(move || {
                    while q.pop() {
                        run_once(&s, &q, &msg, &seen);
                    }
                });
                worker.join().unwrap();
            }
            for t in ths {
                t.join().unwrap();
            }
            // Drain what the wakers queued after the worker stopped.
            while q.pop() {
                run_once(&s, &q, &msg, &seen);
            }
            assert!(seen.load(SeqCst), "a wake was lost: no run saw the message");
            assert_eq!(
                s.load() & (SCHEDULED | RUNNING | NOTIFIED),
                0,
                "task ends idle"
            );
        });
    }

    #[test]
    fn loom_yield_and_wake_queue_once() {
        loom::model(|| {
            let s = Arc::new(State::new_scheduled());
            let pushes = Arc::new(AtomicUsize::new(0));
            let waker = {
                let (s, pushes) = (s.clone(), pushes.clone());
                thread::spawn(move || {
                    if s.wake() {
                        pushes.fetch_add(1, SeqCst);
                    }
                })
            };
            s.start_run();
            s.end_run_yield();
            pushes.fetch_add(1, SeqCst);
            waker.join().unwrap();
            assert_eq!(pushes.load(SeqCst), 1, "a yielding task is queued once");
            assert_eq!(s.load() & (SCHEDULED | RUNNING | NOTIFIED), SCHEDULED);
        });
    }

    #[test]
    fn loom_complete_ignores_late_wakes() {
        loom::model(|| {
            let s = Arc::new(State::new_scheduled());
            let s2 = s.clone();
            let waker = thread::spawn(move || s2.wake());
            s.start_run();
            s.complete();
            let scheduled = waker.join().unwrap();
            assert!(!scheduled, "a complete or running task is never pushed");
            assert_eq!(
                s.load() & (SCHEDULED | RUNNING | NOTIFIED | COMPLETE),
                COMPLETE
            );
        });
    }
}

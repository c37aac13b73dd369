//! Timers: a binary heap of deadlines, driven by the workers — no timer
//! thread. The worker that parks holding the *driver* token sleeps with the
//! next deadline as its park timeout and fires what expired when it wakes;
//! busy workers fire expired timers during maintenance (every ~61 ticks).
//! So `sleep(1)` costs a heap entry, not a thread, and 100,000 sleepers cost
//! 100,000 entries (O(log n) each).
//!
//! Invariants:
//! - Each entry holds one reference to its task (released when it fires),
//!   so a stale entry — its task completed or cancelled meanwhile — is
//!   harmless: firing only claims the task's `WAIT_NATIVE` wait
//!   ([`crate::task::wait`]), which fails for a task no longer waiting.
//! - `next` mirrors the earliest deadline (`u64::MAX` if none) so the hot
//!   paths check for expired timers without the lock.
//! - `firing` counts threads between popping entries and waking their
//!   tasks: while it is non-zero the runtime is not quiescent.
//! - Entries with equal deadlines fire in insertion order.
//! - A *stale* entry (its task completed another way: a cancelled sleep, a
//!   `with_timeout` whose task finished first) stays until it reaches the
//!   top or a purge: `stale` is a hint counted by those tasks; when it
//!   exceeds half the heap, the next insert rebuilds the heap without stale
//!   entries (amortised O(1)), so memory stays proportional to live timers.
//!   [`Timers::has_live`] drops stale entries from the top, so a runtime
//!   whose only timers are stale is quiescent.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::*};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::task::wait::{claim, WAIT_NATIVE};
use crate::task::{release, retain, state, TaskRef};

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    deadline: u64,
    seq: u64,
    task: TaskRefOrd,
}

/// A task pointer ordered by address (only to complete `Entry`'s order).
#[derive(PartialEq, Eq)]
struct TaskRefOrd(TaskRef);
impl PartialOrd for TaskRefOrd {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for TaskRefOrd {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0.as_ptr() as usize).cmp(&(other.0.as_ptr() as usize))
    }
}

struct Heap {
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
}

pub struct Timers {
    heap: Mutex<Heap>,
    next: AtomicU64,
    stale: AtomicUsize,
    firing: AtomicUsize,
    epoch: Instant,
}

impl Default for Timers {
    fn default() -> Self {
        Timers::new()
    }
}

impl Timers {
    pub fn new() -> Timers {
        Timers {
            heap: Mutex::new(Heap {
                heap: BinaryHeap::new(),
                seq: 0,
            }),
            next: AtomicU64::new(u64::MAX),
            stale: AtomicUsize::new(0),
            firing: AtomicUsize::new(0),
            epoch: Instant::now(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Heap> {
        self.heap.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Nanoseconds since this runtime's epoch.
    pub fn now(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    /// The tick of `now + ms`.
    pub fn deadline_after_ms(&self, ms: i64) -> u64 {
        self.now()
            .saturating_add((ms.max(0) as u64).saturating_mul(1_000_000))
    }

    /// Adds a timer waking `task`'s `WAIT_NATIVE` wait at `deadline`
    /// (retains the task). True when it is now the earliest deadline (the
    /// caller must make sure a driver will wake up in time).
    ///
    /// # Safety
    /// `task` is live.
    pub unsafe fn insert(&self, deadline: u64, task: TaskRef) -> bool {
        // SAFETY: caller contract.
        unsafe { retain(task.as_ptr()) };
        let mut h = self.lock();
        h.seq += 1;
        let seq = h.seq;
        h.heap.push(Reverse(Entry {
            deadline,
            seq,
            task: TaskRefOrd(task),
        }));
        // The earliest deadline before this insert: a purge below recomputes
        // `next` (possibly as this very deadline), so compare against the
        // value the parked driver is sleeping towards.
        let earliest_before = self.next.load(Relaxed);
        let len = h.heap.len();
        if len >= 64 && self.stale.load(Relaxed) * 2 > len {
            self.purge_locked(&mut h);
        }
        if deadline < earliest_before {
            if deadline < self.next.load(Relaxed) {
                self.next.store(deadline, SeqCst);
            }
            true
        } else {
            false
        }
    }

    /// A task owning an entry completed before its deadline (the entry is
    /// stale): a hint for purging.
    pub fn note_stale(&self) {
        self.stale.fetch_add(1, Relaxed);
    }

    /// Rebuilds the heap without entries of complete tasks.
    fn purge_locked(&self, h: &mut Heap) {
        let entries = std::mem::take(&mut h.heap).into_vec();
        let mut keep = Vec::with_capacity(entries.len());
        for Reverse(e) in entries {
            // SAFETY: each entry holds a reference to its task.
            unsafe {
                if state(e.task.0.as_ptr()).is_complete() {
                    release(e.task.0.as_ptr());
                } else {
                    keep.push(Reverse(e));
                }
            }
        }
        h.heap = BinaryHeap::from(keep);
        self.stale.store(0, Relaxed);
        let next = h.heap.peek().map_or(u64::MAX, |Reverse(e)| e.deadline);
        self.next.store(next, SeqCst);
    }

    /// Is a timer of an incomplete task pending? Drops stale entries from
    /// the top of the heap on the way.
    pub fn has_live(&self) -> bool {
        if self.is_empty() {
            return false;
        }
        let mut h = self.lock();
        let mut live = false;
        while let Some(Reverse(e)) = h.heap.peek() {
            let t = e.task.0.as_ptr();
            // SAFETY: the entry holds a reference to its task.
            if unsafe { !state(t).is_complete() } {
                live = true;
                break;
            }
            h.heap.pop();
            // SAFETY: the popped entry's reference.
            unsafe { release(t) };
        }
        let next = h.heap.peek().map_or(u64::MAX, |Reverse(e)| e.deadline);
        self.next.store(next, SeqCst);
        live
    }

    /// Is no timer pending at all (stale ones included)?
    pub fn is_empty(&self) -> bool {
        self.next.load(SeqCst) == u64::MAX
    }

    pub fn len(&self) -> usize {
        self.lock().heap.len()
    }

    pub fn is_firing(&self) -> bool {
        self.firing.load(SeqCst) != 0
    }

    /// Time until the earliest deadline (`None`: no timer).
    pub fn next_timeout(&self) -> Option<Duration> {
        let next = self.next.load(SeqCst);
        if next == u64::MAX {
            return None;
        }
        Some(Duration::from_nanos(next.saturating_sub(self.now())))
    }

    /// Cheap check (no lock) for an expired timer.
    #[inline]
    pub fn has_expired(&self) -> bool {
        let next = self.next.load(Relaxed);
        next != u64::MAX && next <= self.now()
    }

    /// Wakes the tasks of every expired timer; returns how many entries fired.
    pub fn fire_expired(&self) -> usize {
        if !self.has_expired() {
            return 0;
        }
        self.firing.fetch_add(1, SeqCst);
        let now = self.now();
        let mut due = Vec::new();
        {
            let mut h = self.lock();
            while let Some(Reverse(e)) = h.heap.peek() {
                if e.deadline > now {
                    break;
                }
                let Reverse(e) = h.heap.pop().expect("peeked");
                due.push(e.task.0);
            }
            let next = h.heap.peek().map_or(u64::MAX, |Reverse(e)| e.deadline);
            self.next.store(next, SeqCst);
        }
        for t in &due {
            // SAFETY: the entry's reference keeps the task alive until the release.
            unsafe {
                if claim(t.as_ptr(), WAIT_NATIVE) {
                    crate::sched::wake(t.as_ptr());
                }
                release(t.as_ptr());
            }
        }
        self.firing.fetch_sub(1, SeqCst);
        due.len()
    }
}

//! Timers: deadlines in one-millisecond buckets (an ordered map of
//! buckets, each a vector in insertion order), driven by the workers — no
//! timer thread. The worker that parks holding the *driver* token sleeps with the
//! next deadline as its park timeout and fires what expired when it wakes;
//! busy workers fire expired timers during maintenance (every ~61 ticks).
//! So `sleep(1)` costs an entry, not a thread. Deadlines are rounded up to
//! the next millisecond (a sleep never ends early), so sleeps ending in the
//! same millisecond share a bucket: 100,000 sleepers of 1–100 ms make 100
//! buckets, an insert is a lookup among them plus a push, and firing takes
//! whole buckets (a binary heap of 100,000 entries spent ~20% of the
//! timers benchmark in `pop`).
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
//!   `with_timeout` whose task finished first) stays until it fires or a
//!   purge: `stale` is a hint counted by those tasks; when it exceeds half
//!   the entries, the next insert drops every stale entry (amortised O(1)),
//!   so memory stays proportional to live timers. [`Timers::has_live`]
//!   drops stale entries from the earliest bucket on, so a runtime whose
//!   only timers are stale is quiescent.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::*};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::task::wait::{claim, WAIT_NATIVE};
use crate::task::{release, retain, state, TaskRef};

/// Nanoseconds per bucket: deadlines are rounded up to a whole millisecond.
const BUCKET_NS: u64 = 1_000_000;

/// The pending entries.
#[derive(Default)]
struct Pending {
    /// Entry tasks by deadline (ns since the epoch, a multiple of
    /// [`BUCKET_NS`]), each bucket in insertion order.
    buckets: BTreeMap<u64, Vec<TaskRef>>,
    /// Entries in all buckets.
    len: usize,
}

impl Pending {
    fn earliest(&self) -> u64 {
        self.buckets.first_key_value().map_or(u64::MAX, |(&d, _)| d)
    }
}

pub struct Timers {
    pending: Mutex<Pending>,
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
            pending: Mutex::new(Pending::default()),
            next: AtomicU64::new(u64::MAX),
            stale: AtomicUsize::new(0),
            firing: AtomicUsize::new(0),
            epoch: Instant::now(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
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
    /// (rounded up to its bucket; retains the task). True when it is now
    /// the earliest deadline (the caller must make sure a driver will wake
    /// up in time).
    ///
    /// # Safety
    /// `task` is live.
    pub unsafe fn insert(&self, deadline: u64, task: TaskRef) -> bool {
        // SAFETY: caller contract.
        unsafe { retain(task.as_ptr()) };
        let deadline = deadline.div_ceil(BUCKET_NS).saturating_mul(BUCKET_NS);
        let mut h = self.lock();
        h.buckets.entry(deadline).or_default().push(task);
        h.len += 1;
        // The earliest deadline before this insert: a purge below recomputes
        // `next` (possibly as this very deadline), so compare against the
        // value the parked driver is sleeping towards.
        let earliest_before = self.next.load(Relaxed);
        if h.len >= 64 && self.stale.load(Relaxed) * 2 > h.len {
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

    /// Drops the entries of complete tasks.
    fn purge_locked(&self, h: &mut Pending) {
        let mut len = 0;
        h.buckets.retain(|_, tasks| {
            tasks.retain(|t| {
                // SAFETY: each entry holds a reference to its task.
                unsafe {
                    let done = state(t.as_ptr()).is_complete();
                    if done {
                        release(t.as_ptr());
                    }
                    !done
                }
            });
            len += tasks.len();
            !tasks.is_empty()
        });
        h.len = len;
        self.stale.store(0, Relaxed);
        self.next.store(h.earliest(), SeqCst);
    }

    /// Is a timer of an incomplete task pending? Drops stale entries from
    /// the earliest bucket on the way.
    pub fn has_live(&self) -> bool {
        if self.is_empty() {
            return false;
        }
        let mut h = self.lock();
        let mut live = false;
        while let Some(mut first) = h.buckets.first_entry() {
            let tasks = first.get_mut();
            // SAFETY: each entry holds a reference to its task.
            let at = tasks
                .iter()
                .position(|t| unsafe { !state(t.as_ptr()).is_complete() });
            let dropped = at.unwrap_or(tasks.len());
            for t in tasks.drain(..dropped) {
                // SAFETY: the dropped entry's reference.
                unsafe { release(t.as_ptr()) };
            }
            if tasks.is_empty() {
                first.remove();
            }
            h.len -= dropped;
            if at.is_some() {
                live = true;
                break;
            }
        }
        self.next.store(h.earliest(), SeqCst);
        live
    }

    /// Is no timer pending at all (stale ones included)?
    pub fn is_empty(&self) -> bool {
        self.next.load(SeqCst) == u64::MAX
    }

    pub fn len(&self) -> usize {
        self.lock().len
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
            while let Some(first) = h.buckets.first_entry() {
                if *first.key() > now {
                    break;
                }
                let tasks = first.remove();
                h.len -= tasks.len();
                if due.is_empty() {
                    due = tasks;
                } else {
                    due.extend(tasks);
                }
            }
            self.next.store(h.earliest(), SeqCst);
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

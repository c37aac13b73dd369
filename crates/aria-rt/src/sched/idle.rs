//! Searching / parked accounting of the workers (Tokio's `idle` module).
//!
//! One atomic word packs `num_unparked` (workers not parked) and
//! `num_searching` (unparked workers looking for work to steal); the list of
//! parked workers is behind a mutex.
//!
//! Invariants:
//! - `num_searching <= num_unparked <= num_workers`.
//! - At most half the workers search at once ([`Idle::transition_worker_to_searching`]).
//! - A push wakes a parked worker only when nobody searches
//!   ([`Idle::worker_to_notify`]): a searcher will find the work, and the
//!   worker it wakes starts as a searcher, so wake-ups do not cascade. A
//!   worker pushing to its own queue first looks with a plain load
//!   ([`Idle::may_notify`]) and skips the read-modify-write when every
//!   worker is awake or one searches (the usual case under load).
//! - The last searcher to stop searching, or to park, re-checks every queue
//!   (its caller's duty, signalled by the `true` results) so a push that saw
//!   a searcher is never stranded.
//! - A worker is in `sleepers` iff it counts as parked; whoever removes it
//!   from `sleepers` (a notifier, or the worker itself after a direct
//!   unpark or a timer timeout) increments `num_unparked`.
//! - `generation` changes on every park and unpark: two equal readings with
//!   everything idle in between mean nothing ran (deadlock detection).

use std::sync::atomic::{AtomicUsize, Ordering::*};
use std::sync::Mutex;

const UNPARK_SHIFT: usize = 16;
const SEARCH_MASK: usize = (1 << UNPARK_SHIFT) - 1;

pub struct Idle {
    state: AtomicUsize,
    num_workers: usize,
    sleepers: Mutex<Vec<usize>>,
    generation: AtomicUsize,
}

#[derive(Clone, Copy, Debug)]
pub struct IdleState(usize);

impl IdleState {
    pub fn num_searching(self) -> usize {
        self.0 & SEARCH_MASK
    }
    pub fn num_unparked(self) -> usize {
        self.0 >> UNPARK_SHIFT
    }
}

impl Idle {
    /// All `num_workers` start unparked and not searching.
    pub fn new(num_workers: usize) -> Idle {
        assert!(num_workers < SEARCH_MASK);
        Idle {
            state: AtomicUsize::new(num_workers << UNPARK_SHIFT),
            num_workers,
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
            generation: AtomicUsize::new(0),
        }
    }

    fn sleepers(&self) -> std::sync::MutexGuard<'_, Vec<usize>> {
        self.sleepers.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn load(&self) -> IdleState {
        IdleState(self.state.load(SeqCst))
    }

    pub fn generation(&self) -> usize {
        self.generation.load(SeqCst)
    }

    /// The worker to wake for new work, if one should be woken; it is
    /// already counted unparked and searching.
    pub fn worker_to_notify(&self) -> Option<usize> {
        if !self.notify_should_wakeup() {
            return None;
        }
        let mut sleepers = self.sleepers();
        if !self.notify_should_wakeup() {
            return None;
        }
        let w = sleepers.pop()?;
        self.state.fetch_add((1 << UNPARK_SHIFT) | 1, SeqCst);
        self.generation.fetch_add(1, SeqCst);
        Some(w)
    }

    /// Any parked worker, even if some are searching (timers): counted
    /// unparked and searching.
    pub fn any_sleeper(&self) -> Option<usize> {
        let mut sleepers = self.sleepers();
        let w = sleepers.pop()?;
        self.state.fetch_add((1 << UNPARK_SHIFT) | 1, SeqCst);
        self.generation.fetch_add(1, SeqCst);
        Some(w)
    }

    /// Every parked worker (shutdown), counted unparked.
    pub fn all_sleepers(&self) -> Vec<usize> {
        let mut sleepers = self.sleepers();
        let all: Vec<usize> = sleepers.drain(..).collect();
        self.state.fetch_add(all.len() << UNPARK_SHIFT, SeqCst);
        self.generation.fetch_add(1, SeqCst);
        all
    }

    /// `worker` parks. Returns `(was_last_searcher, all_parked)`: the first
    /// obliges the caller to re-check the queues before sleeping.
    pub fn transition_worker_to_parked(&self, worker: usize, is_searching: bool) -> (bool, bool) {
        let mut sleepers = self.sleepers();
        let dec = (1 << UNPARK_SHIFT) | usize::from(is_searching);
        let prev = IdleState(self.state.fetch_sub(dec, SeqCst));
        sleepers.push(worker);
        self.generation.fetch_add(1, SeqCst);
        (
            is_searching && prev.num_searching() == 1,
            prev.num_unparked() == 1,
        )
    }

    /// Starts searching unless half the workers already do.
    pub fn transition_worker_to_searching(&self) -> bool {
        let s = self.load();
        if 2 * s.num_searching() >= self.num_workers {
            return false;
        }
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// Stops searching; true if it was the last searcher.
    pub fn transition_worker_from_searching(&self) -> bool {
        let prev = IdleState(self.state.fetch_sub(1, SeqCst));
        debug_assert!(prev.num_searching() > 0);
        prev.num_searching() == 1
    }

    /// Removes `worker` from the sleepers if it is there (it was unparked
    /// directly or timed out), counting it unparked (not searching).
    pub fn unpark_worker_by_id(&self, worker: usize) -> bool {
        let mut sleepers = self.sleepers();
        if let Some(i) = sleepers.iter().position(|&w| w == worker) {
            sleepers.swap_remove(i);
            self.state.fetch_add(1 << UNPARK_SHIFT, SeqCst);
            self.generation.fetch_add(1, SeqCst);
            true
        } else {
            false
        }
    }

    pub fn is_parked(&self, worker: usize) -> bool {
        self.sleepers().contains(&worker)
    }

    /// A cheap first look for [`Shared::notify_parked_local`](super::Shared::notify_parked_local):
    /// could a worker be woken (some parked, none searching)? A plain load,
    /// so it may be stale; see there why that is enough.
    #[inline]
    pub fn may_notify(&self) -> bool {
        let s = IdleState(self.state.load(Relaxed));
        s.num_searching() == 0 && s.num_unparked() < self.num_workers
    }

    fn notify_should_wakeup(&self) -> bool {
        // An RMW rather than a load, for the ordering with the pusher's
        // queue write (as in Tokio).
        let s = IdleState(self.state.fetch_add(0, SeqCst));
        s.num_searching() == 0 && s.num_unparked() < self.num_workers
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn accounting() {
        let idle = Idle::new(4);
        assert!(idle.worker_to_notify().is_none(), "nobody parked");
        assert_eq!(idle.transition_worker_to_parked(0, false), (false, false));
        assert_eq!(idle.transition_worker_to_parked(1, false), (false, false));
        assert_eq!(idle.load().num_unparked(), 2);
        let w = idle.worker_to_notify().unwrap();
        assert_eq!(idle.load().num_searching(), 1);
        assert!(idle.worker_to_notify().is_none(), "a searcher exists");
        assert!(idle.transition_worker_from_searching());
        assert!(idle.transition_worker_to_searching());
        assert!(idle.transition_worker_to_searching());
        assert!(
            !idle.transition_worker_to_searching(),
            "at most half search"
        );
        assert!(!idle.transition_worker_from_searching());
        assert!(idle.transition_worker_from_searching());
        let other = 1 - w;
        assert!(idle.unpark_worker_by_id(other));
        assert!(!idle.unpark_worker_by_id(other));
        assert_eq!(idle.load().num_unparked(), 4);
        for i in 0..3 {
            assert_eq!(idle.transition_worker_to_parked(i, false), (false, false));
        }
        assert_eq!(idle.transition_worker_to_parked(3, false), (false, true));
        assert_eq!(idle.all_sleepers().len(), 4);
    }
}

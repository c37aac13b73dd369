//! The per-task lock guarding a task's waiter list and callback queue.
//!
//! Invariants: critical sections are a handful of pointer updates plus, at
//! completion, the state transitions of the woken waiters; no user code and
//! no blocking call ever runs under it, so spinning (with back-off to
//! `yield_now`) is cheaper than a futex. Locks of two tasks are only nested
//! by the panic-report walk, which uses [`SpinLock::try_lock`] for every lock
//! after the first, so lock order cannot deadlock.

use std::sync::atomic::{AtomicU8, Ordering::*};

use crossbeam_utils::Backoff;

/// A one-byte spin lock (0 = free, 1 = held).
#[repr(transparent)]
pub struct SpinLock(AtomicU8);

impl SpinLock {
    pub const fn new() -> SpinLock {
        SpinLock(AtomicU8::new(0))
    }

    #[inline]
    pub fn lock(&self) {
        if self
            .0
            .compare_exchange_weak(0, 1, Acquire, Relaxed)
            .is_err()
        {
            self.lock_slow();
        }
    }

    #[cold]
    fn lock_slow(&self) {
        let backoff = Backoff::new();
        loop {
            if self.0.load(Relaxed) == 0
                && self.0.compare_exchange_weak(0, 1, Acquire, Relaxed).is_ok()
            {
                return;
            }
            backoff.snooze();
        }
    }

    #[inline]
    pub fn try_lock(&self) -> bool {
        self.0.compare_exchange(0, 1, Acquire, Relaxed).is_ok()
    }

    #[inline]
    pub fn unlock(&self) {
        self.0.store(0, Release);
    }
}

impl Default for SpinLock {
    fn default() -> Self {
        SpinLock::new()
    }
}

/// Holds a [`SpinLock`] until dropped.
pub struct Guard<'a>(&'a SpinLock);

impl<'a> Guard<'a> {
    #[inline]
    pub fn new(lock: &'a SpinLock) -> Guard<'a> {
        lock.lock();
        Guard(lock)
    }
}

impl Drop for Guard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.0.unlock();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn mutual_exclusion() {
        struct Shared(SpinLock, std::cell::UnsafeCell<u64>);
        // SAFETY: the cell is only touched under the lock.
        unsafe impl Sync for Shared {}
        let s = Arc::new(Shared(SpinLock::new(), std::cell::UnsafeCell::new(0)));
        let ths: Vec<_> = (0..4)
            .map(|_| {
                let s = s.clone();
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        let _g = Guard::new(&s.0);
                        // SAFETY: guarded by the lock.
                        unsafe { *s.1.get() += 1 };
                    }
                })
            })
            .collect();
        for t in ths {
            t.join().unwrap();
        }
        assert!(s.0.try_lock());
        // SAFETY: all threads joined.
        assert_eq!(unsafe { *s.1.get() }, 40_000);
    }
}

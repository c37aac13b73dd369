//! Parking a worker thread: a one-token parker on a mutex and a condvar
//! (the futex-backed primitives of `std`), as in Tokio's `park` module.
//!
//! Invariants:
//! - `state` is `EMPTY` (no token, not parked), `PARKED` (the owner sleeps or
//!   is about to, holding or having held the mutex) or `NOTIFIED` (a token).
//! - [`Parker::unpark`] leaves a token; a token makes the next (or the
//!   current) [`Parker::park`] return, and is consumed by it. So an unpark
//!   that races a park is never lost (`loom_` test), and several unparks
//!   before one park wake it once.
//! - The notifier takes the mutex between setting `NOTIFIED` and signalling,
//!   so it cannot signal in the window after the parker checked the state
//!   and before it waits on the condvar.
//! - Only the owning thread parks; any thread may unpark.
//! - `PARKED_DRIVER`: the owner sleeps inside the I/O driver's poll
//!   ([`Parker::park_driver`]) instead of on the condvar; an unpark then
//!   leaves the token and calls the driver waker (the reactor's
//!   `mio::Waker`), which makes that poll return. The waker is installed
//!   before any thread can park as a driver, and a wake that comes before
//!   the poll starts still makes it return at once (the waker's event
//!   stays pending), so this unpark is never lost either.

use std::time::Duration;

use crate::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::sync::{Condvar, Mutex};

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;
const PARKED_DRIVER: usize = 3;

/// Interrupts the I/O driver's poll (installed when the reactor starts).
pub type DriverWaker = Box<dyn Fn() + Send + Sync>;

/// A one-token parker.
pub struct Parker {
    state: AtomicUsize,
    mutex: Mutex<()>,
    condvar: Condvar,
    driver_waker: std::sync::OnceLock<DriverWaker>,
}

impl Default for Parker {
    fn default() -> Self {
        Parker::new()
    }
}

impl Parker {
    pub fn new() -> Parker {
        Parker {
            state: AtomicUsize::new(EMPTY),
            mutex: Mutex::new(()),
            condvar: Condvar::new(),
            driver_waker: std::sync::OnceLock::new(),
        }
    }

    /// Installs the waker that interrupts [`Parker::park_driver`] (once).
    pub fn set_driver_waker(&self, w: DriverWaker) {
        let _ = self.driver_waker.set(w);
    }

    /// Parks by running `wait` — the I/O driver's poll, which returns on
    /// I/O readiness, on its own timeout, or when the driver waker is
    /// called — unless a token is available (consumed either way). The
    /// driver waker must have been installed.
    pub fn park_driver(&self, wait: impl FnOnce()) {
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return;
        }
        match self
            .state
            .compare_exchange(EMPTY, PARKED_DRIVER, SeqCst, SeqCst)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.store(EMPTY, SeqCst);
                return;
            }
            Err(actual) => unreachable!("inconsistent park state {actual}"),
        }
        debug_assert!(self.driver_waker.get().is_some());
        wait();
        // Consume a token that arrived meanwhile, or leave the parked state.
        self.state.store(EMPTY, SeqCst);
    }

    /// Blocks until a token is available (consuming it). Spurious condvar
    /// wake-ups are absorbed.
    pub fn park(&self) {
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return;
        }
        let mut guard = self.mutex.lock().unwrap_or_else(|e| e.into_inner());
        match self.state.compare_exchange(EMPTY, PARKED, SeqCst, SeqCst) {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.store(EMPTY, SeqCst);
                return;
            }
            Err(actual) => unreachable!("inconsistent park state {actual}"),
        }
        loop {
            guard = self.condvar.wait(guard).unwrap_or_else(|e| e.into_inner());
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
                .is_ok()
            {
                return;
            }
        }
    }

    /// Like [`Parker::park`] but returns after at most `dur` without a token.
    #[cfg(not(loom))]
    pub fn park_timeout(&self, dur: Duration) {
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return;
        }
        if dur.is_zero() {
            return;
        }
        let deadline = std::time::Instant::now() + dur;
        let mut guard = self.mutex.lock().unwrap_or_else(|e| e.into_inner());
        match self.state.compare_exchange(EMPTY, PARKED, SeqCst, SeqCst) {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.store(EMPTY, SeqCst);
                return;
            }
            Err(actual) => unreachable!("inconsistent park state {actual}"),
        }
        loop {
            let now = std::time::Instant::now();
            if now >= deadline {
                break;
            }
            guard = self
                .condvar
                .wait_timeout(guard, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            if self.state.load(SeqCst) == NOTIFIED {
                break;
            }
        }
        // Consume the token if one arrived, else leave the parked state.
        self.state.store(EMPTY, SeqCst);
        drop(guard);
    }

    /// Under loom the timeout is not modelled: a timed park is a plain park.
    #[cfg(loom)]
    pub fn park_timeout(&self, _dur: Duration) {
        self.park()
    }

    /// Leaves a token, waking the owner if it is parked.
    pub fn unpark(&self) {
        match self.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED_DRIVER => {
                if let Some(w) = self.driver_waker.get() {
                    w();
                }
            }
            PARKED => {
                drop(self.mutex.lock().unwrap_or_else(|e| e.into_inner()));
                self.condvar.notify_one();
            }
            actual => unreachable!("inconsistent park state {actual}"),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Instant;

    #[test]
    fn token_before_park_returns_at_once() {
        let p = Parker::new();
        p.unpark();
        p.unpark();
        p.park();
        let t0 = Instant::now();
        p.park_timeout(Duration::from_millis(30));
        assert!(
            t0.elapsed() >= Duration::from_millis(25),
            "second park has no token"
        );
    }

    #[test]
    fn unpark_from_another_thread() {
        let p = Arc::new(Parker::new());
        let q = p.clone();
        let h = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            q.unpark();
        });
        p.park();
        h.join().unwrap();
        // A timed park with a token arriving early.
        let q = p.clone();
        let h = std::thread::spawn(move || q.unpark());
        let t0 = Instant::now();
        p.park_timeout(Duration::from_secs(10));
        assert!(t0.elapsed() < Duration::from_secs(5));
        h.join().unwrap();
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::{thread, Arc};

    #[test]
    fn loom_unpark_is_never_lost() {
        loom::model(|| {
            let p = Arc::new(Parker::new());
            let q = p.clone();
            let h = thread::spawn(move || q.unpark());
            // If the unpark were lost, this park would block forever and loom
            // would report a deadlock.
            p.park();
            h.join().unwrap();
        });
    }

    /// An unpark racing a park inside the I/O driver's poll is never lost:
    /// either the parker sees the token, or the unparker sees the driver
    /// state and calls the waker, which ends the poll (modelled as a wait
    /// for the waker's flag).
    #[test]
    fn loom_unpark_reaches_the_driver_poll() {
        use crate::sync::atomic::AtomicBool;
        loom::model(|| {
            let p = Arc::new(Parker::new());
            let woke = Arc::new(AtomicBool::new(false));
            let w = woke.clone();
            p.set_driver_waker(Box::new(move || w.store(true, SeqCst)));
            let q = p.clone();
            let h = thread::spawn(move || q.unpark());
            p.park_driver(|| {
                while !woke.load(SeqCst) {
                    thread::yield_now();
                }
            });
            h.join().unwrap();
        });
    }

    #[test]
    fn loom_two_unparks_two_parks() {
        loom::model(|| {
            let p = Arc::new(Parker::new());
            let q = p.clone();
            let h = thread::spawn(move || {
                q.unpark();
            });
            p.park();
            h.join().unwrap();
            p.unpark();
            p.park();
        });
    }
}

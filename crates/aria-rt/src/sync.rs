//! `std::sync` or `loom::sync`, chosen at compile time.
//!
//! The protocol code that loom model-checks — the task state word
//! ([`crate::task::state`]), the wait claim ([`crate::task::wait`]) and the
//! worker parker ([`crate::sched::park`]) — takes its atomics, mutexes and
//! condition variables from here, so `RUSTFLAGS="--cfg loom"` runs the very
//! same code under loom's scheduler (`scripts/loom.sh`). Everything else in
//! the crate uses `std` directly. Under `cfg(loom)` only the `loom_` tests are
//! meaningful: loom types panic when used outside `loom::model`.

#[cfg(not(loom))]
pub use std::sync::{Arc, Condvar, Mutex, MutexGuard};

#[cfg(loom)]
pub use loom::sync::{Arc, Condvar, Mutex, MutexGuard};

pub mod atomic {
    #[cfg(not(loom))]
    pub use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};

    #[cfg(loom)]
    pub use loom::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
}

/// `loom::thread` under loom, else `std::thread` (for the models' threads).
#[cfg(all(test, loom))]
pub use loom::thread;

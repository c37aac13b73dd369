//! The registry of a runtime's incomplete Aria tasks and C frames, for
//! shutdown (cancel every incomplete task, LANGUAGE.md §7.9), draining and
//! deadlock reports. Built-in tasks (sleep, join_all, ...) are not listed:
//! they are reachable from the tasks waiting on them.
//!
//! Invariants: a task is in exactly one shard from its spawn until its
//! completion (`FLAG_REGISTERED`); its `reg_next`/`reg_prev` links are
//! guarded by that shard's mutex. Shards are picked by address so that
//! spawning and completing on different workers rarely contend.

use std::ptr;
use std::sync::Mutex;

use super::{retain, state, Task};

const SHARDS: usize = 32;

struct Shard {
    head: *mut Task,
    len: usize,
}

// SAFETY: the raw pointers are only followed under the shard's mutex.
unsafe impl Send for Shard {}

/// The incomplete registered tasks of one runtime.
pub struct Registry {
    shards: Box<[Mutex<Shard>]>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

#[inline]
fn shard_of(t: *mut Task) -> usize {
    ((t as usize) >> 8) % SHARDS
}

impl Registry {
    pub fn new() -> Registry {
        Registry {
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        head: ptr::null_mut(),
                        len: 0,
                    })
                })
                .collect(),
        }
    }

    fn lock(&self, i: usize) -> std::sync::MutexGuard<'_, Shard> {
        self.shards[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds `t`.
    ///
    /// # Safety
    /// `t` is live, not registered, and stays live until [`Registry::remove`].
    pub unsafe fn insert(&self, t: *mut Task) {
        let mut s = self.lock(shard_of(t));
        // SAFETY: links guarded by the shard lock.
        unsafe {
            *(*t).reg_prev.get() = ptr::null_mut();
            *(*t).reg_next.get() = s.head;
            if !s.head.is_null() {
                *(*s.head).reg_prev.get() = t;
            }
        }
        s.head = t;
        s.len += 1;
    }

    /// Removes `t`.
    ///
    /// # Safety
    /// `t` was inserted and not yet removed.
    pub unsafe fn remove(&self, t: *mut Task) {
        let mut s = self.lock(shard_of(t));
        // SAFETY: links guarded by the shard lock.
        unsafe {
            let (p, n) = (*(*t).reg_prev.get(), *(*t).reg_next.get());
            if p.is_null() {
                s.head = n;
            } else {
                *(*p).reg_next.get() = n;
            }
            if !n.is_null() {
                *(*n).reg_prev.get() = p;
            }
            *(*t).reg_prev.get() = ptr::null_mut();
            *(*t).reg_next.get() = ptr::null_mut();
        }
        s.len -= 1;
    }

    /// Number of registered (incomplete) tasks.
    pub fn len(&self) -> usize {
        (0..SHARDS).map(|i| self.lock(i).len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every registered task, each retained (the caller releases them).
    pub fn snapshot(&self) -> Vec<*mut Task> {
        let mut out = Vec::new();
        for i in 0..SHARDS {
            let s = self.lock(i);
            let mut t = s.head;
            while !t.is_null() {
                // SAFETY: registered tasks are live; links guarded by the lock.
                unsafe {
                    retain(t);
                    out.push(t);
                    t = *(*t).reg_next.get();
                }
            }
        }
        out
    }

    /// The registered incomplete task with the lowest id, as `(id, name)`.
    pub fn lowest(&self) -> Option<(i64, String)> {
        let mut best: Option<(i64, String)> = None;
        for t in self.snapshot() {
            // SAFETY: retained by the snapshot.
            unsafe {
                if !state(t).is_complete()
                    && (*t).id > 0
                    && best.as_ref().is_none_or(|b| (*t).id < b.0)
                {
                    best = Some(((*t).id, super::name(t).to_string()));
                }
                super::release(t);
            }
        }
        best
    }
}

/// Removes `t` from its runtime's registry.
///
/// # Safety
/// `t` is registered.
pub unsafe fn remove(t: *mut Task) {
    // SAFETY: a registered task has its runtime set, and the runtime
    // outlives its registered tasks.
    unsafe { (*(*(*t).sched.get())).registry.remove(t) }
}

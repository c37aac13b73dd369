//! The registry of a runtime's incomplete Aria tasks and C frames, for
//! shutdown (cancel every incomplete task, LANGUAGE.md §7.9), draining and
//! deadlock reports. Built-in tasks (sleep, join_all, ...) are not listed:
//! they are reachable from the tasks waiting on them.
//!
//! Invariants: a task is in exactly one shard from the end of its first run
//! that suspends until its completion (its runner-only `RUNNER_REGISTERED`
//! bit; tasks that complete in their first run are never listed, see
//! [`super::run`]). A shard is a slab of slots under a spin lock; a listed
//! task's `reg_index` (its shard and slot) is written under that lock when
//! it is listed and read by its runner when it is removed. A task goes to
//! the shard of the worker that registers it (the one that usually removes
//! it too, so the shard stays in that core's cache); a shard's slots are
//! freed whenever it drains, so a burst of suspended tasks does not pin
//! memory for long. (One locked instruction to take a shard and a plain
//! store to leave it, and no other task touched: this is on the path of
//! every task that suspends.)

use std::cell::UnsafeCell;

use crossbeam_utils::CachePadded;

use super::lock::{Guard, SpinLock};
use super::{retain, state, Task};

const SHARDS: usize = 32;

/// A free slot: the index of the next free slot, shifted, with bit 0 set
/// (task pointers are 8-aligned: bit 0 clear).
const FREE_TAG: usize = 1;
/// End of the free list.
const NO_FREE: usize = usize::MAX >> 1;

/// The tasks of one shard: a slab of slots, each a task pointer or a link
/// of the free list; a listed task's `reg_index` is its slot. Removing a
/// task touches only its own slot (no other task's header).
struct Slab {
    slots: Vec<usize>,
    free: usize,
    len: usize,
}

/// A shard: its slab under a spin lock (critical sections are a few
/// stores; the snapshot at shutdown is the only long one).
struct Shard {
    lock: SpinLock,
    slab: UnsafeCell<Slab>,
}

/// The incomplete registered tasks of one runtime.
pub struct Registry {
    shards: Box<[CachePadded<Shard>]>,
}

// SAFETY: a shard's slab (and the tasks it points to) is only touched under
// the shard's lock.
unsafe impl Sync for Registry {}
// SAFETY: as above.
unsafe impl Send for Registry {}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

/// Bits of `reg_index` for the slot; the shard is in the bits above.
const SLOT_BITS: u32 = 26;
const MAX_SLOTS: usize = 1 << SLOT_BITS;
const _: () = assert!(SHARDS <= 1 << (32 - SLOT_BITS));

/// The shard for a task registered by this thread: its worker's own (the
/// worker that registers a task usually removes it too, so the shard's
/// cache lines stay on its core), else one picked by address.
#[inline]
fn shard_for(t: *mut Task) -> usize {
    let w = crate::sched::context::worker_index();
    if w >= 0 {
        w as usize % SHARDS
    } else {
        ((t as usize) >> 8) % SHARDS
    }
}

impl Registry {
    pub fn new() -> Registry {
        Registry {
            shards: (0..SHARDS)
                .map(|_| {
                    CachePadded::new(Shard {
                        lock: SpinLock::new(),
                        slab: UnsafeCell::new(Slab {
                            slots: Vec::new(),
                            free: NO_FREE,
                            len: 0,
                        }),
                    })
                })
                .collect(),
        }
    }

    /// Runs `f` on shard `i`'s slab under its lock.
    #[inline]
    fn with<R>(&self, i: usize, f: impl FnOnce(&mut Slab) -> R) -> R {
        let shard = &self.shards[i];
        let _g = Guard::new(&shard.lock);
        // SAFETY: the slab is only reached under the lock, held here.
        f(unsafe { &mut *shard.slab.get() })
    }

    /// Adds `t`.
    ///
    /// # Safety
    /// `t` is live, not registered, and stays live until [`Registry::remove`].
    pub unsafe fn insert(&self, t: *mut Task) {
        let shard = shard_for(t);
        self.with(shard, |s| {
            let i = if s.free != NO_FREE {
                let i = s.free;
                s.free = s.slots[i] >> 1;
                s.slots[i] = t as usize;
                i
            } else {
                s.slots.push(t as usize);
                s.slots.len() - 1
            };
            s.len += 1;
            assert!(i < MAX_SLOTS, "registry shard overflow");
            // SAFETY: `reg_index` is guarded by the shard lock.
            unsafe { *(*t).reg_index.get() = ((shard << SLOT_BITS) | i) as u32 };
        })
    }

    /// Removes `t`.
    ///
    /// # Safety
    /// `t` was inserted and not yet removed.
    pub unsafe fn remove(&self, t: *mut Task) {
        // SAFETY: the shard bits of `reg_index` do not change while `t` is
        // listed, and only its runner removes it.
        let r = unsafe { *(*t).reg_index.get() } as usize;
        self.with(r >> SLOT_BITS, |s| {
            let i = r & (MAX_SLOTS - 1);
            debug_assert!(s.slots[i] == t as usize, "registry index out of date");
            s.len -= 1;
            if s.len == 0 {
                // Drained: drop the slots (a burst must not pin memory).
                s.slots = Vec::new();
                s.free = NO_FREE;
            } else {
                s.slots[i] = (s.free << 1) | FREE_TAG;
                s.free = i;
            }
        })
    }

    /// Number of registered (incomplete) tasks.
    pub fn len(&self) -> usize {
        (0..SHARDS).map(|i| self.with(i, |s| s.len)).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every registered task, each retained (the caller releases them).
    pub fn snapshot(&self) -> Vec<*mut Task> {
        let mut out = Vec::new();
        for i in 0..SHARDS {
            self.with(i, |s| {
                for &v in &s.slots {
                    if v & FREE_TAG == 0 {
                        let t = v as *mut Task;
                        // SAFETY: registered tasks are live (the lock is held).
                        unsafe { retain(t) };
                        out.push(t);
                    }
                }
            });
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

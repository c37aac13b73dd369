//! A per-thread cache of task memory: the block of a destroyed task is
//! kept on its thread and handed to the next task of the same size created
//! there, without going through the allocator.
//!
//! A task is one block (header + frame, [`super::alloc_task`]) whose size
//! is `TASK_FRAME_OFFSET + frame_size`; async functions have a handful of
//! frame sizes, so blocks are sorted into exact size classes of 8 bytes, up
//! to [`MAX_CACHED_SIZE`]. The [`Extra`](super::Extra) parts of tasks are
//! cached the same way (their own, smaller class). Each class is an
//! intrusive singly linked list (a free block's first word points to the
//! next one).
//!
//! Invariants:
//! - A cached block came from the global allocator with
//!   [`block_layout`]`(size)` for its class's size, and is owned by exactly
//!   one thread's cache: it is not in use, nothing else points to it.
//! - The cache of a thread is touched only by that thread (a
//!   `thread_local!`), never reentrantly: no function here calls out while
//!   the cache is borrowed.
//! - A cache holds at most [`MAX_PER_CLASS`] blocks of a class and
//!   [`MAX_BYTES`] bytes in all; a free beyond that goes to the allocator.
//! - When its thread exits, the cache returns every block to the allocator
//!   (the `thread_local!`'s destructor). Frees that run after that (other
//!   thread-locals' destructors releasing tasks) and allocations go straight
//!   to the allocator.
//! - Blocks migrate: a task allocated on one worker and destroyed on
//!   another ends up in the second worker's cache. That is harmless (blocks
//!   are plain allocator blocks), and the caps bound what a thread that
//!   only frees can hold.
//! - The [`depot`] carries whole lists between threads: a thread whose
//!   class is full hands its list of that class over (one lock per list,
//!   not an allocator call per block) and a thread whose class is empty
//!   takes one before asking the allocator. A spawner whose tasks finish on
//!   other workers (fire-and-forget) thus reuses their memory, where it
//!   would otherwise `malloc` fresh memory while the other workers `free`
//!   into its arena, contending on the arena's lock. A list in the depot is
//!   owned by the depot; the depot holds at most [`DEPOT_MAX_BYTES`].
//!
//! Under `cfg(loom)` there is no cache (loom models never create tasks).

use std::alloc::{alloc, dealloc, Layout};

use super::TASK_FRAME_OFFSET;
use crate::object::{allocation_failure, OBJECT_ALIGN};

/// Largest block (bytes) that is cached: a task with a frame of up to 1 KiB.
pub const MAX_CACHED_SIZE: usize = TASK_FRAME_OFFSET as usize + 1024;
/// Grain of the size classes (sizes are rounded up to it).
const GRAIN: usize = 8;
const CLASSES: usize = MAX_CACHED_SIZE / GRAIN + 1;
/// Cached blocks per size class and thread.
pub const MAX_PER_CLASS: u32 = 8192;
/// Cached bytes per thread, all classes together.
pub const MAX_BYTES: usize = 2 << 20;

/// Fewest blocks in a list worth handing to the depot (a smaller overflow
/// frees its block to the allocator: it comes from the byte cap of other
/// classes, not from a stream of frees of this class).
const MIN_HANDOVER: u32 = 64;
/// Bytes held in the depot at most, all classes together; a list that does
/// not fit is freed to the allocator.
pub const DEPOT_MAX_BYTES: usize = 16 << 20;

/// Bytes of the block of a task with a `frame`-byte frame.
#[inline]
pub fn task_block_size(frame: usize) -> usize {
    round(TASK_FRAME_OFFSET as usize + frame)
}

/// `size` rounded up to the grain of the classes.
#[inline]
pub const fn round(size: usize) -> usize {
    size.next_multiple_of(GRAIN)
}

/// The allocator layout of a `size`-byte block.
#[inline]
fn block_layout(size: usize) -> Layout {
    Layout::from_size_align(size, OBJECT_ALIGN).unwrap_or_else(|_| allocation_failure())
}

/// The size class of a `size`-byte block (a multiple of the grain), if it
/// is cached.
#[inline]
fn class_of(size: usize) -> Option<usize> {
    debug_assert!(size.is_multiple_of(GRAIN) && size >= GRAIN);
    let c = size / GRAIN;
    (c < CLASSES).then_some(c)
}

#[cfg(not(loom))]
mod cache {
    use std::cell::UnsafeCell;
    use std::ptr;

    use super::*;

    pub(super) struct Cache {
        heads: [*mut u8; CLASSES],
        pub(super) counts: [u32; CLASSES],
        pub(super) bytes: usize,
    }

    impl Cache {
        const fn new() -> Cache {
            Cache {
                heads: [ptr::null_mut(); CLASSES],
                counts: [0; CLASSES],
                bytes: 0,
            }
        }

        /// Pops a block of class `c` (`size` bytes), if any.
        #[inline]
        pub(super) fn pop(&mut self, c: usize, size: usize) -> *mut u8 {
            let p = self.heads[c];
            if !p.is_null() {
                // SAFETY: a cached block is owned by this cache; its first
                // word is the next link (module invariants).
                self.heads[c] = unsafe { p.cast::<*mut u8>().read() };
                self.counts[c] -= 1;
                self.bytes -= size;
            }
            p
        }

        /// Keeps block `p` of class `c` (`size` bytes) unless the cache is
        /// full; false if it was not kept.
        #[inline]
        pub(super) fn push(&mut self, c: usize, size: usize, p: *mut u8) -> bool {
            if self.counts[c] >= MAX_PER_CLASS || self.bytes + size > MAX_BYTES {
                return false;
            }
            // SAFETY: the caller gives up the block (at least 8 bytes, 8-aligned).
            unsafe { p.cast::<*mut u8>().write(self.heads[c]) };
            self.heads[c] = p;
            self.counts[c] += 1;
            self.bytes += size;
            true
        }

        /// Takes the whole list of class `c`: `(head, count)`.
        pub(super) fn take(&mut self, c: usize, size: usize) -> (*mut u8, u32) {
            let head = std::mem::replace(&mut self.heads[c], ptr::null_mut());
            let n = std::mem::take(&mut self.counts[c]);
            self.bytes -= n as usize * size;
            (head, n)
        }

        /// Makes list `head` of `n` blocks of class `c` this cache's list
        /// of that class, which is empty. The byte cap may be exceeded by
        /// it; pushes are refused until it is back under.
        pub(super) fn adopt(&mut self, c: usize, size: usize, head: *mut u8, n: u32) {
            debug_assert!(self.heads[c].is_null() && self.counts[c] == 0);
            self.heads[c] = head;
            self.counts[c] = n;
            self.bytes += n as usize * size;
        }
    }

    impl Drop for Cache {
        fn drop(&mut self) {
            for c in 1..CLASSES {
                let size = c * GRAIN;
                let (head, _) = self.take(c, size);
                // SAFETY: cached blocks of class `c` were allocated with
                // this layout (module invariants); the list is ours.
                unsafe { free_list(head, size) };
            }
        }
    }

    /// `UnsafeCell` rather than `RefCell`: nothing here reenters (module
    /// invariants), so the borrow flag would only cost.
    pub(super) struct Local(pub(super) UnsafeCell<Cache>);

    thread_local! {
        pub(super) static CACHE: Local = const { Local(UnsafeCell::new(Cache::new())) };
    }
}

/// The depot: lists of free blocks on their way from a thread's cache to
/// another's (module invariants).
#[cfg(not(loom))]
mod depot {
    use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
    use std::sync::{Mutex, PoisonError};

    use super::*;

    /// A list of `count` blocks of size class `class`, linked through their
    /// first words.
    struct List {
        class: usize,
        head: *mut u8,
        count: u32,
    }

    // SAFETY: a list in the depot is owned by the depot alone (plain
    // memory, nothing else points to it).
    unsafe impl Send for List {}

    struct Depot {
        lists: Vec<List>,
        bytes: usize,
    }

    static DEPOT: Mutex<Depot> = Mutex::new(Depot {
        lists: Vec::new(),
        bytes: 0,
    });

    /// Lists of each class in the depot, read without the lock so that a
    /// miss does not take it for nothing (a stale 0 only sends that one
    /// allocation to the allocator).
    static LISTS: [AtomicU32; CLASSES] = [const { AtomicU32::new(0) }; CLASSES];

    /// Takes list `head` (`count` blocks of class `class`, `size` bytes
    /// each); false, the list still the caller's, if the depot is full.
    pub(super) fn give(class: usize, size: usize, head: *mut u8, count: u32) -> bool {
        let bytes = count as usize * size;
        let mut d = DEPOT.lock().unwrap_or_else(PoisonError::into_inner);
        if d.bytes + bytes > DEPOT_MAX_BYTES {
            return false;
        }
        d.bytes += bytes;
        d.lists.push(List { class, head, count });
        LISTS[class].fetch_add(1, Relaxed);
        true
    }

    /// A list of class `class` (`(head, count)`), now the caller's.
    pub(super) fn take(class: usize, size: usize) -> Option<(*mut u8, u32)> {
        if LISTS[class].load(Relaxed) == 0 {
            return None;
        }
        let mut d = DEPOT.lock().unwrap_or_else(PoisonError::into_inner);
        let i = d.lists.iter().rposition(|l| l.class == class)?;
        let l = d.lists.swap_remove(i);
        d.bytes -= l.count as usize * size;
        LISTS[class].fetch_sub(1, Relaxed);
        Some((l.head, l.count))
    }
}

/// Returns every block of list `head` (blocks of `size` bytes, linked
/// through their first words) to the allocator.
///
/// # Safety
/// The caller owns the list; its blocks came from the allocator with
/// [`block_layout`]`(size)`.
#[cfg(not(loom))]
unsafe fn free_list(mut head: *mut u8, size: usize) {
    while !head.is_null() {
        // SAFETY: caller contract: a block of the list, its first word the link.
        unsafe {
            let next = head.cast::<*mut u8>().read();
            dealloc(head, block_layout(size));
            head = next;
        }
    }
}

/// A block of class `c` from this thread's cache, refilled from the depot
/// when empty; null if neither has one (or the cache is gone).
#[cfg(not(loom))]
#[inline]
fn cached_block(c: usize, size: usize) -> *mut u8 {
    cache::CACHE
        // SAFETY: this thread's cache, borrowed for the pop only (the depot
        // never calls back into the pool).
        .try_with(|l| unsafe {
            let cache = &mut *l.0.get();
            let p = cache.pop(c, size);
            if !p.is_null() {
                return p;
            }
            match depot::take(c, size) {
                Some((head, n)) => {
                    cache.adopt(c, size, head, n);
                    cache.pop(c, size)
                }
                None => std::ptr::null_mut(),
            }
        })
        .unwrap_or(std::ptr::null_mut())
}

/// A zeroed, 8-aligned block of `size` bytes (a multiple of 8: see
/// [`round`]). Ends the process if memory is exhausted.
#[inline]
pub fn alloc_block(size: usize) -> *mut u8 {
    #[cfg(not(loom))]
    if let Some(c) = class_of(size) {
        let p = cached_block(c, size);
        if !p.is_null() {
            // SAFETY: a cached block has `size` bytes and is ours now.
            unsafe { p.write_bytes(0, size) };
            return p;
        }
    }
    #[cfg(loom)]
    let _ = class_of;
    // `alloc` and our own zeroing rather than `alloc_zeroed`: glibc's
    // `calloc` costs more than `malloc` plus a `memset` of a few hundred
    // bytes (callgrind). (`black_box` keeps the optimiser from turning the
    // pair back into `calloc`.)
    // SAFETY: the layout has a non-zero size.
    let p = std::hint::black_box(unsafe { alloc(block_layout(size)) });
    if p.is_null() {
        allocation_failure();
    }
    // SAFETY: a fresh block of `size` bytes.
    unsafe { p.write_bytes(0, size) };
    p
}

/// What [`free_block`] did with a block in this thread's cache.
#[cfg(not(loom))]
enum Freed {
    Kept,
    /// The class was full: its list `(head, count)` leaves the cache for
    /// the depot; the block was kept (`true`) in the emptied class, or not.
    HandedOver((*mut u8, u32), bool),
    NotKept,
}

/// Frees a block from [`alloc_block`]`(size)`: into this thread's cache
/// (handing the class's list to the depot when it is full), or to the
/// allocator when the cache cannot keep it (or is gone).
///
/// # Safety
/// `p` came from `alloc_block(size)` and is not used afterwards.
#[inline]
pub unsafe fn free_block(p: *mut u8, size: usize) {
    #[cfg(not(loom))]
    if let Some(c) = class_of(size) {
        let freed = cache::CACHE
            // SAFETY: this thread's cache, borrowed for the push only.
            .try_with(|l| unsafe {
                let cache = &mut *l.0.get();
                if cache.push(c, size, p) {
                    Freed::Kept
                } else if cache.counts[c] >= MIN_HANDOVER {
                    let list = cache.take(c, size);
                    Freed::HandedOver(list, cache.push(c, size, p))
                } else {
                    Freed::NotKept
                }
            })
            .unwrap_or(Freed::NotKept);
        match freed {
            Freed::Kept => return,
            Freed::HandedOver((head, n), kept) => {
                if !depot::give(c, size, head, n) {
                    // SAFETY: the list left the cache and is ours.
                    unsafe { free_list(head, size) };
                }
                if kept {
                    return;
                }
            }
            Freed::NotKept => {}
        }
    }
    // SAFETY: caller contract: allocated with this layout.
    unsafe { dealloc(p, block_layout(size)) }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_reused_zeroed_and_bounded() {
        let size = task_block_size(40);
        let a = alloc_block(size);
        // SAFETY: `a` has `size` bytes.
        unsafe {
            a.write_bytes(0xAB, size);
            free_block(a, size);
        }
        let b = alloc_block(size);
        assert_eq!(a, b, "the block just freed is reused");
        // SAFETY: as above.
        unsafe {
            let bytes = std::slice::from_raw_parts(b, size);
            assert!(bytes.iter().all(|&x| x == 0), "reused blocks are zeroed");
            free_block(b, size);
        }
        // More than a class holds: the excess goes to the allocator.
        let n = (MAX_BYTES / size) as u32 + 10;
        let many: Vec<_> = (0..n).map(|_| alloc_block(size)).collect();
        for &p in &many {
            // SAFETY: each came from alloc_block(size).
            unsafe { free_block(p, size) };
        }
        cache::CACHE.with(|l| {
            // SAFETY: this thread's cache, not borrowed elsewhere.
            let c = unsafe { &*l.0.get() };
            let class = class_of(size).unwrap();
            assert!(c.counts[class] <= MAX_PER_CLASS);
            assert!(c.bytes <= MAX_BYTES);
            // The full list went to the depot; the rest was kept.
            assert_eq!(
                c.counts[class],
                n - MAX_PER_CLASS,
                "the excess is cached anew"
            );
        });
        // Big blocks are not cached.
        let big = round(MAX_CACHED_SIZE + 64);
        let p = alloc_block(big);
        // SAFETY: from alloc_block with the same size.
        unsafe { free_block(p, big) };
        // A thread's cache is freed when it exits (valgrind checks the leak).
        std::thread::spawn(|| {
            let ps: Vec<_> = (0..20).map(|_| alloc_block(32)).collect();
            for p in ps {
                // SAFETY: from alloc_block(32).
                unsafe { free_block(p, 32) };
            }
        })
        .join()
        .unwrap();
    }

    #[test]
    fn a_full_list_moves_to_another_thread_through_the_depot() {
        // A class no other test uses (a frame of exactly 1 KiB), so that no
        // other test thread takes the list from the depot meanwhile.
        let size = MAX_CACHED_SIZE;
        // Blocks a class holds when full (the count or the byte cap).
        let full = (MAX_PER_CLASS as usize).min(MAX_BYTES / size);
        let freed: Vec<usize> = std::thread::spawn(move || {
            let n = full + 1;
            let ps: Vec<_> = (0..n).map(|_| alloc_block(size)).collect();
            for &p in &ps {
                // SAFETY: from alloc_block(size); dirty it, then free it.
                unsafe {
                    p.write_bytes(0xCD, size);
                    free_block(p, size);
                }
            }
            ps.into_iter().map(|p| p as usize).collect()
        })
        .join()
        .unwrap();
        // This thread's cache has none of that class: the depot refills it
        // with the other thread's list (its last block stayed there, and
        // was freed when it exited).
        let p = alloc_block(size);
        assert!(freed[..full].contains(&(p as usize)));
        // SAFETY: `p` has `size` bytes.
        let bytes = unsafe { std::slice::from_raw_parts(p, size) };
        assert!(
            bytes.iter().all(|&x| x == 0),
            "blocks from the depot are zeroed"
        );
        cache::CACHE.with(|l| {
            // SAFETY: this thread's cache, not borrowed elsewhere.
            let c = unsafe { &*l.0.get() };
            assert_eq!(c.counts[class_of(size).unwrap()] as usize, full - 1);
        });
        // SAFETY: from alloc_block(size).
        unsafe { free_block(p, size) };
    }
}

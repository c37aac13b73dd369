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
    }

    impl Drop for Cache {
        fn drop(&mut self) {
            for c in 1..CLASSES {
                let size = c * GRAIN;
                loop {
                    let p = self.pop(c, size);
                    if p.is_null() {
                        break;
                    }
                    // SAFETY: cached blocks of class `c` were allocated with
                    // this layout (module invariants).
                    unsafe { dealloc(p, block_layout(size)) };
                }
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

/// A zeroed, 8-aligned block of `size` bytes (a multiple of 8: see
/// [`round`]). Ends the process if memory is exhausted.
#[inline]
pub fn alloc_block(size: usize) -> *mut u8 {
    #[cfg(not(loom))]
    if let Some(c) = class_of(size) {
        let p = cache::CACHE
            // SAFETY: this thread's cache, borrowed for the pop only.
            .try_with(|l| unsafe { (*l.0.get()).pop(c, size) })
            .unwrap_or(std::ptr::null_mut());
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

/// Frees a block from [`alloc_block`]`(size)`: into this thread's cache,
/// or to the allocator when the cache is full (or gone).
///
/// # Safety
/// `p` came from `alloc_block(size)` and is not used afterwards.
#[inline]
pub unsafe fn free_block(p: *mut u8, size: usize) {
    #[cfg(not(loom))]
    if let Some(c) = class_of(size) {
        let kept = cache::CACHE
            // SAFETY: this thread's cache, borrowed for the push only.
            .try_with(|l| unsafe { (*l.0.get()).push(c, size, p) })
            .unwrap_or(false);
        if kept {
            return;
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
            assert!(
                c.counts[class] == MAX_PER_CLASS || c.bytes + size > MAX_BYTES,
                "filled up to a cap"
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
}

//! The managed-object header, reference counting and destruction.
//!
//! Every managed object starts with [`Header`]. Counts are atomic (objects are
//! shared between worker threads); a negative count marks an immortal object
//! that is never counted nor freed. When a count drops to zero the object is
//! destroyed and the managed children it holds are released; destruction is
//! iterative (a work list), so long chains of objects do not overflow the
//! native stack.
//!
//! Allocation goes through Rust's global allocator; the size of every
//! object is recomputed from its header at free time. A live-object counter
//! (striped: the first threads own a stripe each and update it without a
//! read-modify-write; later ones share one) backs [`aria_rt_live_objects`],
//! used by leak tests.

use std::alloc::{alloc, alloc_zeroed, dealloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{fence, AtomicI64, AtomicUsize, Ordering};

use crate::layout::*;

/// The 16-byte header of every managed object.
#[repr(C)]
pub struct Header {
    pub rc: AtomicI64,
    pub kind: u32,
    pub pad: u32,
}

/// The destructor of a runtime-private object kind, stored in the object at
/// [`PRIVATE_DROP_OFFSET`]: it releases the object's children and frees it
/// with [`free_object`].
pub type PrivateDrop = unsafe fn(*mut u8);

/// Alignment of every managed object and data buffer.
pub const OBJECT_ALIGN: usize = 8;

// ---- live-object accounting ------------------------------------------------------------

const STRIPES: usize = 16;
/// The stripe shared by the threads that came after the other stripes were
/// all handed out (counted with an atomic add).
const SHARED_STRIPE: usize = 0;

#[repr(align(64))]
struct Stripe(AtomicI64);

static LIVE: [Stripe; STRIPES] = [const { Stripe(AtomicI64::new(0)) }; STRIPES];
static NEXT_STRIPE: AtomicUsize = AtomicUsize::new(1);

/// This thread's stripe and its own balance. Stripes `1..STRIPES` belong to
/// one thread each (the first threads to count, for their whole life), which
/// updates its stripe with a plain load and store, no read-modify-write:
/// nobody else writes it, readers only load it.
struct LiveCounter {
    stripe: Cell<usize>,
    net: Cell<i64>,
}

thread_local! {
    static COUNTER: LiveCounter = const {
        LiveCounter { stripe: Cell::new(usize::MAX), net: Cell::new(0) }
    };
}

/// Counts `delta` objects allocated (+1) or freed (-1) by this thread.
#[inline]
pub(crate) fn count_live(delta: i64) {
    // `try_with`: objects may be freed from thread-local destructors.
    let stripe = COUNTER
        .try_with(|c| {
            c.net.set(c.net.get() + delta);
            let mut i = c.stripe.get();
            if i == usize::MAX {
                i = NEXT_STRIPE.fetch_add(1, Ordering::Relaxed);
                if i >= STRIPES {
                    i = SHARED_STRIPE;
                }
                c.stripe.set(i);
            }
            i
        })
        .unwrap_or(SHARED_STRIPE);
    let s = &LIVE[stripe].0;
    if stripe == SHARED_STRIPE {
        s.fetch_add(delta, Ordering::Relaxed);
    } else {
        s.store(s.load(Ordering::Relaxed) + delta, Ordering::Relaxed);
    }
}

/// Number of managed objects currently allocated by the runtime (all
/// threads). Immortal objects are not counted. For tests and diagnostics.
#[no_mangle]
pub extern "C" fn aria_rt_live_objects() -> i64 {
    LIVE.iter().map(|s| s.0.load(Ordering::Relaxed)).sum()
}

/// Objects allocated minus objects freed *by the calling thread*. Lets tests
/// that run in parallel check their own balance.
pub fn thread_live_objects() -> i64 {
    COUNTER.with(|c| c.net.get())
}

// ---- allocation ----------------------------------------------------------------------

/// Ends the process because the allocator failed outside a function that can
/// report `-110` through its result.
#[cold]
pub fn allocation_failure() -> ! {
    crate::entry::fatal_panic(PANIC_ALLOC, b"allocation failed")
}

/// Layout of `size` bytes aligned to [`OBJECT_ALIGN`]; `None` when too large.
pub fn object_layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size.max(1), OBJECT_ALIGN).ok()
}

/// Allocates a managed object of `size` bytes (header included) with
/// `rc = 1` and the given kind. Bytes after the header are zeroed when
/// `zeroed`, else uninitialised. Ends the process if memory is exhausted.
pub fn alloc_object(size: usize, kind: u32, zeroed: bool) -> *mut u8 {
    debug_assert!(size >= HEADER_SIZE as usize);
    let layout = object_layout(size).unwrap_or_else(|| allocation_failure());
    // SAFETY: `layout` has a non-zero size.
    let p = unsafe {
        if zeroed {
            alloc_zeroed(layout)
        } else {
            alloc(layout)
        }
    };
    if p.is_null() {
        allocation_failure();
    }
    // SAFETY: `p` is a fresh allocation of at least 16 bytes aligned to 8.
    unsafe {
        p.cast::<Header>().write(Header {
            rc: AtomicI64::new(1),
            kind,
            pad: 0,
        });
    }
    count_live(1);
    p
}

/// Frees an object allocated by [`alloc_object`] with the same `size`.
///
/// # Safety
/// `p` must come from `alloc_object(size, ..)` and not be used afterwards.
pub unsafe fn free_object(p: *mut u8, size: usize) {
    count_live(-1);
    // SAFETY: per the contract, `p` was allocated with this layout.
    unsafe {
        dealloc(
            p,
            object_layout(size).expect("layout was valid at allocation"),
        )
    }
}

/// The header of object `p`.
///
/// # Safety
/// `p` must point to a live managed object.
#[inline]
pub unsafe fn header<'a>(p: *const u8) -> &'a Header {
    // SAFETY: the caller guarantees `p` is a live object, which starts with a header.
    unsafe { &*p.cast::<Header>() }
}

/// Reads the `i64` at byte `offset` of object `p`.
///
/// # Safety
/// `p + offset` must be a readable, 8-aligned `i64` inside a live object.
#[inline]
pub unsafe fn read_i64(p: *const u8, offset: i32) -> i64 {
    // SAFETY: guaranteed by the caller.
    unsafe { p.add(offset as usize).cast::<i64>().read() }
}

/// Writes the `i64` at byte `offset` of object `p`.
///
/// # Safety
/// `p + offset` must be a writable, 8-aligned `i64` inside a live object.
#[inline]
pub unsafe fn write_i64(p: *mut u8, offset: i32, v: i64) {
    // SAFETY: guaranteed by the caller.
    unsafe { p.add(offset as usize).cast::<i64>().write(v) }
}

/// Is the count of `p` exactly one (the caller holds the only reference)?
/// Immortal objects are never unique.
///
/// # Safety
/// `p` must be a live object the caller holds a reference to.
pub unsafe fn is_unique(p: *const u8) -> bool {
    // SAFETY: caller contract.
    unsafe { header(p) }.rc.load(Ordering::Acquire) == 1
}

// ---- counting ------------------------------------------------------------------------

/// Adds a reference to `p`. Null-safe and immortal-safe.
///
/// # Safety
/// `p` is null or points to a live managed object.
#[no_mangle]
pub unsafe extern "C" fn aria_retain(p: *mut u8) {
    if p.is_null() {
        return;
    }
    // SAFETY: `p` is a live object (caller contract).
    let rc = unsafe { &header(p).rc };
    if rc.load(Ordering::Relaxed) < 0 {
        return;
    }
    rc.fetch_add(1, Ordering::Relaxed);
}

/// Drops a reference to `p`, destroying it (and releasing its children) when
/// it was the last one. Null-safe and immortal-safe.
///
/// # Safety
/// `p` is null or a live managed object the caller owns a reference to.
#[no_mangle]
pub unsafe extern "C" fn aria_release(p: *mut u8) {
    // SAFETY: caller contract.
    if unsafe { drop_ref(p) } {
        // SAFETY: the count reached zero.
        unsafe { destroy_all(p) }
    }
}

/// Destroys `p`, whose count reached zero, and every child whose count
/// reaches zero with it. Kept out of line so that [`aria_release`] is a
/// few instructions when the object survives.
///
/// # Safety
/// `p` is a managed object nobody else references any more.
#[inline(never)]
unsafe fn destroy_all(p: *mut u8) {
    let mut pending = Vec::new();
    let mut cur = p;
    loop {
        // SAFETY: the count of `cur` reached zero: we own it exclusively.
        unsafe { destroy(cur, &mut pending) };
        match pending.pop() {
            Some(next) => cur = next,
            None => break,
        }
    }
}

/// Decrements the count of `p`; true when it reached zero (the caller must
/// then destroy it). False for null and immortal objects.
///
/// # Safety
/// `p` is null or a live managed object the caller owns a reference to.
#[inline]
unsafe fn drop_ref(p: *mut u8) -> bool {
    if p.is_null() {
        return false;
    }
    // SAFETY: `p` is a live object (caller contract).
    let rc = unsafe { &header(p).rc };
    let c = rc.load(Ordering::Acquire);
    if c < 0 {
        return false;
    }
    // With a count of one the caller holds the only reference: nobody else can
    // change the count, and the acquire load ordered every earlier release.
    if c == 1 {
        return true;
    }
    if rc.fetch_sub(1, Ordering::Release) == 1 {
        fence(Ordering::Acquire);
        return true;
    }
    false
}

/// Releases child `c` during a destruction; a child whose count reaches zero
/// is queued on `pending` instead of being destroyed recursively.
///
/// # Safety
/// As for [`aria_release`].
#[inline]
pub unsafe fn release_child(c: *mut u8, pending: &mut Vec<*mut u8>) {
    // SAFETY: caller contract.
    if unsafe { drop_ref(c) } {
        pending.push(c);
    }
}

/// Releases the managed slots of `slots` (8-byte values) whose byte in
/// `managed` is non-zero.
///
/// # Safety
/// `slots` points to `n` readable i64 slots, `managed` to `n` bytes (or is
/// null, meaning no slot is managed).
unsafe fn release_slots(
    slots: *const i64,
    managed: *const u8,
    n: usize,
    pending: &mut Vec<*mut u8>,
) {
    if managed.is_null() {
        return;
    }
    for i in 0..n {
        // SAFETY: `i < n` (caller contract).
        unsafe {
            if *managed.add(i) != 0 {
                release_child(*slots.add(i) as *mut u8, pending);
            }
        }
    }
}

/// Destroys object `p`, whose count reached zero.
///
/// # Safety
/// `p` is a managed object nobody else references any more.
unsafe fn destroy(p: *mut u8, pending: &mut Vec<*mut u8>) {
    // SAFETY: `p` is valid until freed at the end of each arm.
    unsafe {
        let kind = header(p).kind;
        match kind {
            KIND_STRING => {
                let len = read_i64(p, STR_LEN_OFFSET) as usize;
                free_object(p, STR_DATA_OFFSET as usize + len);
            }
            KIND_ARRAY => crate::array::destroy_array(p, pending),
            KIND_STRUCT => {
                let n = read_i64(p, STRUCT_NFIELDS_OFFSET) as usize;
                let managed = read_i64(p, STRUCT_MANAGED_OFFSET) as *const u8;
                let fields = p.add(STRUCT_FIELDS_OFFSET as usize).cast::<i64>();
                release_slots(fields, managed, n, pending);
                free_object(p, STRUCT_FIELDS_OFFSET as usize + 8 * n);
            }
            KIND_CLOSURE => {
                let n = read_i64(p, CLOSURE_NCAPS_OFFSET) as usize;
                let managed = read_i64(p, CLOSURE_MANAGED_OFFSET) as *const u8;
                let caps = p.add(CLOSURE_CAPS_OFFSET as usize).cast::<i64>();
                release_slots(caps, managed, n, pending);
                free_object(p, CLOSURE_CAPS_OFFSET as usize + 8 * n);
            }
            KIND_CELL => {
                if read_i64(p, CELL_MANAGED_OFFSET) != 0 {
                    release_child(read_i64(p, CELL_VALUE_OFFSET) as *mut u8, pending);
                }
                free_object(p, CELL_OBJECT_SIZE as usize);
            }
            // Tasks use the destructor word for their runtime pointer.
            KIND_TASK => crate::task::destroy(p),
            _ => {
                // Runtime-private kinds carry their destructor at PRIVATE_DROP_OFFSET.
                let f = read_i64(p, PRIVATE_DROP_OFFSET);
                debug_assert!(f != 0, "object of kind {kind} without a destructor");
                if f != 0 {
                    let f = std::mem::transmute::<usize, PrivateDrop>(f as usize);
                    f(p);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retain_release_counts() {
        let base = thread_live_objects();
        let p = alloc_object(32, KIND_CELL, true);
        assert_eq!(thread_live_objects(), base + 1);
        // SAFETY: `p` is a live cell.
        unsafe {
            aria_retain(p);
            assert_eq!(header(p).rc.load(Ordering::Relaxed), 2);
            aria_release(p);
            assert_eq!(header(p).rc.load(Ordering::Relaxed), 1);
            assert!(is_unique(p));
            aria_release(p);
        }
        assert_eq!(thread_live_objects(), base);
        // SAFETY: null is always accepted.
        unsafe {
            aria_retain(std::ptr::null_mut());
            aria_release(std::ptr::null_mut());
        }
    }

    #[test]
    fn immortal_objects_are_never_counted() {
        let img = immortal_string_image(b"forever");
        let mut words = vec![0u64; img.len() / 8];
        // SAFETY: `words` has exactly img.len() bytes and is 8-aligned.
        unsafe {
            std::ptr::copy_nonoverlapping(img.as_ptr(), words.as_mut_ptr().cast::<u8>(), img.len())
        };
        let p = words.as_mut_ptr().cast::<u8>();
        // SAFETY: `p` is an immortal string image.
        unsafe {
            for _ in 0..3 {
                aria_retain(p);
            }
            for _ in 0..10 {
                aria_release(p);
            }
            assert_eq!(header(p).rc.load(Ordering::Relaxed), IMMORTAL_RC);
            assert!(!is_unique(p));
        }
    }

    #[test]
    fn concurrent_counting() {
        let p = alloc_object(32, KIND_CELL, true) as usize;
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        // SAFETY: the main thread keeps its reference until all joined.
                        unsafe {
                            aria_retain(p as *mut u8);
                            aria_release(p as *mut u8);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        // SAFETY: the object is still alive with our reference.
        unsafe {
            assert_eq!(header(p as *mut u8).rc.load(Ordering::Relaxed), 1);
            aria_release(p as *mut u8);
        }
    }

    #[test]
    fn private_kind_destructor_runs() {
        use std::sync::atomic::AtomicBool;
        static DROPPED: AtomicBool = AtomicBool::new(false);
        unsafe fn drop_it(p: *mut u8) {
            DROPPED.store(true, Ordering::SeqCst);
            // SAFETY: allocated below with size 24.
            unsafe { free_object(p, 24) };
        }
        let base = thread_live_objects();
        let p = alloc_object(24, KIND_CHAN, true);
        let f: PrivateDrop = drop_it;
        // SAFETY: `p` has room for the destructor word.
        unsafe {
            write_i64(p, PRIVATE_DROP_OFFSET, f as usize as i64);
            aria_release(p);
        }
        assert!(DROPPED.load(Ordering::SeqCst));
        assert_eq!(thread_live_objects(), base);
    }
}

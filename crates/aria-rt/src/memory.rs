//! `alloc<T>(n)` / `free(p)`: manually managed ("wild") memory.
//!
//! Blocks come from the global allocator with a 16-byte prefix recording
//! their size, so `aria_free` needs nothing but the pointer. Blocks are
//! zeroed and 16-byte aligned.

use std::alloc::{alloc_zeroed, dealloc, Layout};

use crate::layout::ERR_INVALID;
use crate::panic::raise_alloc;
use crate::AriaResult;

const PREFIX: usize = 16;
const ALIGN: usize = 16;

/// `alloc<T>(n)`: `n` zeroed elements of `elem_size` bytes. `n <= 0` fails
/// `ERR_INVALID`; exhaustion (or an impossible size) panics -110.
#[no_mangle]
pub extern "C" fn aria_alloc(n: i64, elem_size: i64) -> AriaResult {
    if n <= 0 {
        return AriaResult::err(ERR_INVALID);
    }
    let layout = (n as u64)
        .checked_mul(elem_size.max(1) as u64)
        .and_then(|b| usize::try_from(b).ok())
        .and_then(|b| b.checked_add(PREFIX))
        .and_then(|b| Layout::from_size_align(b, ALIGN).ok());
    let Some(layout) = layout else {
        return AriaResult::err(raise_alloc());
    };
    // SAFETY: the layout has a non-zero size.
    let p = unsafe { alloc_zeroed(layout) };
    if p.is_null() {
        return AriaResult::err(raise_alloc());
    }
    // SAFETY: the block starts with PREFIX bytes reserved for its size.
    unsafe {
        p.cast::<usize>().write(layout.size());
        AriaResult::ok(p.add(PREFIX) as i64)
    }
}

/// `free(p)`; `free(NULL)` does nothing.
///
/// # Safety
/// `p` is 0 or a block from [`aria_alloc`] not freed before.
#[no_mangle]
pub unsafe extern "C" fn aria_free(p: i64) {
    if p == 0 {
        return;
    }
    // SAFETY: caller contract: the size prefix precedes the block.
    unsafe {
        let base = (p as *mut u8).sub(PREFIX);
        let size = base.cast::<usize>().read();
        dealloc(base, Layout::from_size_align_unchecked(size, ALIGN));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::panic;

    #[test]
    fn alloc_zeroed_and_free() {
        let r = aria_alloc(100, 8);
        assert_eq!(r.err, 0);
        let p = r.val as *mut i64;
        assert_eq!(p as usize % 16, 0);
        // SAFETY: 100 i64s were allocated.
        unsafe {
            assert!((0..100).all(|i| *p.add(i) == 0));
            *p.add(99) = 7;
            aria_free(r.val);
            aria_free(0);
        }
    }

    #[test]
    fn invalid_and_exhausted() {
        assert_eq!(aria_alloc(0, 4), AriaResult::err(-9));
        assert_eq!(aria_alloc(-3, 4), AriaResult::err(-9));
        assert_eq!(panic::aria_panicking(), 0);
        assert_eq!(aria_alloc(i64::MAX, 8), AriaResult::err(-110));
        let info = panic::take().unwrap();
        assert_eq!(
            (info.code, info.message.as_slice()),
            (-110, &b"allocation failed"[..])
        );
        // Fits the address space arithmetic but not the machine.
        assert_eq!(aria_alloc(1 << 46, 16), AriaResult::err(-110));
        panic::take();
    }
}

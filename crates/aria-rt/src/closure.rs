//! Closures `{header, fnptr @16, ncaps @24, managed @32, caps: [i64; n] @40}`
//! and cells `{header, managed @16, value @24}` (a variable captured by
//! reference).
//!
//! Generated code fills the captures after creation (moving or retaining
//! the values itself); the runtime releases the managed ones when the
//! closure dies. As with structs, the `managed` map is static data.

use crate::layout::*;
use crate::object::{alloc_object, allocation_failure};

/// A new closure calling `fnptr` with `ncaps` zeroed captures.
///
/// # Safety
/// `managed` is null (no managed capture) or points to `ncaps` bytes that
/// outlive the closure.
#[no_mangle]
pub unsafe extern "C" fn aria_closure_new(fnptr: i64, ncaps: i64, managed: *const u8) -> *mut u8 {
    let n = ncaps.max(0) as usize;
    let size = n
        .checked_mul(8)
        .and_then(|b| b.checked_add(CLOSURE_CAPS_OFFSET as usize))
        .unwrap_or_else(|| allocation_failure());
    let p = alloc_object(size, KIND_CLOSURE, true);
    // SAFETY: `p` is a fresh object of `size` bytes.
    unsafe {
        p.add(CLOSURE_FNPTR_OFFSET as usize)
            .cast::<i64>()
            .write(fnptr);
        p.add(CLOSURE_NCAPS_OFFSET as usize)
            .cast::<i64>()
            .write(n as i64);
        p.add(CLOSURE_MANAGED_OFFSET as usize)
            .cast::<*const u8>()
            .write(managed);
    }
    p
}

/// A new cell holding 0; `managed != 0` when it will hold a managed pointer.
#[no_mangle]
pub extern "C" fn aria_cell_new(managed: i64) -> *mut u8 {
    let p = alloc_object(CELL_OBJECT_SIZE as usize, KIND_CELL, true);
    // SAFETY: `p` is a fresh cell.
    unsafe {
        p.add(CELL_MANAGED_OFFSET as usize)
            .cast::<i64>()
            .write((managed != 0) as i64)
    };
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::{aria_release, aria_retain, read_i64, thread_live_objects, write_i64};
    use crate::string::test_str;

    static MAP: [u8; 2] = [1, 0];

    #[test]
    fn closure_releases_managed_captures() {
        let base = thread_live_objects();
        // SAFETY: live objects; MAP is static.
        unsafe {
            let s = test_str("captured");
            let cell = aria_cell_new(1);
            aria_retain(s.0);
            write_i64(cell, CELL_VALUE_OFFSET, s.0 as i64);
            let c = aria_closure_new(0x1234, 2, MAP.as_ptr());
            assert_eq!(read_i64(c, CLOSURE_FNPTR_OFFSET), 0x1234);
            assert_eq!(read_i64(c, CLOSURE_NCAPS_OFFSET), 2);
            write_i64(c, CLOSURE_CAPS_OFFSET, cell as i64); // moves the cell
            write_i64(c, CLOSURE_CAPS_OFFSET + 8, 99); // a plain capture
            drop(s);
            aria_release(c);
            let plain = aria_cell_new(0);
            write_i64(plain, CELL_VALUE_OFFSET, 12345);
            aria_release(plain);
            let empty = aria_closure_new(1, 0, std::ptr::null());
            aria_release(empty);
        }
        assert_eq!(thread_live_objects(), base);
    }
}

//! Structs: `{header, nfields @16, managed @24, fields: [i64; n] @32}`.
//!
//! Structs have value semantics, implemented copy-on-write: copying retains
//! the object, and generated code calls [`aria_struct_unique`] on a place
//! before writing into it. The `managed` map (one byte per field, 1 =
//! managed pointer) is static data owned by the generated code; it is not
//! copied and must outlive the struct.

use crate::layout::*;
use crate::object::{
    alloc_object, allocation_failure, aria_release, aria_retain, is_unique, read_i64,
};

/// The fields of struct `s` as a slice.
///
/// # Safety
/// `s` is a live struct.
pub unsafe fn fields<'a>(s: *const u8) -> &'a [i64] {
    // SAFETY: caller contract: `nfields` slots follow at @32.
    unsafe {
        let n = read_i64(s, STRUCT_NFIELDS_OFFSET) as usize;
        std::slice::from_raw_parts(s.add(STRUCT_FIELDS_OFFSET as usize).cast::<i64>(), n)
    }
}

/// A new struct with `nfields` zeroed fields.
///
/// # Safety
/// `managed` is null (no managed field) or points to `nfields` bytes that
/// outlive the struct.
#[no_mangle]
pub unsafe extern "C" fn aria_struct_new(nfields: i64, managed: *const u8) -> *mut u8 {
    let n = nfields.max(0) as usize;
    let size = n
        .checked_mul(8)
        .and_then(|b| b.checked_add(STRUCT_FIELDS_OFFSET as usize))
        .unwrap_or_else(|| allocation_failure());
    let p = alloc_object(size, KIND_STRUCT, true);
    // SAFETY: `p` is a fresh object of `size` bytes.
    unsafe {
        p.add(STRUCT_NFIELDS_OFFSET as usize)
            .cast::<i64>()
            .write(n as i64);
        p.add(STRUCT_MANAGED_OFFSET as usize)
            .cast::<*const u8>()
            .write(managed);
    }
    p
}

/// A copy of struct `s` (managed fields retained). Null gives null.
///
/// # Safety
/// `s` is null or a live struct.
#[no_mangle]
pub unsafe extern "C" fn aria_struct_clone(s: *const u8) -> *mut u8 {
    if s.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: caller contract.
    unsafe {
        let managed = read_i64(s, STRUCT_MANAGED_OFFSET) as *const u8;
        let src = fields(s);
        let c = aria_struct_new(src.len() as i64, managed);
        let dst = c.add(STRUCT_FIELDS_OFFSET as usize).cast::<i64>();
        for (i, &v) in src.iter().enumerate() {
            if !managed.is_null() && *managed.add(i) != 0 {
                aria_retain(v as *mut u8);
            }
            dst.add(i).write(v);
        }
        c
    }
}

/// Copy-on-write: `s` itself when the caller holds its only reference, else
/// a copy (releasing the caller's reference to `s`).
///
/// # Safety
/// `s` is null or a live struct the caller owns a reference to (consumed).
#[no_mangle]
pub unsafe extern "C" fn aria_struct_unique(s: *mut u8) -> *mut u8 {
    // SAFETY: caller contract.
    unsafe {
        if s.is_null() || is_unique(s) {
            return s;
        }
        let c = aria_struct_clone(s);
        aria_release(s);
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::{thread_live_objects, write_i64};
    use crate::string::{test_str, text};

    static MAP: [u8; 3] = [0, 1, 1];

    #[test]
    fn nested_struct_drop_returns_to_baseline() {
        let base = thread_live_objects();
        // SAFETY: live objects; MAP is static.
        unsafe {
            let name = test_str("point");
            let inner = aria_struct_new(3, MAP.as_ptr());
            write_i64(inner, STRUCT_FIELDS_OFFSET, 42);
            aria_retain(name.0);
            write_i64(inner, STRUCT_FIELDS_OFFSET + 8, name.0 as i64);
            let arr = crate::array::test_support::make(ELEM_STRUCT, &[inner as i64, inner as i64]);
            let outer = aria_struct_new(3, MAP.as_ptr());
            write_i64(outer, STRUCT_FIELDS_OFFSET + 8, inner as i64); // moves our reference
            write_i64(outer, STRUCT_FIELDS_OFFSET + 16, arr as i64); // moves
            drop(name);
            assert_eq!(text(fields(inner)[1] as *const u8), "point");
            assert_eq!(fields(inner)[0], 42);
            aria_release(outer);
        }
        assert_eq!(thread_live_objects(), base);
    }

    #[test]
    fn clone_and_unique() {
        let base = thread_live_objects();
        // SAFETY: live objects; MAP is static.
        unsafe {
            let s = aria_struct_new(3, MAP.as_ptr());
            let t = test_str("shared");
            aria_retain(t.0);
            write_i64(s, STRUCT_FIELDS_OFFSET + 16, t.0 as i64);
            assert_eq!(aria_struct_unique(s), s);
            aria_retain(s);
            let c = aria_struct_unique(s);
            assert_ne!(c, s);
            assert_eq!(fields(c), fields(s));
            write_i64(c, STRUCT_FIELDS_OFFSET, 5);
            assert_eq!(fields(s)[0], 0);
            aria_release(s);
            aria_release(c);
            let z = aria_struct_new(0, std::ptr::null());
            let z2 = aria_struct_clone(z);
            aria_release(z);
            aria_release(z2);
        }
        assert_eq!(thread_live_objects(), base);
    }
}

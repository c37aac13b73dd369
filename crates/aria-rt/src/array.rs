//! Arrays: `{header, len @16, cap @24, elem_kind @32, elem_size @36, data @40}`.
//!
//! The data buffer is a separate allocation of `cap * elem_size` bytes
//! (null while `cap == 0`), elements packed at their machine size. Elements
//! of managed kinds are pointers the array holds a reference to. Element
//! "bits" cross the ABI as the machine value zero/sign-extended to i64 (f64
//! as its bits, f32 bits in the low half).
//!
//! Both dynamic `T[]` and fixed `T[N]` arrays use this object; fixed arrays
//! are copy-on-write through [`aria_array_unique`]. Read-only functions treat
//! a null array as empty.

use std::alloc::{alloc, dealloc, realloc};
use std::cmp::Ordering;

use crate::format::write_elem;
use crate::layout::*;
use crate::object::{
    alloc_object, allocation_failure, aria_release, aria_retain, free_object, is_unique,
    object_layout, release_child, Header,
};
use crate::panic::raise_index;
use crate::string::{check_range, new_str, str_bytes};
use crate::AriaResult;

/// The array object.
#[repr(C)]
pub struct ArrayObj {
    pub header: Header,
    pub len: i64,
    pub cap: i64,
    pub elem_kind: u32,
    pub elem_size: u32,
    pub data: *mut u8,
}

const _: () = assert!(std::mem::size_of::<ArrayObj>() == ARRAY_OBJECT_SIZE as usize);
const _: () = assert!(std::mem::offset_of!(ArrayObj, data) == ARRAY_DATA_OFFSET as usize);
const _: () = assert!(std::mem::offset_of!(ArrayObj, elem_kind) == ARRAY_ELEM_KIND_OFFSET as usize);
const _: () = assert!(std::mem::offset_of!(ArrayObj, elem_size) == ARRAY_ELEM_SIZE_OFFSET as usize);
const _: () = assert!(std::mem::offset_of!(ArrayObj, cap) == ARRAY_CAP_OFFSET as usize);
const _: () = assert!(std::mem::offset_of!(ArrayObj, len) == ARRAY_LEN_OFFSET as usize);

#[inline]
fn obj(a: *const u8) -> *mut ArrayObj {
    a as *mut ArrayObj
}

/// `(len, elem_kind, elem_size, data)` of `a` (null: empty).
///
/// # Safety
/// `a` is null or a live array.
#[inline]
pub unsafe fn parts(a: *const u8) -> (usize, u32, usize, *mut u8) {
    if a.is_null() {
        return (0, 0, 8, std::ptr::null_mut());
    }
    let o = obj(a);
    // SAFETY: caller contract; fields are read through the raw pointer.
    unsafe {
        (
            (*o).len as usize,
            (*o).elem_kind,
            (*o).elem_size as usize,
            (*o).data,
        )
    }
}

/// Reads element `i` as bits: sign-extended for signed kinds, else zero-extended.
///
/// # Safety
/// `data` holds at least `i + 1` elements of `size` bytes.
#[inline]
pub unsafe fn load(data: *const u8, i: usize, size: usize, kind: u32) -> i64 {
    let signed = elem_is_signed(kind);
    // SAFETY: caller contract; the buffer is 8-aligned so every element is aligned.
    unsafe {
        match size {
            1 => {
                let v = *data.add(i);
                if signed {
                    v as i8 as i64
                } else {
                    v as i64
                }
            }
            2 => {
                let v = *data.cast::<u16>().add(i);
                if signed {
                    v as i16 as i64
                } else {
                    v as i64
                }
            }
            4 => {
                let v = *data.cast::<u32>().add(i);
                if signed {
                    v as i32 as i64
                } else {
                    v as i64
                }
            }
            _ => *data.cast::<i64>().add(i),
        }
    }
}

/// Writes `bits` (truncated to `size`) as element `i`.
///
/// # Safety
/// `data` has room for at least `i + 1` elements of `size` bytes.
#[inline]
pub unsafe fn store(data: *mut u8, i: usize, size: usize, bits: i64) {
    // SAFETY: caller contract.
    unsafe {
        match size {
            1 => *data.add(i) = bits as u8,
            2 => *data.cast::<u16>().add(i) = bits as u16,
            4 => *data.cast::<u32>().add(i) = bits as u32,
            _ => *data.cast::<i64>().add(i) = bits,
        }
    }
}

fn truncate(bits: i64, size: usize) -> u64 {
    match size {
        1 => bits as u8 as u64,
        2 => bits as u16 as u64,
        4 => bits as u32 as u64,
        _ => bits as u64,
    }
}

fn data_layout(cap: usize, size: usize) -> std::alloc::Layout {
    cap.checked_mul(size)
        .and_then(object_layout)
        .unwrap_or_else(|| allocation_failure())
}

/// A new array of `len` zeroed elements (capacity `len`).
pub fn new_array(elem_kind: u32, elem_size: u32, len: usize) -> *mut u8 {
    debug_assert!(matches!(elem_size, 1 | 2 | 4 | 8));
    debug_assert!(!elem_is_managed(elem_kind) || elem_size == 8);
    let p = alloc_object(ARRAY_OBJECT_SIZE as usize, KIND_ARRAY, false);
    let data = if len == 0 {
        std::ptr::null_mut()
    } else {
        // SAFETY: the layout has a non-zero size.
        let d = unsafe { std::alloc::alloc_zeroed(data_layout(len, elem_size as usize)) };
        if d.is_null() {
            allocation_failure();
        }
        d
    };
    let o = obj(p);
    // SAFETY: `p` is a fresh array object; the header is already written.
    unsafe {
        (*o).len = len as i64;
        (*o).cap = len as i64;
        (*o).elem_kind = elem_kind;
        (*o).elem_size = elem_size;
        (*o).data = data;
    }
    p
}

/// Makes room for `extra` more elements.
///
/// # Safety
/// `a` is a live, non-null array.
unsafe fn reserve(a: *mut u8, extra: usize) {
    let o = obj(a);
    // SAFETY: caller contract.
    unsafe {
        let len = (*o).len as usize;
        let cap = (*o).cap as usize;
        let need = len
            .checked_add(extra)
            .unwrap_or_else(|| allocation_failure());
        if need <= cap {
            return;
        }
        let size = (*o).elem_size as usize;
        let new_cap = need.max(cap.saturating_mul(2)).max(4);
        let new_layout = data_layout(new_cap, size);
        let data = if (*o).data.is_null() {
            alloc(new_layout)
        } else {
            realloc((*o).data, data_layout(cap, size), new_layout.size())
        };
        if data.is_null() {
            allocation_failure();
        }
        (*o).data = data;
        (*o).cap = new_cap as i64;
    }
}

/// Appends `bits` without retaining it (the array takes over the reference).
///
/// # Safety
/// `a` is a live, non-null array; a managed `bits` carries a reference.
pub unsafe fn array_push_raw(a: *mut u8, bits: i64) {
    // SAFETY: caller contract.
    unsafe {
        reserve(a, 1);
        let o = obj(a);
        store((*o).data, (*o).len as usize, (*o).elem_size as usize, bits);
        (*o).len += 1;
    }
}

/// Destroys an array whose count reached zero (called by `object`).
///
/// # Safety
/// `p` is an array nobody references any more.
pub unsafe fn destroy_array(p: *mut u8, pending: &mut Vec<*mut u8>) {
    let o = obj(p);
    // SAFETY: caller contract.
    unsafe {
        let (len, kind, size, data) = parts(p);
        if elem_is_managed(kind) {
            for i in 0..len {
                release_child(load(data, i, 8, kind) as *mut u8, pending);
            }
        }
        if !data.is_null() {
            dealloc(data, data_layout((*o).cap as usize, size));
        }
        free_object(p, ARRAY_OBJECT_SIZE as usize);
    }
}

/// Retains the managed elements `[from, to)` of `a`.
///
/// # Safety
/// `a` is a live array with at least `to` elements.
unsafe fn retain_range(a: *const u8, from: usize, to: usize) {
    // SAFETY: caller contract.
    unsafe {
        let (_, kind, _, data) = parts(a);
        if elem_is_managed(kind) {
            for i in from..to {
                aria_retain(load(data, i, 8, kind) as *mut u8);
            }
        }
    }
}

/// Element equality used by `index_of`/`contains`: strings by content,
/// floats by `==`, everything else by the bits at the element's size.
///
/// # Safety
/// For `ELEM_STR`, both are null or live strings.
unsafe fn elem_eq(kind: u32, size: usize, a: i64, b: i64) -> bool {
    match kind {
        // SAFETY: caller contract.
        ELEM_STR => a == b || unsafe { str_bytes(a as *const u8) == str_bytes(b as *const u8) },
        ELEM_F32 => f32::from_bits(a as u32) == f32::from_bits(b as u32),
        ELEM_F64 => f64::from_bits(a as u64) == f64::from_bits(b as u64),
        _ => truncate(a, size) == truncate(b, size),
    }
}

/// Ascending float order for `sort`: `-0.0 == 0.0`, NaN after everything.
fn float_order<F: PartialOrd + Copy>(a: F, b: F, is_nan: fn(F) -> bool) -> Ordering {
    a.partial_cmp(&b)
        .unwrap_or_else(|| is_nan(a).cmp(&is_nan(b)))
}

// ---- the ABI ---------------------------------------------------------------------------

/// A new array of `len` zeroed elements (`len < 0` is treated as 0).
#[no_mangle]
pub extern "C" fn aria_array_new(elem_kind: i32, elem_size: i32, len: i64) -> *mut u8 {
    new_array(elem_kind as u32, elem_size as u32, len.max(0) as usize)
}

/// The address of element `i`, or panic -102.
///
/// # Safety
/// `a` is null or a live array.
#[no_mangle]
pub unsafe extern "C" fn aria_array_elem(a: *mut u8, i: i64) -> AriaResult {
    // SAFETY: caller contract.
    let (len, _, size, data) = unsafe { parts(a) };
    if i < 0 || i as usize >= len {
        return AriaResult::err(raise_index(i, len as i64));
    }
    AriaResult::ok(data as i64 + i * size as i64)
}

/// `a.push(v)`: appends `bits` (a managed element is retained).
///
/// # Safety
/// `a` is a live dynamic array; a managed `bits` is null or live.
#[no_mangle]
pub unsafe extern "C" fn aria_array_push(a: *mut u8, bits: i64) {
    if a.is_null() {
        debug_assert!(false, "push on a null array");
        return;
    }
    // SAFETY: caller contract.
    unsafe {
        if elem_is_managed((*obj(a)).elem_kind) {
            aria_retain(bits as *mut u8);
        }
        array_push_raw(a, bits);
    }
}

/// `a.pop()`: the last element (its reference moves to the caller), or
/// `ERR_INVALID` when empty.
///
/// # Safety
/// `a` is null or a live array.
#[no_mangle]
pub unsafe extern "C" fn aria_array_pop(a: *mut u8) -> AriaResult {
    // SAFETY: caller contract.
    unsafe {
        let (len, kind, size, data) = parts(a);
        if len == 0 {
            return AriaResult::err(ERR_INVALID);
        }
        (*obj(a)).len -= 1;
        AriaResult::ok(load(data, len - 1, size, kind))
    }
}

/// `a.insert(i, v)` for `0 <= i <= length`, else panic -102.
///
/// # Safety
/// `a` is a live dynamic array; a managed `bits` is null or live.
#[no_mangle]
pub unsafe extern "C" fn aria_array_insert(a: *mut u8, i: i64, bits: i64) -> AriaResult {
    // SAFETY: caller contract.
    unsafe {
        let (len, kind, size, _) = parts(a);
        if i < 0 || i as usize > len || a.is_null() {
            return AriaResult::err(raise_index(i, len as i64));
        }
        if elem_is_managed(kind) {
            aria_retain(bits as *mut u8);
        }
        reserve(a, 1);
        let data = (*obj(a)).data;
        let i = i as usize;
        std::ptr::copy(
            data.add(i * size),
            data.add((i + 1) * size),
            (len - i) * size,
        );
        store(data, i, size, bits);
        (*obj(a)).len += 1;
    }
    AriaResult::ok(0)
}

/// `a.remove(i)`: removes and returns element `i` (its reference moves to
/// the caller), panic -102 unless `0 <= i < length`.
///
/// # Safety
/// `a` is null or a live array.
#[no_mangle]
pub unsafe extern "C" fn aria_array_remove(a: *mut u8, i: i64) -> AriaResult {
    // SAFETY: caller contract.
    unsafe {
        let (len, kind, size, data) = parts(a);
        if i < 0 || i as usize >= len {
            return AriaResult::err(raise_index(i, len as i64));
        }
        let i = i as usize;
        let v = load(data, i, size, kind);
        std::ptr::copy(
            data.add((i + 1) * size),
            data.add(i * size),
            (len - i - 1) * size,
        );
        (*obj(a)).len -= 1;
        AriaResult::ok(v)
    }
}

/// `a.clear()`: releases every element; the capacity is kept.
///
/// # Safety
/// `a` is null or a live array.
#[no_mangle]
pub unsafe extern "C" fn aria_array_clear(a: *mut u8) {
    // SAFETY: caller contract.
    unsafe {
        let (len, kind, _, data) = parts(a);
        if len == 0 {
            return;
        }
        (*obj(a)).len = 0;
        if elem_is_managed(kind) {
            for i in 0..len {
                aria_release(load(data, i, 8, kind) as *mut u8);
            }
        }
    }
}

/// `a.slice(start, end)`: a new dynamic array of elements `[start, end)`,
/// panic -102 unless `0 <= start <= end <= length`.
///
/// # Safety
/// `a` is null or a live array.
#[no_mangle]
pub unsafe extern "C" fn aria_array_slice(a: *mut u8, start: i64, end: i64) -> AriaResult {
    // SAFETY: caller contract.
    unsafe {
        let (len, kind, size, data) = parts(a);
        let (s, e) = match check_range(start, end, len as i64) {
            Ok(r) => r,
            Err(code) => return AriaResult::err(code),
        };
        let out = new_array(kind, size as u32, e - s);
        if e > s {
            std::ptr::copy_nonoverlapping(data.add(s * size), (*obj(out)).data, (e - s) * size);
            retain_range(out, 0, e - s);
        }
        AriaResult::ok(out as i64)
    }
}

/// `a.index_of(v)`: first index of an element equal to `bits`, or -1.
///
/// # Safety
/// `a` is null or a live array; a string `bits` is null or live.
#[no_mangle]
pub unsafe extern "C" fn aria_array_index_of(a: *mut u8, bits: i64) -> i64 {
    // SAFETY: caller contract.
    unsafe {
        let (len, kind, size, data) = parts(a);
        for i in 0..len {
            if elem_eq(kind, size, load(data, i, size, kind), bits) {
                return i as i64;
            }
        }
    }
    -1
}

/// `a.contains(v)`.
///
/// # Safety
/// As for [`aria_array_index_of`].
#[no_mangle]
pub unsafe extern "C" fn aria_array_contains(a: *mut u8, bits: i64) -> i8 {
    // SAFETY: caller contract.
    unsafe { (aria_array_index_of(a, bits) >= 0) as i8 }
}

/// Runs `$body` with `$s` bound to the elements of `a` as `&mut [$t]`.
macro_rules! typed {
    ($data:expr, $len:expr, $t:ty, |$s:ident| $body:expr) => {{
        // SAFETY: the buffer is 8-aligned, holds `len` initialised elements of
        // this size, and no other reference to it exists during the call.
        let $s = unsafe { std::slice::from_raw_parts_mut($data.cast::<$t>(), $len) };
        $body
    }};
}

/// `a.reverse()` in place.
///
/// # Safety
/// `a` is null or a live array.
#[no_mangle]
pub unsafe extern "C" fn aria_array_reverse(a: *mut u8) {
    // SAFETY: caller contract.
    let (len, _, size, data) = unsafe { parts(a) };
    if len < 2 {
        return;
    }
    match size {
        1 => typed!(data, len, u8, |s| s.reverse()),
        2 => typed!(data, len, u16, |s| s.reverse()),
        4 => typed!(data, len, u32, |s| s.reverse()),
        _ => typed!(data, len, u64, |s| s.reverse()),
    }
}

/// `a.sort()`: stable, ascending. Integers by value (signed or unsigned by
/// kind), tbb with `ERR` first (it is the minimum pattern), floats with
/// `-0.0 == 0.0` and NaN last, `bool` false first, strings bytewise. Other
/// kinds are left as they are.
///
/// # Safety
/// `a` is null or a live array.
#[no_mangle]
pub unsafe extern "C" fn aria_array_sort(a: *mut u8) {
    // SAFETY: caller contract.
    let (len, kind, _, data) = unsafe { parts(a) };
    if len < 2 {
        return;
    }
    // Equal integers are indistinguishable, so an unstable sort is stable
    // in effect; floats and strings use the stable sort.
    match kind {
        ELEM_I8 | ELEM_TBB8 => typed!(data, len, i8, |s| s.sort_unstable()),
        ELEM_I16 | ELEM_TBB16 => typed!(data, len, i16, |s| s.sort_unstable()),
        ELEM_I32 | ELEM_TBB32 => typed!(data, len, i32, |s| s.sort_unstable()),
        ELEM_I64 | ELEM_TBB64 => typed!(data, len, i64, |s| s.sort_unstable()),
        ELEM_U8 | ELEM_BOOL | ELEM_NIL => typed!(data, len, u8, |s| s.sort_unstable()),
        ELEM_U16 => typed!(data, len, u16, |s| s.sort_unstable()),
        ELEM_U32 => typed!(data, len, u32, |s| s.sort_unstable()),
        ELEM_U64 | ELEM_PTR => typed!(data, len, u64, |s| s.sort_unstable()),
        ELEM_F32 => typed!(data, len, f32, |s| s.sort_by(|x, y| float_order(
            *x,
            *y,
            f32::is_nan
        ))),
        ELEM_F64 => typed!(data, len, f64, |s| s.sort_by(|x, y| float_order(
            *x,
            *y,
            f64::is_nan
        ))),
        ELEM_STR => typed!(data, len, *const u8, |s| s.sort_by(|x, y| {
            // SAFETY: the elements are null or live strings held by the array.
            unsafe { str_bytes(*x).cmp(str_bytes(*y)) }
        })),
        _ => {}
    }
}

/// `a.join(sep)`: the elements' `to_string` texts separated by `sep`.
///
/// # Safety
/// `a` is null or a live array; `sep` is null or a live string.
#[no_mangle]
pub unsafe extern "C" fn aria_array_join(a: *mut u8, sep: *const u8) -> *mut u8 {
    // SAFETY: caller contract.
    unsafe {
        let (len, kind, size, data) = parts(a);
        let sep = str_bytes(sep);
        let mut out = Vec::new();
        for i in 0..len {
            if i > 0 {
                out.extend_from_slice(sep);
            }
            write_elem(&mut out, kind, load(data, i, size, kind));
        }
        new_str(&out)
    }
}

/// A new array with the same elements (retained), capacity = length.
///
/// # Safety
/// `a` is null or a live array.
#[no_mangle]
pub unsafe extern "C" fn aria_array_clone(a: *mut u8) -> *mut u8 {
    if a.is_null() {
        return a;
    }
    // SAFETY: caller contract.
    unsafe {
        let (len, kind, size, data) = parts(a);
        let out = new_array(kind, size as u32, len);
        if len > 0 {
            std::ptr::copy_nonoverlapping(data, (*obj(out)).data, len * size);
            retain_range(out, 0, len);
        }
        out
    }
}

/// Copy-on-write: returns `a` itself when the caller holds its only
/// reference, else a clone (and releases the caller's reference to `a`).
///
/// # Safety
/// `a` is null or a live array the caller owns a reference to (consumed).
#[no_mangle]
pub unsafe extern "C" fn aria_array_unique(a: *mut u8) -> *mut u8 {
    // SAFETY: caller contract.
    unsafe {
        if a.is_null() || is_unique(a) {
            return a;
        }
        let c = aria_array_clone(a);
        aria_release(a);
        c
    }
}

// ---- test support ----------------------------------------------------------------------

#[cfg(test)]
pub mod test_support {
    use super::*;

    /// The elements of a string array as Rust strings (`a` null or live).
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    pub fn str_elems(a: *const u8) -> Vec<String> {
        // SAFETY: tests pass live string arrays.
        unsafe {
            let (len, kind, size, data) = parts(a);
            assert!(len == 0 || kind == ELEM_STR);
            (0..len)
                .map(|i| crate::string::text(load(data, i, size, kind) as *const u8))
                .collect()
        }
    }

    /// The elements as bits (`a` null or live).
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    pub fn bits(a: *const u8) -> Vec<i64> {
        // SAFETY: tests pass live arrays.
        unsafe {
            let (len, kind, size, data) = parts(a);
            (0..len).map(|i| load(data, i, size, kind)).collect()
        }
    }

    /// A new array of `kind` holding `vals` (managed values are retained).
    pub fn make(kind: u32, vals: &[i64]) -> *mut u8 {
        let a = new_array(kind, elem_size_of(kind), 0);
        for &v in vals {
            // SAFETY: `a` is a fresh dynamic array.
            unsafe { aria_array_push(a, v) };
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use crate::object::thread_live_objects;
    use crate::panic;
    use crate::string::{test_str, text, TestStr};

    fn balanced(f: impl FnOnce()) {
        let base = thread_live_objects();
        f();
        assert_eq!(thread_live_objects(), base, "leaked objects");
    }

    /// Owns an array reference for a test.
    struct Arr(*mut u8);
    impl Drop for Arr {
        fn drop(&mut self) {
            // SAFETY: Arr owns one reference.
            unsafe { aria_release(self.0) }
        }
    }

    fn joined(a: *mut u8, sep: &str) -> String {
        let sep = test_str(sep);
        // SAFETY: live array and string.
        let s = TestStr(unsafe { aria_array_join(a, sep.0) });
        text(s.0)
    }

    fn printed(a: *mut u8) -> String {
        // SAFETY: live array.
        let s = TestStr(unsafe { crate::format::aria_fmt_array(a) });
        text(s.0)
    }

    #[test]
    fn new_elem_and_bounds() {
        balanced(|| {
            let a = Arr(aria_array_new(ELEM_I32 as i32, 4, 3));
            assert_eq!(bits(a.0), vec![0, 0, 0]);
            // SAFETY: live array; the element address is inside it.
            unsafe {
                let r = aria_array_elem(a.0, 2);
                assert_eq!(r.err, 0);
                *(r.val as *mut i32) = -7;
                assert_eq!(bits(a.0), vec![0, 0, -7]);
                assert_eq!(aria_array_elem(a.0, 3).err, -102);
                assert_eq!(
                    panic::take().unwrap().message,
                    b"index out of bounds: index 3, length 3"
                );
                assert_eq!(aria_array_elem(a.0, -1).err, -102);
                panic::take();
            }
        });
    }

    #[test]
    fn push_pop_insert_remove_i64_and_u8() {
        balanced(|| {
            let a = Arr(make(ELEM_I64, &[]));
            // SAFETY: live arrays throughout.
            unsafe {
                for i in 0..100 {
                    aria_array_push(a.0, i);
                }
                assert_eq!(bits(a.0).len(), 100);
                assert_eq!(aria_array_pop(a.0), AriaResult::ok(99));
                assert_eq!(aria_array_insert(a.0, 0, -1), AriaResult::ok(0));
                assert_eq!(aria_array_insert(a.0, 100, 1000), AriaResult::ok(0));
                assert_eq!(bits(a.0)[..3], [-1, 0, 1]);
                assert_eq!(*bits(a.0).last().unwrap(), 1000);
                assert_eq!(aria_array_remove(a.0, 1), AriaResult::ok(0));
                assert_eq!(bits(a.0)[..3], [-1, 1, 2]);
                assert_eq!(aria_array_insert(a.0, 102, 5).err, -102);
                assert_eq!(
                    panic::take().unwrap().message,
                    b"index out of bounds: index 102, length 100"
                );
                assert_eq!(aria_array_remove(a.0, 100).err, -102);
                assert_eq!(
                    panic::take().unwrap().message,
                    b"index out of bounds: index 100, length 100"
                );
                aria_array_clear(a.0);
                assert_eq!(aria_array_pop(a.0), AriaResult::err(ERR_INVALID));
                assert_eq!(
                    panic::aria_panicking(),
                    0,
                    "pop on empty is a failure, not a panic"
                );

                let b = Arr(make(ELEM_U8, &[200, 7]));
                aria_array_push(b.0, 0x1ff);
                assert_eq!(bits(b.0), vec![200, 7, 255]);
                assert_eq!(aria_array_pop(b.0), AriaResult::ok(255));
                let c = Arr(make(ELEM_I8, &[-3, 100]));
                assert_eq!(bits(c.0), vec![-3, 100]);
                assert_eq!(aria_array_remove(c.0, 0), AriaResult::ok(-3));
            }
        });
    }

    #[test]
    fn string_elements_are_retained_and_released() {
        balanced(|| {
            let x = test_str("xx");
            let y = test_str("yy");
            let a = Arr(make(ELEM_STR, &[]));
            // SAFETY: live arrays and strings.
            unsafe {
                aria_array_push(a.0, x.0 as i64);
                aria_array_push(a.0, y.0 as i64);
                aria_array_insert(a.0, 1, x.0 as i64);
                assert_eq!(str_elems(a.0), ["xx", "xx", "yy"]);
                assert_eq!(
                    crate::object::header(x.0)
                        .rc
                        .load(std::sync::atomic::Ordering::Relaxed),
                    3
                );
                let r = aria_array_remove(a.0, 0);
                aria_release(r.val as *mut u8);
                let r = aria_array_pop(a.0);
                assert_eq!(text(r.val as *mut u8), "yy");
                aria_release(r.val as *mut u8);
                assert_eq!(
                    crate::object::header(x.0)
                        .rc
                        .load(std::sync::atomic::Ordering::Relaxed),
                    2
                );
                let z = test_str("xx");
                assert_eq!(
                    aria_array_index_of(a.0, z.0 as i64),
                    0,
                    "strings compare by content"
                );
                assert_eq!(aria_array_contains(a.0, y.0 as i64), 0);
                aria_array_push(a.0, 0);
                assert_eq!(aria_array_index_of(a.0, 0), 1, "null is the empty string");
            }
        });
    }

    #[test]
    fn slice_and_clone() {
        balanced(|| {
            let s1 = test_str("a");
            let s2 = test_str("bc");
            let a = Arr(make(ELEM_STR, &[s1.0 as i64, s2.0 as i64, s1.0 as i64]));
            // SAFETY: live arrays.
            unsafe {
                let r = aria_array_slice(a.0, 1, 3);
                assert_eq!(r.err, 0);
                let sl = Arr(r.val as *mut u8);
                assert_eq!(str_elems(sl.0), ["bc", "a"]);
                let e = Arr(aria_array_slice(a.0, 3, 3).val as *mut u8);
                assert_eq!(bits(e.0).len(), 0);
                assert_eq!(aria_array_slice(a.0, 2, 4).err, -102);
                assert_eq!(
                    panic::take().unwrap().message,
                    b"index out of bounds: index 4, length 3"
                );
                assert_eq!(aria_array_slice(a.0, 2, 1).err, -102);
                assert_eq!(
                    panic::take().unwrap().message,
                    b"index out of bounds: index 1, length 3"
                );
                let c = Arr(aria_array_clone(a.0));
                drop(a);
                assert_eq!(str_elems(c.0), ["a", "bc", "a"]);
            }
        });
    }

    #[test]
    fn sort_kinds() {
        balanced(|| {
            // SAFETY: live arrays.
            unsafe {
                let a = Arr(make(ELEM_I32, &[5, -2, 9, 0, -2, 3]));
                aria_array_sort(a.0);
                assert_eq!(bits(a.0), vec![-2, -2, 0, 3, 5, 9]);

                let u = Arr(make(ELEM_U32, &[0xffff_ffff, 1, 0x8000_0000]));
                aria_array_sort(u.0);
                assert_eq!(bits(u.0), vec![1, 0x8000_0000, 0xffff_ffff]);

                let t = Arr(make(ELEM_TBB8, &[3, -128, -127, 0, -128]));
                aria_array_sort(t.0);
                assert_eq!(bits(t.0), vec![-128, -128, -127, 0, 3]);
                assert_eq!(printed(t.0), "[ERR, ERR, -127, 0, 3]");

                let f = |x: f64| x.to_bits() as i64;
                let fl = Arr(make(
                    ELEM_F64,
                    &[
                        f(2.5),
                        f(f64::NAN),
                        f(-0.0),
                        f(-1.0),
                        f(0.0),
                        f(f64::INFINITY),
                    ],
                ));
                aria_array_sort(fl.0);
                assert_eq!(printed(fl.0), "[-1.0, -0.0, 0.0, 2.5, inf, NaN]");
                let zs = Arr(make(ELEM_F64, &[f(1.0), f(0.0), f(-0.0), f(0.0), f(-1.0)]));
                aria_array_sort(zs.0);
                assert_eq!(
                    printed(zs.0),
                    "[-1.0, 0.0, -0.0, 0.0, 1.0]",
                    "stable: equal zeros keep their order"
                );

                let g = |x: f32| x.to_bits() as i64;
                let f32s = Arr(make(ELEM_F32, &[g(0.5), g(-3.25), g(0.1)]));
                aria_array_sort(f32s.0);
                assert_eq!(printed(f32s.0), "[-3.25, 0.1, 0.5]");

                let b = Arr(make(ELEM_BOOL, &[1, 0, 1, 0]));
                aria_array_sort(b.0);
                assert_eq!(printed(b.0), "[false, false, true, true]");

                let ss: Vec<TestStr> = ["pear", "Apple", "apple", "", "app"]
                    .iter()
                    .map(|s| test_str(s))
                    .collect();
                let sa = Arr(make(
                    ELEM_STR,
                    &ss.iter().map(|s| s.0 as i64).collect::<Vec<_>>(),
                ));
                aria_array_sort(sa.0);
                assert_eq!(str_elems(sa.0), ["", "Apple", "app", "apple", "pear"]);

                let big: Vec<i64> = (0..1000).map(|i| (i * 7919) % 1000).collect();
                let ba = Arr(make(ELEM_I16, &big));
                aria_array_sort(ba.0);
                assert_eq!(bits(ba.0), (0..1000).collect::<Vec<i64>>());
            }
        });
    }

    #[test]
    fn reverse_join_index_of() {
        balanced(|| {
            // SAFETY: live arrays.
            unsafe {
                let a = Arr(make(ELEM_I16, &[1, 2, 3, -4]));
                aria_array_reverse(a.0);
                assert_eq!(bits(a.0), vec![-4, 3, 2, 1]);
                assert_eq!(joined(a.0, ", "), "-4, 3, 2, 1");
                assert_eq!(joined(a.0, ""), "-4321");
                assert_eq!(aria_array_index_of(a.0, 2), 2);
                assert_eq!(aria_array_index_of(a.0, -4), 0);
                assert_eq!(
                    aria_array_index_of(a.0, 0xfffc),
                    0,
                    "compared at the element size"
                );
                assert_eq!(aria_array_index_of(a.0, 9), -1);

                let f = |x: f64| x.to_bits() as i64;
                let fl = Arr(make(ELEM_F64, &[f(0.0), f(f64::NAN), f(1.5)]));
                assert_eq!(
                    aria_array_index_of(fl.0, f(-0.0)),
                    0,
                    "floats compare by =="
                );
                assert_eq!(aria_array_index_of(fl.0, f(f64::NAN)), -1);
                assert_eq!(aria_array_contains(fl.0, f(1.5)), 1);
                assert_eq!(joined(fl.0, "|"), "0.0|NaN|1.5");

                let s: Vec<TestStr> = ["x", "y"].iter().map(|s| test_str(s)).collect();
                let sa = Arr(make(
                    ELEM_STR,
                    &[s[0].0 as i64, s[1].0 as i64, s[0].0 as i64],
                ));
                aria_array_reverse(sa.0);
                assert_eq!(str_elems(sa.0), ["x", "y", "x"]);
                assert_eq!(joined(sa.0, "-"), "x-y-x");
                let empty = Arr(make(ELEM_STR, &[]));
                assert_eq!(joined(empty.0, ","), "");
                assert_eq!(printed(empty.0), "[]");
                let n = Arr(make(ELEM_NIL, &[0, 0]));
                assert_eq!(printed(n.0), "[NIL, NIL]");
                let t64 = Arr(make(ELEM_TBB64, &[i64::MIN, 5]));
                assert_eq!(joined(t64.0, " "), "ERR 5");
                let u64s = Arr(make(ELEM_U64, &[-1]));
                assert_eq!(printed(u64s.0), "[18446744073709551615]");
                let p = Arr(make(ELEM_PTR, &[0, 255]));
                assert_eq!(printed(p.0), "[0x0, 0xff]");
                assert_eq!(printed(std::ptr::null_mut()), "[]");
            }
        });
    }

    #[test]
    fn nested_arrays_print_and_drop() {
        balanced(|| {
            let s: Vec<TestStr> = ["a", "b"].iter().map(|s| test_str(s)).collect();
            let inner1 = Arr(make(ELEM_STR, &[s[0].0 as i64, s[1].0 as i64]));
            let inner2 = Arr(make(ELEM_STR, &[]));
            let outer = Arr(make(ELEM_ARRAY, &[inner1.0 as i64, inner2.0 as i64]));
            drop(inner1);
            drop(inner2);
            drop(s);
            assert_eq!(printed(outer.0), "[[a, b], []]");
            assert_eq!(joined(outer.0, "; "), "[a, b]; []");
            let deeper = Arr(make(ELEM_ARRAY, &[outer.0 as i64]));
            drop(outer);
            assert_eq!(printed(deeper.0), "[[[a, b], []]]");
        });
    }

    #[test]
    fn unique_copies_only_shared_arrays() {
        balanced(|| {
            // SAFETY: live arrays; `aria_array_unique` consumes its argument.
            unsafe {
                let a = make(ELEM_I32, &[1, 2]);
                let same = aria_array_unique(a);
                assert_eq!(same, a);
                aria_retain(a);
                let copy = aria_array_unique(a);
                assert_ne!(copy, a);
                *(aria_array_elem(copy, 0).val as *mut i32) = 9;
                assert_eq!(bits(a), vec![1, 2]);
                assert_eq!(bits(copy), vec![9, 2]);
                aria_release(copy);
                aria_release(a);
                assert!(aria_array_unique(std::ptr::null_mut()).is_null());
            }
        });
    }

    #[test]
    fn long_chain_drops_without_recursion() {
        balanced(|| {
            // 200,000 nested arrays: destruction must not recurse on the stack.
            let mut cur = make(ELEM_I32, &[1]);
            for _ in 0..200_000 {
                let next = new_array(ELEM_ARRAY, 8, 0);
                // SAFETY: `cur`'s reference moves into `next`.
                unsafe { array_push_raw(next, cur as i64) };
                cur = next;
            }
            // SAFETY: we own `cur`.
            unsafe { aria_release(cur) };
        });
    }
}

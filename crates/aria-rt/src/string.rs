//! Strings: immutable byte strings, `{header, len: i64 @16, bytes @24..}`.
//!
//! The null pointer is the empty string; runtime functions return null for
//! an empty result. Arguments are borrowed, results owned (+1). A function
//! whose result equals one of its arguments returns that argument retained
//! instead of copying it. Static immortal strings (`true`, `false`, `NIL`,
//! every one-byte string) are never counted.

use std::sync::atomic::AtomicI64;

use crate::array::{array_push_raw, new_array};
use crate::layout::*;
use crate::object::{alloc_object, allocation_failure, aria_retain, read_i64};
use crate::panic::raise_index;
use crate::AriaResult;

// ---- representation --------------------------------------------------------------------

/// The bytes of string `s` (null = empty).
///
/// # Safety
/// `s` is null or a live string object that outlives the returned slice.
#[inline]
pub unsafe fn str_bytes<'a>(s: *const u8) -> &'a [u8] {
    if s.is_null() {
        return &[];
    }
    // SAFETY: caller contract: a live string with `len` bytes at @24.
    unsafe {
        let len = read_i64(s, STR_LEN_OFFSET) as usize;
        std::slice::from_raw_parts(s.add(STR_DATA_OFFSET as usize), len)
    }
}

/// Allocates a string object of `len` bytes whose bytes the caller must
/// fill in (through the returned pointer + `STR_DATA_OFFSET`). `len > 0`.
pub fn alloc_str(len: usize) -> *mut u8 {
    let size = (STR_DATA_OFFSET as usize)
        .checked_add(len)
        .unwrap_or_else(|| allocation_failure());
    let p = alloc_object(size, KIND_STRING, false);
    // SAFETY: `p` has room for the header, the length and `len` bytes.
    unsafe {
        p.add(STR_LEN_OFFSET as usize)
            .cast::<i64>()
            .write(len as i64)
    };
    p
}

/// A new string holding `bytes` (null when empty).
pub fn new_str(bytes: &[u8]) -> *mut u8 {
    match bytes.len() {
        0 => std::ptr::null_mut(),
        1 => byte_str(bytes[0]),
        n => {
            let p = alloc_str(n);
            // SAFETY: `p` has room for `n` bytes at @24.
            unsafe {
                std::ptr::copy_nonoverlapping(bytes.as_ptr(), p.add(STR_DATA_OFFSET as usize), n)
            };
            p
        }
    }
}

/// A new string concatenating `parts`.
fn concat_parts(parts: &[&[u8]]) -> *mut u8 {
    let total = parts
        .iter()
        .try_fold(0usize, |a, p| a.checked_add(p.len()))
        .unwrap_or_else(|| allocation_failure());
    if total <= 1 {
        return new_str(parts.concat().as_slice());
    }
    let p = alloc_str(total);
    let mut off = STR_DATA_OFFSET as usize;
    for part in parts {
        // SAFETY: the parts add up to `total` bytes, the room at @24.
        unsafe { std::ptr::copy_nonoverlapping(part.as_ptr(), p.add(off), part.len()) };
        off += part.len();
    }
    p
}

/// Returns `s` with one more reference (a result equal to an argument).
///
/// # Safety
/// `s` is null or a live string.
unsafe fn same(s: *const u8) -> *mut u8 {
    // SAFETY: `s` is a live string (borrowed argument) or null.
    unsafe { aria_retain(s as *mut u8) };
    s as *mut u8
}

/// A string object in static memory, immortal (`rc < 0`).
#[repr(C)]
pub struct StaticStr<const N: usize> {
    rc: AtomicI64,
    kind: u32,
    pad: u32,
    len: i64,
    bytes: [u8; N],
}

impl<const N: usize> StaticStr<N> {
    pub const fn new(bytes: [u8; N]) -> Self {
        StaticStr {
            rc: AtomicI64::new(IMMORTAL_RC),
            kind: KIND_STRING,
            pad: 0,
            len: N as i64,
            bytes,
        }
    }
    /// The object pointer (the string value).
    pub fn ptr(&'static self) -> *mut u8 {
        self as *const Self as *mut u8
    }
}

pub static TRUE_STR: StaticStr<4> = StaticStr::new(*b"true");
pub static FALSE_STR: StaticStr<5> = StaticStr::new(*b"false");
pub static NIL_STR: StaticStr<3> = StaticStr::new(*b"NIL");

static BYTE_STRS: [StaticStr<1>; 256] = {
    let mut t = [const { StaticStr::new([0]) }; 256];
    let mut i = 0;
    while i < 256 {
        t[i].bytes[0] = i as u8;
        i += 1;
    }
    t
};

/// The immortal one-byte string `b`.
pub fn byte_str(b: u8) -> *mut u8 {
    BYTE_STRS[b as usize].ptr()
}

/// First index of `needle` in `hay` (`Some(0)` for an empty needle).
pub fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let Some((&first, rest)) = needle.split_first() else {
        return Some(0);
    };
    if needle.len() > hay.len() {
        return None;
    }
    let last_start = hay.len() - needle.len();
    let mut i = 0;
    while i <= last_start {
        match hay[i..=last_start].iter().position(|&b| b == first) {
            None => return None,
            Some(k) => {
                let at = i + k;
                if &hay[at + 1..at + needle.len()] == rest {
                    return Some(at);
                }
                i = at + 1;
            }
        }
    }
    None
}

fn is_ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

// ---- the ABI ---------------------------------------------------------------------------

/// `a + b`.
///
/// # Safety
/// `a` and `b` are null or live strings.
#[no_mangle]
pub unsafe extern "C" fn aria_str_concat(a: *const u8, b: *const u8) -> *mut u8 {
    // SAFETY: caller contract.
    let (x, y) = unsafe { (str_bytes(a), str_bytes(b)) };
    if x.is_empty() {
        // SAFETY: the argument is null or a live string (caller contract).
        return unsafe { same(b) };
    }
    if y.is_empty() {
        // SAFETY: the argument is null or a live string (caller contract).
        return unsafe { same(a) };
    }
    concat_parts(&[x, y])
}

/// `a == b` by content: 1 or 0.
///
/// # Safety
/// `a` and `b` are null or live strings.
#[no_mangle]
pub unsafe extern "C" fn aria_str_eq(a: *const u8, b: *const u8) -> i8 {
    if a == b {
        return 1;
    }
    // SAFETY: caller contract.
    unsafe { (str_bytes(a) == str_bytes(b)) as i8 }
}

/// Bytewise comparison: -1, 0 or 1.
///
/// # Safety
/// `a` and `b` are null or live strings.
#[no_mangle]
pub unsafe extern "C" fn aria_str_cmp(a: *const u8, b: *const u8) -> i32 {
    // SAFETY: caller contract.
    unsafe { str_bytes(a).cmp(str_bytes(b)) as i32 }
}

/// `s[i]`: the byte, or panic -102.
///
/// # Safety
/// `s` is null or a live string.
#[no_mangle]
pub unsafe extern "C" fn aria_str_index(s: *const u8, i: i64) -> AriaResult {
    // SAFETY: caller contract.
    let b = unsafe { str_bytes(s) };
    match usize::try_from(i).ok().and_then(|i| b.get(i)) {
        Some(&byte) => AriaResult::ok(byte as i64),
        None => AriaResult::err(raise_index(i, b.len() as i64)),
    }
}

/// Checks `0 <= start <= end <= len`; on failure raises -102 naming the
/// offending index and returns the code.
pub fn check_range(start: i64, end: i64, len: i64) -> Result<(usize, usize), i64> {
    if start < 0 || start > len {
        return Err(raise_index(start, len));
    }
    if end < start || end > len {
        return Err(raise_index(end, len));
    }
    Ok((start as usize, end as usize))
}

/// `s.substring(start, end)`: bytes `[start, end)`, panic -102 unless
/// `0 <= start <= end <= length`.
///
/// # Safety
/// `s` is null or a live string.
#[no_mangle]
pub unsafe extern "C" fn aria_str_substring(s: *const u8, start: i64, end: i64) -> AriaResult {
    // SAFETY: caller contract.
    let b = unsafe { str_bytes(s) };
    match check_range(start, end, b.len() as i64) {
        // SAFETY: the argument is null or a live string (caller contract).
        Ok((a, e)) if a == 0 && e == b.len() => AriaResult::ok(unsafe { same(s) } as i64),
        Ok((a, e)) => AriaResult::ok(new_str(&b[a..e]) as i64),
        Err(code) => AriaResult::err(code),
    }
}

/// `s.find(t)`: first byte index or -1 (`find("")` is 0).
///
/// # Safety
/// `s` and `t` are null or live strings.
#[no_mangle]
pub unsafe extern "C" fn aria_str_find(s: *const u8, t: *const u8) -> i64 {
    // SAFETY: caller contract.
    unsafe { find_bytes(str_bytes(s), str_bytes(t)).map_or(-1, |i| i as i64) }
}

/// `s.contains(t)`.
///
/// # Safety
/// `s` and `t` are null or live strings.
#[no_mangle]
pub unsafe extern "C" fn aria_str_contains(s: *const u8, t: *const u8) -> i8 {
    // SAFETY: caller contract.
    unsafe { find_bytes(str_bytes(s), str_bytes(t)).is_some() as i8 }
}

/// `s.starts_with(t)`.
///
/// # Safety
/// `s` and `t` are null or live strings.
#[no_mangle]
pub unsafe extern "C" fn aria_str_starts_with(s: *const u8, t: *const u8) -> i8 {
    // SAFETY: caller contract.
    unsafe { str_bytes(s).starts_with(str_bytes(t)) as i8 }
}

/// `s.ends_with(t)`.
///
/// # Safety
/// `s` and `t` are null or live strings.
#[no_mangle]
pub unsafe extern "C" fn aria_str_ends_with(s: *const u8, t: *const u8) -> i8 {
    // SAFETY: caller contract.
    unsafe { str_bytes(s).ends_with(str_bytes(t)) as i8 }
}

/// `s.split(sep)` -> `string[]`. An empty `sep` splits into bytes (`""`
/// gives `[]`); otherwise there is one more part than separators (`""`
/// gives `[""]`).
///
/// # Safety
/// `s` and `sep` are null or live strings.
#[no_mangle]
pub unsafe extern "C" fn aria_str_split(s: *const u8, sep: *const u8) -> *mut u8 {
    // SAFETY: caller contract.
    let (b, sep) = unsafe { (str_bytes(s), str_bytes(sep)) };
    let out = new_array(ELEM_STR, 8, 0);
    // SAFETY: `out` is a fresh array of strings; pushed strings are owned (+1)
    // and moved into the array.
    unsafe {
        if sep.is_empty() {
            for &byte in b {
                array_push_raw(out, byte_str(byte) as i64);
            }
            return out;
        }
        let mut rest = b;
        while let Some(i) = find_bytes(rest, sep) {
            array_push_raw(out, new_str(&rest[..i]) as i64);
            rest = &rest[i + sep.len()..];
        }
        let last = if rest.len() == b.len() {
            same(s)
        } else {
            new_str(rest)
        };
        array_push_raw(out, last as i64);
    }
    out
}

/// `s.trim()`: without leading and trailing ASCII whitespace.
///
/// # Safety
/// `s` is null or a live string.
#[no_mangle]
pub unsafe extern "C" fn aria_str_trim(s: *const u8) -> *mut u8 {
    // SAFETY: caller contract.
    let b = unsafe { str_bytes(s) };
    let start = b
        .iter()
        .position(|&c| !is_ascii_space(c))
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|&c| !is_ascii_space(c))
        .map_or(start, |i| i + 1);
    if start == 0 && end == b.len() {
        // SAFETY: the argument is null or a live string (caller contract).
        return unsafe { same(s) };
    }
    new_str(&b[start..end])
}

/// `s` with `f` applied to every byte (`s` itself if nothing changes).
///
/// # Safety
/// `s` is null or a live string.
unsafe fn map_bytes(s: *const u8, f: fn(u8) -> u8) -> *mut u8 {
    // SAFETY: caller contract.
    let b = unsafe { str_bytes(s) };
    match b.iter().position(|&c| f(c) != c) {
        // SAFETY: the argument is null or a live string (caller contract).
        None => unsafe { same(s) },
        Some(_) => new_str(&b.iter().map(|&c| f(c)).collect::<Vec<u8>>()),
    }
}

/// `s.to_upper()` (ASCII).
///
/// # Safety
/// `s` is null or a live string.
#[no_mangle]
pub unsafe extern "C" fn aria_str_to_upper(s: *const u8) -> *mut u8 {
    // SAFETY: the argument is null or a live string (caller contract).
    unsafe { map_bytes(s, |c| c.to_ascii_uppercase()) }
}

/// `s.to_lower()` (ASCII).
///
/// # Safety
/// `s` is null or a live string.
#[no_mangle]
pub unsafe extern "C" fn aria_str_to_lower(s: *const u8) -> *mut u8 {
    // SAFETY: the argument is null or a live string (caller contract).
    unsafe { map_bytes(s, |c| c.to_ascii_lowercase()) }
}

/// `s.replace(from, to)`: every non-overlapping `from`, left to right; an
/// empty `from` returns `s`.
///
/// # Safety
/// All three are null or live strings.
#[no_mangle]
pub unsafe extern "C" fn aria_str_replace(s: *const u8, from: *const u8, to: *const u8) -> *mut u8 {
    // SAFETY: caller contract.
    let (b, from_b, to_b) = unsafe { (str_bytes(s), str_bytes(from), str_bytes(to)) };
    if from_b.is_empty() {
        // SAFETY: the argument is null or a live string (caller contract).
        return unsafe { same(s) };
    }
    let mut out = Vec::new();
    let mut rest = b;
    let mut replaced = false;
    while let Some(i) = find_bytes(rest, from_b) {
        replaced = true;
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(to_b);
        rest = &rest[i + from_b.len()..];
    }
    if !replaced {
        // SAFETY: the argument is null or a live string (caller contract).
        return unsafe { same(s) };
    }
    out.extend_from_slice(rest);
    new_str(&out)
}

/// `s.repeat(n)`: `n <= 0` gives `""`.
///
/// # Safety
/// `s` is null or a live string.
#[no_mangle]
pub unsafe extern "C" fn aria_str_repeat(s: *const u8, n: i64) -> *mut u8 {
    // SAFETY: caller contract.
    let b = unsafe { str_bytes(s) };
    if n <= 0 || b.is_empty() {
        return std::ptr::null_mut();
    }
    if n == 1 {
        // SAFETY: the argument is null or a live string (caller contract).
        return unsafe { same(s) };
    }
    let total = usize::try_from(n)
        .ok()
        .and_then(|n| b.len().checked_mul(n))
        .filter(|&t| t <= isize::MAX as usize / 2)
        .unwrap_or_else(|| allocation_failure());
    let p = alloc_str(total);
    // SAFETY: `p` has room for `total = n * len` bytes at @24.
    unsafe {
        let dst = p.add(STR_DATA_OFFSET as usize);
        for k in 0..n as usize {
            std::ptr::copy_nonoverlapping(b.as_ptr(), dst.add(k * b.len()), b.len());
        }
    }
    p
}

/// `from_byte(b)`: the one-byte string of the low 8 bits of `b` (immortal).
#[no_mangle]
pub extern "C" fn aria_str_from_byte(b: i64) -> *mut u8 {
    byte_str(b as u8)
}

// ---- test helpers ----------------------------------------------------------------------

/// An owned string reference released on drop (tests).
#[cfg(test)]
pub struct TestStr(pub *mut u8);

#[cfg(test)]
impl Drop for TestStr {
    fn drop(&mut self) {
        // SAFETY: TestStr owns one reference.
        unsafe { crate::object::aria_release(self.0) }
    }
}

#[cfg(test)]
pub fn test_str(s: &str) -> TestStr {
    TestStr(new_str(s.as_bytes()))
}

/// The text of string `p` (tests; `p` must be null or live).
#[cfg(test)]
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn text(p: *const u8) -> String {
    // SAFETY: tests pass live strings.
    String::from_utf8(unsafe { str_bytes(p) }.to_vec()).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::array::test_support::str_elems;
    use crate::object::{aria_release, thread_live_objects};
    use crate::panic;

    /// Runs `f`, asserting that it leaves no object of this thread alive.
    fn balanced(f: impl FnOnce()) {
        let base = thread_live_objects();
        f();
        assert_eq!(thread_live_objects(), base, "leaked objects");
    }

    fn owned(p: *mut u8) -> TestStr {
        TestStr(p)
    }

    #[test]
    fn null_is_empty() {
        balanced(|| {
            // SAFETY: null strings are valid everywhere.
            unsafe {
                let n = std::ptr::null();
                assert_eq!(str_bytes(n), b"");
                assert_eq!(aria_str_eq(n, n), 1);
                let e = test_str("");
                assert!(e.0.is_null());
                assert!(aria_str_concat(n, n).is_null());
                assert_eq!(aria_str_find(n, n), 0);
                assert_eq!(aria_str_contains(n, n), 1);
                assert!(aria_str_trim(n).is_null());
                assert!(aria_str_to_upper(n).is_null());
                assert!(aria_str_replace(n, n, n).is_null());
                assert!(aria_str_repeat(n, 5).is_null());
                let r = aria_str_substring(n, 0, 0);
                assert_eq!(r, AriaResult::ok(0));
            }
        });
    }

    #[test]
    fn concat_eq_cmp() {
        balanced(|| {
            let a = test_str("foo");
            let b = test_str("bar");
            // SAFETY: live strings.
            unsafe {
                let c = owned(aria_str_concat(a.0, b.0));
                assert_eq!(text(c.0), "foobar");
                let d = owned(aria_str_concat(a.0, std::ptr::null()));
                assert_eq!(d.0, a.0, "concat with empty shares the other operand");
                assert_eq!(aria_str_eq(c.0, c.0), 1);
                let c2 = test_str("foobar");
                assert_eq!(aria_str_eq(c.0, c2.0), 1);
                assert_eq!(aria_str_eq(a.0, b.0), 0);
                assert_eq!(aria_str_cmp(a.0, b.0), 1);
                assert_eq!(aria_str_cmp(b.0, a.0), -1);
                assert_eq!(aria_str_cmp(a.0, a.0), 0);
                assert_eq!(aria_str_cmp(std::ptr::null(), a.0), -1);
                let ab = test_str("ab");
                let abc = test_str("abc");
                assert_eq!(aria_str_cmp(ab.0, abc.0), -1);
                let hi = test_str("\u{e9}");
                let z = test_str("z");
                assert_eq!(aria_str_cmp(hi.0, z.0), 1, "bytewise: 0xC3 > 'z'");
            }
        });
    }

    #[test]
    fn index_and_panic() {
        balanced(|| {
            let s = test_str("abc");
            // SAFETY: live string.
            unsafe {
                assert_eq!(aria_str_index(s.0, 1), AriaResult::ok(b'b' as i64));
                assert_eq!(aria_str_index(s.0, 3), AriaResult::err(-102));
            }
            assert_eq!(
                panic::take().unwrap().message,
                b"index out of bounds: index 3, length 3"
            );
            // SAFETY: live string.
            unsafe { assert_eq!(aria_str_index(s.0, -1).err, -102) };
            assert_eq!(
                panic::take().unwrap().message,
                b"index out of bounds: index -1, length 3"
            );
        });
    }

    #[test]
    fn substring_bounds() {
        balanced(|| {
            let s = test_str("hello");
            // SAFETY: live string.
            unsafe {
                let r = aria_str_substring(s.0, 1, 3);
                assert_eq!(r.err, 0);
                assert_eq!(text(owned(r.val as *mut u8).0), "el");
                let r = aria_str_substring(s.0, 0, 5);
                assert_eq!(r.val as *mut u8, s.0);
                aria_release(r.val as *mut u8);
                assert_eq!(aria_str_substring(s.0, 2, 2), AriaResult::ok(0));
                assert_eq!(panic::aria_panicking(), 0);
                for (a, e, msg) in [
                    (2, 6, "index out of bounds: index 6, length 5"),
                    (-1, 2, "index out of bounds: index -1, length 5"),
                    (3, 2, "index out of bounds: index 2, length 5"),
                    (6, 7, "index out of bounds: index 6, length 5"),
                ] {
                    let r = aria_str_substring(s.0, a, e);
                    assert_eq!(r, AriaResult::err(-102));
                    assert_eq!(panic::aria_panicking(), 1);
                    let info = panic::take().unwrap();
                    assert_eq!(info.code, -102);
                    assert_eq!(String::from_utf8(info.message).unwrap(), msg);
                }
            }
        });
    }

    #[test]
    fn find_contains_prefix_suffix() {
        balanced(|| {
            let s = test_str("abcabcd");
            let cases: &[(&str, i64)] = &[
                ("", 0),
                ("a", 0),
                ("c", 2),
                ("abcd", 3),
                ("d", 6),
                ("x", -1),
                ("abcabcde", -1),
                ("bcd", 4),
            ];
            for &(t, want) in cases {
                let t = test_str(t);
                // SAFETY: live strings.
                unsafe {
                    assert_eq!(aria_str_find(s.0, t.0), want);
                    assert_eq!(aria_str_contains(s.0, t.0), (want >= 0) as i8);
                }
            }
            let ab = test_str("ab");
            let cd = test_str("cd");
            // SAFETY: live strings.
            unsafe {
                assert_eq!(aria_str_starts_with(s.0, ab.0), 1);
                assert_eq!(aria_str_starts_with(s.0, cd.0), 0);
                assert_eq!(aria_str_ends_with(s.0, cd.0), 1);
                assert_eq!(aria_str_ends_with(s.0, ab.0), 0);
                assert_eq!(aria_str_starts_with(s.0, std::ptr::null()), 1);
                assert_eq!(aria_str_ends_with(std::ptr::null(), ab.0), 0);
            }
        });
    }

    #[test]
    fn split_cases() {
        balanced(|| {
            let cases: &[(&str, &str, &[&str])] = &[
                ("a,b,,c", ",", &["a", "b", "", "c"]),
                ("abc", ",", &["abc"]),
                ("", ",", &[""]),
                (",", ",", &["", ""]),
                ("a::b::", "::", &["a", "b", ""]),
                ("abc", "", &["a", "b", "c"]),
                ("", "", &[]),
            ];
            for &(s, sep, want) in cases {
                let s = test_str(s);
                let sep = test_str(sep);
                // SAFETY: live strings.
                let arr = unsafe { aria_str_split(s.0, sep.0) };
                assert_eq!(str_elems(arr), want);
                // SAFETY: we own the array.
                unsafe { aria_release(arr) };
            }
        });
    }

    #[test]
    fn trim_case_replace_repeat() {
        balanced(|| {
            // SAFETY: live strings throughout.
            unsafe {
                let s = test_str(" \t hi there\r\n\x0b");
                assert_eq!(text(owned(aria_str_trim(s.0)).0), "hi there");
                let s2 = test_str("x");
                let t = owned(aria_str_trim(s2.0));
                assert_eq!(t.0, s2.0);
                let ws = test_str("  \n ");
                assert!(aria_str_trim(ws.0).is_null());
                let m = test_str("Hello, World! \u{e9}");
                assert_eq!(
                    text(owned(aria_str_to_upper(m.0)).0),
                    "HELLO, WORLD! \u{e9}"
                );
                assert_eq!(
                    text(owned(aria_str_to_lower(m.0)).0),
                    "hello, world! \u{e9}"
                );
                let r = test_str("aaa");
                let aa = test_str("aa");
                let b = test_str("b");
                assert_eq!(text(owned(aria_str_replace(r.0, aa.0, b.0)).0), "ba");
                let fo = test_str("foo bar foo");
                let foo = test_str("foo");
                let q = test_str("quux");
                assert_eq!(
                    text(owned(aria_str_replace(fo.0, foo.0, q.0)).0),
                    "quux bar quux"
                );
                assert_eq!(
                    text(owned(aria_str_replace(fo.0, foo.0, std::ptr::null())).0),
                    " bar "
                );
                let same_ = owned(aria_str_replace(fo.0, std::ptr::null(), q.0));
                assert_eq!(same_.0, fo.0);
                let ab = test_str("ab");
                assert_eq!(text(owned(aria_str_repeat(ab.0, 3)).0), "ababab");
                assert!(aria_str_repeat(ab.0, 0).is_null());
                assert!(aria_str_repeat(ab.0, -4).is_null());
                assert_eq!(text(owned(aria_str_repeat(ab.0, 1)).0), "ab");
                let fb = aria_str_from_byte(65);
                assert_eq!(text(fb), "A");
                assert_eq!(aria_str_from_byte(0x1ff), byte_str(0xff));
                aria_release(fb);
                assert_eq!(str_bytes(aria_str_from_byte(0)), b"\0");
            }
        });
    }

    #[test]
    fn static_strings_are_immortal() {
        // SAFETY: static immortal strings.
        unsafe {
            assert_eq!(str_bytes(TRUE_STR.ptr()), b"true");
            aria_release(FALSE_STR.ptr());
            assert_eq!(str_bytes(FALSE_STR.ptr()), b"false");
            assert_eq!(str_bytes(NIL_STR.ptr()), b"NIL");
        }
    }

    /// A loop building 10,000,000 short strings and keeping only the last
    /// frees every other one: the live count stays flat and RSS small.
    #[test]
    fn many_short_strings_are_freed() {
        let base = thread_live_objects();
        let x = test_str("x");
        let mut keep: *mut u8 = std::ptr::null_mut();
        let n = 10_000_000;
        for i in 0..n {
            // SAFETY: `keep` is owned; intermediates are released.
            unsafe {
                let num = crate::format::aria_fmt_int(i);
                let s = aria_str_concat(num, x.0);
                aria_release(num);
                aria_release(keep);
                keep = s;
                if i % 1_000_000 == 0 {
                    assert!(thread_live_objects() - base <= 3);
                }
            }
        }
        assert_eq!(text(keep), format!("{}x", n - 1));
        // SAFETY: owned.
        unsafe { aria_release(keep) };
        drop(x);
        assert_eq!(thread_live_objects(), base);
        if let Ok(statm) = std::fs::read_to_string("/proc/self/statm") {
            let rss_pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
            assert!(
                rss_pages * 4096 < 100 << 20,
                "RSS {} MiB",
                (rss_pages * 4096) >> 20
            );
        }
    }
}

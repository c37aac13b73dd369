//! `to_string` formatting (LANGUAGE.md §8.2).
//!
//! Floats print the shortest decimal that reads back as the same type: plain
//! with at least one fractional digit when `1e-4 <= |x| < 1e16` or `x` is
//! zero (`3.0`, `0.1`, `-0.0`), otherwise `<digits>e<exp>` (`1e16`,
//! `1.5e-5`); `inf`, `-inf`, `NaN`. Rust's `Display`/`LowerExp` for floats
//! already produce the shortest round-trip digits (per type), in plain and
//! exponent form respectively, so no extra crate is needed.

use std::fmt;
use std::io::Write;

use crate::array::{load, parts};
use crate::layout::*;
use crate::string::{new_str, str_bytes, FALSE_STR, NIL_STR, TRUE_STR};

/// A fixed-capacity stack buffer for formatting one scalar.
struct StackBuf {
    buf: [u8; 64],
    len: usize,
}

impl StackBuf {
    fn new() -> Self {
        StackBuf {
            buf: [0; 64],
            len: 0,
        }
    }
    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Formats with `f` into a stack buffer and makes a string of it.
fn str_of(f: impl FnOnce(&mut StackBuf) -> fmt::Result) -> *mut u8 {
    let mut b = StackBuf::new();
    f(&mut b).expect("scalar text fits in 64 bytes");
    new_str(b.bytes())
}

macro_rules! write_float {
    ($w:expr, $v:expr, $t:ty) => {{
        let v: $t = $v;
        if v.is_nan() {
            $w.write_str("NaN")
        } else if v.is_infinite() {
            $w.write_str(if v < 0.0 { "-inf" } else { "inf" })
        } else {
            let a = v.abs();
            if v == 0.0 || ((1e-4 as $t) <= a && a < (1e16 as $t)) {
                // Display gives the shortest round-trip digits, never an exponent.
                let mut b = StackBuf::new();
                write!(b, "{}", v)?;
                $w.write_str(std::str::from_utf8(b.bytes()).expect("ASCII"))?;
                if !b.bytes().contains(&b'.') {
                    $w.write_str(".0")?;
                }
                Ok(())
            } else {
                // LowerExp gives the shortest digits: `1e16`, `1.5e-5`.
                write!($w, "{:e}", v)
            }
        }
    }};
}

/// Writes an `f64` per §8.2.
pub fn write_f64(w: &mut impl fmt::Write, v: f64) -> fmt::Result {
    use fmt::Write as _;
    write_float!(w, v, f64)
}

/// Writes an `f32` per §8.2 (shortest digits that read back as `f32`).
pub fn write_f32(w: &mut impl fmt::Write, v: f32) -> fmt::Result {
    use fmt::Write as _;
    write_float!(w, v, f32)
}

/// `f64` text as a Rust `String`.
pub fn f64_text(v: f64) -> String {
    let mut s = String::new();
    write_f64(&mut s, v).expect("String never fails");
    s
}

/// `f32` text as a Rust `String`.
pub fn f32_text(v: f32) -> String {
    let mut s = String::new();
    write_f32(&mut s, v).expect("String never fails");
    s
}

/// Is `v` (any extension) the `ERR` sentinel of a tbb of `bits` bits?
pub fn is_tbb_err(v: i64, bits: u32) -> bool {
    let sh = 64 - bits.clamp(8, 64);
    (v << sh) >> sh == i64::MIN >> sh
}

/// Writes the `to_string` text of one array element (bits as loaded).
pub fn write_elem(out: &mut Vec<u8>, kind: u32, bits: i64) {
    let _ = match kind {
        ELEM_I8 | ELEM_I16 | ELEM_I32 | ELEM_I64 => write!(out, "{bits}"),
        ELEM_U8 | ELEM_U16 | ELEM_U32 | ELEM_U64 => write!(out, "{}", bits as u64),
        ELEM_TBB8 | ELEM_TBB16 | ELEM_TBB32 | ELEM_TBB64 => {
            let width = 8 << (kind - ELEM_TBB8);
            if is_tbb_err(bits, width) {
                out.write_all(b"ERR")
            } else {
                write!(out, "{bits}")
            }
        }
        ELEM_F32 => {
            let mut s = StackBuf::new();
            let _ = write_f32(&mut s, f32::from_bits(bits as u32));
            out.write_all(s.bytes())
        }
        ELEM_F64 => {
            let mut s = StackBuf::new();
            let _ = write_f64(&mut s, f64::from_bits(bits as u64));
            out.write_all(s.bytes())
        }
        ELEM_BOOL => out.write_all(if bits & 0xff != 0 { b"true" } else { b"false" }),
        ELEM_NIL => out.write_all(b"NIL"),
        ELEM_PTR => write!(out, "0x{:x}", bits as u64),
        // SAFETY: a string element is null or a live string held by its array.
        ELEM_STR => out.write_all(unsafe { str_bytes(bits as *const u8) }),
        ELEM_ARRAY => {
            // SAFETY: an array element is null or a live array held by its array.
            unsafe { write_array(out, bits as *const u8) };
            Ok(())
        }
        // Not printable in Aria (E0318); a readable placeholder all the same.
        ELEM_STRUCT => out.write_all(b"<struct>"),
        ELEM_FUNC => out.write_all(b"<func>"),
        ELEM_TASK => out.write_all(b"<task>"),
        ELEM_CHAN => out.write_all(b"<chan>"),
        ELEM_LISTENER => out.write_all(b"<listener>"),
        ELEM_CONN => out.write_all(b"<conn>"),
        _ => write!(out, "{bits}"),
    };
}

/// Writes `[e1, e2, ...]` for array `a` (null: `[]`).
///
/// # Safety
/// `a` is null or a live array.
pub unsafe fn write_array(out: &mut Vec<u8>, a: *const u8) {
    // SAFETY: caller contract.
    let (len, kind, size, data) = unsafe { parts(a) };
    out.push(b'[');
    for i in 0..len {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        // SAFETY: `i < len`.
        write_elem(out, kind, unsafe { load(data, i, size, kind) });
    }
    out.push(b']');
}

// ---- the ABI ---------------------------------------------------------------------------

/// Signed integer text.
#[no_mangle]
pub extern "C" fn aria_fmt_int(v: i64) -> *mut u8 {
    use fmt::Write as _;
    str_of(|b| write!(b, "{v}"))
}

/// Unsigned integer text (`v` holds the zero-extended bits).
#[no_mangle]
pub extern "C" fn aria_fmt_uint(v: i64) -> *mut u8 {
    use fmt::Write as _;
    str_of(|b| write!(b, "{}", v as u64))
}

/// `flt64` text.
#[no_mangle]
pub extern "C" fn aria_fmt_f64(v: f64) -> *mut u8 {
    str_of(|b| write_f64(b, v))
}

/// `flt32` text.
#[no_mangle]
pub extern "C" fn aria_fmt_f32(v: f32) -> *mut u8 {
    str_of(|b| write_f32(b, v))
}

/// `true` / `false` (immortal strings).
#[no_mangle]
pub extern "C" fn aria_fmt_bool(v: i64) -> *mut u8 {
    if v & 0xff != 0 {
        TRUE_STR.ptr()
    } else {
        FALSE_STR.ptr()
    }
}

/// tbb text: `ERR` for the sentinel of that width (`bits` = 8, 16, 32, 64),
/// else the decimal value.
#[no_mangle]
pub extern "C" fn aria_fmt_tbb(v: i64, bits: i32) -> *mut u8 {
    use fmt::Write as _;
    if is_tbb_err(v, bits as u32) {
        return new_str(b"ERR");
    }
    let sh = 64 - (bits as u32).clamp(8, 64);
    let v = (v << sh) >> sh;
    str_of(|b| write!(b, "{v}"))
}

/// Pointer text: `0x` + lowercase hex (`NULL` is `0x0`).
#[no_mangle]
pub extern "C" fn aria_fmt_ptr(v: i64) -> *mut u8 {
    use fmt::Write as _;
    str_of(|b| write!(b, "0x{:x}", v as u64))
}

/// `NIL` (immortal string).
#[no_mangle]
pub extern "C" fn aria_fmt_nil() -> *mut u8 {
    NIL_STR.ptr()
}

/// Array text: `[1, 2, 3]`, strings unquoted, nested arrays recursively.
///
/// # Safety
/// `a` is null or a live array.
#[no_mangle]
pub unsafe extern "C" fn aria_fmt_array(a: *const u8) -> *mut u8 {
    let mut out = Vec::new();
    // SAFETY: caller contract.
    unsafe { write_array(&mut out, a) };
    new_str(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::{aria_release, thread_live_objects};
    use crate::string::text;

    fn take(p: *mut u8) -> String {
        let s = text(p);
        // SAFETY: we own `p`.
        unsafe { aria_release(p) };
        s
    }

    #[test]
    fn f64_table() {
        let cases: &[(f64, &str)] = &[
            (0.1, "0.1"),
            (1.0 / 3.0, "0.3333333333333333"),
            (2.0 / 3.0, "0.6666666666666666"),
            (3.5, "3.5"),
            (3.0, "3.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1e16, "1e16"),
            (1e15, "1000000000000000.0"),
            (9999999999999998.0, "9999999999999998.0"),
            (123456789012345680.0, "1.2345678901234568e17"),
            (1.5e-5, "1.5e-5"),
            (1e-5, "1e-5"),
            (0.0001, "0.0001"),
            (0.00012345, "0.00012345"),
            (1.2345e20, "1.2345e20"),
            (-2.5e-7, "-2.5e-7"),
            (0.1 + 0.2, "0.30000000000000004"),
            (100.0, "100.0"),
            (-42.125, "-42.125"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e308"),
            (f64::NAN, "NaN"),
            (-f64::NAN, "NaN"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for &(v, want) in cases {
            assert_eq!(f64_text(v), want, "{v:?}");
            assert_eq!(take(aria_fmt_f64(v)), want);
        }
    }

    #[test]
    fn f32_table() {
        let cases: &[(f32, &str)] = &[
            (0.1, "0.1"),
            (1.0 / 3.0, "0.33333334"),
            (3.5, "3.5"),
            (-0.0, "-0.0"),
            (0.0001, "0.0001"),
            (1e16, "1e16"),
            (16777216.0, "16777216.0"),
            (1.5e-5, "1.5e-5"),
            (f32::MAX, "3.4028235e38"),
            (f32::NAN, "NaN"),
            (f32::NEG_INFINITY, "-inf"),
        ];
        for &(v, want) in cases {
            assert_eq!(f32_text(v), want, "{v:?}");
            assert_eq!(take(aria_fmt_f32(v)), want);
        }
    }

    #[test]
    fn round_trip_property() {
        // Every printed float parses back to itself.
        let mut x: u64 = 0x1234_5678_9abc_def0;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = f64::from_bits(x);
            if v.is_finite() {
                assert_eq!(f64_text(v).parse::<f64>().unwrap().to_bits(), v.to_bits());
            }
            let w = f32::from_bits(x as u32);
            if w.is_finite() {
                assert_eq!(f32_text(w).parse::<f32>().unwrap().to_bits(), w.to_bits());
            }
        }
    }

    #[test]
    fn integers_bools_tbb_ptr_nil() {
        let base = thread_live_objects();
        assert_eq!(take(aria_fmt_int(0)), "0");
        assert_eq!(take(aria_fmt_int(-7)), "-7");
        assert_eq!(take(aria_fmt_int(i64::MIN)), "-9223372036854775808");
        assert_eq!(take(aria_fmt_uint(-1)), "18446744073709551615");
        assert_eq!(take(aria_fmt_uint(255)), "255");
        assert_eq!(take(aria_fmt_bool(1)), "true");
        assert_eq!(take(aria_fmt_bool(0)), "false");
        assert_eq!(take(aria_fmt_tbb(-128, 8)), "ERR");
        assert_eq!(take(aria_fmt_tbb(0x80, 8)), "ERR", "zero-extended sentinel");
        assert_eq!(take(aria_fmt_tbb(-127, 8)), "-127");
        assert_eq!(take(aria_fmt_tbb(127, 8)), "127");
        assert_eq!(take(aria_fmt_tbb(-128, 16)), "-128");
        assert_eq!(take(aria_fmt_tbb(-32768, 16)), "ERR");
        assert_eq!(take(aria_fmt_tbb(i32::MIN as i64, 32)), "ERR");
        assert_eq!(take(aria_fmt_tbb(i32::MIN as i64, 64)), "-2147483648");
        assert_eq!(take(aria_fmt_tbb(i64::MIN, 64)), "ERR");
        assert_eq!(take(aria_fmt_tbb(0, 64)), "0");
        assert_eq!(take(aria_fmt_ptr(0)), "0x0");
        assert_eq!(take(aria_fmt_ptr(0xdead_beef)), "0xdeadbeef");
        assert_eq!(take(aria_fmt_ptr(-1)), "0xffffffffffffffff");
        assert_eq!(take(aria_fmt_nil()), "NIL");
        assert_eq!(thread_live_objects(), base);
    }
}

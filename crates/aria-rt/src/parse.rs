//! `parse_int` and `parse_float` (LANGUAGE.md §8.2): strict forms, no
//! surrounding whitespace; anything else fails `ERR_PARSE`.

use crate::layout::ERR_PARSE;
use crate::string::str_bytes;
use crate::{AriaResult, AriaResultF};

/// Optional sign, then one or more decimal digits; `None` on anything else
/// or on overflow of `int64`.
pub fn parse_int_bytes(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        return None;
    }
    // Accumulate negatively so that i64::MIN is reachable.
    let mut acc: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        acc = acc.checked_mul(10)?.checked_sub((c - b'0') as i64)?;
    }
    if neg {
        Some(acc)
    } else {
        acc.checked_neg()
    }
}

/// `[+-]? digits ('.' digits)? ([eE] [+-]? digits)?`, or `[+-]?inf`, `[+-]?NaN`.
pub fn parse_float_bytes(b: &[u8]) -> Option<f64> {
    let (neg, body) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    let sign = if neg { -1.0 } else { 1.0 };
    match body {
        b"inf" => return Some(sign * f64::INFINITY),
        b"NaN" => return Some(f64::NAN),
        _ => {}
    }
    let digits = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = digits(body);
    if i == 0 {
        return None;
    }
    if body.get(i) == Some(&b'.') {
        let f = digits(&body[i + 1..]);
        if f == 0 {
            return None;
        }
        i += 1 + f;
    }
    if matches!(body.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(body.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let e = digits(&body[i..]);
        if e == 0 {
            return None;
        }
        i += e;
    }
    if i != body.len() {
        return None;
    }
    // The text is ASCII by construction; std's parser rounds correctly.
    let text = std::str::from_utf8(b).ok()?;
    text.parse::<f64>().ok()
}

/// `parse_int(s)` -> `int64`, or `ERR_PARSE`.
///
/// # Safety
/// `s` is null or a live string.
#[no_mangle]
pub unsafe extern "C" fn aria_parse_int(s: *const u8) -> AriaResult {
    // SAFETY: caller contract.
    match parse_int_bytes(unsafe { str_bytes(s) }) {
        Some(v) => AriaResult::ok(v),
        None => AriaResult::err(ERR_PARSE),
    }
}

/// `parse_float(s)` -> `flt64`, or `ERR_PARSE`.
///
/// # Safety
/// `s` is null or a live string.
#[no_mangle]
pub unsafe extern "C" fn aria_parse_float(s: *const u8) -> AriaResultF {
    // SAFETY: caller contract.
    match parse_float_bytes(unsafe { str_bytes(s) }) {
        Some(v) => AriaResultF { err: 0, val: v },
        None => AriaResultF {
            err: ERR_PARSE,
            val: 0.0,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::string::test_str;

    #[test]
    fn ints() {
        let ok: &[(&str, i64)] = &[
            ("0", 0),
            ("5", 5),
            ("+5", 5),
            ("-5", -5),
            ("007", 7),
            ("-0", 0),
            ("9223372036854775807", i64::MAX),
            ("-9223372036854775808", i64::MIN),
        ];
        for &(s, v) in ok {
            assert_eq!(parse_int_bytes(s.as_bytes()), Some(v), "{s:?}");
        }
        for s in [
            "",
            "-",
            "+",
            " 5",
            "5 ",
            "5x",
            "1.0",
            "1e3",
            "--5",
            "+-5",
            "0x10",
            "9223372036854775808",
            "-9223372036854775809",
            "99999999999999999999999",
        ] {
            assert_eq!(parse_int_bytes(s.as_bytes()), None, "{s:?}");
        }
        let t = test_str("-42");
        // SAFETY: live string / null.
        unsafe {
            assert_eq!(aria_parse_int(t.0), AriaResult::ok(-42));
            assert_eq!(aria_parse_int(std::ptr::null()), AriaResult::err(-8));
        }
        assert_eq!(crate::panic::aria_panicking(), 0);
    }

    #[test]
    fn floats() {
        let ok: &[(&str, f64)] = &[
            ("7", 7.0),
            ("+1.5", 1.5),
            ("-1.5", -1.5),
            ("1e5", 1e5),
            ("1E5", 1e5),
            ("2.5e-3", 2.5e-3),
            ("1e+2", 100.0),
            ("0.1", 0.1),
            ("1e400", f64::INFINITY),
            ("inf", f64::INFINITY),
            ("-inf", f64::NEG_INFINITY),
            ("+inf", f64::INFINITY),
            ("-0.0", -0.0),
        ];
        for &(s, v) in ok {
            let got = parse_float_bytes(s.as_bytes()).unwrap_or_else(|| panic!("{s:?}"));
            assert_eq!(got.to_bits(), v.to_bits(), "{s:?}");
        }
        assert!(parse_float_bytes(b"NaN").unwrap().is_nan());
        for s in [
            "", "-", "+", " 5", "5 ", ".5", "5.", "1e", "1e+", "e5", "1.2.3", "nan", "Inf",
            "infinity", "0x1p3", "1_0",
        ] {
            assert_eq!(parse_float_bytes(s.as_bytes()), None, "{s:?}");
        }
        let t = test_str("x");
        // SAFETY: live string.
        let r = unsafe { aria_parse_float(t.0) };
        assert_eq!(r.err, -8);
    }
}

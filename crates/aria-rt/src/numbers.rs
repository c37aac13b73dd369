//! Numeric helpers that Cranelift has no instruction for.

/// `a % b` on `flt64`: the truncated remainder (C `fmod`).
#[no_mangle]
pub extern "C" fn aria_f64_rem(a: f64, b: f64) -> f64 {
    a % b
}

/// `a % b` on `flt32`: the truncated remainder (C `fmodf`).
#[no_mangle]
pub extern "C" fn aria_f32_rem(a: f32, b: f32) -> f32 {
    a % b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_remainder() {
        assert_eq!(aria_f64_rem(7.5, 2.0), 1.5);
        assert_eq!(aria_f64_rem(-7.5, 2.0), -1.5);
        assert_eq!(aria_f64_rem(7.5, -2.0), 1.5);
        assert!(aria_f64_rem(1.0, 0.0).is_nan());
        assert!(aria_f64_rem(f64::INFINITY, 1.0).is_nan());
        assert_eq!(aria_f64_rem(3.0, f64::INFINITY), 3.0);
        assert_eq!(aria_f32_rem(-5.0, 3.0), -2.0);
        assert!(aria_f32_rem(1.0, 0.0).is_nan());
    }
}

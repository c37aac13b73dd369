//! Process-level services: `exit`, `now_ms`, and the work done before the
//! process ends.

use std::sync::OnceLock;
use std::time::Instant;

use crate::output::flush_stdout;

static START: OnceLock<Instant> = OnceLock::new();

/// Starts the monotonic clock behind `now_ms` (idempotent; `aria_main`
/// calls it first thing, and the first `now_ms` does if nothing did).
pub fn start_clock() -> Instant {
    *START.get_or_init(Instant::now)
}

/// Everything that must happen before the process exits normally: flush
/// stdout. (The scheduler's graceful shutdown belongs to `entry`, which
/// runs it before this.)
pub fn before_exit() {
    flush_stdout();
}

/// `exit(c)`: flushes stdout and ends the process at once with status `c`
/// (no defers, no cancellation).
#[no_mangle]
pub extern "C" fn aria_exit(code: i64) -> ! {
    before_exit();
    std::process::exit(code as i32)
}

/// `now_ms()`: milliseconds of a monotonic clock that reads 0 at process start.
#[no_mangle]
pub extern "C" fn aria_now_ms() -> i64 {
    start_clock().elapsed().as_millis() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_is_monotonic_from_zero() {
        let a = aria_now_ms();
        assert!(a >= 0);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let b = aria_now_ms();
        assert!(b >= a + 15, "{a} -> {b}");
    }
}

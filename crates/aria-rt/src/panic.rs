//! The thread-local panic state (RUNTIME_ABI.md "Panics and failures").
//!
//! A panic is propagated explicitly: the raising function returns
//! `err = code` and sets this thread's *panicking* flag. Only the first
//! panic's code, message and location are kept until the task boundary or
//! `main` takes them with [`take`]; a panic raised while another is recorded
//! (in a defer that runs during unwinding) sets the flag again but does not
//! replace the record.
//!
//! A task that suspends while unwinding (a defer that awaits) must carry its
//! state to the thread that resumes it: [`save`] / [`restore`].

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, CStr};

use crate::layout::*;
use crate::string::str_bytes;

/// The recorded (first) panic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PanicInfo {
    pub code: i64,
    pub message: Vec<u8>,
    /// `FILE:LINE:COL in FUNCTION` of the innermost function that unwound.
    pub location: Option<String>,
}

impl PanicInfo {
    /// The report of LANGUAGE.md §10.4: `panic (code N): MESSAGE` and, when
    /// known, `  at LOCATION`, each line ending in a newline.
    pub fn report(&self) -> Vec<u8> {
        let mut out = format!("panic (code {}): ", self.code).into_bytes();
        out.extend_from_slice(&self.message);
        out.push(b'\n');
        if let Some(loc) = &self.location {
            out.extend_from_slice(b"  at ");
            out.extend_from_slice(loc.as_bytes());
            out.push(b'\n');
        }
        out
    }
}

/// The whole per-thread state, for moving it with a task ([`save`]/[`restore`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PanicState {
    pub panicking: bool,
    pub info: Option<PanicInfo>,
}

thread_local! {
    static FLAG: Cell<bool> = const { Cell::new(false) };
    static INFO: RefCell<Option<PanicInfo>> = const { RefCell::new(None) };
}

/// Records a panic (unless one is already recorded), sets the flag and
/// returns the code of the recorded panic.
pub fn raise(code: i64, message: &[u8]) -> i64 {
    FLAG.with(|f| f.set(true));
    INFO.with(|i| {
        let mut i = i.borrow_mut();
        match &*i {
            Some(first) => first.code,
            None => {
                *i = Some(PanicInfo {
                    code,
                    message: message.to_vec(),
                    location: None,
                });
                code
            }
        }
    })
}

/// Raises -102 `index out of bounds: index I, length N`.
pub fn raise_index(index: i64, len: i64) -> i64 {
    raise(
        PANIC_INDEX,
        format!("index out of bounds: index {index}, length {len}").as_bytes(),
    )
}

/// Raises -110 `allocation failed`.
pub fn raise_alloc() -> i64 {
    raise(PANIC_ALLOC, b"allocation failed")
}

/// Is this thread unwinding a panic?
pub fn is_panicking() -> bool {
    FLAG.with(|f| f.get())
}

/// A copy of the recorded panic, if any.
pub fn current() -> Option<PanicInfo> {
    INFO.with(|i| i.borrow().clone())
}

/// Takes the recorded panic and clears the flag (task boundary, `main`).
pub fn take() -> Option<PanicInfo> {
    FLAG.with(|f| f.set(false));
    INFO.with(|i| i.borrow_mut().take())
}

/// Is this thread's state clear (no flag, nothing recorded)? A cheap test
/// that lets the task code skip [`save`] / [`restore`] on the usual path.
#[inline]
pub fn is_clear() -> bool {
    !FLAG.with(|f| f.get()) && INFO.with(|i| i.borrow().is_none())
}

/// Takes this thread's whole state, leaving it clear.
pub fn save() -> PanicState {
    PanicState {
        panicking: FLAG.with(|f| f.replace(false)),
        info: INFO.with(|i| i.borrow_mut().take()),
    }
}

/// Installs a state taken by [`save`] (possibly on another thread).
pub fn restore(state: PanicState) {
    FLAG.with(|f| f.set(state.panicking));
    INFO.with(|i| *i.borrow_mut() = state.info);
}

// ---- the ABI ---------------------------------------------------------------------------

/// 1 when this thread is unwinding a panic, else 0.
#[no_mangle]
pub extern "C" fn aria_panicking() -> i8 {
    is_panicking() as i8
}

/// Records a panic with message `msg` (a borrowed string), sets the flag and
/// returns the code (the first panic's, when one is already recorded).
///
/// # Safety
/// `msg` is null or a live string object.
#[no_mangle]
pub unsafe extern "C" fn aria_panic_raise(code: i64, msg: *const u8) -> i64 {
    // SAFETY: caller contract.
    raise(code, unsafe { str_bytes(msg) })
}

/// Raises -103 ``unwrap failed: `NAME` returned error code C``.
///
/// # Safety
/// `name` is null or a live string object.
#[no_mangle]
pub unsafe extern "C" fn aria_panic_unwrap(name: *const u8, code: i64) -> i64 {
    let mut msg = b"unwrap failed: `".to_vec();
    // SAFETY: caller contract.
    msg.extend_from_slice(unsafe { str_bytes(name) });
    msg.extend_from_slice(format!("` returned error code {code}").as_bytes());
    raise(PANIC_UNWRAP, &msg)
}

/// Raises -102 `index out of bounds: index I, length N` (for bounds checks
/// the code generator emits inline).
#[no_mangle]
pub extern "C" fn aria_panic_index(index: i64, len: i64) -> i64 {
    raise_index(index, len)
}

/// Raises -101 `division by zero`.
#[no_mangle]
pub extern "C" fn aria_panic_div_zero() -> i64 {
    raise(PANIC_DIV_ZERO, b"division by zero")
}

/// Raises -109 `assertion failed: MSG` with the user's text `msg`.
///
/// # Safety
/// `msg` is null or a live string object.
#[no_mangle]
pub unsafe extern "C" fn aria_panic_assert(msg: *const u8) -> i64 {
    let mut text = b"assertion failed: ".to_vec();
    // SAFETY: caller contract.
    text.extend_from_slice(unsafe { str_bytes(msg) });
    raise(PANIC_ASSERT, &text)
}

/// Attaches `loc` (NUL-terminated `FILE:LINE:COL in FUNCTION`) to the
/// recorded panic unless it already has a location.
///
/// # Safety
/// `loc` is null or a NUL-terminated byte string.
#[no_mangle]
pub unsafe extern "C" fn aria_panic_locate(loc: *const c_char) {
    if loc.is_null() {
        return;
    }
    INFO.with(|i| {
        if let Some(info) = i.borrow_mut().as_mut() {
            if info.location.is_none() {
                // SAFETY: caller contract.
                let s = unsafe { CStr::from_ptr(loc) };
                info.location = Some(s.to_string_lossy().into_owned());
            }
        }
    })
}

/// Clears the flag (to run defers) and returns the recorded code (0 if none).
#[no_mangle]
pub extern "C" fn aria_panic_suspend() -> i64 {
    FLAG.with(|f| f.set(false));
    INFO.with(|i| i.borrow().as_ref().map_or(0, |p| p.code))
}

/// Sets the flag again after the defers ran. If no panic is recorded (not
/// expected), records `code` with an empty message.
#[no_mangle]
pub extern "C" fn aria_panic_resume(code: i64) {
    raise(code, b"");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::string::test_str;

    #[test]
    fn first_panic_wins() {
        assert_eq!(aria_panicking(), 0);
        let m1 = test_str("first");
        let m2 = test_str("second");
        // SAFETY: live strings.
        unsafe {
            assert_eq!(aria_panic_raise(-104, m1.0), -104);
            assert_eq!(aria_panicking(), 1);
            assert_eq!(aria_panic_raise(-101, m2.0), -104);
        }
        let info = take().unwrap();
        assert_eq!(info.code, -104);
        assert_eq!(info.message, b"first");
        assert_eq!(aria_panicking(), 0);
        assert!(take().is_none());
    }

    #[test]
    fn suspend_resume_and_defer_panics() {
        raise_index(5, 3);
        // SAFETY: NUL-terminated literals.
        unsafe {
            aria_panic_locate(c"main.aria:3:5 in inner".as_ptr());
            aria_panic_locate(c"main.aria:9:1 in outer".as_ptr());
        }
        assert_eq!(aria_panicking(), 1);
        let code = aria_panic_suspend();
        assert_eq!(code, -102);
        assert_eq!(aria_panicking(), 0);
        // A defer panics during unwinding: the first panic is kept.
        assert_eq!(aria_panic_div_zero(), -102);
        assert_eq!(aria_panicking(), 1);
        assert_eq!(aria_panic_suspend(), -102);
        aria_panic_resume(code);
        assert_eq!(aria_panicking(), 1);
        let info = take().unwrap();
        assert_eq!(
            String::from_utf8(info.report()).unwrap(),
            "panic (code -102): index out of bounds: index 5, length 3\n  at main.aria:3:5 in inner\n"
        );
    }

    #[test]
    fn locate_without_panic_is_ignored_and_messages() {
        // SAFETY: NUL-terminated literal.
        unsafe { aria_panic_locate(c"x.aria:1:1 in f".as_ptr()) };
        assert!(current().is_none());
        let name = test_str("read_file");
        // SAFETY: live string.
        assert_eq!(unsafe { aria_panic_unwrap(name.0, -5) }, -103);
        assert_eq!(
            take().unwrap().message,
            b"unwrap failed: `read_file` returned error code -5"
        );
        let m = test_str("x > 0");
        // SAFETY: live string.
        assert_eq!(unsafe { aria_panic_assert(m.0) }, -109);
        let info = take().unwrap();
        assert_eq!(
            String::from_utf8(info.report()).unwrap(),
            "panic (code -109): assertion failed: x > 0\n"
        );
        aria_panic_div_zero();
        assert_eq!(take().unwrap().message, b"division by zero");
        // SAFETY: null is the empty string.
        unsafe { aria_panic_raise(-104, std::ptr::null()) };
        assert_eq!(take().unwrap().message, b"");
    }

    #[test]
    fn save_restore_moves_state() {
        raise(-104, b"boom");
        let st = save();
        assert!(!is_panicking() && current().is_none());
        let h = std::thread::spawn(move || {
            restore(st);
            assert!(is_panicking());
            take().unwrap()
        });
        assert_eq!(h.join().unwrap().message, b"boom");
    }
}

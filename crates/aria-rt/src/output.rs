//! `print`-family output (LANGUAGE.md §7.8, §8.1).
//!
//! Each `aria_print` call is atomic with respect to the others: its bytes
//! (and the newline) are appended under one lock. Stdout is line-buffered:
//! the buffer is written when a newline enters it, when it grows past
//! [`STDOUT_CHUNK`] and at exit ([`flush_stdout`]). Stderr is unbuffered:
//! each call is one `write` under its own lock.
//!
//! Writes go straight to file descriptors 1 and 2, bypassing Rust's
//! `std::io::stdout()` buffer. Tests (here and in the code generator) can
//! capture what the calling thread prints with [`capture`].

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Mutex, MutexGuard};

use crate::string::str_bytes;

/// Buffered stdout bytes are written once the buffer exceeds this size.
pub const STDOUT_CHUNK: usize = 8192;

/// A line buffer: appends, and tells when the pending bytes must be written.
#[derive(Default)]
pub struct LineBuffer {
    buf: Vec<u8>,
}

impl LineBuffer {
    pub const fn new() -> Self {
        LineBuffer { buf: Vec::new() }
    }

    /// Appends `bytes` (plus a newline when `newline`); writes everything
    /// pending to `sink` if a newline arrived or the buffer is large.
    pub fn push(&mut self, bytes: &[u8], newline: bool, sink: &mut impl FnMut(&[u8])) {
        self.buf.extend_from_slice(bytes);
        if newline {
            self.buf.push(b'\n');
        }
        if newline || self.buf.len() >= STDOUT_CHUNK || bytes.contains(&b'\n') {
            self.flush(sink);
        }
    }

    /// Writes everything pending to `sink`.
    pub fn flush(&mut self, sink: &mut impl FnMut(&[u8])) {
        if !self.buf.is_empty() {
            sink(&self.buf);
            self.buf.clear();
            if self.buf.capacity() > 4 * STDOUT_CHUNK {
                self.buf.shrink_to(STDOUT_CHUNK);
            }
        }
    }

    /// Bytes not yet written.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }
}

static STDOUT: Mutex<LineBuffer> = Mutex::new(LineBuffer::new());
static STDERR: Mutex<()> = Mutex::new(());

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Writes all of `bytes` to file descriptor `fd`, ignoring errors (a closed
/// pipe must not crash the program's output path).
fn write_fd(fd: i32, bytes: &[u8]) {
    #[cfg(unix)]
    {
        use std::os::fd::FromRawFd;
        // SAFETY: fds 1 and 2 are open for the life of the process; the
        // ManuallyDrop never closes them.
        let mut f = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) });
        let _ = f.write_all(bytes);
    }
    #[cfg(not(unix))]
    {
        let _ = if fd == 2 {
            std::io::stderr().write_all(bytes)
        } else {
            std::io::stdout().write_all(bytes)
        };
    }
}

// ---- capture (tests) -------------------------------------------------------------------

#[derive(Default)]
struct Capture {
    out: Vec<u8>,
    err: Vec<u8>,
}

thread_local! {
    static CAPTURE: RefCell<Option<Capture>> = const { RefCell::new(None) };
}

/// Runs `f` with everything this thread prints captured instead of written;
/// returns `f`'s value, the stdout bytes and the stderr bytes.
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, Vec<u8>, Vec<u8>) {
    let prev = CAPTURE.with(|c| c.borrow_mut().replace(Capture::default()));
    let r = f();
    let cap = CAPTURE
        .with(|c| std::mem::replace(&mut *c.borrow_mut(), prev))
        .unwrap_or_default();
    (r, cap.out, cap.err)
}

/// Appends to the capture buffer if this thread is capturing.
fn captured(bytes: &[u8], newline: bool, stream: i32) -> bool {
    CAPTURE
        .try_with(|c| {
            let mut c = c.borrow_mut();
            let Some(cap) = c.as_mut() else { return false };
            let buf = if stream == 2 {
                &mut cap.err
            } else {
                &mut cap.out
            };
            buf.extend_from_slice(bytes);
            if newline {
                buf.push(b'\n');
            }
            true
        })
        .unwrap_or(false)
}

// ---- the public interface --------------------------------------------------------------

/// Prints `bytes` (and a newline) to stdout, atomically, line-buffered.
pub fn write_stdout(bytes: &[u8], newline: bool) {
    if captured(bytes, newline, 1) {
        return;
    }
    lock(&STDOUT).push(bytes, newline, &mut |b| write_fd(1, b));
}

/// Prints `bytes` (and a newline) to stderr, atomically, unbuffered.
pub fn write_stderr(bytes: &[u8], newline: bool) {
    if captured(bytes, newline, 2) {
        return;
    }
    let _g = lock(&STDERR);
    if newline {
        let mut v = Vec::with_capacity(bytes.len() + 1);
        v.extend_from_slice(bytes);
        v.push(b'\n');
        write_fd(2, &v);
    } else {
        write_fd(2, bytes);
    }
}

/// Writes whatever stdout holds (at exit, before reports).
pub fn flush_stdout() {
    lock(&STDOUT).flush(&mut |b| write_fd(1, b));
}

/// `print`/`println`/`eprint`/`eprintln`: `stream` 1 = stdout, 2 = stderr.
///
/// # Safety
/// `s` is null or a live string.
#[no_mangle]
pub unsafe extern "C" fn aria_print(s: *const u8, stream: i32, newline: i32) {
    // SAFETY: caller contract.
    let bytes = unsafe { str_bytes(s) };
    if stream == 2 {
        write_stderr(bytes, newline != 0);
    } else {
        write_stdout(bytes, newline != 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::string::test_str;

    #[test]
    fn line_buffering() {
        let mut lb = LineBuffer::new();
        let mut written: Vec<Vec<u8>> = Vec::new();
        let mut sink = |b: &[u8]| written.push(b.to_vec());
        lb.push(b"abc", false, &mut sink);
        lb.push(b"def", false, &mut sink);
        assert_eq!(lb.pending(), b"abcdef");
        lb.push(b"!", true, &mut sink);
        assert_eq!(lb.pending(), b"");
        lb.push(b"x\ny", false, &mut sink);
        lb.push(b"tail", false, &mut sink);
        lb.push(&vec![b'z'; STDOUT_CHUNK], false, &mut sink);
        lb.flush(&mut sink);
        lb.flush(&mut sink);
        assert_eq!(written.len(), 3);
        assert_eq!(written[0], b"abcdef!\n");
        assert_eq!(written[1], b"x\ny");
        assert_eq!(written[2].len(), 4 + STDOUT_CHUNK);
    }

    #[test]
    fn print_is_captured_per_thread() {
        let hello = test_str("hello");
        let ((), out, err) = capture(|| {
            // SAFETY: live string and null.
            unsafe {
                aria_print(hello.0, 1, 0);
                aria_print(std::ptr::null(), 1, 1);
                aria_print(hello.0, 2, 1);
                aria_print(hello.0, 1, 1);
            }
        });
        assert_eq!(out, b"hello\nhello\n");
        assert_eq!(err, b"hello\n");
    }
}

//! Files (LANGUAGE.md §7.14): `read_file` and `write_file` as built-in
//! tasks whose work runs on the blocking pool ([`crate::sched::blocking`]),
//! never on a worker.
//!
//! Invariants: the path is copied at the call; the data string is retained
//! by the job and released when the job ends or is dropped unrun (a task
//! cancelled before the pool started its job does nothing). Failures:
//! `ERR_NOT_FOUND` when the file or a directory on its path does not exist,
//! `ERR_IO` otherwise (permission denied, a directory, a path with a NUL
//! byte, ...).

use std::ffi::OsStr;
use std::io::ErrorKind;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use crate::layout::{ERR_IO, ERR_NOT_FOUND};
use crate::object::{aria_release, aria_retain};
use crate::sched::blocking::spawn_blocking_task;
use crate::string::{new_str, str_bytes};
use crate::task::Task;

fn file_error(e: &std::io::Error) -> i64 {
    match e.kind() {
        ErrorKind::NotFound => ERR_NOT_FOUND,
        _ => ERR_IO,
    }
}

/// # Safety
/// `s` is null or a live string.
unsafe fn path_arg(s: *const u8) -> PathBuf {
    // SAFETY: caller contract.
    PathBuf::from(OsStr::from_bytes(unsafe { str_bytes(s) }))
}

/// A retained string owned by a pool job (released when the job is dropped).
struct Owned(*mut u8);
// SAFETY: strings are immutable and their counts atomic.
unsafe impl Send for Owned {}
impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: our reference.
        unsafe { aria_release(self.0) }
    }
}

/// `read_file(path)`: a task of `string`, the whole file (null if empty).
///
/// # Safety
/// `path` is null or a live string.
#[no_mangle]
pub unsafe extern "C" fn aria_read_file(path: *const u8) -> *mut Task {
    // SAFETY: caller contract.
    let path = unsafe { path_arg(path) };
    spawn_blocking_task(true, move || match std::fs::read(&path) {
        Ok(bytes) => (0, new_str(&bytes) as i64),
        Err(e) => (file_error(&e), 0),
    })
}

/// `write_file(path, data)`: a task of `NIL`; creates or truncates `path`.
///
/// # Safety
/// `path` and `data` are null or live strings.
#[no_mangle]
pub unsafe extern "C" fn aria_write_file(path: *const u8, data: *mut u8) -> *mut Task {
    // SAFETY: caller contract.
    let (path, data) = unsafe {
        aria_retain(data);
        (path_arg(path), Owned(data))
    };
    spawn_blocking_task(false, move || {
        let data = &data; // the whole `Owned` moves in, not its pointer
                          // SAFETY: `data` holds a reference to a live string.
        let bytes = unsafe { str_bytes(data.0) };
        match std::fs::write(&path, bytes) {
            Ok(()) => (0, 0),
            Err(e) => (file_error(&e), 0),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::ERR_CANCELLED;
    use crate::sched::Runtime;
    use crate::string::text;
    use crate::testutil::{aw, block};

    fn s(t: &str) -> usize {
        new_str(t.as_bytes()) as usize
    }
    fn rel(p: usize) {
        // SAFETY: the caller owns a reference.
        unsafe { aria_release(p as *mut u8) }
    }

    #[test]
    fn round_trip_and_failures() {
        let dir = std::env::temp_dir().join(format!("aria-fs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("data.txt");
        let rt = Runtime::new(2);
        let (d, f) = (dir.clone(), file.clone());
        let r = block(&rt, async move {
            let p = s(f.to_str().unwrap());
            let big: String = (0..100_000)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            let data = s(&big);
            // SAFETY: live strings.
            let w = unsafe { aw(aria_write_file(p as *const u8, data as *mut u8)) }.await;
            assert_eq!(w.err, 0);
            rel(data);
            // SAFETY: as above.
            let r = unsafe { aw(aria_read_file(p as *const u8)) }.await;
            assert_eq!(r.err, 0);
            assert_eq!(text(r.val as *const u8), big);
            rel(r.val as usize);
            // Truncation; the empty file reads as "" (null).
            // SAFETY: null is the empty string.
            let w = unsafe { aw(aria_write_file(p as *const u8, std::ptr::null_mut())) }.await;
            assert_eq!(w.err, 0);
            // SAFETY: as above.
            let r = unsafe { aw(aria_read_file(p as *const u8)) }.await;
            assert_eq!((r.err, r.val), (0, 0));
            rel(p);
            // Not found: a missing file, or a missing directory on the path.
            let missing = s(d.join("missing.txt").to_str().unwrap());
            // SAFETY: as above.
            let r = unsafe { aw(aria_read_file(missing as *const u8)) }.await;
            assert_eq!(r.err, ERR_NOT_FOUND);
            rel(missing);
            let nodir = s(d.join("no/such/dir/x.txt").to_str().unwrap());
            let data = s("x");
            // SAFETY: as above.
            let w = unsafe { aw(aria_write_file(nodir as *const u8, data as *mut u8)) }.await;
            assert_eq!(w.err, ERR_NOT_FOUND);
            rel(nodir);
            // I/O errors: writing or reading a directory (permissions are
            // bypassed when the tests run as root, a directory is not).
            let dp = s(d.to_str().unwrap());
            // SAFETY: as above.
            let w = unsafe { aw(aria_write_file(dp as *const u8, data as *mut u8)) }.await;
            assert_eq!(w.err, ERR_IO);
            // SAFETY: as above.
            let r = unsafe { aw(aria_read_file(dp as *const u8)) }.await;
            assert_eq!(r.err, ERR_IO);
            rel(dp);
            rel(data);
            (0, 0)
        });
        assert_eq!(r, crate::AriaResult::ok(0));
        rt.shutdown();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn permission_denied_is_io() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("aria-fs-perm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("secret.txt");
        std::fs::write(&file, b"x").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
        // Root bypasses file permissions: then there is nothing to check.
        let denied = std::fs::read(&file).is_err();
        let rt = Runtime::new(1);
        let f = file.clone();
        let r = block(&rt, async move {
            let p = s(f.to_str().unwrap());
            // SAFETY: live string.
            let r = unsafe { aw(aria_read_file(p as *const u8)) }.await;
            rel(p);
            if r.err == 0 {
                rel(r.val as usize);
            }
            (r.err, 0)
        });
        if denied {
            assert_eq!(r.err, ERR_IO);
        } else {
            assert_eq!(r.err, 0, "running as root: permissions are bypassed");
        }
        rt.shutdown();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn cancelled_before_start_writes_nothing() {
        let dir = std::env::temp_dir().join(format!("aria-fs-cancel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let rt = Runtime::new(1);
        let d = dir.clone();
        let r = block(&rt, async move {
            // Occupy every pool thread so the next job waits in the queue.
            let gate = std::sync::Arc::new(std::sync::Barrier::new(
                crate::sched::blocking::MAX_THREADS + 1,
            ));
            let blockers: Vec<usize> = (0..crate::sched::blocking::MAX_THREADS)
                .map(|_| {
                    let g = gate.clone();
                    spawn_blocking_task(false, move || {
                        g.wait();
                        (0, 0)
                    }) as usize
                })
                .collect();
            let p = s(d.join("never.txt").to_str().unwrap());
            let data = s("data");
            // SAFETY: live strings.
            let t = unsafe { aria_write_file(p as *const u8, data as *mut u8) };
            rel(p);
            rel(data);
            // SAFETY: we hold `t`.
            unsafe { crate::task::abi::aria_task_cancel(t) };
            let r = aw(t).await;
            gate.wait();
            for b in blockers {
                aw(b as *mut Task).await;
            }
            (r.err, 0)
        });
        assert_eq!(r.err, ERR_CANCELLED);
        // Give the pool time to reach the dropped job.
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!dir.join("never.txt").exists(), "a cancelled write ran");
        rt.shutdown();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

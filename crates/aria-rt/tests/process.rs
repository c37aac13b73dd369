//! End-to-end checks of the process-level behaviour: `aria_main`'s exit
//! statuses and reports, stdout flushed at exit, `aria_exit`. Each case runs
//! in a child process (this test binary re-executed with `ARIA_RT_CASE`),
//! because these functions end the process.

use std::process::Command;

use aria_rt::entry::{aria_main, MAIN_INT, MAIN_NIL};
use aria_rt::{object, output, panic, process, string, AriaResult};

fn say(text: &str, stream: i32, newline: i32) {
    let s = string::new_str(text.as_bytes());
    // SAFETY: `s` is a fresh string we own.
    unsafe {
        output::aria_print(s, stream, newline);
        object::aria_release(s);
    }
}

unsafe extern "C" fn init(_env: i64) -> AriaResult {
    say("init ", 1, 0);
    AriaResult::ok(0)
}

unsafe extern "C" fn main_ok(_env: i64) -> AriaResult {
    say("no newline at the end", 1, 0);
    say("to stderr", 2, 1);
    AriaResult::ok(7)
}

unsafe extern "C" fn main_fail(_env: i64) -> AriaResult {
    say("partial", 1, 0);
    AriaResult::err(42)
}

unsafe extern "C" fn main_panic(_env: i64) -> AriaResult {
    say("before", 1, 1);
    let msg = string::new_str(b"boom");
    // SAFETY: `msg` is live; the location is NUL-terminated.
    let code = unsafe {
        let c = panic::aria_panic_raise(-104, msg);
        object::aria_release(msg);
        panic::aria_panic_locate(c"t.aria:2:5 in main".as_ptr());
        c
    };
    AriaResult::err(code)
}

unsafe extern "C" fn main_exit(_env: i64) -> AriaResult {
    say("buffered", 1, 0);
    process::aria_exit(3)
}

/// Writes to a pipe whose reader is gone: exits with the errno (EPIPE, 32)
/// because the entry ignores SIGPIPE; a default disposition would kill it.
unsafe extern "C" fn main_sigpipe(_env: i64) -> AriaResult {
    let mut fds = [0i32; 2];
    // SAFETY: plain syscalls on descriptors this function owns.
    unsafe {
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
        libc::close(fds[0]);
        let r = libc::write(fds[1], b"x".as_ptr().cast(), 1);
        let errno = *libc::__errno_location();
        libc::close(fds[1]);
        AriaResult::ok(if r < 0 { i64::from(errno) } else { 0 })
    }
}

fn child(case: &str) {
    // SAFETY: the entry functions follow the Aria convention.
    unsafe {
        match case {
            "ok" => aria_main(Some(init), Some(main_ok), MAIN_INT, c"t.aria".as_ptr()),
            "nil" => aria_main(None, Some(main_ok), MAIN_NIL, std::ptr::null()),
            "fail" => aria_main(Some(init), Some(main_fail), MAIN_NIL, std::ptr::null()),
            "panic" => aria_main(None, Some(main_panic), MAIN_NIL, std::ptr::null()),
            "exit" => aria_main(None, Some(main_exit), MAIN_NIL, std::ptr::null()),
            "sigpipe" => {
                // Start from the default disposition, as a C-started executable does.
                libc::signal(libc::SIGPIPE, libc::SIG_DFL);
                aria_main(None, Some(main_sigpipe), MAIN_INT, std::ptr::null())
            }
            _ => unreachable!(),
        }
    }
}

fn run(case: &str) -> (i32, String, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "entry_cases", "--nocapture", "--test-threads=1"])
        .env("ARIA_RT_CASE", case)
        .output()
        .unwrap();
    // Stdout also holds the test harness's own lines around the child's output.
    let stdout = String::from_utf8(out.stdout).unwrap();
    (
        out.status.code().unwrap_or(-1),
        stdout,
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn entry_cases() {
    if let Ok(case) = std::env::var("ARIA_RT_CASE") {
        child(&case);
    }
    let (st, out, err) = run("ok");
    assert_eq!(st, 7);
    assert!(out.ends_with("init no newline at the end"), "{out:?}");
    assert_eq!(err, "to stderr\n");

    let (st, _, _) = run("nil");
    assert_eq!(st, 0);

    let (st, out, err) = run("fail");
    assert_eq!(st, 1);
    assert!(out.ends_with("init partial"), "{out:?}");
    assert_eq!(err, "error: main failed with code 42\n");

    let (st, out, err) = run("panic");
    assert_eq!(st, 101);
    assert!(out.contains("before\n"), "{out:?}");
    assert_eq!(err, "panic (code -104): boom\n  at t.aria:2:5 in main\n");

    let (st, out, _) = run("exit");
    assert_eq!(st, 3);
    assert!(out.ends_with("buffered"), "{out:?}");

    let (st, _, _) = run("sigpipe");
    assert_eq!(
        st,
        libc::EPIPE,
        "SIGPIPE is ignored: the write fails with EPIPE"
    );
}

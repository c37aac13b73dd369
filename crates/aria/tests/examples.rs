//! The example servers of `examples/`, driven by real clients: runs
//! `examples/tests/{echo_server,http_hello,chat}.sh` with `ARIA` set to the
//! `aria` binary of this build (`cargo test --release --workspace`, what CI
//! runs). The scripts install what they need (nc, curl, wrk) when missing,
//! bind 127.0.0.1 only, bound their own time and kill their server on exit.
//! They run one at a time (the load tests want the cores). Each script's
//! stdout (its summary: bytes echoed, wrk's numbers...) goes to stderr,
//! outside libtest's capture.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One script at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// A script that has not finished by then is killed and fails.
const LIMIT: Duration = Duration::from_secs(600);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

fn say(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

fn run_script(name: &str) {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let root = root();
    let script = root.join("examples/tests").join(name);
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("aria-examples-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let (out_path, err_path) = (dir.join("stdout"), dir.join("stderr"));
    let mut child = Command::new("timeout")
        .arg("--kill-after=10")
        .arg(LIMIT.as_secs().to_string())
        .arg("bash")
        .arg(&script)
        .current_dir(&root)
        .env("ARIA", env!("CARGO_BIN_EXE_aria"))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let status = child.wait().expect("wait for the script");
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    let mut report = String::new();
    for line in stdout.lines() {
        report.push_str(&format!("[{name}] {line}\n"));
    }
    report.push_str(&format!(
        "[{name}] {} in {:.1?}\n",
        if status.success() { "passed" } else { "FAILED" },
        started.elapsed()
    ));
    say(&report);
    if !status.success() {
        let tail: Vec<&str> = stderr.lines().rev().take(60).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!(
            "examples/tests/{name} failed ({status}{}):\n{stdout}\n---- stderr (end) ----\n{}",
            if status.code() == Some(124) {
                ", timed out"
            } else {
                ""
            },
            tail.join("\n")
        );
    }
}

#[test]
fn echo_server() {
    run_script("echo_server.sh");
}

#[test]
fn http_hello() {
    run_script("http_hello.sh");
}

#[test]
fn chat() {
    run_script("chat.sh");
}

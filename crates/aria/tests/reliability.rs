//! The reliability checks of ARCHITECTURE.md §10, run with the rest of the
//! suite (`cargo test --release --workspace`, what CI runs), bounded:
//!
//! - `scripts/fuzz-smoke.sh`: the cargo-fuzz targets `lex`, `parse`, `sema`
//!   and `check` (fuzz/), seeded from tests/programs, `FUZZ_SECONDS` each
//!   (30 here unless the environment sets it; the script's own default is 60);
//! - `scripts/valgrind.sh`: the runtime's unit and process tests under
//!   valgrind memcheck (no invalid access, no definite leak);
//! - `scripts/asan-capi.sh`: the C API test under gcc's AddressSanitizer.
//!
//! The three run in parallel (libtest's threads): fuzzing takes one core, the
//! other two share the second. Each prints its summary (executions per fuzz
//! target, valgrind's counts) to stderr, outside libtest's output capture, so
//! it shows in every run. `ARIA_RELIABILITY=0` skips them all (for quick
//! local iterations; CI does not set it).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Per-target fuzzing time in this test.
const FUZZ_SECONDS: &str = "30";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

fn skipped(what: &str) -> bool {
    let skip = std::env::var("ARIA_RELIABILITY").is_ok_and(|v| v == "0");
    if skip {
        say(&format!("{what}: skipped (ARIA_RELIABILITY=0)\n"));
    }
    skip
}

/// Writes straight to stderr: libtest captures `eprintln!` of passing tests.
fn say(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

/// Runs `scripts/NAME` from the repository root; prints its stdout (the
/// summary) and the time taken; fails with its output if it fails.
fn run_script(name: &str, env: &[(&str, &str)]) {
    let root = root();
    let started = Instant::now();
    let out = Command::new("bash")
        .arg(root.join("scripts").join(name))
        .current_dir(&root)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run scripts/{name}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut report = String::new();
    for line in stdout.lines() {
        report.push_str(&format!("[{name}] {line}\n"));
    }
    report.push_str(&format!(
        "[{name}] {} in {:.0?}\n",
        if out.status.success() {
            "passed"
        } else {
            "FAILED"
        },
        started.elapsed()
    ));
    say(&report);
    if !out.status.success() {
        let tail: Vec<&str> = stderr.lines().rev().take(60).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!(
            "scripts/{name} failed ({}):\n{stdout}\n---- stderr (end) ----\n{}",
            out.status,
            tail.join("\n")
        );
    }
}

#[test]
fn fuzz_smoke_front_end() {
    if skipped("fuzz-smoke") {
        return;
    }
    let seconds = std::env::var("FUZZ_SECONDS").unwrap_or_else(|_| FUZZ_SECONDS.into());
    run_script("fuzz-smoke.sh", &[("FUZZ_SECONDS", &seconds)]);
}

#[test]
fn runtime_tests_under_valgrind() {
    if skipped("valgrind") {
        return;
    }
    run_script("valgrind.sh", &[]);
}

#[test]
fn c_api_under_address_sanitizer() {
    if skipped("asan-capi") {
        return;
    }
    run_script("asan-capi.sh", &[]);
}

//! Runs the loom models of the scheduler's protocols (scripts/loom.sh: the
//! task wake/schedule state word, the wait claim, the worker parker) as part
//! of the ordinary test command, so a change that breaks them fails CI.
//! loom needs the whole crate built with `--cfg loom`, hence the nested cargo
//! run in its own target directory.

use std::path::Path;
use std::process::Command;

#[test]
fn loom_models_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(|d| Path::new(&d).join("loom"))
        .unwrap_or_else(|_| root.join("target/loom"));
    let out = Command::new("bash")
        .arg(root.join("scripts/loom.sh"))
        .env("LOOM_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run scripts/loom.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "loom failed:\n{stdout}\n{stderr}");
    let passed: usize = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("test result: ok. "))
        .filter_map(|l| l.split(' ').next()?.parse::<usize>().ok())
        .sum();
    assert!(passed >= 7, "expected the 7 loom models to run:\n{stdout}");
    eprintln!("loom: {passed} models passed");
}

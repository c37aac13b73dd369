//! Builds `tests/capi/test_capi.c` with the system C compiler against the
//! crate's staticlib (`libaria_rt.a`) and `include/aria_rt.h`, runs it and
//! checks its output and exit status. Also checks the committed header is
//! what cbindgen generates, when cbindgen is installed.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `target/<profile>`: the directory holding this test binary's `deps/`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>")
        .to_path_buf()
}

/// The staticlib of this build. `cargo test` builds the library as an rlib
/// only, so the staticlib is (re)built here with the same profile and target
/// directory (a no-op when it is up to date).
fn staticlib() -> PathBuf {
    let dir = profile_dir();
    let lib = dir.join("libaria_rt.a");
    {
        let target_dir = dir.parent().expect("target dir");
        let release = dir.file_name().is_some_and(|n| n == "release");
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["build", "-p", "aria-rt", "--lib"])
            .env("CARGO_TARGET_DIR", target_dir);
        if release {
            cmd.arg("--release");
        }
        let st = cmd.status().expect("run cargo build");
        assert!(st.success(), "building the staticlib failed");
    }
    assert!(lib.exists(), "no {}", lib.display());
    lib
}

#[test]
fn c_program_runs_coroutines_on_the_scheduler() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = crate_dir.join("tests/capi/test_capi.c");
    let include = crate_dir.join("include");
    let lib = staticlib();
    let out = std::env::temp_dir().join(format!("aria_test_capi_{}", std::process::id()));
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let st = Command::new(&cc)
        .args(["-std=c11", "-O1", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&out)
        .arg(&src)
        .arg("-I")
        .arg(&include)
        .arg(&lib)
        .args(["-lpthread", "-ldl", "-lm", "-lrt"])
        .status()
        .expect("run the C compiler");
    assert!(st.success(), "compiling test_capi.c failed");
    let run = Command::new(&out)
        .env("ARIA_THREADS", "2")
        .output()
        .expect("run test_capi");
    let _ = std::fs::remove_file(&out);
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "test_capi failed ({:?}):\n{stdout}\n{stderr}",
        run.status
    );
    assert_eq!(
        stdout.trim(),
        "capi ok: 1000 coroutines x 5 steps, 100 parents, sum 500500"
    );
    assert_eq!(stderr, "");
}

#[test]
fn header_matches_cbindgen() {
    let have = Command::new("cbindgen")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        eprintln!("cbindgen not installed: header check skipped");
        return;
    }
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::temp_dir().join(format!("aria_rt_h_{}.h", std::process::id()));
    let st = Command::new("cbindgen")
        .current_dir(crate_dir)
        .args(["--quiet", "--config", "cbindgen.toml", "-o"])
        .arg(&out)
        .arg("src/capi.rs")
        .status()
        .expect("run cbindgen");
    assert!(st.success());
    let generated = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    let committed = std::fs::read_to_string(crate_dir.join("include/aria_rt.h")).unwrap();
    assert_eq!(
        committed, generated,
        "include/aria_rt.h is stale: run scripts/gen-header.sh"
    );
}

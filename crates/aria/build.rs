//! Builds the runtime as a static library (`libaria_rt.a`) for `aria build`,
//! which carries it inside the `aria` executable (`include_bytes!`), so that
//! `cargo install --path crates/aria` gives a working `aria build` with no
//! further step.
//!
//! The library is built by a nested `cargo rustc -p aria-rt --crate-type
//! staticlib` with its own target directory under `OUT_DIR` (the outer
//! build holds the lock of its own target directory), in release mode with
//! fat LTO and one codegen unit: only what the runtime's exported functions
//! reach is kept (~3.5 MB instead of ~23 MB for the plain staticlib). Debug
//! information is stripped with `strip --strip-debug` when `strip` exists.
//! The native libraries the library needs (`--print native-static-libs`)
//! are passed to the linker by `aria build`.
//!
//! Outputs (rustc-env): `ARIA_RT_LIB` (path of the library to embed) and
//! `ARIA_RT_NATIVE_LIBS` (space-separated linker arguments).

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let rt_dir = manifest_dir.join("../aria-rt");
    let workspace = manifest_dir.join("../..");
    for p in [
        rt_dir.join("src"),
        rt_dir.join("Cargo.toml"),
        workspace.join("Cargo.toml"),
        workspace.join("Cargo.lock"),
    ] {
        println!("cargo:rerun-if-changed={}", p.display());
    }
    println!("cargo:rerun-if-env-changed=ARIA_RT_STATICLIB");

    let target = env::var("TARGET").expect("TARGET");
    let lib_name = if target.contains("windows-msvc") {
        "aria_rt.lib"
    } else {
        "libaria_rt.a"
    };

    // A prebuilt library may be given instead (packaging, cross builds).
    let (built, native_libs) = match env::var_os("ARIA_RT_STATICLIB") {
        Some(p) => (PathBuf::from(p), default_native_libs(&target)),
        None => build_staticlib(&rt_dir, &out_dir, &target, lib_name),
    };

    let embedded = out_dir.join(lib_name);
    std::fs::copy(&built, &embedded).unwrap_or_else(|e| {
        panic!(
            "cannot copy {} to {}: {e}",
            built.display(),
            embedded.display()
        )
    });
    strip_debug(&embedded);

    println!("cargo:rustc-env=ARIA_RT_LIB={}", embedded.display());
    println!("cargo:rustc-env=ARIA_RT_NATIVE_LIBS={native_libs}");
}

/// Runs the nested cargo; returns the library's path and its native libraries.
fn build_staticlib(
    rt_dir: &Path,
    out_dir: &Path,
    target: &str,
    lib_name: &str,
) -> (PathBuf, String) {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = out_dir.join("rt-target");
    let mut cmd = Command::new(cargo);
    cmd.arg("rustc")
        .arg("--manifest-path")
        .arg(rt_dir.join("Cargo.toml"))
        .args(["--lib", "--release", "--crate-type", "staticlib"])
        .arg("--target")
        .arg(target)
        .arg("--target-dir")
        .arg(&target_dir)
        .args(["--", "--print", "native-static-libs"]);
    // The runtime is built with its own fixed settings, not with whatever
    // the outer build was given: wrappers meant for the workspace (clippy),
    // flags such as coverage instrumentation (whose runtime the linked
    // program would lack).
    for var in [
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("CARGO_PROFILE_RELEASE_LTO", "fat")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "false");
    // Our stdout is read by the outer cargo as build-script directives.
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo to build the runtime library: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprint!("{stderr}");
    if !out.status.success() {
        panic!(
            "building the runtime static library (aria-rt) failed: {}",
            out.status
        );
    }
    let native = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("note: native-static-libs:"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| default_native_libs(target));
    let lib = target_dir.join(target).join("release").join(lib_name);
    assert!(lib.exists(), "cargo did not produce {}", lib.display());
    (lib, native)
}

/// What rustc reports for a std-using static library when it is not asked.
fn default_native_libs(target: &str) -> String {
    if target.contains("apple") {
        "-lSystem -lc -lm".into()
    } else if target.contains("linux") {
        "-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc".into()
    } else {
        "-lpthread -lm -ldl -lc".into()
    }
}

/// Removes debug information from the library when a `strip` is at hand
/// (shrinks it ~2.5×); keeps it as it is otherwise.
fn strip_debug(lib: &Path) {
    let strip = env::var_os("STRIP").unwrap_or_else(|| "strip".into());
    let ok = Command::new(strip)
        .arg("--strip-debug")
        .arg(lib)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        println!(
            "cargo:warning=could not strip debug information from {}; `aria` will be larger",
            lib.display()
        );
    }
}

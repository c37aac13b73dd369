//! The command-line interface: exit statuses, where output goes, `--emit`.

use std::path::PathBuf;
use std::process::{Command, Output};

fn aria(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aria"))
        .args(args)
        .env_remove("ARIA_THREADS")
        .output()
        .expect("cannot spawn aria")
}

/// A scratch source file, unique to this test.
fn source(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aria-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const HELLO: &str = "func:main = int32() {\n    println(\"Hello, Aria!\");\n    pass(0);\n};\n";

#[test]
fn version_and_help() {
    let o = aria(&["--version"]);
    assert!(o.status.success());
    assert_eq!(
        text(&o.stdout).trim(),
        format!("aria {}", env!("CARGO_PKG_VERSION"))
    );
    let o = aria(&["--help"]);
    assert!(o.status.success());
    let h = text(&o.stdout);
    assert!(h.contains("run") && h.contains("check"), "{h}");
    let o = aria(&["run", "--help"]);
    assert!(text(&o.stdout).contains("--emit"));
    let o = aria(&[]);
    assert!(!o.status.success(), "no subcommand is a usage error");
}

#[test]
fn unreadable_file_is_a_clear_error() {
    for args in [
        &["run", "/nonexistent/x.aria"][..],
        &["check", "/nonexistent/x.aria"][..],
        &["run", "--emit=tokens", "/nonexistent/x.aria"][..],
    ] {
        let o = aria(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let e = text(&o.stderr);
        assert!(
            e.contains("error: cannot read `/nonexistent/x.aria`"),
            "{e}"
        );
        assert!(!e.contains("panicked"), "{e}");
    }
    let dir = std::env::temp_dir();
    let o = aria(&["check", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("cannot read"));
}

#[test]
fn run_hello() {
    let p = source("hello.aria", HELLO);
    let o = aria(&["run", p.to_str().unwrap()]);
    assert_eq!(
        text(&o.stdout),
        "Hello, Aria!\n",
        "stderr: {}",
        text(&o.stderr)
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
}

#[test]
fn exit_status_is_mains_value() {
    let p = source("status.aria", "func:main = int32() { pass(7); };\n");
    let o = aria(&["run", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(7), "stderr: {}", text(&o.stderr));
}

#[test]
fn check_reports_errors_in_source_order() {
    let p = source(
        "errors.aria",
        "func:main = int32() {\n    int32:x = \"five\";\n    println(y);\n    pass(0);\n};\n",
    );
    let f = p.to_str().unwrap();
    let o = aria(&["check", f]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let e = text(&o.stderr);
    let first = e.find("error[E0300]").expect(&e);
    let second = e.find("error[E0200]").expect(&e);
    assert!(first < second, "source order: {e}");
    assert!(e.contains(&format!("{f}:2:")), "{e}");
    assert!(
        !e.contains("\x1b["),
        "no colour when stderr is not a terminal"
    );
    // `run` runs nothing.
    let o = aria(&["run", f]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
}

#[test]
fn check_ok_and_warnings_do_not_stop_run() {
    let p = source("ok.aria", HELLO);
    let o = aria(&["check", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty(), "check does not run the program");

    let p = source(
        "warn.aria",
        "func:main = int32() {\n    pass(3);\n    println(\"unreachable\");\n};\n",
    );
    let o = aria(&["run", p.to_str().unwrap()]);
    assert!(
        text(&o.stderr).contains("warning[W0003]"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(o.status.code(), Some(3));
    let o = aria(&["check", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn emit_forms_print_and_do_not_run() {
    let p = source("emit.aria", HELLO);
    let f = p.to_str().unwrap();
    for (form, needle) in [
        ("tokens", "1:1 keyword func"),
        ("ast", "main"),
        ("mir", "main"),
        ("clif", "function"),
    ] {
        let o = aria(&["run", &format!("--emit={form}"), f]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "--emit={form}: {}",
            text(&o.stderr)
        );
        let out = text(&o.stdout);
        assert!(out.contains(needle), "--emit={form}: {out}");
        assert!(
            !out.contains("Hello, Aria!\n"),
            "--emit={form} must not run"
        );
    }
    let o = aria(&["run", "--emit=bogus", f]);
    assert_eq!(o.status.code(), Some(2), "clap usage error");
}

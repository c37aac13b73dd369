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
    assert!(
        h.contains("run") && h.contains("build") && h.contains("check"),
        "{h}"
    );
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

// ---- aria build ----

/// A fresh empty directory, unique to this test.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aria-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `aria ARGS` run in `dir`.
fn aria_in(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aria"))
        .args(args)
        .current_dir(dir)
        .env_remove("ARIA_THREADS")
        .env_remove("CC")
        .output()
        .expect("cannot spawn aria")
}

fn is_elf_or_macho(path: &std::path::Path) -> bool {
    let bytes = std::fs::read(path).unwrap_or_default();
    bytes.starts_with(b"\x7fELF") || bytes.starts_with(&[0xcf, 0xfa, 0xed, 0xfe])
}

#[test]
fn build_hello_runs_like_run() {
    let dir = scratch_dir("build-hello");
    let src = dir.join("hello.aria");
    std::fs::write(&src, HELLO).unwrap();
    // Default output: the file stem, in the current directory.
    let o = aria_in(&dir, &["build", "hello.aria"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        o.stdout.is_empty() && o.stderr.is_empty(),
        "{}",
        text(&o.stderr)
    );
    let exe = dir.join("hello");
    assert!(is_elf_or_macho(&exe));
    assert!(!dir.join("hello.o").exists(), "the object is not kept");
    let run = Command::new(&exe).output().unwrap();
    assert_eq!(text(&run.stdout), "Hello, Aria!\n");
    assert_eq!(run.status.code(), Some(0));
    // A clean position-independent executable: no text relocations.
    if let Ok(d) = Command::new("readelf").arg("-d").arg(&exe).output() {
        assert!(!text(&d.stdout).contains("TEXTREL"), "{}", text(&d.stdout));
    }

    // `-o`, and main's value as the exit status.
    let src = source("status7.aria", "func:main = int32() { pass(7); };\n");
    let out = dir.join("sub-out");
    let o = aria(&["build", src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(Command::new(&out).status().unwrap().code(), Some(7));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Does the executable ask for a dynamic loader (`readelf -l`: an
/// `INTERP` header)? `None` without readelf.
fn has_interpreter(exe: &std::path::Path) -> Option<bool> {
    let o = Command::new("readelf").arg("-l").arg(exe).output().ok()?;
    Some(text(&o.stdout).contains("INTERP"))
}

#[test]
fn build_links_statically_unless_asked_otherwise() {
    let dir = scratch_dir("build-link");
    std::fs::write(dir.join("hello.aria"), HELLO).unwrap();
    for (flag, dynamic) in [("--link=static", false), ("--link=dynamic", true)] {
        let o = aria_in(&dir, &["build", flag, "hello.aria"]);
        assert_eq!(o.status.code(), Some(0), "{flag}: {}", text(&o.stderr));
        assert!(o.stderr.is_empty(), "{flag}: {}", text(&o.stderr));
        let exe = dir.join("hello");
        let run = Command::new(&exe).output().unwrap();
        assert_eq!(text(&run.stdout), "Hello, Aria!\n", "{flag}");
        if let Some(interp) = has_interpreter(&exe) {
            assert_eq!(interp, dynamic, "{flag}: a dynamic loader?");
        }
    }
    let o = aria_in(&dir, &["build", "--link=shared", "hello.aria"]);
    assert_eq!(o.status.code(), Some(2), "clap usage error");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn build_panic_report_names_the_source() {
    let dir = scratch_dir("build-panic");
    let src = dir.join("boom.aria");
    std::fs::write(
        &src,
        "func:main = int32() {\n    int32:z = 0;\n    println(\"before\");\n    pass(1 / z);\n};\n",
    )
    .unwrap();
    let o = aria_in(&dir, &["build", "boom.aria", "-o", "boom"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let built = Command::new(dir.join("boom")).output().unwrap();
    let ran = aria_in(&dir, &["run", "boom.aria"]);
    assert_eq!(built.status.code(), Some(101), "{}", text(&built.stderr));
    assert_eq!(
        (text(&built.stdout), text(&built.stderr)),
        (text(&ran.stdout), text(&ran.stderr))
    );
    assert!(
        text(&built.stderr).contains("boom.aria:4:"),
        "{}",
        text(&built.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn build_emit_obj() {
    let dir = scratch_dir("build-obj");
    std::fs::write(dir.join("hello.aria"), HELLO).unwrap();
    // The object alone: STEM.o, no executable.
    let o = aria_in(&dir, &["build", "hello.aria", "--emit=obj"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(is_elf_or_macho(&dir.join("hello.o")));
    assert!(!dir.join("hello").exists());
    // Both: the object kept next to the executable as OUT.o.
    let o = aria_in(
        &dir,
        &["build", "hello.aria", "--emit=exe,obj", "-o", "prog"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(is_elf_or_macho(&dir.join("prog.o")));
    let run = Command::new(dir.join("prog")).output().unwrap();
    assert_eq!(text(&run.stdout), "Hello, Aria!\n");
    // The object imports the runtime entry (by name: it links against
    // the runtime library).
    let obj = std::fs::read(dir.join("prog.o")).unwrap();
    assert!(obj.windows(10).any(|w| w == b"aria_main\0"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn build_errors() {
    let dir = scratch_dir("build-errors");
    std::fs::write(
        dir.join("bad.aria"),
        "func:main = int32() {\n    int32:x = \"five\";\n    pass(0);\n};\n",
    )
    .unwrap();
    let o = aria_in(&dir, &["build", "bad.aria"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("error[E0300]"),
        "{}",
        text(&o.stderr)
    );
    assert!(!dir.join("bad").exists(), "nothing is written");

    let o = aria_in(&dir, &["build", "missing.aria"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("cannot read `missing.aria`"));

    // The default output of a source without extension is the source itself.
    std::fs::write(dir.join("prog"), HELLO).unwrap();
    let o = aria_in(&dir, &["build", "prog"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("would overwrite the source"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(std::fs::read_to_string(dir.join("prog")).unwrap(), HELLO);

    let o = aria_in(&dir, &["build", "prog", "--emit=bogus"]);
    assert_eq!(o.status.code(), Some(2), "clap usage error");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn build_without_a_c_compiler_is_a_clear_error() {
    let dir = scratch_dir("build-no-cc");
    std::fs::write(dir.join("hello.aria"), HELLO).unwrap();
    let empty = dir.join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_aria"))
        .args(["build", "hello.aria"])
        .current_dir(&dir)
        .env("PATH", &empty)
        .env_remove("CC")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert!(
        e.contains("error: cannot link `hello`: the C compiler `cc` was not found"),
        "{e}"
    );
    assert!(!e.contains("panicked"), "{e}");
    assert!(!dir.join("hello").exists());

    // A failing linker: its status and output are reported.
    let o = Command::new(env!("CARGO_BIN_EXE_aria"))
        .args(["build", "hello.aria", "-o", "no-such-dir/hello"])
        .current_dir(&dir)
        .env_remove("CC")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("error: linking `no-such-dir/hello` failed"),
        "{}",
        text(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

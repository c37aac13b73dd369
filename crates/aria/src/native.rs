//! `aria build FILE [-o OUT] [--emit=exe,obj] [--target-cpu=generic|native]
//! [--link=static|dynamic]`: a standalone native executable.
//!
//! The program is compiled exactly as for `aria run` (same front end, same
//! MIR, same Cranelift code generation and inlining), but into a relocatable
//! object (`aria_codegen::compile_object`) that defines the C `main`. The
//! system C compiler (`$CC`, else `cc`) links it with the runtime's static
//! library, which `aria` carries inside itself (built by `build.rs`), and
//! with the native libraries the Rust standard library needs.
//!
//! The link is static by default (`-static-pie`, as Go links): no shared
//! library is mapped at run time, which saves start-up work and most of a
//! small program's resident size (1.9 → 1.1 MiB for bench/pingpong). A
//! machine without a static C library falls back to the dynamic link. One
//! caveat comes with static glibc and is why `--link=dynamic` exists: a
//! `tcp_connect` to a host *name* (not `localhost`, not an IP literal) goes
//! through glibc's `getaddrinfo`, which then loads the NSS modules of the
//! glibc the program was linked with; the linker's warning about it is
//! expected and not shown (DECISIONS.md #36).
//!
//! Exit status: 0 on success; 1 when the program does not compile or the
//! link fails (no C compiler, a linker error); 70 on an internal error.

use std::ffi::OsString;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::diagnostics;
use crate::driver::{self, STATUS_ERROR, STATUS_ICE};

/// The runtime as a static library (`libaria_rt.a`, release, LTO).
static RUNTIME_LIB: &[u8] = include_bytes!(env!("ARIA_RT_LIB"));
/// The native libraries the runtime library needs (rustc's
/// `native-static-libs`), as linker arguments.
const RUNTIME_NATIVE_LIBS: &str = env!("ARIA_RT_NATIVE_LIBS");

/// What `aria build` writes (`--emit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BuildEmit {
    /// The linked executable (the default)
    Exe,
    /// The object file (`OUT` alone, `OUT.o` next to an executable)
    Obj,
}

/// `--target-cpu`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetCpu {
    /// The baseline of this machine's architecture: runs on any such CPU
    #[default]
    Generic,
    /// Every feature of this machine's CPU (as `aria run`)
    Native,
}

/// `--link`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LinkKind {
    /// A self-contained executable (dynamic if that is not possible here)
    #[default]
    Static,
    /// Against the system's shared C library
    Dynamic,
}

/// The options of `aria build`.
pub struct BuildOptions {
    pub out: Option<PathBuf>,
    pub emit: Vec<BuildEmit>,
    pub target_cpu: TargetCpu,
    pub link: LinkKind,
}

/// `aria build`: returns the exit status.
pub fn build(path: &Path, opts: &BuildOptions) -> i32 {
    let src = match driver::read(path) {
        Ok(s) => s,
        Err(status) => return status,
    };
    match build_source(path, &src, opts) {
        Ok(()) => 0,
        Err(status) => status,
    }
}

fn build_source(path: &Path, src: &driver::Source, opts: &BuildOptions) -> Result<(), i32> {
    let file = src.name.as_str();
    let want_exe = opts.emit.is_empty() || opts.emit.contains(&BuildEmit::Exe);
    let want_obj = opts.emit.contains(&BuildEmit::Obj);
    let out = output_path(path, opts.out.as_deref(), want_exe);
    let obj_out = want_obj.then(|| {
        if want_exe {
            let mut o = out.clone().into_os_string();
            o.push(".o");
            PathBuf::from(o)
        } else {
            out.clone()
        }
    });
    for p in std::iter::once(&out).chain(obj_out.as_ref()) {
        if same_file(p, path) {
            diagnostics::error(&format!(
                "the output `{}` would overwrite the source file; choose another with `-o`",
                p.display()
            ));
            return Err(STATUS_ERROR);
        }
    }

    let mir = driver::mir_of(src)?;
    let options = aria_codegen::ObjectOptions {
        native_cpu: opts.target_cpu == TargetCpu::Native,
    };
    let object = driver::guarded("the code generator", file, || {
        aria_codegen::compile_object_with(&mir, options)
    })?
    .map_err(|msg| {
        diagnostics::error_in_file(file, &msg);
        STATUS_ICE
    })?;
    drop(mir);

    if let Some(obj_out) = &obj_out {
        std::fs::write(obj_out, &object).map_err(|e| {
            diagnostics::error(&format!("cannot write `{}`: {e}", obj_out.display()));
            STATUS_ERROR
        })?;
    }
    if want_exe {
        link(&object, &out, opts.link).map_err(|msg| {
            diagnostics::error(&msg);
            STATUS_ERROR
        })?;
    }
    Ok(())
}

/// `-o OUT`, else the source's file stem (plus `.o` for an object alone) in
/// the current directory.
fn output_path(src: &Path, out: Option<&Path>, exe: bool) -> PathBuf {
    if let Some(o) = out {
        return o.to_path_buf();
    }
    let stem = src
        .file_stem()
        .map(OsString::from)
        .unwrap_or_else(|| "a".into());
    let mut p = PathBuf::from(stem);
    if !exe {
        p.set_extension("o");
    }
    p
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// A fresh private directory for the link's inputs, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, String> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let base = std::env::temp_dir();
        let mut last = None;
        for _ in 0..100 {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let dir = base.join(format!(
                "aria-build-{}-{}-{nanos}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            // `create_dir` fails if the directory exists: it is ours alone.
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(TempDir(dir)),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => {
                    return Err(format!(
                        "cannot create a temporary directory in `{}`: {e}",
                        base.display()
                    ))
                }
            }
        }
        Err(format!(
            "cannot create a temporary directory in `{}`: {}",
            base.display(),
            last.map_or_else(String::new, |e| e.to_string())
        ))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The C compiler that drives the link: `$CC` (which may carry arguments,
/// e.g. `ccache gcc`), else `cc`.
fn c_compiler() -> (String, Vec<String>) {
    let cc = std::env::var("CC")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "cc".into());
    let mut words = cc.split_whitespace().map(String::from);
    let prog = words.next().unwrap_or_else(|| "cc".into());
    (prog, words.collect())
}

/// Links `object` with the runtime into the executable `out`: statically
/// when asked and possible (else dynamically).
fn link(object: &[u8], out: &Path, kind: LinkKind) -> Result<(), String> {
    let tmp = TempDir::new()?;
    let obj_path = tmp.0.join("program.o");
    let lib_path = tmp.0.join("libaria_rt.a");
    for (p, bytes) in [(&obj_path, object), (&lib_path, RUNTIME_LIB)] {
        std::fs::write(p, bytes).map_err(|e| format!("cannot write `{}`: {e}", p.display()))?;
    }
    let static_ok = kind == LinkKind::Static && cfg!(target_os = "linux");
    if static_ok && run_link(&obj_path, &lib_path, out, true).is_ok() {
        return Ok(());
    }
    run_link(&obj_path, &lib_path, out, false)
}

/// The linker's warning for glibc functions that load shared modules at
/// run time (`getaddrinfo`) in a static executable: expected, see the top.
const STATIC_NSS_WARNING: &str = "in statically linked applications requires at runtime";

/// Drops the static-glibc warning (and the "in function" line naming where
/// the call is) from the linker's messages.
fn without_static_nss_warning(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut keep = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let warns = |l: &str| l.contains(STATIC_NSS_WARNING);
        let context_of_next = line.ends_with("':") && lines.get(i + 1).is_some_and(|n| warns(n));
        if !warns(line) && !context_of_next {
            keep.push(*line);
        }
    }
    let mut out = keep.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// Runs the C compiler to link `obj` and `lib` into `out`.
fn run_link(obj: &Path, lib: &Path, out: &Path, static_link: bool) -> Result<(), String> {
    let (cc, cc_args) = c_compiler();
    let mut cmd = Command::new(&cc);
    cmd.args(&cc_args).arg("-o").arg(out).arg(obj).arg(lib);
    for l in RUNTIME_NATIVE_LIBS.split_whitespace() {
        // The unwinder comes as a static library in a static link.
        cmd.arg(if static_link && l == "-lgcc_s" {
            "-lgcc_eh"
        } else {
            l
        });
    }
    if static_link {
        cmd.arg("-static-pie");
    }
    // Drop the parts of the runtime the program does not use.
    if cfg!(target_vendor = "apple") {
        cmd.arg("-Wl,-dead_strip");
    } else {
        cmd.arg("-Wl,--gc-sections");
    }
    let output = cmd.output().map_err(|e| {
        if e.kind() == ErrorKind::NotFound {
            format!(
                "cannot link `{}`: the C compiler `{cc}` was not found; `aria build` \
                 uses it to link (install gcc or clang, or set CC)",
                out.display()
            )
        } else {
            format!("cannot link `{}`: cannot run `{cc}`: {e}", out.display())
        }
    })?;
    if output.status.success() {
        // Linker warnings are ours to fix (e.g. text relocations): shown.
        let text = without_static_nss_warning(&String::from_utf8_lossy(&output.stderr));
        if !text.is_empty() {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text.as_bytes());
        }
        return Ok(());
    }
    let mut msg = format!(
        "linking `{}` failed: `{cc}` exited with {}",
        out.display(),
        match output.status.code() {
            Some(c) => format!("status {c}"),
            None => output.status.to_string(),
        }
    );
    let text = String::from_utf8_lossy(&output.stderr);
    let text = text.trim_end();
    if !text.is_empty() {
        msg.push_str(":\n");
        msg.push_str(text);
    }
    Err(msg)
}

#[cfg(test)]
mod tests {
    use super::without_static_nss_warning;

    #[test]
    fn only_the_static_nss_warning_is_dropped() {
        let ld = "/usr/bin/ld: libaria_rt.a(rt.o): in function `lookup_host':\n\
                  (.text+0x5f): warning: Using 'getaddrinfo' in statically linked \
                  applications requires at runtime the shared libraries from the glibc \
                  version used for linking\n\
                  /usr/bin/ld: warning: creating DT_TEXTREL in a PIE\n";
        assert_eq!(
            without_static_nss_warning(ld),
            "/usr/bin/ld: warning: creating DT_TEXTREL in a PIE\n"
        );
        assert_eq!(without_static_nss_warning(""), "");
    }
}

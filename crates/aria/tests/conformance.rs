//! Conformance suite: runs every `tests/programs/**/*.aria` through the real
//! `aria` binary (`aria run FILE`, one process per program) and checks the
//! expectations stated in the program's header comments. See
//! `tests/programs/README.md` for the header format.
//!
//! Every program is checked in two modes: `run` (`aria run FILE ARGS`) and
//! `build` (`aria build FILE -o EXE`, then `EXE ARGS`, compared with the same
//! expectations: the build's stderr (warnings) followed by the executable's
//! stderr stands for `aria run`'s; a program that must not compile must make
//! `aria build` fail with status 1 and the same error codes).
//!
//! Environment:
//! - `ARIA_TEST_FILTER=substr`  only programs whose relative path contains `substr`
//! - `ARIA_NEEDS=feat`          also run programs whose `// needs:` header names a
//!   feature not available yet (see `AVAILABLE`)
//! - `ARIA_TEST_TIMEOUT=secs`   per-run timeout (default 20)
//! - `ARIA_TEST_JOBS=n`         parallel runs (default: available cores)
//! - `ARIA_BIN=path`            run another `aria` binary instead of this build's
//! - `ARIA_TEST_MODES=run,build` the modes to check (default both)

use std::collections::VecDeque;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Expectations parsed from a program's header.
#[derive(Debug, Default, Clone)]
struct Spec {
    exit: i32,
    /// `// expect-signal: N`: the process must die of signal N (no exit status).
    signal: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<String>,
    errors: Vec<String>,
    warnings: Vec<String>,
    threads: Vec<String>,
    args: Vec<String>,
    /// Features the program needs (`// needs: FEATURE`).
    needs: Vec<String>,
}

/// Features of `// needs:` headers that every build has. Programs needing
/// anything else are skipped (and counted) unless `ARIA_NEEDS` lists it.
/// `io` (channels, TCP and files) has landed: no program needs to say so.
const AVAILABLE: &[&str] = &["io"];

/// One run of one program (an async program runs once per `threads` value)
/// in one mode.
#[derive(Debug, Clone)]
struct Case {
    path: PathBuf,
    name: String,
    threads: Option<String>,
    spec: Spec,
    mode: Mode,
}

/// How a program is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `aria run FILE ARGS`
    Run,
    /// `aria build FILE -o EXE`, then `EXE ARGS`
    Build,
}

impl Mode {
    fn from_name(s: &str) -> Option<Mode> {
        match s {
            "run" => Some(Mode::Run),
            "build" => Some(Mode::Build),
            _ => None,
        }
    }
}

struct Outcome {
    status: Option<ExitStatus>,
    timed_out: bool,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    elapsed: Duration,
}

fn programs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/programs")
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = match fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => return,
    };
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "aria") {
            out.push(p);
        }
    }
}

/// Header = the leading lines of the file that are `//` comments (blank lines
/// allowed in between); directives are `// key: value`.
fn parse_header(path: &Path, src: &str) -> Result<Spec, String> {
    let mut spec = Spec::default();
    for line in src.lines() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let Some(body) = t.strip_prefix("//") else {
            break;
        };
        let body = body.trim();
        let Some((key, value)) = body.split_once(':') else {
            continue;
        };
        let key = key.trim();
        let value = value.trim();
        match key {
            "expect-exit" => {
                spec.exit = value
                    .parse()
                    .map_err(|_| format!("bad expect-exit value {value:?}"))?
            }
            "expect-signal" => {
                spec.signal = Some(
                    value
                        .parse()
                        .map_err(|_| format!("bad expect-signal value {value:?}"))?,
                )
            }
            "expect-stderr" => spec.stderr.push(value.to_string()),
            "expect-error" => spec.errors.push(value.to_string()),
            "expect-warning" => spec.warnings.push(value.to_string()),
            "threads" => {
                spec.threads = value
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            }
            "args" => spec.args = value.split_whitespace().map(String::from).collect(),
            "needs" => spec.needs.extend(
                value
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
            ),
            k if k.starts_with("expect") => return Err(format!("unknown header key {k:?}")),
            _ => {}
        }
    }
    let out = path.with_extension("out");
    if out.exists() {
        spec.stdout = fs::read(&out).map_err(|e| format!("cannot read {}: {e}", out.display()))?;
    }
    if !spec.errors.is_empty() {
        spec.exit = 1;
        if !spec.stdout.is_empty() {
            return Err("expect-error program with a non-empty .out file".into());
        }
    }
    Ok(spec)
}

fn drain<R: Read + Send + 'static>(r: Option<R>) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut r) = r {
            let _ = r.read_to_end(&mut buf);
        }
        buf
    })
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn aria_bin() -> std::ffi::OsString {
    std::env::var_os("ARIA_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_aria").into())
}

fn run(case: &Case, timeout: Duration, exe_dir: &Path) -> Result<Outcome, String> {
    match case.mode {
        Mode::Run => {
            let mut cmd = Command::new(aria_bin());
            cmd.arg("run").arg(&case.path).args(&case.spec.args);
            execute(case, cmd, timeout)
        }
        Mode::Build => run_built(case, timeout, exe_dir),
    }
}

/// `aria build FILE -o EXE`, then `EXE ARGS`: the outcome of the two as if
/// they were one `aria run` (stderr of both, time of both); for a program
/// that must not compile, the outcome of the build.
fn run_built(case: &Case, timeout: Duration, exe_dir: &Path) -> Result<Outcome, String> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let exe = exe_dir.join(format!("prog{}", NEXT.fetch_add(1, Ordering::Relaxed)));
    let mut cmd = Command::new(aria_bin());
    cmd.arg("build").arg(&case.path).arg("-o").arg(&exe);
    let built = execute(case, cmd, timeout)?;
    let ok = built.status.as_ref().is_some_and(|s| s.success());
    if !case.spec.errors.is_empty() {
        let _ = fs::remove_file(&exe);
        if ok {
            return Err("`aria build` succeeded, but the program must not compile".into());
        }
        return Ok(built);
    }
    if !ok {
        let mut r = format!(
            "`aria build` failed (status {})\n",
            describe_status(&built.status)
        );
        r.push_str(&excerpt(&built.stderr, 12));
        return Err(r);
    }
    let mut cmd = Command::new(&exe);
    cmd.args(&case.spec.args);
    let mut ran = execute(case, cmd, timeout);
    let _ = fs::remove_file(&exe);
    if let Ok(o) = &mut ran {
        let mut stderr = built.stderr;
        stderr.append(&mut o.stderr);
        o.stderr = stderr;
        o.elapsed += built.elapsed;
    }
    ran
}

/// Runs `cmd` (arguments set) with the case's environment, killing it after
/// `timeout`.
fn execute(case: &Case, mut cmd: Command, timeout: Duration) -> Result<Outcome, String> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.env_remove("ARIA_THREADS");
    if let Some(t) = &case.threads {
        cmd.env("ARIA_THREADS", t);
    }
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot spawn {:?}: {e}", cmd.get_program()))?;
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) => {
                if start.elapsed() >= timeout {
                    timed_out = true;
                    kill(&mut child);
                    break None;
                }
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => {
                kill(&mut child);
                return Err(format!("wait failed: {e}"));
            }
        }
    };
    let elapsed = start.elapsed();
    // A grandchild could keep the pipes open after a kill; don't hang on it.
    let stdout = join_with_timeout(out, Duration::from_secs(2));
    let stderr = join_with_timeout(err, Duration::from_secs(2));
    Ok(Outcome {
        status,
        timed_out,
        stdout,
        stderr,
        elapsed,
    })
}

fn join_with_timeout(h: thread::JoinHandle<Vec<u8>>, limit: Duration) -> Vec<u8> {
    let start = Instant::now();
    while !h.is_finished() {
        if start.elapsed() > limit {
            return b"<output pipe still open after the process ended>".to_vec();
        }
        thread::sleep(Duration::from_millis(5));
    }
    h.join().unwrap_or_default()
}

/// The signal that killed the process, if one did.
fn signal_of(s: &Option<ExitStatus>) -> Option<i32> {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        s.as_ref().and_then(|s| s.signal())
    }
    #[cfg(not(unix))]
    {
        let _ = s;
        None
    }
}

fn describe_status(s: &Option<ExitStatus>) -> String {
    match s {
        None => "none".into(),
        Some(s) => match s.code() {
            Some(c) => c.to_string(),
            None => match signal_of(&Some(*s)) {
                Some(sig) => format!("killed by signal {sig}"),
                None => format!("{s}"),
            },
        },
    }
}

fn show(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}

fn excerpt(bytes: &[u8], max_lines: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    let mut s = String::new();
    for l in lines.iter().take(max_lines) {
        s.push_str("        | ");
        s.push_str(l);
        s.push('\n');
    }
    if lines.len() > max_lines {
        s.push_str(&format!(
            "        | ... ({} more lines)\n",
            lines.len() - max_lines
        ));
    }
    s
}

/// Line diff: the first differing line with a little context.
fn stdout_diff(expected: &[u8], actual: &[u8]) -> String {
    let e = String::from_utf8_lossy(expected);
    let a = String::from_utf8_lossy(actual);
    let el: Vec<&str> = e.split_inclusive('\n').collect();
    let al: Vec<&str> = a.split_inclusive('\n').collect();
    let first = (0..el.len().max(al.len()))
        .find(|&i| el.get(i) != al.get(i))
        .unwrap_or(0);
    let mut s = format!(
        "    stdout differs at line {} (expected {} lines, got {}):\n",
        first + 1,
        el.len(),
        al.len()
    );
    let from = first.saturating_sub(2);
    for (i, l) in el.iter().enumerate().take(first).skip(from) {
        s.push_str(&format!("        {:>4}   {:?}\n", i + 1, l));
    }
    let to = (first + 3).min(el.len().max(al.len()));
    for i in first..to {
        if i > first && el.get(i) == al.get(i) {
            s.push_str(&format!("        {:>4}   {:?}\n", i + 1, el[i]));
            continue;
        }
        match el.get(i) {
            Some(l) => s.push_str(&format!("        {:>4} - {:?}\n", i + 1, l)),
            None => s.push_str(&format!(
                "        {:>4} - <end of expected output>\n",
                i + 1
            )),
        }
        match al.get(i) {
            Some(l) => s.push_str(&format!("        {:>4} + {:?}\n", i + 1, l)),
            None => s.push_str(&format!("        {:>4} + <end of actual output>\n", i + 1)),
        }
    }
    s
}

/// Returns None on success, Some(report) on failure. The report's first line is
/// `FAIL <path>: <summary>`; indented detail lines follow.
fn check(case: &Case, o: &Outcome, timeout: Duration) -> Option<String> {
    let spec = &case.spec;
    let mut summary: Vec<String> = Vec::new();
    let mut details = String::new();
    let stderr = String::from_utf8_lossy(&o.stderr);
    if o.timed_out {
        summary.push(format!("timed out after {}s (killed)", timeout.as_secs()));
    } else if let Some(sig) = spec.signal {
        if signal_of(&o.status) != Some(sig) {
            summary.push(format!(
                "expected to be killed by signal {sig}, got {}",
                describe_status(&o.status)
            ));
        }
    } else {
        let code = o.status.as_ref().and_then(|s| s.code());
        if code != Some(spec.exit) {
            summary.push(format!(
                "exit status expected {}, got {}",
                spec.exit,
                describe_status(&o.status)
            ));
        }
    }
    if o.stdout != spec.stdout {
        if spec.stdout.is_empty() {
            summary.push("expected no stdout".into());
            details.push_str(&format!(
                "    got {} bytes of stdout: {}\n",
                o.stdout.len(),
                show(&o.stdout[..o.stdout.len().min(300)])
            ));
        } else {
            summary.push("stdout differs".into());
            details.push_str(&stdout_diff(&spec.stdout, &o.stdout));
        }
    }
    for code in &spec.errors {
        let needle = format!("error[{code}]");
        if !stderr.contains(&needle) {
            summary.push(format!("stderr lacks `{needle}`"));
        }
    }
    for code in &spec.warnings {
        let needle = format!("warning[{code}]");
        if !stderr.contains(&needle) {
            summary.push(format!("stderr lacks `{needle}`"));
        }
    }
    for sub in &spec.stderr {
        if !stderr.contains(sub.as_str()) {
            summary.push(format!("stderr lacks {sub:?}"));
        }
    }
    if summary.is_empty() {
        return None;
    }
    let mut r = format!("FAIL {}: {}\n", case.name, summary.join("; "));
    r.push_str(&details);
    if !o.stderr.is_empty() {
        r.push_str("    stderr:\n");
        r.push_str(&excerpt(&o.stderr, 8));
    }
    Some(r)
}

#[test]
fn conformance() {
    let root = programs_dir();
    let root = root.canonicalize().unwrap_or(root);
    let filter = std::env::var("ARIA_TEST_FILTER")
        .ok()
        .filter(|f| !f.is_empty());
    let enabled: Vec<String> = std::env::var("ARIA_NEEDS")
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let mut skipped = 0usize;
    let timeout = Duration::from_secs(
        std::env::var("ARIA_TEST_TIMEOUT")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20),
    );
    let jobs = std::env::var("ARIA_TEST_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or_else(|| thread::available_parallelism().map_or(2, |n| n.get()));
    let modes: Vec<Mode> = match std::env::var("ARIA_TEST_MODES") {
        Ok(v) if !v.trim().is_empty() => v
            .split(',')
            .map(|m| {
                Mode::from_name(m.trim())
                    .unwrap_or_else(|| panic!("ARIA_TEST_MODES: unknown mode {m:?} (run, build)"))
            })
            .collect(),
        _ => vec![Mode::Run, Mode::Build],
    };
    // The executables of the `build` mode (each removed after its run).
    let exe_dir = std::env::temp_dir().join(format!("aria-conformance-{}", std::process::id()));
    fs::create_dir_all(&exe_dir).expect("cannot create the directory for built programs");
    let exe_dir = Arc::new(exe_dir);

    let mut files = Vec::new();
    collect(&root, &mut files);
    // libtest may have printed `test conformance ... ` without a newline.
    let _ = writeln!(io::stdout());

    let mut cases = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if let Some(f) = &filter {
            if !rel.contains(f.as_str()) {
                continue;
            }
        }
        let spec = match fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|src| parse_header(&path, &src))
        {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("FAIL {rel}: bad test header: {e}\n"));
                continue;
            }
        };
        if spec
            .needs
            .iter()
            .any(|n| !AVAILABLE.contains(&n.as_str()) && !enabled.contains(n))
        {
            skipped += 1;
            continue;
        }
        let threads: Vec<Option<&String>> = if spec.threads.is_empty() {
            vec![None]
        } else {
            spec.threads.iter().map(Some).collect()
        };
        for &mode in &modes {
            for t in &threads {
                let mut name = rel.clone();
                if let Some(t) = t {
                    name.push_str(&format!(" [ARIA_THREADS={t}]"));
                }
                if mode == Mode::Build {
                    name.push_str(" [build]");
                }
                cases.push(Case {
                    path: path.clone(),
                    name,
                    threads: t.cloned(),
                    spec: spec.clone(),
                    mode,
                });
            }
        }
    }

    let total = cases.len() + failures.len();
    let queue = Arc::new(Mutex::new(cases.into_iter().collect::<VecDeque<Case>>()));
    // (case name, failure report)
    type Verdicts = Vec<(String, Option<String>)>;
    let results: Arc<Mutex<Verdicts>> = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..jobs)
        .map(|_| {
            let queue = Arc::clone(&queue);
            let results = Arc::clone(&results);
            let exe_dir = Arc::clone(&exe_dir);
            thread::spawn(move || loop {
                let Some(case) = queue.lock().unwrap().pop_front() else {
                    break;
                };
                let verdict = match run(&case, timeout, &exe_dir) {
                    Ok(o) => {
                        let v = check(&case, &o, timeout);
                        if v.is_none() && o.elapsed > Duration::from_secs(5) {
                            let _ = writeln!(
                                io::stdout(),
                                "slow: {} took {:.1}s",
                                case.name,
                                o.elapsed.as_secs_f64()
                            );
                        }
                        v
                    }
                    Err(e) => Some(format!("FAIL {}: {}\n", case.name, e.trim_end())),
                };
                if let Some(r) = &verdict {
                    // Direct writes are not captured by libtest: failures show up live.
                    let _ = io::stdout().lock().write_all(r.as_bytes());
                }
                results.lock().unwrap().push((case.name.clone(), verdict));
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker thread panicked");
    }
    let _ = fs::remove_dir_all(&*exe_dir);

    for f in &failures {
        let _ = io::stdout().lock().write_all(f.as_bytes());
    }
    let results = results.lock().unwrap();
    let failed = failures.len() + results.iter().filter(|(_, v)| v.is_some()).count();
    let passed = total - failed;
    let _ = writeln!(io::stdout(), "{passed} passed, {failed} failed");
    if skipped > 0 {
        let _ = writeln!(
            io::stdout(),
            "{skipped} program(s) skipped: their `// needs:` feature is not available \
             (set ARIA_NEEDS=FEATURE to run them)"
        );
    }
    let _ = io::stdout().flush();
    assert!(
        total > 0 || filter.is_some(),
        "no conformance programs found under {}",
        root.display()
    );
    assert_eq!(failed, 0, "{failed} conformance program(s) failed");
}

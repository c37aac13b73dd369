//! Seeded stress suite of the async runtime and compiler: for each seed a
//! random tree of async functions and lambdas (spawn, `await`, `join_all`,
//! `race`, `with_timeout`, `cancel`, `fail`, panics, sleeps, yields, defers,
//! channels, `then`, `.await()` in sync helpers) is generated, compiled once
//! with `aria build` and run at several `ARIA_THREADS` values; every run must
//! exit 0 within the time bound, print exactly the multiset of lines the model
//! computes (each observed result, each defer of each task that ran, exactly
//! once) and one panic report per panicking task. Generator and model:
//! `tests/stress/gen.rs` (its header describes the design).
//!
//! `cargo test --release -p aria --test stress` runs the 10 fixed seeds;
//! `scripts/stress.sh [SEED...|--count N]` any others. Environment:
//! - `ARIA_STRESS_SEEDS`   seeds, e.g. `1,2,7` or `100-199` (default 1-10)
//! - `ARIA_STRESS_THREADS` `ARIA_THREADS` values (default `1,2,8`)
//! - `ARIA_STRESS_TIMEOUT` seconds per run before it is killed (default 30)
//! - `ARIA_STRESS_JOBS`    seeds handled in parallel (default: cores)
//! - `ARIA_STRESS_CHANNELS=0` no channel operations in the programs
//! - `ARIA_STRESS_SYNC_AWAIT=0` no `.await()` in sync code on workers
//! - `ARIA_STRESS_SHUTDOWN=0` no tasks left running for the shutdown
//! - `ARIA_STRESS_MODE=run` use `aria run FILE` for every run instead of one
//!   `aria build` per seed
//! - `ARIA_STRESS_DIR`     where programs and failing outputs are kept
//!   (default `$CARGO_TARGET_TMPDIR/stress`)
//! - `ARIA_BIN`            another `aria` binary

#[path = "stress/gen.rs"]
mod gen;

use std::collections::VecDeque;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const DEFAULT_SEEDS: &str = "1-10";

fn say(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse_seeds(spec: &str) -> Vec<u64> {
    let mut out = Vec::new();
    for part in spec
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let num = |s: &str| -> u64 {
            s.trim()
                .parse()
                .unwrap_or_else(|_| panic!("ARIA_STRESS_SEEDS: bad seed {s:?}"))
        };
        match part.split_once('-') {
            Some((a, b)) => out.extend(num(a)..=num(b)),
            None => out.push(num(part)),
        }
    }
    out
}

fn aria_bin() -> PathBuf {
    env("ARIA_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_aria")))
}

struct Ran {
    status: Option<std::process::ExitStatus>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

fn drain(mut r: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut v = Vec::new();
        let _ = r.read_to_end(&mut v);
        v
    })
}

/// Runs `cmd`, killing it after `timeout` (status `None`).
fn execute(mut cmd: Command, timeout: Duration) -> Ran {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot spawn {:?}: {e}", cmd.get_program()));
    let out = drain(child.stdout.take().expect("stdout"));
    let err = drain(child.stderr.take().expect("stderr"));
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("wait: {e}"),
        }
    };
    let elapsed = start.elapsed();
    let stdout = String::from_utf8_lossy(&out.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
    Ran {
        status,
        stdout,
        stderr,
        elapsed,
    }
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    lines[start..]
        .iter()
        .map(|l| format!("    {l}\n"))
        .collect()
}

struct Settings {
    threads: Vec<String>,
    timeout: Duration,
    features: gen::Features,
    run_mode: bool,
    dir: PathBuf,
}

/// One seed: the summary line, and the failure report if any.
fn one_seed(seed: u64, s: &Settings) -> (String, Option<String>) {
    let program = gen::generate(seed, s.features);
    let source = gen::emit(&program);
    let expect = gen::model(&program);
    let file = s.dir.join(format!("seed{seed}.aria"));
    fs::write(&file, &source).expect("write program");
    let mut summary = format!(
        "seed {seed}: {} tasks, {} lines (+{} all-or-none groups), {} panics, ~{} ms of sleeps;",
        expect.tasks,
        expect.lines.len(),
        expect.optional.len(),
        expect.panics,
        expect.est_ms
    );
    let mut failures = String::new();
    let exe = s.dir.join(format!("seed{seed}.exe"));
    if !s.run_mode {
        let mut cmd = Command::new(aria_bin());
        cmd.arg("build").arg(&file).arg("-o").arg(&exe);
        let built = execute(cmd, s.timeout * 4);
        summary.push_str(&format!(" build {:.1} s", built.elapsed.as_secs_f64()));
        if !built.status.is_some_and(|st| st.success()) {
            let report = format!(
                "seed {seed}: `aria build {}` failed ({:?})\n{}",
                file.display(),
                built.status,
                tail(&built.stderr, 30)
            );
            return (summary + " BUILD FAILED", Some(report));
        }
    }
    for t in &s.threads {
        let mut cmd = if s.run_mode {
            let mut c = Command::new(aria_bin());
            c.arg("run").arg(&file);
            c
        } else {
            Command::new(&exe)
        };
        cmd.env("ARIA_THREADS", t);
        let ran = execute(cmd, s.timeout);
        let mut problems = Vec::new();
        match ran.status {
            None => problems.push(format!("killed after {} s", s.timeout.as_secs())),
            Some(st) if st.code() != Some(0) => problems.push(format!("exit status {st}")),
            Some(_) => {}
        }
        problems.extend(gen::check(&expect, &ran.stdout, 25));
        let reports = ran
            .stderr
            .lines()
            .filter(|l| l.starts_with("panic (code"))
            .count();
        if reports != expect.panics {
            problems.push(format!(
                "{reports} panic reports on stderr, expected {}",
                expect.panics
            ));
        }
        if !s.run_mode {
            // The executable's stderr holds panic reports only (their
            // detail lines are indented).
            if let Some(l) = ran
                .stderr
                .lines()
                .find(|l| !l.is_empty() && !l.starts_with(' ') && !l.starts_with("panic (code"))
            {
                problems.push(format!("unexpected stderr line: {l}"));
            }
        }
        let verdict = if problems.is_empty() { "ok" } else { "FAILED" };
        summary.push_str(&format!(
            " | t{t} {:.2} s {verdict}",
            ran.elapsed.as_secs_f64()
        ));
        if !problems.is_empty() {
            let base = s.dir.join(format!("seed{seed}.t{t}"));
            let _ = fs::write(format!("{}.stdout", base.display()), &ran.stdout);
            let _ = fs::write(format!("{}.stderr", base.display()), &ran.stderr);
            // The model: required lines sorted, then the all-or-none
            // groups, one per line (`group: ...`).
            let mut expected: Vec<String> = expect.lines.clone();
            expected.sort();
            for g in &expect.optional {
                expected.push(format!("group: {}", g.join(" ")));
            }
            expected.push(format!("panics: {}", expect.panics));
            let _ = fs::write(
                s.dir.join(format!("seed{seed}.expected")),
                expected.join("\n") + "\n",
            );
            let mut report = format!(
                "seed {seed}, ARIA_THREADS={t} ({}; outputs in {}.std{{out,err}}; model in seed{seed}.expected; rerun: scripts/stress.sh {seed}):\n",
                file.display(),
                base.display()
            );
            for p in problems {
                report.push_str(&format!("  {p}\n"));
            }
            report.push_str("  stderr (end):\n");
            report.push_str(&tail(&ran.stderr, 15));
            let _ = fs::write(format!("{}.report", base.display()), &report);
            failures.push_str(&report);
        }
    }
    if !s.run_mode {
        let _ = fs::remove_file(&exe);
    }
    (
        summary,
        if failures.is_empty() {
            None
        } else {
            Some(failures)
        },
    )
}

#[test]
fn stress() {
    let seeds = parse_seeds(&env("ARIA_STRESS_SEEDS").unwrap_or_else(|| DEFAULT_SEEDS.to_string()));
    let threads: Vec<String> = env("ARIA_STRESS_THREADS")
        .unwrap_or_else(|| "1,2,8".to_string())
        .split(',')
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    let timeout = Duration::from_secs(
        env("ARIA_STRESS_TIMEOUT").map_or(30, |v| v.parse().expect("ARIA_STRESS_TIMEOUT: seconds")),
    );
    let jobs = env("ARIA_STRESS_JOBS")
        .map(|v| v.parse().expect("ARIA_STRESS_JOBS: number"))
        .unwrap_or_else(|| thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    let dir = env("ARIA_STRESS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("stress"));
    fs::create_dir_all(&dir).expect("stress directory");
    let settings = Arc::new(Settings {
        threads,
        timeout,
        features: gen::Features {
            channels: env("ARIA_STRESS_CHANNELS").is_none_or(|v| v != "0"),
            sync_await: env("ARIA_STRESS_SYNC_AWAIT").is_none_or(|v| v != "0"),
            shutdown: env("ARIA_STRESS_SHUTDOWN").is_none_or(|v| v != "0"),
        },
        run_mode: env("ARIA_STRESS_MODE").is_some_and(|v| v == "run"),
        dir,
    });
    say(&format!(
        "stress: {} seeds, ARIA_THREADS {}, {} jobs, programs in {}\n",
        seeds.len(),
        settings.threads.join(","),
        jobs,
        settings.dir.display()
    ));
    let started = Instant::now();
    let queue = Arc::new(Mutex::new(seeds.iter().copied().collect::<VecDeque<u64>>()));
    let results = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..jobs.min(seeds.len()).max(1))
        .map(|_| {
            let queue = Arc::clone(&queue);
            let results = Arc::clone(&results);
            let settings = Arc::clone(&settings);
            thread::spawn(move || loop {
                let Some(seed) = queue.lock().expect("queue").pop_front() else {
                    break;
                };
                let (summary, failure) = one_seed(seed, &settings);
                say(&format!("{summary}\n"));
                results.lock().expect("results").push((seed, failure));
            })
        })
        .collect();
    for w in workers {
        w.join().expect("stress worker panicked");
    }
    let mut results = std::mem::take(&mut *results.lock().expect("results"));
    results.sort_by_key(|(seed, _)| *seed);
    let failed: Vec<&(u64, Option<String>)> = results.iter().filter(|(_, f)| f.is_some()).collect();
    say(&format!(
        "stress: {} seeds passed, {} failed{} in {:.1} s\n",
        results.len() - failed.len(),
        failed.len(),
        if failed.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                failed
                    .iter()
                    .map(|(s, _)| s.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        },
        started.elapsed().as_secs_f64()
    ));
    if !failed.is_empty() {
        let report: String = failed.iter().filter_map(|(_, f)| f.clone()).collect();
        panic!("stress failures:\n{report}");
    }
}

//! Developer tools, run by hand (`--ignored`): dumps, a probe printing
//! diagnostics, a mutation smoke test and the conformance programs'
//! front-end expectations.

#[test]
#[ignore]
fn dump_example() {
    let src = std::fs::read_to_string(std::env::var("ARIA_DUMP").unwrap()).unwrap();
    let p = super::ok(&src);
    for f in &p.funcs {
        println!("{:#?}", f);
    }
}

/// `ARIA_PROBE=file cargo test probe -- --ignored --nocapture`: print the
/// parser's and the checker's diagnostics for each `---`-separated snippet.
#[test]
#[ignore]
fn probe() {
    let all = std::fs::read_to_string(std::env::var("ARIA_PROBE").unwrap()).unwrap();
    for src in all.split("\n---\n") {
        let (ast, pd) = aria_syntax::parse(src.as_bytes());
        let (_, sd) = crate::check_source(&ast, src.as_bytes());
        println!("=== {}", src.trim().lines().last().unwrap_or(""));
        for d in pd.iter().chain(sd.iter()) {
            print!("{}", d.render("t", src.as_bytes(), false));
        }
    }
}

/// `ARIA_DUMP=file cargo test dump_bodies -- --ignored --nocapture`.
#[test]
#[ignore]
fn dump_bodies() {
    let src = std::fs::read_to_string(std::env::var("ARIA_DUMP").unwrap()).unwrap();
    let p = super::ok(&src);
    for f in &p.funcs {
        let caps: Vec<String> = f
            .captures
            .iter()
            .map(|c| {
                format!(
                    "{}<-{} ref={}",
                    f.locals[c.inner.0 as usize].name, c.outer.0, c.by_ref
                )
            })
            .collect();
        let refs: Vec<&str> = f
            .locals
            .iter()
            .filter(|l| l.by_ref)
            .map(|l| l.name.as_str())
            .collect();
        println!(
            "== {} ({:?}, async={}, ret={}) captures={caps:?} by_ref={refs:?}",
            f.name, f.kind, f.is_async, f.ret
        );
        for s in super::sexp::body(&p, &f.name) {
            println!("   {s}");
        }
    }
}

/// Mutation smoke test: sema never panics on trees from damaged sources.
/// `ARIA_FUZZ=N cargo test fuzz_examples -- --ignored` (N rounds).
#[test]
#[ignore]
fn fuzz_examples() {
    let rounds: u64 = std::env::var("ARIA_FUZZ")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    // `ARIA_FUZZ_DIR` (searched recursively) replaces the default corpus.
    let dir = std::env::var("ARIA_FUZZ_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/src/tests/programs").into());
    let mut paths = Vec::new();
    aria_files(std::path::Path::new(&dir), &mut paths);
    let mut srcs: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    srcs.sort();
    let mut seed = 0x9e3779b97f4a7c15u64;
    let mut rnd = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n.max(1) as u64) as usize
    };
    for round in 0..rounds {
        let mut s = srcs[rnd(srcs.len())].clone();
        for _ in 0..1 + rnd(3) {
            let a = rnd(s.len());
            let len = 1 + rnd(12);
            let b = (a + len).min(s.len());
            match rnd(3) {
                0 => {
                    s.drain(a..b);
                }
                1 => {
                    let piece: Vec<u8> = s[a..b].to_vec();
                    let at = rnd(s.len());
                    s.splice(at..at, piece);
                }
                _ => {
                    let other = &srcs[rnd(srcs.len())];
                    let c = rnd(other.len());
                    let piece = other[c..(c + len).min(other.len())].to_vec();
                    s.splice(a..b, piece);
                }
            }
        }
        let r = std::panic::catch_unwind(|| {
            let (ast, pd) = aria_syntax::parse(&s);
            let parse_ok = !pd.iter().any(|d| d.is_error());
            let (p, sd) = crate::check_source(&ast, &s);
            let sema_ok = !sd.iter().any(|d| d.is_error());
            let silent = parse_ok && sema_ok && p.is_none();
            let unvalidated = sd
                .iter()
                .any(|d| d.message.contains("cannot be determined"));
            (silent, unvalidated)
        });
        let bad = match r {
            Err(_) => "sema panicked",
            Ok((true, _)) => "no output and no error",
            Ok((_, true)) => "the validator caught an untyped node",
            Ok(_) => continue,
        };
        std::fs::write("/tmp/sema_crash.aria", &s).unwrap();
        panic!("round {round}: {bad}; input in /tmp/sema_crash.aria");
    }
}

/// Front-end half of the conformance suite: every `tests/programs` file's
/// `expect-error`/`expect-warning` codes are reported and programs without
/// `expect-error` check cleanly. `cargo test conformance_front_end -- --ignored --nocapture`
#[test]
#[ignore]
fn conformance_front_end() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/programs"));
    let mut files = Vec::new();
    aria_files(root, &mut files);
    files.sort();
    let mut failures = 0;
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        let want = |key: &str| -> Vec<String> {
            src.lines()
                .take_while(|l| l.trim().is_empty() || l.trim_start().starts_with("//"))
                .filter_map(|l| l.trim_start().strip_prefix("//").map(str::trim))
                .filter_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
                .collect()
        };
        let (errs, warns) = (want("expect-error:"), want("expect-warning:"));
        let (ast, pd) = aria_syntax::parse(src.as_bytes());
        let (_, sd) = crate::check_source(&ast, src.as_bytes());
        let all: Vec<_> = pd.iter().chain(sd.iter()).collect();
        let got_errs: Vec<&str> = all
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code)
            .collect();
        let got_warns: Vec<&str> = all
            .iter()
            .filter(|d| !d.is_error())
            .map(|d| d.code)
            .collect();
        let mut problems = Vec::new();
        for e in &errs {
            if !got_errs.contains(&e.as_str()) {
                problems.push(format!("missing {e}"));
            }
        }
        if errs.is_empty() && !got_errs.is_empty() {
            problems.push("unexpected errors".to_string());
        }
        for w in &warns {
            if !got_warns.contains(&w.as_str()) {
                problems.push(format!("missing {w}"));
            }
        }
        if !problems.is_empty() {
            failures += 1;
            println!(
                "FAIL {}: {} (want {errs:?} {warns:?})",
                f.strip_prefix(root).unwrap().display(),
                problems.join(", ")
            );
            for d in &all {
                print!(
                    "    {}",
                    d.render("t", src.as_bytes(), false)
                        .lines()
                        .next()
                        .unwrap_or("")
                );
                println!();
            }
        }
    }
    println!("{} programs, {failures} front-end failures", files.len());
}

/// Every `*.aria` file under `d`.
fn aria_files(d: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            aria_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "aria") {
            out.push(p);
        }
    }
}

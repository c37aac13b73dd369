//! Bounded fuzz run over the whole front end (parser + type checker), seeded
//! with every conformance program: 100,000 mutated inputs (override with
//! `ARIA_FUZZ_INPUTS`, seed with `ARIA_FUZZ_SEED`). No input may panic the
//! compiler, and every rejection must carry a coded diagnostic.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use aria_syntax::fuzz::{mutate, Rng};
use aria_syntax::Severity;

const INPUTS: u64 = 100_000;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn collect(dir: &Path, out: &mut Vec<Vec<u8>>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "aria") {
            out.push(fs::read(&path).unwrap());
        }
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/programs");
    let mut out = Vec::new();
    collect(&root, &mut out);
    assert!(out.len() > 100, "conformance programs not found");
    out
}

/// Runs the front end as `aria check` does; panics on any broken promise.
fn front_end(src: &[u8]) {
    let (ast, mut diags) = aria_syntax::parse(src);
    let parse_failed = diags.iter().any(|d| d.is_error());
    if !parse_failed {
        let (typed, sema) = aria_sema::check_source(&ast, src);
        let sema_failed = sema.iter().any(|d| d.is_error());
        assert_eq!(
            typed.is_none(),
            sema_failed,
            "typed program and errors disagree for {:?}",
            String::from_utf8_lossy(src)
        );
        diags.extend(sema);
    }
    for d in &diags {
        let prefix = if d.severity == Severity::Error {
            'E'
        } else {
            'W'
        };
        assert!(d.code.starts_with(prefix) && d.code.len() == 5, "{d:?}");
        assert!(d.span.end as usize <= src.len(), "{d:?}");
        d.render("fuzz.aria", src, false);
    }
}

#[test]
fn front_end_survives_mutated_programs() {
    let seeds = seeds();
    let total = env_number("ARIA_FUZZ_INPUTS", INPUTS);
    let mut rng = Rng(env_number("ARIA_FUZZ_SEED", 0x2545_f491).max(1));
    let started = Instant::now();
    for _ in 0..total {
        let mut src = seeds[rng.below(seeds.len())].clone();
        for _ in 0..1 + rng.below(4) {
            mutate(&mut rng, &mut src);
        }
        front_end(&src);
    }
    eprintln!(
        "front-end fuzz: {total} inputs from {} seeds in {:.1?}",
        seeds.len(),
        started.elapsed()
    );
}

//! The front end never panics, hangs or overflows the stack, and every
//! diagnostic is coded and points into the source.
//!
//! * A deterministic mutation fuzzer (xorshift PRNG, no external crates)
//!   mutates the §11 example programs at least 100,000 times in total.
//! * Pathological nesting and chains (100,000 deep) parse on a thread with
//!   a 2 MiB stack (the default for test threads) and the trees drop fine.

use std::fs;
use std::path::PathBuf;
use std::time::Instant;

/// Total mutations applied by the fuzz test (override with the environment
/// variable `ARIA_FUZZ_MUTATIONS`, and the seed with `ARIA_FUZZ_SEED`).
const MUTATIONS: usize = 100_000;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

use aria_syntax::fuzz::{mutate, Rng, FRAGMENTS};

fn examples() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/examples");
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.iter().map(|p| fs::read(p).unwrap()).collect()
}

/// Parses `src` and checks every diagnostic (and that it renders).
fn check(src: &[u8]) {
    let (_, diags) = aria_syntax::parse(src);
    for d in &diags {
        assert!(
            d.code.starts_with('E'),
            "code {} for {:?}",
            d.code,
            String::from_utf8_lossy(src)
        );
        assert!(d.span.start <= d.span.end, "{d:?}");
        assert!(d.span.end as usize <= src.len(), "{d:?} len {}", src.len());
        d.render("fuzz.aria", src, false);
    }
    let (toks, _) = aria_syntax::lex(src);
    assert!(toks
        .last()
        .is_some_and(|t| t.kind == aria_syntax::TokenKind::Eof));
}

#[test]
fn mutation_fuzz_never_panics() {
    let seeds = examples();
    let mut rng = Rng(env_number("ARIA_FUZZ_SEED", 0x9e37_79b9_7f4a_7c15).max(1));
    let total = env_number("ARIA_FUZZ_MUTATIONS", MUTATIONS as u64) as usize;
    let started = Instant::now();
    let (mut done, mut parses) = (0, 0);
    while done < total {
        let mut src = seeds[rng.below(seeds.len())].clone();
        let n = 1 + rng.below(4);
        for _ in 0..n {
            mutate(&mut rng, &mut src);
        }
        done += n;
        parses += 1;
        check(&src);
    }
    eprintln!(
        "fuzz: {done} mutations, {parses} parses in {:.1?}",
        started.elapsed()
    );
}

#[test]
fn fragment_soup_never_panics() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for _ in 0..5_000 {
        let mut src = String::new();
        for _ in 0..1 + rng.below(300) {
            src.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]);
            if rng.below(3) == 0 {
                src.push(' ');
            }
        }
        check(src.as_bytes());
    }
}

/// Runs `f` on a thread with the default test-thread stack (2 MiB).
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .expect("no panic, no overflow");
}

fn wrap(expr: &str) -> String {
    format!("func:main = NIL() {{ int64:v = {expr}; }};")
}

fn pathological() -> Vec<(&'static str, String)> {
    let n = 100_000;
    vec![
        ("parens", "(".repeat(n)),
        ("parens in body", wrap(&"(".repeat(n))),
        (
            "balanced parens",
            wrap(&format!("{}1{}", "(".repeat(n), ")".repeat(n))),
        ),
        ("brackets", wrap(&"[".repeat(n))),
        ("braces", format!("func:main = NIL() {}", "{".repeat(n))),
        (
            "balanced braces",
            format!("func:main = NIL() {}{};", "{".repeat(n), "}".repeat(n)),
        ),
        ("templates", wrap(&"`&{".repeat(n))),
        ("unary", wrap(&format!("{}x", "-".repeat(n)))),
        ("not", wrap(&format!("{}x", "!".repeat(n)))),
        ("await", wrap(&format!("{}x", "await (".repeat(n)))),
        ("sum", wrap(&format!("1{}", "+1".repeat(n)))),
        ("mixed ops", wrap(&format!("1{}", "*2+3".repeat(n)))),
        ("calls", wrap(&format!("f{}", "()".repeat(n)))),
        ("members", wrap(&format!("a{}", ".b".repeat(n)))),
        ("propagate", wrap(&format!("f(){}", "?".repeat(n)))),
        ("casts", wrap(&format!("x{}", " => int32".repeat(n)))),
        ("pipes", wrap(&format!("x{}", " |> f".repeat(n)))),
        ("defaults", wrap(&format!("a{}", " ? a".repeat(n)))),
        ("ternaries", wrap(&"is a : b : ".repeat(n))),
        ("index", wrap(&format!("a{}", "[a".repeat(n)))),
        ("types", format!("{}int32:x;", "Task<".repeat(n))),
        (
            "closed types",
            format!("{}int32{}:x;", "Task<".repeat(n), ">".repeat(n)),
        ),
        ("wild", format!("{}int32:x;", "wild ".repeat(n))),
        ("array suffixes", format!("int32{}:x;", "[]".repeat(n))),
        ("pointers", format!("int32{}:x;", "@".repeat(n))),
        (
            "else if",
            format!("func:main = NIL() {{ {} }};", "if (a) { } else ".repeat(n)),
        ),
        ("lambdas", wrap(&"NIL() { int64:v = ".repeat(n))),
        ("result lookahead", wrap(&"result < ".repeat(n))),
        ("ident brackets", wrap(&"a[".repeat(n))),
        (
            "statements",
            format!("func:main = NIL() {{ {} }};", "f();".repeat(n)),
        ),
        ("top-level junk", "x = 1; ".repeat(n)),
        ("garbage", "\\".repeat(n)),
        ("strings", "\"".repeat(n)),
        (
            "semicolons",
            format!("func:main = NIL() {{ {} }};", ";".repeat(n)),
        ),
        ("wild decl starts", "wild ".repeat(n)),
    ]
}

#[test]
fn deep_nesting_and_long_chains_do_not_overflow() {
    on_small_stack(|| {
        for (name, src) in pathological() {
            let started = Instant::now();
            let (program, diags) = aria_syntax::parse(src.as_bytes());
            for d in &diags {
                assert!(d.span.end as usize <= src.len(), "{name}: {d:?}");
            }
            drop(program);
            let took = started.elapsed();
            eprintln!("{name}: {} diagnostics in {took:.1?}", diags.len());
            assert!(took.as_secs() < 10, "{name} took {took:?}");
        }
    });
}

#[test]
fn reasonable_nesting_is_accepted() {
    on_small_stack(|| {
        let src = wrap(&format!("{}1{}", "(".repeat(100), ")".repeat(100)));
        assert!(aria_syntax::parse(src.as_bytes()).1.is_empty());
        let src = wrap(&format!("1{}", "+1".repeat(900)));
        assert!(aria_syntax::parse(src.as_bytes()).1.is_empty());
        let src = wrap(&format!("f{}", "(1)".repeat(900)));
        assert!(aria_syntax::parse(src.as_bytes()).1.is_empty());
        let chain = "if (a) { } else ".repeat(500);
        let src = format!("func:main = NIL() {{ {chain} {{ }} }};");
        assert!(aria_syntax::parse(src.as_bytes()).1.is_empty());
        let mut body = String::new();
        for _ in 0..60 {
            body.push_str("if (a) { ");
        }
        body.push_str(&"} ".repeat(60));
        let src = format!("func:main = NIL() {{ {body} }};");
        assert!(aria_syntax::parse(src.as_bytes()).1.is_empty());
    });
}

#[test]
fn too_deep_reports_one_error() {
    let src = wrap(&format!("{}1{}", "(".repeat(1000), ")".repeat(1000)));
    let (_, diags) = aria_syntax::parse(src.as_bytes());
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(diags[0].message.contains("nesting too deep"));
}

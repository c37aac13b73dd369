//! Tests of the MIR optimisations on programs from source text.

use super::{fails, tail_rec};
use crate::mir::*;
use crate::validate::validate;
use aria_syntax::Severity;

/// The MIR of `src` after lowering and the coroutine transform, before
/// the optimisations.
fn unoptimised(src: &str) -> Program {
    let (ast, diags) = aria_syntax::parse(src.as_bytes());
    assert!(
        diags.iter().all(|d| d.severity != Severity::Error),
        "parse errors: {diags:?}"
    );
    let (prog, diags) = aria_sema::check_source(&ast, src.as_bytes());
    let prog = prog.unwrap_or_else(|| panic!("sema errors: {diags:?}"));
    let mut p = crate::lower::lower_bodies(&prog, "t.aria", src).expect("lowering");
    crate::coroutine::transform(&mut p);
    p
}

/// The never-fail flags and the program after both passes (validated).
fn optimised(src: &str) -> (Vec<bool>, Program) {
    let mut p = unoptimised(src);
    let nf = fails::never_fail(&p);
    fails::fold_call_errors(&mut p, &nf);
    tail_rec::transform(&mut p, &nf);
    if let Err(e) = validate(&p) {
        panic!("invalid MIR after the optimisations: {e}\n{p}");
    }
    (nf, p)
}

fn idx(p: &Program, name: &str) -> usize {
    p.funcs
        .iter()
        .position(|f| f.name == name)
        .unwrap_or_else(|| panic!("no function {name}"))
}

fn self_calls(p: &Program, name: &str) -> usize {
    let i = idx(p, name);
    p.funcs[i]
        .blocks
        .iter()
        .flat_map(|b| &b.stmts)
        .filter(|s| matches!(s, Stmt::Call(_, Callee::Func(g), _) if g.0 as usize == i))
        .count()
}

fn has_local(p: &Program, name: &str, local: &str) -> bool {
    p.funcs[idx(p, name)]
        .locals
        .iter()
        .any(|d| d.name.as_deref() == Some(local))
}

fn transformed(p: &Program, name: &str) -> bool {
    has_local(p, name, "tailrec.arg") || has_local(p, name, "tailrec.acc")
}

const MAIN: &str = "func:main = int32() { pass(0); };\n";

#[test]
fn fib_never_fails_and_accumulates_its_second_call() {
    let src = format!(
        "func:fib = int64(int64:n) {{ if (n < 2) {{ pass(n); }} pass(fib(n - 1) + fib(n - 2)); }};\n{MAIN}"
    );
    let (nf, p) = optimised(&src);
    assert!(nf[idx(&p, "aria.fib")]);
    // The left call stays (it runs first), the right one is the loop.
    assert_eq!(self_calls(&p, "aria.fib"), 1);
    assert!(has_local(&p, "aria.fib", "tailrec.acc"));
    let f = &p.funcs[idx(&p, "aria.fib")];
    let acc = Local(
        f.locals
            .iter()
            .position(|d| d.name.as_deref() == Some("tailrec.acc"))
            .unwrap() as u32,
    );
    assert_eq!(
        f.blocks[0].stmts,
        vec![Stmt::Assign(acc, Rvalue::Use(Operand::Int(0, MTy::I64)))]
    );
    // The remaining call's failure test reads a constant 0.
    let b = f
        .blocks
        .iter()
        .find(|b| b.stmts.iter().any(|s| matches!(s, Stmt::Call(..))))
        .unwrap();
    let ci = b
        .stmts
        .iter()
        .position(|s| matches!(s, Stmt::Call(..)))
        .unwrap();
    let Stmt::Call(dests, ..) = &b.stmts[ci] else {
        unreachable!()
    };
    assert_eq!(
        b.stmts[ci + 1],
        Stmt::Assign(dests[0], Rvalue::Use(Operand::Int(0, MTy::I64)))
    );
}

#[test]
fn factorial_accumulates_with_identity_one() {
    let src = format!(
        "func:fact = int64(int64:n) {{ if (n < 2) {{ pass(1); }} pass(n * fact(n - 1)); }};\n{MAIN}"
    );
    let (_, p) = optimised(&src);
    assert_eq!(self_calls(&p, "aria.fact"), 0);
    let f = &p.funcs[idx(&p, "aria.fact")];
    assert!(matches!(
        f.blocks[0].stmts[..],
        [Stmt::Assign(_, Rvalue::Use(Operand::Int(1, MTy::I64)))]
    ));
    assert!(f
        .blocks
        .iter()
        .flat_map(|b| &b.stmts)
        .any(|s| matches!(s, Stmt::Assign(_, Rvalue::Bin(BinOp::Mul, ..)))));
}

#[test]
fn plain_tail_calls_become_jumps() {
    let src = format!(
        "func:sum = int64(int64:n, int64:acc) {{ if (n == 0) {{ pass(acc); }} return sum(n - 1, acc + n); }};\n\
         func:sum2 = int64(int64:n, int64:acc) {{ if (n == 0) {{ pass(acc); }} pass(sum2(n - 1, acc + n)); }};\n\
         func:count = NIL(int64:n) {{ if (n == 0) {{ return; }} println(n); count(n - 1); }};\n\
         func:halve = flt64(flt64:x, int64:n) {{ if (n == 0) {{ pass(x); }} pass(halve(x / 2.0, n - 1)); }};\n{MAIN}"
    );
    let (_, p) = optimised(&src);
    for name in ["aria.sum", "aria.sum2", "aria.count", "aria.halve"] {
        assert_eq!(self_calls(&p, name), 0, "{name}");
        assert!(!has_local(&p, name, "tailrec.acc"), "{name}");
    }
}

#[test]
fn fallible_functions_are_left_alone() {
    let src = format!(
        "func:down = int64(int64:n) {{ if (n == 0) {{ fail(7); }} pass(down(n - 1) + 1); }};\n\
         func:fwd = int64(int64:n) {{ if (n == 0) {{ fail(7); }} return fwd(n - 1); }};\n\
         func:gcd = int64(int64:a, int64:b) {{ if (b == 0) {{ pass(a); }} pass(gcd(b, a % b)); }};\n\
         func:bad = int64(int64:n) {{ if (n == 0) {{ pass(0); }} pass(bad(n - 1) + 10 / n); }};\n\
         func:calls_down = int64(int64:n) {{ if (n == 0) {{ pass(down(3)); }} pass(calls_down(n - 1)); }};\n{MAIN}"
    );
    let (nf, p) = optimised(&src);
    for name in [
        "aria.down",
        "aria.fwd",
        "aria.gcd",
        "aria.bad",
        "aria.calls_down",
    ] {
        assert!(!nf[idx(&p, name)], "{name} may fail");
        assert_eq!(self_calls(&p, name), 1, "{name}");
        assert!(!transformed(&p, name), "{name}");
    }
}

#[test]
fn mutual_recursion_never_fails() {
    let src = format!(
        "func:even = bool(int64:n) {{ if (n == 0) {{ pass(true); }} pass(odd(n - 1)); }};\n\
         func:odd = bool(int64:n) {{ if (n == 0) {{ pass(false); }} pass(even(n - 1)); }};\n{MAIN}"
    );
    let (nf, p) = optimised(&src);
    assert!(nf[idx(&p, "aria.even")] && nf[idx(&p, "aria.odd")]);
    // Not self-calls: untouched by the tail-recursion pass.
    assert!(!transformed(&p, "aria.even"));
}

#[test]
fn work_after_the_call_blocks_the_transform() {
    let src = format!(
        "func:show = int64(int64:n) {{ println(n); pass(0); }};\n\
         func:after = int64(int64:n) {{ if (n == 0) {{ pass(0); }} pass(after(n - 1) + show(n)); }};\n\
         func:sub = int64(int64:n) {{ if (n == 0) {{ pass(0); }} pass(n - sub(n - 1)); }};\n\
         func:late = int64(int64:n) {{ if (n == 0) {{ pass(0); }} pass(late(n - 1) + n * 2); }};\n\
         func:flt = flt64(int64:n) {{ if (n == 0) {{ pass(0.5); }} pass(0.25 + flt(n - 1)); }};\n{MAIN}"
    );
    let (nf, p) = optimised(&src);
    assert!(nf[idx(&p, "aria.show")]);
    for name in ["aria.after", "aria.sub", "aria.late", "aria.flt"] {
        assert_eq!(self_calls(&p, name), 1, "{name}");
        assert!(!transformed(&p, name), "{name}");
    }
    assert!(nf[idx(&p, "aria.flt")]);
}

#[test]
fn side_effects_before_the_call_stay_in_order() {
    // show(n) runs between the two calls: it is folded into the
    // accumulated operand before the jump.
    let src = format!(
        "func:show = int64(int64:n) {{ println(n); pass(0); }};\n\
         func:t = int64(int64:n) {{ if (n < 2) {{ pass(n); }} pass(t(n - 1) + show(n) + t(n - 2)); }};\n{MAIN}"
    );
    let (_, p) = optimised(&src);
    assert!(has_local(&p, "aria.t", "tailrec.acc"));
    assert_eq!(self_calls(&p, "aria.t"), 1);
}

#[test]
fn mixed_operators_use_one_accumulator() {
    let src = format!(
        "func:m = int64(int64:n) {{ if (n == 0) {{ pass(1); }} if (n % 2 == 0) {{ pass(2 * m(n - 1)); }} pass(3 + m(n - 1)); }};\n\
         func:m2 = int64(int64:n) {{ if (n == 0) {{ pass(1); }} if (n > 5) {{ pass(2 * m2(n - 1)); }} pass(3 + m2(n - 1)); }};\n{MAIN}"
    );
    let (nf, p) = optimised(&src);
    // (`% 2` cannot divide by zero: no check, no panic path.) Each keeps
    // its `*` call and loops on `+`.
    for name in ["aria.m", "aria.m2"] {
        assert!(nf[idx(&p, name)], "{name}");
        assert_eq!(self_calls(&p, name), 1, "{name}");
        assert!(has_local(&p, name, "tailrec.acc"), "{name}");
    }
}

#[test]
fn async_functions_are_not_touched() {
    let src =
        "async func:af = int64(int64:n) { if (n < 2) { pass(n); } pass(await af(n - 1) + 1); };\n\
               async func:main = int32() { println(await af(5)); pass(0); };\n";
    let before = unoptimised(src);
    let (nf, p) = optimised(src);
    for (i, f) in p.funcs.iter().enumerate() {
        if f.conv != CallConv::Aria {
            assert!(!nf[i]);
        }
        if f.name.starts_with("aria.af") {
            assert_eq!(f.blocks.len(), before.funcs[i].blocks.len(), "{}", f.name);
            assert!(!f
                .locals
                .iter()
                .any(|d| d.name.as_deref().is_some_and(|n| n.starts_with("tailrec"))));
        }
    }
}

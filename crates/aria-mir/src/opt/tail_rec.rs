//! Tail-recursion and accumulator-recursion elimination.
//!
//! In a function that never fails (see [`super::fails`]), a call of the
//! function itself whose result is returned unchanged (`pass(f(x))`,
//! `return f(x)`, or a `NIL` function's final `f(x);`) becomes: assign the
//! arguments to the parameters, reset every other local to zero (a fresh
//! call's locals start at zero) and jump back to the start. A call whose
//! result is combined by integer `+` or `*` with a value computed before it
//! (`pass(n * f(n - 1))`, `pass(f(n - 1) + f(n - 2))`: the left call is an
//! ordinary call, the right one the tail call) uses an accumulator instead:
//! `acc = acc OP x`, then the jump; every `return v` becomes `return v OP
//! acc` (`acc` starts at 0 for `+`, 1 for `*`). Integer `+` and `*` wrap
//! (LANGUAGE.md §2), so they are associative and commutative modulo 2^N
//! and the result is the same; floats are never touched.
//!
//! Exactness. A call site qualifies only when everything between the call
//! and the `Return` is pure (copies, and `==`/`!=` tests that fold to
//! constants because the callee never fails): no calls (so no defers, no
//! reference counting, no output), no stores, no loads, so nothing after
//! the call is observable and dropping it changes nothing. Because the
//! function never fails, the failure paths after the call are dead and the
//! caller's unwrap can never panic, so failures and panics are identical.
//! Evaluation order is unchanged: everything before the call runs before
//! the jump, in order, and the accumulated operand is a value computed
//! before the call. The only difference is that the recursion no longer
//! grows the stack (a stack overflow becomes a loop, which LANGUAGE.md
//! §10.3 allows: the overflow was never a catchable outcome).

use super::fails::{eval_operand, norm, Facts};
use crate::mir::{
    BinOp, Block, BlockId, Callee, FuncIdx, Function, Local, LocalDecl, MTy, Operand, Program,
    Rvalue, Stmt, Terminator,
};

/// How many blocks the walk from a call to its `Return` may visit.
const MAX_PATH: usize = 64;

/// Transforms every never-failing function of `p` (`nf`, see
/// [`super::fails::never_fail`]) that calls itself in tail position.
pub fn transform(p: &mut Program, nf: &[bool]) {
    for i in 0..p.funcs.len() {
        if nf.get(i) != Some(&true) || !calls_itself(&p.funcs[i], i) {
            continue;
        }
        if let Some(plan) = plan(&p.funcs[i], i, nf) {
            apply(&mut p.funcs[i], plan);
        }
    }
}

fn calls_itself(f: &Function, me: usize) -> bool {
    f.blocks
        .iter()
        .flat_map(|b| &b.stmts)
        .any(|s| matches!(s, Stmt::Call(_, Callee::Func(g), _) if g.0 as usize == me))
}

/// What the code after a tail call does with its result.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// Returns it unchanged.
    Plain,
    /// Returns `result OP x` (or `x OP result`), `x` valued before the call.
    Acc(BinOp, Operand),
}

/// A tail call: the call statement `stmt` of block `block`.
struct Site {
    block: usize,
    stmt: usize,
    acc: Option<Operand>,
}

struct Plan {
    sites: Vec<Site>,
    /// The accumulating operator, if any site accumulates.
    op: Option<BinOp>,
    /// The reachable blocks ending in a `Return` with `err == 0`.
    returns: Vec<usize>,
}

fn plan(f: &Function, me: usize, nf: &[bool]) -> Option<Plan> {
    if f.blocks.is_empty() {
        return None;
    }
    let facts = Facts::analyze(f, nf);
    let returns: Vec<usize> = (0..f.blocks.len())
        .filter(|&bi| facts.return_err_zero(f, nf, bi) == Some(true))
        .collect();
    // The value every successful return gives, when it is one constant
    // (a `NIL` function's 0): then a call's value is that constant too.
    let mut const_val = None;
    for (k, &bi) in returns.iter().enumerate() {
        let Terminator::Return(_, v) = &f.blocks[bi].term else {
            unreachable!("returns only holds Return blocks")
        };
        let c = facts.at_end(f, nf, bi).and_then(|c| eval_operand(&c, v));
        if k == 0 {
            const_val = c;
        } else if c != const_val {
            const_val = None;
        }
        if const_val.is_none() {
            break;
        }
    }

    let mut found: Vec<(usize, usize, Kind)> = Vec::new();
    for (bi, b) in f.blocks.iter().enumerate() {
        if !facts.reachable(bi) {
            continue;
        }
        // Only the last call of a block can be followed by pure code.
        let Some(si) = b.stmts.iter().rposition(|s| matches!(s, Stmt::Call(..))) else {
            continue;
        };
        let Stmt::Call(dests, Callee::Func(FuncIdx(g)), args) = &b.stmts[si] else {
            continue;
        };
        if *g as usize != me || args.len() != f.params.len() {
            continue;
        }
        if let Some(kind) = follow(f, bi, si, dests, const_val) {
            found.push((bi, si, kind));
        }
    }
    // One accumulating operator per function: the most used one.
    let count = |op: BinOp| {
        found
            .iter()
            .filter(|(_, _, k)| matches!(k, Kind::Acc(o, _) if *o == op))
            .count()
    };
    let (adds, muls) = (count(BinOp::Add), count(BinOp::Mul));
    let op = match (adds, muls) {
        (0, 0) => None,
        (a, m) if a >= m => Some(BinOp::Add),
        _ => Some(BinOp::Mul),
    };
    let sites: Vec<Site> = found
        .into_iter()
        .filter_map(|(block, stmt, kind)| match kind {
            Kind::Plain => Some(Site {
                block,
                stmt,
                acc: None,
            }),
            Kind::Acc(o, x) if Some(o) == op => Some(Site {
                block,
                stmt,
                acc: Some(x),
            }),
            Kind::Acc(..) => None,
        })
        .collect();
    if sites.is_empty() {
        return None;
    }
    Some(Plan { sites, op, returns })
}

/// A value on the path from the call to the return, in terms of the state
/// right after the call.
#[derive(Debug, Clone, PartialEq)]
enum Sym {
    /// The call's value.
    Val,
    /// A known integer (normalised to its type).
    Const(i64),
    /// An operand whose value is the one it had at the call.
    Orig(Operand),
    /// `Val OP x` with `x` an operand valued at the call.
    Acc(BinOp, Operand),
    Unknown,
}

/// Walks from the statement after call `si` of block `bi` to a `Return`;
/// the kind of the tail call if the path qualifies.
fn follow(
    f: &Function,
    bi: usize,
    si: usize,
    dests: &[Local],
    const_val: Option<i64>,
) -> Option<Kind> {
    let mut env: std::collections::HashMap<Local, Sym> = std::collections::HashMap::new();
    // The function never fails, so neither does this call.
    if let Some(e) = dests.first() {
        env.insert(*e, Sym::Const(0));
    }
    if let Some(v) = dests.get(1) {
        env.insert(*v, Sym::Val);
    }
    let eval = |env: &std::collections::HashMap<Local, Sym>, o: &Operand| -> Sym {
        match o {
            Operand::Local(l) => env.get(l).cloned().unwrap_or_else(|| Sym::Orig(o.clone())),
            Operand::Int(v, ty) if !ty.is_float() => Sym::Const(norm(*v, *ty)),
            o => Sym::Orig(o.clone()),
        }
    };
    let ty_of = |o: &Operand| match o {
        Operand::Local(l) => f.locals.get(l.0 as usize).map(|d| d.ty),
        Operand::Int(_, t) => Some(*t),
        Operand::F32(_) => Some(MTy::F32),
        Operand::F64(_) => Some(MTy::F64),
        Operand::DataAddr(_) | Operand::FuncAddr(_) => Some(MTy::I64),
    };
    // The operand standing for an `Orig`/`Const` value of type `ty`.
    let as_operand = |s: &Sym, ty: MTy| match s {
        Sym::Orig(o) => Some(o.clone()),
        Sym::Const(v) => Some(Operand::Int(*v, ty)),
        _ => None,
    };
    let mut block = bi;
    let mut start = si + 1;
    for _ in 0..MAX_PATH {
        let b = f.blocks.get(block)?;
        for s in &b.stmts[start..] {
            let Stmt::Assign(x, rv) = s else {
                // Calls and stores are observable.
                return None;
            };
            let v = match rv {
                Rvalue::Use(a) => eval(&env, a),
                Rvalue::Bin(op @ (BinOp::Eq | BinOp::Ne), a, c) => {
                    match (eval(&env, a), eval(&env, c)) {
                        (Sym::Const(p), Sym::Const(q)) => {
                            Sym::Const(((p == q) == (*op == BinOp::Eq)) as i64)
                        }
                        _ => Sym::Unknown,
                    }
                }
                // Integer operators only (float `+` is `FAdd`).
                Rvalue::Bin(op @ (BinOp::Add | BinOp::Mul), a, c)
                    if ty_of(a) == Some(f.ret)
                        && f.locals.get(x.0 as usize).map(|d| d.ty) == Some(f.ret) =>
                {
                    match (eval(&env, a), eval(&env, c)) {
                        (Sym::Val, o) | (o, Sym::Val) => match as_operand(&o, f.ret) {
                            Some(x) => Sym::Acc(*op, x),
                            None => Sym::Unknown,
                        },
                        _ => Sym::Unknown,
                    }
                }
                _ => Sym::Unknown,
            };
            env.insert(*x, v);
        }
        match &b.term {
            Terminator::Goto(t) => block = t.0 as usize,
            Terminator::Branch(c, t, e) => match eval(&env, c) {
                Sym::Const(0) => block = e.0 as usize,
                Sym::Const(_) => block = t.0 as usize,
                _ => return None,
            },
            Terminator::Return(e, v) => {
                if eval(&env, e) != Sym::Const(0) {
                    return None;
                }
                return match eval(&env, v) {
                    Sym::Val => Some(Kind::Plain),
                    Sym::Const(c) if Some(c) == const_val => Some(Kind::Plain),
                    Sym::Acc(op, x) => Some(Kind::Acc(op, x)),
                    _ => None,
                };
            }
            _ => return None,
        }
        start = 0;
    }
    None
}

fn new_local(f: &mut Function, ty: MTy, name: &str) -> Local {
    f.locals.push(LocalDecl {
        ty,
        name: Some(name.to_string()),
    });
    Local(f.locals.len() as u32 - 1)
}

fn zero(ty: MTy) -> Operand {
    match ty {
        MTy::F32 => Operand::F32(0.0),
        MTy::F64 => Operand::F64(0.0),
        t => Operand::Int(0, t),
    }
}

fn apply(f: &mut Function, plan: Plan) {
    let n = f.blocks.len();
    // Layout: bb0 is a new entry (initialising the accumulator), the old
    // entry moves to bbN (the loop head), bbN+1 resets the locals before
    // each new iteration.
    let head = BlockId(n as u32);
    let reset = BlockId(n as u32 + 1);
    let original_locals = f.locals.len();
    let acc = plan.op.map(|_| new_local(f, f.ret, "tailrec.acc"));

    if let (Some(op), Some(acc)) = (plan.op, acc) {
        for &bi in &plan.returns {
            let Terminator::Return(e, v) = f.blocks[bi].term.clone() else {
                unreachable!("returns only holds Return blocks")
            };
            let r = new_local(f, f.ret, "tailrec.ret");
            let b = &mut f.blocks[bi];
            b.stmts
                .push(Stmt::Assign(r, Rvalue::Bin(op, v, Operand::Local(acc))));
            b.term = Terminator::Return(e, Operand::Local(r));
        }
    }

    for site in &plan.sites {
        let Stmt::Call(_, _, args) = f.blocks[site.block].stmts[site.stmt].clone() else {
            unreachable!("a site is a call")
        };
        let mut stmts = Vec::new();
        if let (Some(op), Some(acc), Some(x)) = (plan.op, acc, &site.acc) {
            stmts.push(Stmt::Assign(
                acc,
                Rvalue::Bin(op, Operand::Local(acc), x.clone()),
            ));
        }
        // Arguments may read parameters: evaluate them all first.
        let params = f.params.clone();
        let mut temps = Vec::with_capacity(args.len());
        for (p, a) in params.iter().zip(&args) {
            if *a == Operand::Local(*p) {
                temps.push(None);
                continue;
            }
            let ty = f.locals[p.0 as usize].ty;
            let t = new_local(f, ty, "tailrec.arg");
            stmts.push(Stmt::Assign(t, Rvalue::Use(a.clone())));
            temps.push(Some(t));
        }
        for (p, t) in params.iter().zip(temps) {
            if let Some(t) = t {
                stmts.push(Stmt::Assign(*p, Rvalue::Use(Operand::Local(t))));
            }
        }
        let b = &mut f.blocks[site.block];
        b.stmts.truncate(site.stmt);
        b.stmts.extend(stmts);
        b.term = Terminator::Goto(reset);
    }

    // Jumps to the old entry now go to the loop head.
    for b in &mut f.blocks {
        retarget(&mut b.term, BlockId(0), head);
    }
    let mut entry = Vec::new();
    if let (Some(op), Some(acc)) = (plan.op, acc) {
        let identity = if op == BinOp::Mul { 1 } else { 0 };
        entry.push(Stmt::Assign(
            acc,
            Rvalue::Use(Operand::Int(identity, f.ret)),
        ));
    }
    let reset_stmts: Vec<Stmt> = (0..original_locals)
        .map(|i| Local(i as u32))
        .filter(|l| !f.params.contains(l))
        .map(|l| Stmt::Assign(l, Rvalue::Use(zero(f.locals[l.0 as usize].ty))))
        .collect();
    let old_entry = std::mem::replace(
        &mut f.blocks[0],
        Block {
            stmts: entry,
            term: Terminator::Goto(head),
        },
    );
    f.blocks.push(old_entry);
    f.blocks.push(Block {
        stmts: reset_stmts,
        term: Terminator::Goto(head),
    });
}

fn retarget(t: &mut Terminator, from: BlockId, to: BlockId) {
    let fix = |b: &mut BlockId| {
        if *b == from {
            *b = to;
        }
    };
    match t {
        Terminator::Goto(b) => fix(b),
        Terminator::Branch(_, a, b) => {
            fix(a);
            fix(b);
        }
        Terminator::Switch(_, cases, d) => {
            for (_, b) in cases {
                fix(b);
            }
            fix(d);
        }
        Terminator::Await { next, cancel, .. } => {
            fix(next);
            fix(cancel);
        }
        Terminator::Return(..) | Terminator::Unreachable => {}
    }
}

//! Inlining of small Aria functions, on MIR, before translation.
//!
//! MIR locals are plain variables (SSA is built later by
//! cranelift-frontend), so inlining is a copy: the callee's locals and
//! blocks are appended to the caller's with new numbers, the parameters are
//! assigned from the arguments, every other callee local is zeroed (a fresh
//! call's locals start at zero), and each `Return(err, val)` becomes
//! assignments to the call's destinations and a jump to the rest of the
//! caller's block. The translator's tail duplication then lets Cranelift
//! fold the caller's `err != 0` test against the callee's constant `0`.
//!
//! Callees are always the original (not yet inlined) bodies, and each round
//! only inlines the call sites present when it starts, so a recursive
//! function unrolls one level per round; a size budget bounds the growth.

use aria_mir::mir::{
    Block, BlockId, Callee, FuncIdx, Function, Local, LocalDecl, MTy, Operand, Program, Rvalue,
    Stmt, Terminator,
};

/// Largest callee (see [`size`]) that is inlined.
const MAX_CALLEE: usize = 40;
/// How much a function may grow through inlining.
const BUDGET: usize = 200;
/// Rounds (depth of nested inlining).
const ROUNDS: usize = 2;

/// The cost of a function: statements that produce code (plain copies and
/// constants are free after optimisation), calls counting double.
pub(crate) fn size(f: &Function) -> usize {
    let mut n = 0;
    for b in &f.blocks {
        for s in &b.stmts {
            n += match s {
                Stmt::Assign(_, Rvalue::Use(_)) => 0,
                Stmt::Assign(..) | Stmt::Store(..) => 1,
                Stmt::Call(..) => 2,
            };
        }
        n += match b.term {
            Terminator::Goto(_) => 0,
            _ => 1,
        };
    }
    n
}

/// Settings of one inlining run.
#[derive(Clone, Copy)]
pub(crate) struct Params {
    pub max_callee: usize,
    pub budget: usize,
    pub rounds: usize,
}

impl Params {
    /// The defaults, adjustable with `ARIA_INLINE=0` (off) and
    /// `ARIA_INLINE_BUDGET=N` (for experiments).
    pub(crate) fn from_env() -> Option<Params> {
        if std::env::var_os("ARIA_INLINE").is_some_and(|v| v == "0") {
            return None;
        }
        let budget = std::env::var("ARIA_INLINE_BUDGET")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(BUDGET);
        let rounds = std::env::var("ARIA_INLINE_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(ROUNDS);
        Some(Params {
            max_callee: MAX_CALLEE,
            budget,
            rounds,
        })
    }
}

/// Every function of `program`, with small callees inlined. Returns `None`
/// when nothing was inlined anywhere.
pub(crate) fn inline_program(program: &Program, params: Params) -> Option<Vec<Function>> {
    let sizes: Vec<usize> = program.funcs.iter().map(size).collect();
    let mut any = false;
    let out = program
        .funcs
        .iter()
        .map(|f| {
            let mut f = f.clone();
            any |= inline_into(&mut f, program, &sizes, params);
            f
        })
        .collect();
    any.then_some(out)
}

/// Inlines into `f`; returns whether anything was inlined.
fn inline_into(f: &mut Function, program: &Program, sizes: &[usize], params: Params) -> bool {
    let mut budget = params.budget;
    let mut any = false;
    // Blocks to scan this round: the caller's own code, not inlined bodies.
    let mut scan: Vec<usize> = (0..f.blocks.len()).collect();
    for _ in 0..params.rounds {
        let mut next_scan = Vec::new();
        let mut i = 0;
        while i < scan.len() {
            let bi = scan[i];
            i += 1;
            let Some(si) = f.blocks[bi]
                .stmts
                .iter()
                .position(|s| inlinable(s, program, sizes, params.max_callee, budget).is_some())
            else {
                continue;
            };
            let Stmt::Call(_, Callee::Func(g), _) = &f.blocks[bi].stmts[si] else {
                unreachable!("inlinable() only accepts direct calls");
            };
            let g = *g;
            budget -= sizes[g.0 as usize];
            let (body, cont) = inline_call(f, bi, si, &program.funcs[g.0 as usize]);
            any = true;
            // The rest of the block may hold more calls of this round; the
            // inlined body is for the next one.
            scan.push(cont);
            next_scan.extend(body);
        }
        if next_scan.is_empty() {
            break;
        }
        scan = next_scan;
    }
    any
}

/// The callee of `s` if it is a direct call worth inlining.
fn inlinable(
    s: &Stmt,
    program: &Program,
    sizes: &[usize],
    max_callee: usize,
    budget: usize,
) -> Option<FuncIdx> {
    let Stmt::Call(dests, Callee::Func(g), args) = s else {
        return None;
    };
    let callee = program.funcs.get(g.0 as usize)?;
    let size = sizes[g.0 as usize];
    // Malformed calls are left for the translator to report.
    let ok = size <= max_callee
        && size <= budget
        && callee.conv == aria_mir::mir::CallConv::Aria
        && callee.coroutine.is_none()
        && dests.len() <= 2
        && args.len() == callee.params.len()
        && !callee.blocks.is_empty();
    ok.then_some(*g)
}

/// Inlines the call `f.blocks[bi].stmts[si]` of `g`. Returns the indices of
/// the inlined blocks and of the continuation block (the rest of block `bi`).
fn inline_call(f: &mut Function, bi: usize, si: usize, g: &Function) -> (Vec<usize>, usize) {
    let local_base = f.locals.len() as u32;
    let block_base = f.blocks.len() as u32;
    let cont = BlockId(block_base + g.blocks.len() as u32);
    let l = |x: Local| Local(x.0 + local_base);
    let b = |x: BlockId| BlockId(x.0 + block_base);

    f.locals.extend(g.locals.iter().map(|d| LocalDecl {
        ty: d.ty,
        name: d.name.as_ref().map(|n| format!("{}.{n}", g.name)),
    }));

    let block = &mut f.blocks[bi];
    let rest = block.stmts.split_off(si + 1);
    let Some(Stmt::Call(dests, _, args)) = block.stmts.pop() else {
        unreachable!("the inlined statement is a call");
    };
    let term = std::mem::replace(&mut block.term, Terminator::Goto(b(BlockId(0))));
    // Arguments are caller operands and parameters fresh locals, so
    // assigning them one by one cannot clobber an argument.
    for (p, a) in g.params.iter().zip(args) {
        block.stmts.push(Stmt::Assign(l(*p), Rvalue::Use(a)));
    }
    for (i, d) in g.locals.iter().enumerate() {
        let local = Local(i as u32);
        if !g.params.contains(&local) {
            block
                .stmts
                .push(Stmt::Assign(l(local), Rvalue::Use(zero(d.ty))));
        }
    }

    let op = |o: &Operand| match o {
        Operand::Local(x) => Operand::Local(l(*x)),
        o => o.clone(),
    };
    let rv = |r: &Rvalue| match r {
        Rvalue::Use(a) => Rvalue::Use(op(a)),
        Rvalue::Bin(o, a, c) => Rvalue::Bin(*o, op(a), op(c)),
        Rvalue::Un(o, a) => Rvalue::Un(*o, op(a)),
        Rvalue::Cast(o, a) => Rvalue::Cast(*o, op(a)),
        Rvalue::Select(c, a, d) => Rvalue::Select(op(c), op(a), op(d)),
        Rvalue::Load(t, a, off) => Rvalue::Load(*t, op(a), *off),
    };
    let mut body = Vec::with_capacity(g.blocks.len());
    for gb in &g.blocks {
        let mut stmts: Vec<Stmt> = gb
            .stmts
            .iter()
            .map(|s| match s {
                Stmt::Assign(x, r) => Stmt::Assign(l(*x), rv(r)),
                Stmt::Store(a, off, v) => Stmt::Store(op(a), *off, op(v)),
                Stmt::Call(ds, c, args) => Stmt::Call(
                    ds.iter().map(|d| l(*d)).collect(),
                    match c {
                        Callee::Indirect(t, rets) => Callee::Indirect(op(t), rets.clone()),
                        c => c.clone(),
                    },
                    args.iter().map(op).collect(),
                ),
            })
            .collect();
        let term = match &gb.term {
            Terminator::Goto(t) => Terminator::Goto(b(*t)),
            Terminator::Branch(c, t, e) => Terminator::Branch(op(c), b(*t), b(*e)),
            Terminator::Switch(v, cases, d) => Terminator::Switch(
                op(v),
                cases.iter().map(|(k, t)| (*k, b(*t))).collect(),
                b(*d),
            ),
            Terminator::Return(e, v) => {
                // Callee operands name callee locals only, never the
                // destinations, so the order of these copies is free.
                for (d, x) in dests.iter().zip([e, v]) {
                    stmts.push(Stmt::Assign(*d, Rvalue::Use(op(x))));
                }
                Terminator::Goto(cont)
            }
            Terminator::Unreachable => Terminator::Unreachable,
            Terminator::Await { .. } => {
                unreachable!("the coroutine transform removes every await before codegen")
            }
        };
        body.push(f.blocks.len());
        f.blocks.push(Block { stmts, term });
    }
    f.blocks.push(Block { stmts: rest, term });
    (body, cont.0 as usize)
}

fn zero(ty: MTy) -> Operand {
    match ty {
        MTy::F32 => Operand::F32(0.0),
        MTy::F64 => Operand::F64(0.0),
        t => Operand::Int(0, t),
    }
}

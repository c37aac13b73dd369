//! Which functions can never fail, and folding of the failure tests after
//! their calls.
//!
//! An Aria function *never fails* when no `Return` it can reach returns a
//! non-zero `err`. Reachability is a small constant propagation over the
//! locals that decide it (return operands, branch conditions, and the
//! copies and `==`/`!=` tests feeding them), in which the `err` result of a
//! call of a never-failing function is the constant 0. The set is the
//! greatest fixed point: every function is assumed not to fail, and the
//! assumption is withdrawn from each function whose analysis finds a
//! reachable failing `Return`, until nothing changes. That is sound by
//! induction on the length of a call: a call that returns only made calls
//! that returned earlier, which by induction returned `err == 0`, so it
//! only took edges the analysis found reachable under the assumption.
//!
//! So `fib` (whose only failures are the panics of unwrapping its own
//! recursive calls) never fails, while any function that can panic
//! (division, indexing, `panic`, `assert`), call a fallible function or
//! runtime operation whose failure reaches its return, or `fail`, may fail.

use crate::mir::Terminator;
use crate::mir::{BinOp, CallConv, Callee, Function, Local, MTy, Operand, Program, Rvalue, Stmt};
use std::collections::BTreeMap;

/// Functions with more blocks than this are not analysed (assumed to fail):
/// keeps the pass linear-ish on huge generated bodies.
const MAX_BLOCKS: usize = 20_000;

/// Known constant values of tracked locals (normalised to their type, see
/// [`norm`]).
pub type Consts = BTreeMap<Local, i64>;

/// The value `v` as the machine type `ty` holds it: sign-extended from the
/// type's width (floats are never tracked).
pub fn norm(v: i64, ty: MTy) -> i64 {
    match ty {
        MTy::I8 => v as i8 as i64,
        MTy::I16 => v as i16 as i64,
        MTy::I32 => v as i32 as i64,
        _ => v,
    }
}

/// Per function of `p`: the function is an Aria function that never fails
/// (see the module documentation).
pub fn never_fail(p: &Program) -> Vec<bool> {
    let n = p.funcs.len();
    let mut nf: Vec<bool> = p
        .funcs
        .iter()
        .map(|f| {
            f.conv == CallConv::Aria
                && f.coroutine.is_none()
                && !f.blocks.is_empty()
                && f.blocks.len() <= MAX_BLOCKS
        })
        .collect();
    // callers[g]: the functions with a direct call of g.
    let mut callers: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, f) in p.funcs.iter().enumerate() {
        for s in f.blocks.iter().flat_map(|b| &b.stmts) {
            if let Stmt::Call(_, Callee::Func(g), _) = s {
                if let Some(c) = callers.get_mut(g.0 as usize) {
                    if c.last() != Some(&i) {
                        c.push(i);
                    }
                }
            }
        }
    }
    let mut work: Vec<usize> = (0..n).filter(|&i| nf[i]).collect();
    let mut queued = nf.clone();
    while let Some(i) = work.pop() {
        queued[i] = false;
        if !nf[i] {
            continue;
        }
        let f = &p.funcs[i];
        let facts = Facts::analyze(f, &nf);
        if !facts.returns_never_fail(f, &nf) {
            nf[i] = false;
            for &c in &callers[i] {
                if nf[c] && !queued[c] {
                    queued[c] = true;
                    work.push(c);
                }
            }
        }
    }
    nf
}

/// After every direct call of a never-failing function, sets the call's
/// `err` destination to 0 (a no-op at run time that lets Cranelift fold
/// the caller's failure test and drop its panic path).
pub fn fold_call_errors(p: &mut Program, nf: &[bool]) {
    for f in &mut p.funcs {
        let locals = &f.locals;
        for b in &mut f.blocks {
            let mut i = 0;
            while i < b.stmts.len() {
                if let Stmt::Call(dests, Callee::Func(g), _) = &b.stmts[i] {
                    let fold = nf.get(g.0 as usize) == Some(&true)
                        && dests.first().is_some_and(|d| {
                            locals.get(d.0 as usize).map(|l| l.ty) == Some(MTy::I64)
                        });
                    if fold {
                        let zero = Stmt::Assign(dests[0], Rvalue::Use(Operand::Int(0, MTy::I64)));
                        if b.stmts.get(i + 1) != Some(&zero) {
                            b.stmts.insert(i + 1, zero);
                        }
                        i += 1;
                    }
                }
                i += 1;
            }
        }
    }
}

/// The result of the constant propagation on one function: the known
/// constants at the start of every block (`None`: unreachable).
pub struct Facts {
    tracked: Vec<bool>,
    pub entry: Vec<Option<Consts>>,
}

impl Facts {
    /// Runs the propagation on `f`, calls of the functions marked in `nf`
    /// returning `err == 0`.
    pub fn analyze(f: &Function, nf: &[bool]) -> Facts {
        let tracked = tracked_locals(f);
        let nb = f.blocks.len();
        let mut entry: Vec<Option<Consts>> = vec![None; nb];
        if nb == 0 {
            return Facts { tracked, entry };
        }
        entry[0] = Some(Consts::new());
        let mut work = vec![0usize];
        let mut queued = vec![false; nb];
        queued[0] = true;
        while let Some(bi) = work.pop() {
            queued[bi] = false;
            let Some(mut c) = entry[bi].clone() else {
                continue;
            };
            let block = &f.blocks[bi];
            for s in &block.stmts {
                transfer(&tracked, nf, f, &mut c, s);
            }
            for succ in successors(&block.term, &c) {
                let si = succ.0 as usize;
                if si >= nb {
                    continue;
                }
                let mut out = c.clone();
                if let Terminator::Await { err, val, .. } = &block.term {
                    out.remove(err);
                    out.remove(val);
                }
                let changed = match &mut entry[si] {
                    slot @ None => {
                        *slot = Some(out);
                        true
                    }
                    Some(old) => {
                        let before = old.len();
                        old.retain(|k, v| out.get(k) == Some(v));
                        old.len() != before
                    }
                };
                if changed && !queued[si] {
                    queued[si] = true;
                    work.push(si);
                }
            }
        }
        Facts { tracked, entry }
    }

    /// The constants known at the end of block `bi` (`None`: unreachable).
    pub fn at_end(&self, f: &Function, nf: &[bool], bi: usize) -> Option<Consts> {
        let mut c = self.entry.get(bi)?.clone()?;
        for s in &f.blocks[bi].stmts {
            transfer(&self.tracked, nf, f, &mut c, s);
        }
        Some(c)
    }

    /// Whether block `bi` is reachable.
    pub fn reachable(&self, bi: usize) -> bool {
        self.entry.get(bi).is_some_and(|e| e.is_some())
    }

    /// Every reachable `Return` of `f` returns `err == 0`.
    fn returns_never_fail(&self, f: &Function, nf: &[bool]) -> bool {
        (0..f.blocks.len()).all(|bi| self.return_err_zero(f, nf, bi) != Some(false))
    }

    /// For a reachable block ending in `Return`: whether its `err` is known
    /// to be 0. `None` for other blocks.
    pub fn return_err_zero(&self, f: &Function, nf: &[bool], bi: usize) -> Option<bool> {
        let Terminator::Return(e, _) = &f.blocks[bi].term else {
            return None;
        };
        let c = self.at_end(f, nf, bi)?;
        Some(eval_operand(&c, e) == Some(0))
    }
}

/// The locals whose constant values can matter: return operands, branch
/// conditions and switch values, and (transitively) what they are copied
/// or compared from.
fn tracked_locals(f: &Function) -> Vec<bool> {
    let mut t = vec![false; f.locals.len()];
    let mut work: Vec<Local> = Vec::new();
    let mark = |o: &Operand, t: &mut Vec<bool>, work: &mut Vec<Local>| {
        if let Operand::Local(l) = o {
            if let Some(x) = t.get_mut(l.0 as usize) {
                if !*x {
                    *x = true;
                    work.push(*l);
                }
            }
        }
    };
    for b in &f.blocks {
        match &b.term {
            Terminator::Return(e, v) => {
                mark(e, &mut t, &mut work);
                mark(v, &mut t, &mut work);
            }
            Terminator::Branch(c, ..) | Terminator::Switch(c, ..) => mark(c, &mut t, &mut work),
            _ => {}
        }
    }
    // Sources of each local's assignments, to close the set backwards.
    let mut sources: Vec<Vec<Operand>> = vec![Vec::new(); f.locals.len()];
    for s in f.blocks.iter().flat_map(|b| &b.stmts) {
        if let Stmt::Assign(x, rv) = s {
            let ops: &[&Operand] = match rv {
                Rvalue::Use(a) => &[a],
                Rvalue::Bin(BinOp::Eq | BinOp::Ne, a, b) => &[a, b],
                Rvalue::Select(c, a, b) => &[c, a, b],
                _ => &[],
            };
            if let Some(v) = sources.get_mut(x.0 as usize) {
                v.extend(ops.iter().map(|o| (*o).clone()));
            }
        }
    }
    while let Some(l) = work.pop() {
        for o in std::mem::take(&mut sources[l.0 as usize]) {
            mark(&o, &mut t, &mut work);
        }
    }
    t
}

fn is_tracked(tracked: &[bool], l: Local) -> bool {
    tracked.get(l.0 as usize) == Some(&true)
}

fn local_ty(f: &Function, l: Local) -> Option<MTy> {
    f.locals.get(l.0 as usize).map(|d| d.ty)
}

/// The constant value of `o`, if known.
pub fn eval_operand(c: &Consts, o: &Operand) -> Option<i64> {
    match o {
        Operand::Int(v, ty) if !ty.is_float() => Some(norm(*v, *ty)),
        Operand::Local(l) => c.get(l).copied(),
        _ => None,
    }
}

fn eval_rvalue(c: &Consts, rv: &Rvalue) -> Option<i64> {
    match rv {
        Rvalue::Use(a) => eval_operand(c, a),
        Rvalue::Bin(BinOp::Eq, a, b) => Some((eval_operand(c, a)? == eval_operand(c, b)?) as i64),
        Rvalue::Bin(BinOp::Ne, a, b) => Some((eval_operand(c, a)? != eval_operand(c, b)?) as i64),
        Rvalue::Select(k, a, b) => {
            if eval_operand(c, k)? != 0 {
                eval_operand(c, a)
            } else {
                eval_operand(c, b)
            }
        }
        _ => None,
    }
}

fn transfer(tracked: &[bool], nf: &[bool], f: &Function, c: &mut Consts, s: &Stmt) {
    match s {
        Stmt::Assign(x, rv) => {
            if !is_tracked(tracked, *x) {
                return;
            }
            match (eval_rvalue(c, rv), local_ty(f, *x)) {
                (Some(v), Some(ty)) if !ty.is_float() => {
                    c.insert(*x, norm(v, ty));
                }
                _ => {
                    c.remove(x);
                }
            }
        }
        Stmt::Call(dests, callee, _) => {
            for d in dests {
                c.remove(d);
            }
            if let (Callee::Func(g), Some(err)) = (callee, dests.first()) {
                if nf.get(g.0 as usize) == Some(&true) && is_tracked(tracked, *err) {
                    c.insert(*err, 0);
                }
            }
        }
        Stmt::Store(..) => {}
    }
}

/// The successors of a terminator that can be taken given the constants
/// (switches are not folded: the lowering never switches on a constant).
fn successors(t: &Terminator, c: &Consts) -> Vec<crate::mir::BlockId> {
    match t {
        Terminator::Branch(k, a, b) => match eval_operand(c, k) {
            Some(0) => vec![*b],
            Some(_) => vec![*a],
            None => vec![*a, *b],
        },
        t => t.successors(),
    }
}

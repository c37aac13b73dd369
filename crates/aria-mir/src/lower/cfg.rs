//! Small CFG utilities: constant folding of integer operations and
//! pruning of unreachable blocks.

use crate::mir::*;

/// `v` as the signed value of an integer of type `t` (truncated).
pub fn signed_of(v: i64, t: MTy) -> i64 {
    let bits = t.bytes() * 8;
    if bits == 64 {
        v
    } else {
        (v << (64 - bits)) >> (64 - bits)
    }
}

/// Folds integer comparisons and `+ - * & | ^` of two constants (the
/// checks that guard constant operands then disappear).
pub fn fold_bin(op: BinOp, a: &Operand, b: &Operand) -> Option<Operand> {
    use BinOp::*;
    let (Operand::Int(x, t), Operand::Int(y, _)) = (a, b) else {
        return None;
    };
    let (x, y) = (signed_of(*x, *t), signed_of(*y, *t));
    let bits = t.bytes() * 8;
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let (ux, uy) = (x as u64 & mask, y as u64 & mask);
    let flag = |c: bool| Some(Operand::Int(c as i64, MTy::I8));
    let int = |v: i64| Some(Operand::Int(signed_of(v, *t), *t));
    match op {
        Eq => flag(x == y),
        Ne => flag(x != y),
        SLt => flag(x < y),
        SLe => flag(x <= y),
        SGt => flag(x > y),
        SGe => flag(x >= y),
        ULt => flag(ux < uy),
        ULe => flag(ux <= uy),
        UGt => flag(ux > uy),
        UGe => flag(ux >= uy),
        Add => int(x.wrapping_add(y)),
        Sub => int(x.wrapping_sub(y)),
        Mul => int(x.wrapping_mul(y)),
        And => int(x & y),
        Or => int(x | y),
        Xor => int(x ^ y),
        _ => None,
    }
}

/// Drops blocks unreachable from the entry and renumbers the rest.
pub fn prune(blocks: Vec<Block>) -> Vec<Block> {
    let mut map: Vec<Option<u32>> = vec![None; blocks.len()];
    let mut order = vec![0usize];
    map[0] = Some(0);
    let mut i = 0;
    while i < order.len() {
        for t in targets(&blocks[order[i]].term) {
            if map[t.0 as usize].is_none() {
                map[t.0 as usize] = Some(order.len() as u32);
                order.push(t.0 as usize);
            }
        }
        i += 1;
    }
    let remap = |b: BlockId| BlockId(map[b.0 as usize].unwrap());
    let mut old: Vec<Option<Block>> = blocks.into_iter().map(Some).collect();
    order
        .iter()
        .map(|&i| {
            let mut b = old[i].take().unwrap();
            b.term = match b.term {
                Terminator::Goto(t) => Terminator::Goto(remap(t)),
                Terminator::Branch(c, t, f) => Terminator::Branch(c, remap(t), remap(f)),
                Terminator::Switch(v, cases, d) => Terminator::Switch(
                    v,
                    cases.into_iter().map(|(k, t)| (k, remap(t))).collect(),
                    remap(d),
                ),
                Terminator::Await {
                    task,
                    err,
                    val,
                    next,
                    cancel,
                    finish,
                } => Terminator::Await {
                    task,
                    err,
                    val,
                    next: remap(next),
                    cancel: remap(cancel),
                    finish,
                },
                t => t,
            };
            b
        })
        .collect()
}

pub fn targets(t: &Terminator) -> Vec<BlockId> {
    t.successors()
}

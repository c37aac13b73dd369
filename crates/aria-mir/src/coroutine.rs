//! The coroutine transform (ARCHITECTURE.md §4): async functions become
//! state machines made of ordinary MIR.
//!
//! The lowering lowers the body of an `async` function or lambda `F` like a
//! synchronous one — same locals, cleanups, result rule, unwinding — except
//! that each `await` is a [`Terminator::Await`] and the function carries a
//! [`Coroutine`] description. This pass replaces every such `F(env, p1..pn)`
//! by three functions and one static table (and a fourth function when
//! some `await F(x)` needs it):
//!
//! - **ramp** — keeps `F`'s index, symbol and parameters, so every caller
//!   (direct calls, closures, `main`) calls it like any Aria function:
//!   `task = aria_task_new(&vtable)`, store the parameters into the frame
//!   (retaining `env` for an async lambda), `aria_task_spawn(task)`, return
//!   `(0, task)`. The eager start of LANGUAGE.md §7.2.
//! - **no-spawn ramp** `F$ramp_nospawn` — only for a function that some
//!   `await F(x)` calls directly (`Coroutine::ramp_nospawn`: the lowering
//!   made a placeholder at that index and calls it there): the ramp
//!   without `aria_task_spawn`. The awaiting code then calls
//!   `aria_task_start_inline(task)`, which runs the task's first run
//!   nested in its own (or spawns it), and goes on with the ordinary await
//!   (ARCHITECTURE.md §4's fast path: a call that completes without
//!   suspending costs a function call, not a spawn).
//! - **resume** `F$resume(task: i64) -> i32` ([`CallConv::Native`]), called
//!   by the scheduler: a `Switch` on the frame's state jumps to the start
//!   (state 0: load the parameters) or to resumption point `k` (reload the
//!   locals saved there). At `await k`, `aria_task_await(task, target)`
//!   either lets it continue at once (ready) or registers it as a waiter:
//!   then it saves its live locals, stores state `k`, pins itself when the
//!   await is affine, and returns 0 (pending). After the await, resumed or
//!   not: `aria_task_cancelled(task)` → the lowering's cancel block (defers,
//!   releases, `ERR_CANCELLED`); else `(err, val) = aria_task_result(target)`
//!   and on to the lowering's `next` block. An await with `finish: f`
//!   (`await c.recv()` and the other operations whose `aria_*_try_*`
//!   call made the task their waiter) suspends without `aria_task_await`;
//!   resumed, `(err, val) = f(op, task)`: `TRY_CANCELLED` → the cancel
//!   block, `TRY_WAIT` → suspend again, else on to `next`. Every
//!   `Return(err, val)` of `F`
//!   stores the result at the task's result offsets and returns 1
//!   (complete); a panic unwinding out of `F` ends in `Return(code, 0)` with
//!   the panicking flag set, which the scheduler turns into the task's
//!   failure and report.
//! - **drop** `F$drop(task)` ([`CallConv::NativeVoid`]): releases what the
//!   frame owns when the task is destroyed before its first run (cancelled
//!   before it started): the owned parameters.
//! - **vtable** — a read-only `TaskVTable {resume, drop, frame_size, name,
//!   result_managed}` ([`VTABLE_SIZE`] bytes; function and name addresses
//!   are data relocations).
//!
//! # Frame
//!
//! At `task + TASK_FRAME_OFFSET`: `state: i32` at +0 (0 = not started, `k`
//! = suspended at await `k`, 1-based), then one slot per *frame local*,
//! packed by size (8-byte slots first) from +8. Frame locals are the
//! parameters that are read (or owned) and every local live across some
//! await (backward liveness over `F`'s blocks). A temporary live across an
//! await inside an expression (`a + await g()`) is an ordinary MIR local, so
//! it is saved like any other. The frame is zeroed at creation.
//!
//! # Invariants
//!
//! 1. Between two suspensions a coroutine is ordinary straight MIR: the
//!    locals are Cranelift variables; only suspension (save the locals live
//!    there) and resumption (reload the same set) touch the frame. Since the
//!    saved set at await `k` is everything live after it, no path from a
//!    resumption reads a local that was not reloaded.
//! 2. The awaited task operand is live across its await (the lowering
//!    releases it afterwards), so it is saved and the frame keeps the target
//!    referenced until `aria_task_result` has read it.
//! 3. Ownership: the ramp's caller passes owned arguments (callee-owns); the
//!    frame owns them from then on, and the body releases them through its
//!    ordinary cleanups — except when the task never runs, where `drop`
//!    releases them. `drop` acts only in state 0, so it can never release a
//!    parameter the body already consumed. The caller gets the task handle
//!    +1; the scheduler holds its own run reference from `aria_task_spawn`
//!    until completion. A task from `F$ramp_nospawn` is handed to
//!    `aria_task_start_inline` before anything else can see it, and awaited
//!    at once: the awaiting frame's reference is its only one until the
//!    runtime takes a run reference (if it suspends or is spawned).
//! 4. No await occurs in cleanup code (E0402 forbids `await` in `defer`),
//!    so unwinding, propagation and cancellation paths never suspend; a
//!    coroutine never suspends while the panicking flag is set.
//! 5. Wild affinity (§7.8): an affine function calls `aria_task_pin(task,
//!    1)` before every suspension; other functions never pin, so their
//!    pin request stays 0 (the function-level mark is the conservative
//!    choice the language allows).
//!
//! The frame and vtable numbers below duplicate `aria_rt::task`'s (this
//! crate does not depend on the runtime); a test checks that they agree.

use crate::mir::*;

/// Offset of the coroutine frame in a task (`aria_rt::task::TASK_FRAME_OFFSET`).
pub const TASK_FRAME_OFFSET: i32 = 144;
/// `result.err: i64` in a task (`aria_rt::task::TASK_RESULT_ERR_OFFSET`).
pub const TASK_RESULT_ERR_OFFSET: i32 = 40;
/// `result.val: i64` in a task (`aria_rt::task::TASK_RESULT_VAL_OFFSET`).
pub const TASK_RESULT_VAL_OFFSET: i32 = 48;
/// `TaskVTable` field offsets and size (`aria_rt::task::VTABLE_*`).
pub const VTABLE_RESUME_OFFSET: u32 = 0;
pub const VTABLE_DROP_OFFSET: u32 = 8;
pub const VTABLE_FRAME_SIZE_OFFSET: usize = 16;
pub const VTABLE_NAME_OFFSET: u32 = 24;
pub const VTABLE_RESULT_MANAGED_OFFSET: usize = 32;
pub const VTABLE_SIZE: usize = 40;

/// The frame's state word, relative to the task.
const STATE: i32 = TASK_FRAME_OFFSET;
/// The first local slot, relative to the task.
const SLOTS: i32 = TASK_FRAME_OFFSET + 8;

/// Transforms every async function of `p` (those with a `coroutine`).
pub fn transform(p: &mut Program) {
    for i in 0..p.funcs.len() {
        if p.funcs[i].coroutine.is_some() {
            transform_one(p, i);
        }
    }
}

/// Where each frame local lives.
struct Frame {
    /// Offset from the task pointer, per local of `F` (`None`: not in the frame).
    slot: Vec<Option<i32>>,
    /// Bytes of frame after the task header.
    size: i64,
}

impl Frame {
    fn new(f: &Function, members: &BitSet) -> Frame {
        let mut slot = vec![None; f.locals.len()];
        let mut off = SLOTS;
        for bytes in [8, 4, 2, 1] {
            for l in members.iter() {
                if f.locals[l].ty.bytes() == bytes {
                    slot[l] = Some(off);
                    off += bytes as i32;
                }
            }
        }
        let size = i64::from((off - TASK_FRAME_OFFSET + 7) & !7);
        Frame { slot, size }
    }

    fn at(&self, l: Local) -> i32 {
        self.slot[l.0 as usize].expect("a frame local")
    }
}

/// One suspension point: the block ending in `await`, its state number and
/// the locals saved there.
struct AwaitPoint {
    block: usize,
    state: i64,
    saved: Vec<Local>,
}

fn transform_one(p: &mut Program, fi: usize) {
    let placeholder = Function {
        name: String::new(),
        params: Vec::new(),
        ret: MTy::I8,
        locals: Vec::new(),
        blocks: Vec::new(),
        conv: CallConv::Aria,
        coroutine: None,
    };
    let mut f = std::mem::replace(&mut p.funcs[fi], placeholder);
    let co = *f.coroutine.take().expect("an async body");
    let live = Liveness::of(&f);

    // Frame locals: parameters that are read or owned, and everything
    // live across an await.
    let mut members = BitSet::new(f.locals.len());
    for (i, &prm) in f.params.iter().enumerate() {
        if live.live_in[0].has(prm.0 as usize) || co.owned_params.get(i) == Some(&true) {
            members.insert(prm.0 as usize);
        }
    }
    let mut points = Vec::new();
    for (bi, b) in f.blocks.iter().enumerate() {
        if let Terminator::Await { task, .. } = &b.term {
            let mut saved = live.out(&f, bi);
            if let Operand::Local(t) = task {
                saved.insert(t.0 as usize);
            }
            members.union_with(&saved);
            points.push(AwaitPoint {
                block: bi,
                state: points.len() as i64 + 1,
                saved: saved.iter().map(|l| Local(l as u32)).collect(),
            });
        }
    }
    let frame = Frame::new(&f, &members);

    let resume_idx = FuncIdx(p.funcs.len() as u32);
    let drop_idx = FuncIdx(p.funcs.len() as u32 + 1);
    let name = add_data(
        p,
        format!("task.name.{}", co.name),
        cstring(&co.name),
        vec![],
    );
    let mut table = vec![0u8; VTABLE_SIZE];
    table[VTABLE_FRAME_SIZE_OFFSET..VTABLE_FRAME_SIZE_OFFSET + 8]
        .copy_from_slice(&frame.size.to_le_bytes());
    table[VTABLE_RESULT_MANAGED_OFFSET..VTABLE_RESULT_MANAGED_OFFSET + 8]
        .copy_from_slice(&i64::from(co.result_managed).to_le_bytes());
    let vtable = add_data(
        p,
        format!("task.vtable.{}", co.name),
        table,
        vec![
            (VTABLE_RESUME_OFFSET, Operand::FuncAddr(resume_idx)),
            (VTABLE_DROP_OFFSET, Operand::FuncAddr(drop_idx)),
            (VTABLE_NAME_OFFSET, Operand::DataAddr(name)),
        ],
    );

    if let Some(entry) = co.ramp_nospawn {
        let mut nospawn = ramp(&f, &co, &frame, vtable, false);
        nospawn.name = format!("{}$ramp_nospawn", f.name);
        p.funcs[entry.0 as usize] = nospawn;
    }
    let ramp = ramp(&f, &co, &frame, vtable, true);
    let drop = drop_fn(&f, &co, &frame);
    let resume = resume(&mut f, &co, &frame, &points);
    p.funcs[fi] = ramp;
    p.funcs.push(resume);
    p.funcs.push(drop);
}

fn cstring(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

fn add_data(p: &mut Program, name: String, bytes: Vec<u8>, relocs: Vec<(u32, Operand)>) -> DataId {
    let id = DataId(p.data.len() as u32);
    p.data.push(Data {
        name: format!("{name}.{}", id.0),
        bytes,
        align: 8,
        writable: false,
        relocs,
    });
    id
}

/// A small builder of straight-line MIR for the generated functions.
struct Gen {
    locals: Vec<LocalDecl>,
    blocks: Vec<Block>,
}

impl Gen {
    fn local(&mut self, ty: MTy, name: Option<&str>) -> Local {
        self.locals.push(LocalDecl {
            ty,
            name: name.map(str::to_string),
        });
        Local(self.locals.len() as u32 - 1)
    }

    fn block(&mut self) -> BlockId {
        self.blocks.push(Block {
            stmts: Vec::new(),
            term: Terminator::Unreachable,
        });
        BlockId(self.blocks.len() as u32 - 1)
    }

    fn push(&mut self, b: BlockId, s: Stmt) {
        self.blocks[b.0 as usize].stmts.push(s);
    }

    fn term(&mut self, b: BlockId, t: Terminator) {
        self.blocks[b.0 as usize].term = t;
    }

    fn call(
        &mut self,
        b: BlockId,
        name: &'static str,
        rets: &[MTy],
        args: Vec<Operand>,
    ) -> Vec<Local> {
        let dests: Vec<Local> = rets.iter().map(|&t| self.local(t, None)).collect();
        self.push(
            b,
            Stmt::Call(dests.clone(), Callee::Runtime(name, rets.to_vec()), args),
        );
        dests
    }
}

fn i64c(v: i64) -> Operand {
    Operand::Int(v, MTy::I64)
}

fn local(l: Local) -> Operand {
    Operand::Local(l)
}

/// `F(env, p1..pn) -> (0, task)`: creates the task, moves the arguments
/// into its frame, queues it (`spawn`; else the caller starts it).
fn ramp(f: &Function, co: &Coroutine, frame: &Frame, vtable: DataId, spawn: bool) -> Function {
    let mut g = Gen {
        locals: Vec::new(),
        blocks: Vec::new(),
    };
    let params: Vec<Local> = f
        .params
        .iter()
        .map(|p| {
            let d = &f.locals[p.0 as usize];
            g.local(d.ty, d.name.as_deref())
        })
        .collect();
    let b = g.block();
    let task = g.call(
        b,
        "aria_task_new",
        &[MTy::I64],
        vec![Operand::DataAddr(vtable)],
    )[0];
    for (i, (orig, mine)) in f.params.iter().zip(&params).enumerate() {
        let Some(off) = frame.slot[orig.0 as usize] else {
            continue;
        };
        if i == 0 && co.owned_params.first() == Some(&true) {
            // An async lambda's task owns a reference to its closure.
            g.call(b, "aria_retain", &[], vec![local(*mine)]);
        }
        g.push(b, Stmt::Store(local(task), off, local(*mine)));
    }
    if spawn {
        g.call(b, "aria_task_spawn", &[], vec![local(task)]);
    }
    g.term(b, Terminator::Return(i64c(0), local(task)));
    Function {
        name: f.name.clone(),
        params,
        ret: MTy::I64,
        locals: g.locals,
        blocks: g.blocks,
        conv: CallConv::Aria,
        coroutine: None,
    }
}

/// `F$drop(task)`: in state 0 (never ran), releases the owned parameters.
fn drop_fn(f: &Function, co: &Coroutine, frame: &Frame) -> Function {
    let mut g = Gen {
        locals: Vec::new(),
        blocks: Vec::new(),
    };
    let task = g.local(MTy::I64, Some("task"));
    let (entry, release, done) = (g.block(), g.block(), g.block());
    let state = g.local(MTy::I32, None);
    g.push(
        entry,
        Stmt::Assign(state, Rvalue::Load(MTy::I32, local(task), STATE)),
    );
    let fresh = g.local(MTy::I8, None);
    g.push(
        entry,
        Stmt::Assign(
            fresh,
            Rvalue::Bin(BinOp::Eq, local(state), Operand::Int(0, MTy::I32)),
        ),
    );
    g.term(entry, Terminator::Branch(local(fresh), release, done));
    for (i, p) in f.params.iter().enumerate() {
        if co.owned_params.get(i) != Some(&true) {
            continue;
        }
        if let Some(off) = frame.slot[p.0 as usize] {
            let v = g.local(MTy::I64, None);
            g.push(
                release,
                Stmt::Assign(v, Rvalue::Load(MTy::I64, local(task), off)),
            );
            g.call(release, "aria_release", &[], vec![local(v)]);
        }
    }
    g.term(release, Terminator::Goto(done));
    g.term(done, Terminator::Return(i64c(0), Operand::Int(0, MTy::I8)));
    Function {
        name: format!("{}$drop", f.name),
        params: vec![task],
        ret: MTy::I8,
        locals: g.locals,
        blocks: g.blocks,
        conv: CallConv::NativeVoid,
        coroutine: None,
    }
}

/// `F$resume(task) -> i32`: `F`'s blocks (renumbered after a dispatch
/// block and the start block) with each await and return rewritten.
fn resume(f: &mut Function, co: &Coroutine, frame: &Frame, points: &[AwaitPoint]) -> Function {
    let nbody = f.blocks.len() as u32;
    // Block layout: 0 dispatch, 1 start, 2 unreachable, then F's blocks.
    const BASE: u32 = 3;
    let body = |b: BlockId| BlockId(b.0 + BASE);
    let mut g = Gen {
        locals: std::mem::take(&mut f.locals),
        blocks: Vec::new(),
    };
    let task = g.local(MTy::I64, Some("task"));
    let (dispatch, start, unreachable) = (g.block(), g.block(), g.block());
    for b in std::mem::take(&mut f.blocks) {
        g.blocks.push(b);
    }
    debug_assert_eq!(g.blocks.len() as u32, BASE + nbody);
    let t = local(task);

    // Start (state 0): the parameters come from the frame.
    for p in &f.params {
        if let Some(off) = frame.slot[p.0 as usize] {
            let ty = g.locals[p.0 as usize].ty;
            g.push(start, Stmt::Assign(*p, Rvalue::Load(ty, t.clone(), off)));
        }
    }
    g.term(start, Terminator::Goto(body(BlockId(0))));

    // Renumber F's terminators; rewrite returns.
    for bi in BASE..BASE + nbody {
        let term = std::mem::replace(&mut g.blocks[bi as usize].term, Terminator::Unreachable);
        let new = match term {
            Terminator::Goto(b) => Terminator::Goto(body(b)),
            Terminator::Branch(c, a, b) => Terminator::Branch(c, body(a), body(b)),
            Terminator::Switch(v, cases, d) => Terminator::Switch(
                v,
                cases.into_iter().map(|(k, b)| (k, body(b))).collect(),
                body(d),
            ),
            Terminator::Return(err, val) => {
                let bits = result_bits(&mut g, BlockId(bi), val, co.result_signed);
                g.push(
                    BlockId(bi),
                    Stmt::Store(t.clone(), TASK_RESULT_ERR_OFFSET, err),
                );
                g.push(
                    BlockId(bi),
                    Stmt::Store(t.clone(), TASK_RESULT_VAL_OFFSET, bits),
                );
                Terminator::Return(i64c(0), Operand::Int(1, MTy::I32))
            }
            Terminator::Unreachable => Terminator::Unreachable,
            t @ Terminator::Await { .. } => t, // rewritten below
        };
        g.blocks[bi as usize].term = new;
    }

    // Each await: try, suspend, resume, check cancellation, take the result.
    let mut cases = vec![(0, start)];
    for pt in points {
        let b = BlockId(pt.block as u32 + BASE);
        let Terminator::Await {
            task: target,
            err,
            val,
            next,
            cancel,
            finish,
        } = std::mem::replace(&mut g.blocks[b.0 as usize].term, Terminator::Unreachable)
        else {
            unreachable!("await points end in Terminator::Await");
        };
        let (suspend, resumed, post, got) = (g.block(), g.block(), g.block(), g.block());
        if finish.is_some() {
            // The task already waits for the operation: suspend now.
            g.term(b, Terminator::Goto(suspend));
        } else {
            let ready = g.call(
                b,
                "aria_task_await",
                &[MTy::I32],
                vec![t.clone(), target.clone()],
            )[0];
            let go = g.local(MTy::I8, None);
            g.push(
                b,
                Stmt::Assign(
                    go,
                    Rvalue::Bin(BinOp::Ne, local(ready), Operand::Int(0, MTy::I32)),
                ),
            );
            g.term(b, Terminator::Branch(local(go), post, suspend));
        }

        for &l in &pt.saved {
            g.push(suspend, Stmt::Store(t.clone(), frame.at(l), local(l)));
        }
        g.push(
            suspend,
            Stmt::Store(t.clone(), STATE, Operand::Int(pt.state, MTy::I32)),
        );
        if co.affine {
            g.call(
                suspend,
                "aria_task_pin",
                &[],
                vec![t.clone(), Operand::Int(1, MTy::I8)],
            );
        }
        g.term(
            suspend,
            Terminator::Return(i64c(0), Operand::Int(0, MTy::I32)),
        );

        for &l in &pt.saved {
            let ty = g.locals[l.0 as usize].ty;
            g.push(
                resumed,
                Stmt::Assign(l, Rvalue::Load(ty, t.clone(), frame.at(l))),
            );
        }
        g.term(resumed, Terminator::Goto(post));
        cases.push((pt.state, resumed));

        let r = if let Some(f) = finish {
            // Ending the operation tells whether the task must stop, or
            // wait for it again (the saved locals are still the live ones).
            let r = g.call(post, f, &[MTy::I64, MTy::I64], vec![target, t.clone()]);
            let again = g.block();
            let is = |g: &mut Gen, b: BlockId, v: i64| {
                let c = g.local(MTy::I8, None);
                let rhs = Operand::Int(v, MTy::I64);
                g.push(b, Stmt::Assign(c, Rvalue::Bin(BinOp::Eq, local(r[0]), rhs)));
                local(c)
            };
            let stop = is(&mut g, post, TRY_CANCELLED);
            g.term(post, Terminator::Branch(stop, body(cancel), again));
            let wait = is(&mut g, again, TRY_WAIT);
            g.term(again, Terminator::Branch(wait, suspend, got));
            r
        } else {
            let c = g.call(post, "aria_task_cancelled", &[MTy::I8], vec![t.clone()])[0];
            g.term(post, Terminator::Branch(local(c), body(cancel), got));
            g.call(got, "aria_task_result", &[MTy::I64, MTy::I64], vec![target])
        };
        g.push(got, Stmt::Assign(err, Rvalue::Use(local(r[0]))));
        let ty = g.locals[val.0 as usize].ty;
        let v = from_bits(&mut g, got, local(r[1]), ty);
        g.push(got, Stmt::Assign(val, Rvalue::Use(v)));
        g.term(got, Terminator::Goto(body(next)));
    }

    let state = g.local(MTy::I32, Some("state"));
    g.push(
        dispatch,
        Stmt::Assign(state, Rvalue::Load(MTy::I32, t, STATE)),
    );
    g.term(
        dispatch,
        Terminator::Switch(local(state), cases, unreachable),
    );
    Function {
        name: format!("{}$resume", f.name),
        params: vec![task],
        ret: MTy::I32,
        locals: g.locals,
        blocks: g.blocks,
        conv: CallConv::Native,
        coroutine: None,
    }
}

/// A value as the 64 result bits of a task (docs/RUNTIME_ABI.md element
/// bits: integers extended, `f64` as its bits, `f32` bits in the low half).
fn result_bits(g: &mut Gen, b: BlockId, v: Operand, signed: bool) -> Operand {
    let ty = match &v {
        Operand::Local(l) => g.locals[l.0 as usize].ty,
        Operand::Int(_, t) => *t,
        Operand::F32(_) => MTy::F32,
        Operand::F64(_) => MTy::F64,
        Operand::DataAddr(_) | Operand::FuncAddr(_) => MTy::I64,
    };
    let cast = |g: &mut Gen, op: CastOp, v: Operand, to: MTy| {
        let l = g.local(to, None);
        g.push(b, Stmt::Assign(l, Rvalue::Cast(op, v)));
        local(l)
    };
    match ty {
        MTy::I64 => v,
        MTy::F64 => cast(g, CastOp::Bitcast, v, MTy::I64),
        MTy::F32 => {
            let x = cast(g, CastOp::Bitcast, v, MTy::I32);
            cast(g, CastOp::UExt, x, MTy::I64)
        }
        _ if signed => cast(g, CastOp::SExt, v, MTy::I64),
        _ => cast(g, CastOp::UExt, v, MTy::I64),
    }
}

/// The machine value of type `ty` from 64 result bits.
fn from_bits(g: &mut Gen, b: BlockId, bits: Operand, ty: MTy) -> Operand {
    let cast = |g: &mut Gen, op: CastOp, v: Operand, to: MTy| {
        let l = g.local(to, None);
        g.push(b, Stmt::Assign(l, Rvalue::Cast(op, v)));
        local(l)
    };
    match ty {
        MTy::I64 => bits,
        MTy::F64 => cast(g, CastOp::Bitcast, bits, MTy::F64),
        MTy::F32 => {
            let x = cast(g, CastOp::Trunc, bits, MTy::I32);
            cast(g, CastOp::Bitcast, x, MTy::F32)
        }
        t => cast(g, CastOp::Trunc, bits, t),
    }
}

// ---- liveness ------------------------------------------------------------------------

/// A fixed-size set of local indices.
#[derive(Clone, PartialEq)]
struct BitSet(Vec<u64>);

impl BitSet {
    fn new(n: usize) -> BitSet {
        BitSet(vec![0; n.div_ceil(64)])
    }
    fn insert(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn remove(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }
    fn has(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
    fn union_with(&mut self, o: &BitSet) {
        for (a, b) in self.0.iter_mut().zip(&o.0) {
            *a |= b;
        }
    }
    /// `self = gen ∪ (out − kill)`; true if it changed.
    fn set_transfer(&mut self, gen: &BitSet, out: &BitSet, kill: &BitSet) -> bool {
        let mut changed = false;
        for i in 0..self.0.len() {
            let v = gen.0[i] | (out.0[i] & !kill.0[i]);
            changed |= v != self.0[i];
            self.0[i] = v;
        }
        changed
    }
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &bits)| {
            (0..64)
                .filter(move |b| bits & (1 << b) != 0)
                .map(move |b| w * 64 + b)
        })
    }
}

fn operand_local(o: &Operand) -> Option<usize> {
    match o {
        Operand::Local(l) => Some(l.0 as usize),
        _ => None,
    }
}

fn rvalue_uses(rv: &Rvalue, f: &mut impl FnMut(usize)) {
    let mut op = |o: &Operand| {
        if let Some(l) = operand_local(o) {
            f(l)
        }
    };
    match rv {
        Rvalue::Use(a) | Rvalue::Un(_, a) | Rvalue::Cast(_, a) | Rvalue::Load(_, a, _) => op(a),
        Rvalue::Bin(_, a, b) => {
            op(a);
            op(b)
        }
        Rvalue::Select(c, a, b) => {
            op(c);
            op(a);
            op(b)
        }
    }
}

/// Backward liveness of `F`'s locals. An `await` defines its `err`/`val`
/// on the edge to `next` only, and uses its task.
struct Liveness {
    live_in: Vec<BitSet>,
}

impl Liveness {
    fn of(f: &Function) -> Liveness {
        let n = f.locals.len();
        let nb = f.blocks.len();
        let mut gen = vec![BitSet::new(n); nb];
        let mut kill = vec![BitSet::new(n); nb];
        for (bi, b) in f.blocks.iter().enumerate() {
            let (g, k) = (&mut gen[bi], &mut kill[bi]);
            let use_op = |o: &Operand, g: &mut BitSet| {
                if let Some(l) = operand_local(o) {
                    g.insert(l);
                }
            };
            match &b.term {
                Terminator::Branch(c, ..) => use_op(c, g),
                Terminator::Switch(v, ..) => use_op(v, g),
                Terminator::Return(e, v) => {
                    use_op(e, g);
                    use_op(v, g)
                }
                Terminator::Await { task, .. } => use_op(task, g),
                Terminator::Goto(_) | Terminator::Unreachable => {}
            }
            for s in b.stmts.iter().rev() {
                match s {
                    Stmt::Assign(l, rv) => {
                        g.remove(l.0 as usize);
                        k.insert(l.0 as usize);
                        rvalue_uses(rv, &mut |x| g.insert(x));
                    }
                    Stmt::Store(a, _, v) => {
                        use_op(a, g);
                        use_op(v, g);
                    }
                    Stmt::Call(dests, callee, args) => {
                        for d in dests {
                            g.remove(d.0 as usize);
                            k.insert(d.0 as usize);
                        }
                        if let Callee::Indirect(t, _) = callee {
                            use_op(t, g);
                        }
                        for a in args {
                            use_op(a, g);
                        }
                    }
                }
            }
        }
        let mut live = Liveness {
            live_in: vec![BitSet::new(n); nb],
        };
        let mut changed = true;
        while changed {
            changed = false;
            for bi in (0..nb).rev() {
                let out = live.out(f, bi);
                changed |= live.live_in[bi].set_transfer(&gen[bi], &out, &kill[bi]);
            }
        }
        live
    }

    /// Live at the end of block `bi` (for an await block: after the await,
    /// on either of its edges).
    fn out(&self, f: &Function, bi: usize) -> BitSet {
        let mut out = BitSet::new(f.locals.len());
        match &f.blocks[bi].term {
            Terminator::Await {
                err,
                val,
                next,
                cancel,
                ..
            } => {
                out.union_with(&self.live_in[next.0 as usize]);
                out.remove(err.0 as usize);
                out.remove(val.0 as usize);
                out.union_with(&self.live_in[cancel.0 as usize]);
            }
            t => {
                for s in t.successors() {
                    out.union_with(&self.live_in[s.0 as usize]);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_numbers_match_the_runtime() {
        use aria_rt::task as rt;
        assert_eq!(TASK_FRAME_OFFSET, rt::TASK_FRAME_OFFSET);
        assert_eq!(TASK_RESULT_ERR_OFFSET, rt::TASK_RESULT_ERR_OFFSET);
        assert_eq!(TASK_RESULT_VAL_OFFSET, rt::TASK_RESULT_VAL_OFFSET);
        assert_eq!(VTABLE_RESUME_OFFSET as i32, rt::VTABLE_RESUME_OFFSET);
        assert_eq!(VTABLE_DROP_OFFSET as i32, rt::VTABLE_DROP_OFFSET);
        assert_eq!(
            VTABLE_FRAME_SIZE_OFFSET as i32,
            rt::VTABLE_FRAME_SIZE_OFFSET
        );
        assert_eq!(VTABLE_NAME_OFFSET as i32, rt::VTABLE_NAME_OFFSET);
        assert_eq!(
            VTABLE_RESULT_MANAGED_OFFSET as i32,
            rt::VTABLE_RESULT_MANAGED_OFFSET
        );
        assert_eq!(VTABLE_SIZE as i32, rt::VTABLE_SIZE);
        assert_eq!(rt::RESUME_PENDING, 0);
        assert_eq!(rt::RESUME_COMPLETE, 1);
    }
}

//! The per-function builder: blocks, locals, emission helpers, the
//! prologue (parameters and captures) and the finished `Function`.
//! Variables are in `vars.rs`.

use super::cfg::{fold_bin, prune, signed_of};
use super::cleanup::{Cleanup, ExitKey, LoopCtx, PickCtx, Scope};
use super::layout::{self, mty};
pub(crate) use super::vars::VarSlot;
use super::Cx;
use crate::mir::*;
use aria_sema::tast::{self, LocalId};
use aria_sema::types::Ty;
use std::collections::HashMap;

struct BB {
    stmts: Vec<Stmt>,
    term: Option<Terminator>,
}

pub(crate) struct FnBuilder<'c, 'a> {
    pub cx: &'c mut Cx<'a>,
    pub prog: &'a tast::Program,
    pub func: &'a tast::Func,
    /// Machine type of the function's `val` return.
    pub ret: MTy,
    params: Vec<Local>,
    locals: Vec<LocalDecl>,
    blocks: Vec<BB>,
    cur: BlockId,
    /// The current block is known to be unreachable (after a terminator).
    dead: bool,
    pub vars: Vec<VarSlot>,
    pub scopes: Vec<Scope<'a>>,
    pub loops: Vec<LoopCtx>,
    pub picks: Vec<PickCtx>,
    /// Owned temporaries live at this point (released by exit paths).
    pub temps: Vec<Local>,
    pub exit_cache: HashMap<ExitKey, BlockId>,
    /// `(err, val)` of the function being left, read by the shared exit.
    pub exit_err: Local,
    pub exit_val: Local,
}

impl<'c, 'a> FnBuilder<'c, 'a> {
    pub fn new(cx: &'c mut Cx<'a>, id: usize) -> Self {
        let prog = cx.prog;
        let func = &prog.funcs[id];
        let ret = mty(&func.ret);
        let mut b = FnBuilder {
            cx,
            prog,
            func,
            ret,
            params: Vec::new(),
            locals: Vec::new(),
            blocks: Vec::new(),
            cur: BlockId(0),
            dead: false,
            vars: Vec::new(),
            scopes: Vec::new(),
            loops: Vec::new(),
            picks: Vec::new(),
            temps: Vec::new(),
            exit_cache: HashMap::new(),
            exit_err: Local(0),
            exit_val: Local(0),
        };
        b.cur = b.block();
        let env = b.named_local(MTy::I64, "env");
        b.params.push(env);
        b.declare_vars(id);
        b.exit_err = b.named_local(MTy::I64, "exit.err");
        b.exit_val = b.named_local(ret, "exit.val");
        b
    }

    /// Creates the slot of every tast local; parameters become MIR params.
    fn declare_vars(&mut self, id: usize) {
        let func = self.func;
        let captured = self.cx.captured[id].clone();
        let by_ref_inner: Vec<u32> = func
            .captures
            .iter()
            .filter(|c| c.by_ref)
            .map(|c| c.inner.0)
            .collect();
        for (i, info) in func.locals.iter().enumerate() {
            let cell =
                info.by_ref || captured.contains(&(i as u32)) || by_ref_inner.contains(&(i as u32));
            let slot = match (&info.ty, cell) {
                (Ty::Result(t), false) => VarSlot::Pair(
                    self.named_local(MTy::I64, &format!("{}.err", info.name)),
                    self.named_local(mty(t), &format!("{}.val", info.name)),
                ),
                (Ty::Result(_), true) => VarSlot::PairCell(self.named_local(MTy::I64, &info.name)),
                (t, false) => VarSlot::Plain(self.named_local(mty(t), &info.name)),
                (_, true) => VarSlot::Cell(self.named_local(MTy::I64, &info.name)),
            };
            self.vars.push(slot);
        }
        // Parameters: the machine parameter is the variable itself unless it
        // lives in a cell (then the prologue copies it in).
        for &p in &func.params {
            let info = &func.locals[p.0 as usize];
            match self.vars[p.0 as usize] {
                VarSlot::Plain(l) => self.params.push(l),
                VarSlot::Pair(e, v) => self.params.extend([e, v]),
                _ => {
                    for t in layout::flat_mtys(&info.ty) {
                        let l = self.named_local(t, &format!("{}.arg", info.name));
                        self.params.push(l);
                    }
                }
            }
        }
    }

    /// Lowers the whole function.
    pub fn build(mut self, name: String) -> Function {
        self.push_scope();
        self.prologue();
        let body = &self.func.body;
        self.stmts(&body.stmts);
        if !self.dead {
            if self.func.ret == Ty::Nil {
                self.leave(Operand::Int(0, MTy::I64), Operand::Int(0, MTy::I8));
            } else {
                self.terminate(Terminator::Unreachable);
            }
        }
        self.scopes.pop();
        self.finish(name)
    }

    /// Moves parameters into cells where needed, registers their release,
    /// and loads the captures of a lambda from `env`.
    fn prologue(&mut self) {
        let func = self.func;
        if func.is_async && func.kind == tast::FuncKind::Lambda {
            // The task's frame owns a reference to the closure (taken by
            // the ramp): released last, when the task completes.
            self.add_cleanup(Cleanup::Release(self.params[0]));
        }
        let mut next = 1; // params[0] is env
        for &p in &func.params {
            let ty = &func.locals[p.0 as usize].ty;
            let n = layout::flat_mtys(ty).len();
            let args: Vec<Operand> = self.params[next..next + n]
                .iter()
                .map(|l| Operand::Local(*l))
                .collect();
            next += n;
            self.begin_var(p);
            self.set_var_initial(p, &args);
        }
        let env = Operand::Local(self.params[0]);
        for (i, cap) in func.captures.iter().enumerate() {
            let raw = self.load(MTy::I64, env.clone(), layout::cap_offset(i));
            let inner = cap.inner;
            let ty = &func.locals[inner.0 as usize].ty;
            if cap.by_ref {
                // The slot already is a cell: share the closure's cell.
                let l = self.cell_local(inner);
                self.retain(&raw);
                self.assign(l, Rvalue::Use(raw));
                self.add_cleanup(Cleanup::Release(l));
            } else if let Ty::Result(t) = ty {
                // A `{err, val}` struct object (see `make_closure`).
                let err = self.load(MTy::I64, raw.clone(), layout::field_offset(0));
                let bits = self.load(MTy::I64, raw, layout::field_offset(1));
                let val = self.value_of_bits(bits, t);
                if t.is_managed() {
                    self.retain(&val);
                }
                self.begin_var(inner);
                self.set_var_initial(inner, &[err, val]);
            } else {
                let v = self.value_of_bits(raw, ty);
                if ty.is_managed() {
                    self.retain(&v);
                }
                self.begin_var(inner);
                self.set_var_initial(inner, &[v]);
            }
        }
    }

    fn cell_local(&self, id: LocalId) -> Local {
        match self.vars[id.0 as usize] {
            VarSlot::Cell(l) | VarSlot::PairCell(l) => l,
            VarSlot::Plain(l) | VarSlot::Pair(l, _) => l,
        }
    }

    fn finish(mut self, name: String) -> Function {
        let param_set: std::collections::HashSet<Local> = self.params.iter().copied().collect();
        let zeros: Vec<Stmt> = (0..self.locals.len())
            .map(|i| Local(i as u32))
            .filter(|l| !param_set.contains(l) && self.locals[l.0 as usize].name.is_some())
            .map(|l| Stmt::Assign(l, Rvalue::Use(zero_of(self.locals[l.0 as usize].ty))))
            .collect();
        self.blocks[0].stmts.splice(0..0, zeros);
        let blocks = prune(
            self.blocks
                .into_iter()
                .map(|b| Block {
                    stmts: b.stmts,
                    term: b.term.unwrap_or(Terminator::Unreachable),
                })
                .collect(),
        );
        let coroutine = self.func.is_async.then(|| {
            let mut owned_params = vec![self.func.kind == tast::FuncKind::Lambda];
            for &p in &self.func.params {
                match &self.func.locals[p.0 as usize].ty {
                    Ty::Result(t) => owned_params.extend([false, t.is_managed()]),
                    t => owned_params.push(t.is_managed()),
                }
            }
            Box::new(Coroutine {
                name: self.func.name.clone(),
                result_managed: self.func.ret.is_managed(),
                result_signed: layout::is_signed(&self.func.ret),
                owned_params,
                affine: super::visit::touches_wild(self.prog, self.func),
                ramp_nospawn: None,
            })
        });
        Function {
            name,
            params: self.params,
            ret: self.ret,
            locals: self.locals,
            blocks,
            conv: CallConv::Aria,
            coroutine,
        }
    }

    // ---- locals and blocks -------------------------------------------

    pub fn local(&mut self, ty: MTy) -> Local {
        self.locals.push(LocalDecl { ty, name: None });
        Local(self.locals.len() as u32 - 1)
    }

    pub fn named_local(&mut self, ty: MTy, name: &str) -> Local {
        self.locals.push(LocalDecl {
            ty,
            name: Some(name.to_string()),
        });
        Local(self.locals.len() as u32 - 1)
    }

    pub fn ty_of(&self, op: &Operand) -> MTy {
        match op {
            Operand::Local(l) => self.locals[l.0 as usize].ty,
            Operand::Int(_, t) => *t,
            Operand::F32(_) => MTy::F32,
            Operand::F64(_) => MTy::F64,
            Operand::DataAddr(_) | Operand::FuncAddr(_) => MTy::I64,
        }
    }

    pub fn block(&mut self) -> BlockId {
        self.blocks.push(BB {
            stmts: Vec::new(),
            term: None,
        });
        BlockId(self.blocks.len() as u32 - 1)
    }

    pub fn switch_to(&mut self, b: BlockId) {
        debug_assert!(self.blocks[b.0 as usize].term.is_none());
        self.cur = b;
        self.dead = false;
    }

    pub fn is_dead(&self) -> bool {
        self.dead
    }

    /// Runs `f` with `b` as the current block, then returns to the block
    /// (and reachability) that was current before.
    pub fn at<T>(&mut self, b: BlockId, f: impl FnOnce(&mut Self) -> T) -> T {
        let (cur, dead) = (self.cur, self.dead);
        self.switch_to(b);
        let r = f(self);
        self.cur = cur;
        self.dead = dead;
        r
    }

    pub fn push(&mut self, s: Stmt) {
        self.blocks[self.cur.0 as usize].stmts.push(s);
    }

    /// Ends the current block; what follows goes to a fresh unreachable
    /// block (pruned at the end).
    pub fn terminate(&mut self, t: Terminator) {
        self.blocks[self.cur.0 as usize].term = Some(t);
        self.cur = self.block();
        self.dead = true;
    }

    pub fn goto(&mut self, b: BlockId) {
        self.terminate(Terminator::Goto(b));
    }

    pub fn branch(&mut self, c: Operand, t: BlockId, f: BlockId) {
        match c {
            Operand::Int(v, _) => self.goto(if v != 0 { t } else { f }),
            c => self.terminate(Terminator::Branch(c, t, f)),
        }
    }

    /// Branches on `c`; returns the block taken when `c` is true and makes
    /// the false side current.
    pub fn branch_out(&mut self, c: Operand) -> BlockId {
        let (t, f) = (self.block(), self.block());
        self.branch(c, t, f);
        self.switch_to(f);
        t
    }

    // ---- statements --------------------------------------------------

    pub fn assign(&mut self, l: Local, rv: Rvalue) {
        self.push(Stmt::Assign(l, rv));
    }

    pub fn tmp(&mut self, ty: MTy, rv: Rvalue) -> Operand {
        let l = self.local(ty);
        self.assign(l, rv);
        Operand::Local(l)
    }

    /// A fresh copy of `op` in a new local.
    pub fn copy(&mut self, op: Operand) -> Operand {
        let ty = self.ty_of(&op);
        self.tmp(ty, Rvalue::Use(op))
    }

    pub fn bin(&mut self, op: BinOp, a: Operand, b: Operand) -> Operand {
        use BinOp::*;
        if let Some(v) = fold_bin(op, &a, &b) {
            return v;
        }
        let ty = match op {
            Eq | Ne | SLt | SLe | SGt | SGe | ULt | ULe | UGt | UGe | FEq | FNe | FLt | FLe
            | FGt | FGe => MTy::I8,
            _ => self.ty_of(&a),
        };
        self.tmp(ty, Rvalue::Bin(op, a, b))
    }

    pub fn un(&mut self, op: UnOp, a: Operand) -> Operand {
        if let (Operand::Int(v, t), UnOp::Neg | UnOp::Not) = (&a, op) {
            let r = if op == UnOp::Neg {
                v.wrapping_neg()
            } else {
                !v
            };
            return Operand::Int(signed_of(r, *t), *t);
        }
        let ty = self.ty_of(&a);
        self.tmp(ty, Rvalue::Un(op, a))
    }

    pub fn cast(&mut self, op: CastOp, a: Operand, to: MTy) -> Operand {
        self.tmp(to, Rvalue::Cast(op, a))
    }

    pub fn select(&mut self, c: Operand, a: Operand, b: Operand) -> Operand {
        if let Operand::Int(v, _) = c {
            return if v != 0 { a } else { b };
        }
        let ty = self.ty_of(&a);
        self.tmp(ty, Rvalue::Select(c, a, b))
    }

    pub fn load(&mut self, ty: MTy, addr: Operand, off: i32) -> Operand {
        self.tmp(ty, Rvalue::Load(ty, addr, off))
    }

    pub fn store(&mut self, addr: Operand, off: i32, v: Operand) {
        self.push(Stmt::Store(addr, off, v));
    }

    /// Calls a runtime function; returns its results as operands.
    pub fn rt(&mut self, name: &'static str, rets: &[MTy], args: Vec<Operand>) -> Vec<Operand> {
        let dests: Vec<Local> = rets.iter().map(|t| self.local(*t)).collect();
        self.push(Stmt::Call(
            dests.clone(),
            Callee::Runtime(name, rets.to_vec()),
            args,
        ));
        dests.into_iter().map(Operand::Local).collect()
    }

    pub fn rt1(&mut self, name: &'static str, ret: MTy, args: Vec<Operand>) -> Operand {
        self.rt(name, &[ret], args).remove(0)
    }

    pub fn rt0(&mut self, name: &'static str, args: Vec<Operand>) {
        self.rt(name, &[], args);
    }

    pub fn retain(&mut self, op: &Operand) {
        if matches!(op, Operand::Local(_)) {
            self.rt0("aria_retain", vec![op.clone()]);
        }
    }

    /// Releases an owned reference (constants are null or immortal).
    pub fn release(&mut self, op: &Operand) {
        if matches!(op, Operand::Local(_)) {
            self.rt0("aria_release", vec![op.clone()]);
        }
    }

    pub fn i64c(v: i64) -> Operand {
        Operand::Int(v, MTy::I64)
    }

    /// Records an unsupported construct; returns a dummy value of `ty`.
    pub fn unsupported(&mut self, what: &str, ty: &Ty) -> Operand {
        let msg = format!("{what} is not supported yet (in `{}`)", self.func.name);
        self.cx.fail(msg);
        zero_of(mty(ty))
    }

    // ---- temporaries -------------------------------------------------

    /// Keeps an owned managed value alive on the temp stack until
    /// `unhold(mark)`: exit paths taken meanwhile release it.
    pub fn hold(&mut self, v: &Operand, managed: bool) {
        if let (true, Operand::Local(l)) = (managed, v) {
            self.temps.push(*l);
        }
    }

    pub fn mark(&self) -> usize {
        self.temps.len()
    }

    pub fn unhold(&mut self, mark: usize) {
        self.temps.truncate(mark);
    }
}

pub fn zero_of(ty: MTy) -> Operand {
    match ty {
        MTy::F32 => Operand::F32(0.0),
        MTy::F64 => Operand::F64(0.0),
        t => Operand::Int(0, t),
    }
}

//! One MIR function → one Cranelift function.
//!
//! MIR locals become cranelift-frontend `Variable`s (SSA, never stack slots),
//! MIR blocks become Cranelift blocks one-to-one. Every operand type is
//! checked against the MIR contract while translating, so a malformed MIR
//! program is reported as an internal error naming the function and block
//! instead of a Cranelift verifier failure (or a miscompilation).

use std::collections::HashMap;

use aria_mir::mir::{
    BinOp, BlockId, CallConv as MirConv, Callee, FuncIdx, Function, Local, MTy, Operand, Rvalue,
    Stmt, Terminator,
};
use cranelift_codegen::ir::{
    self, types, AbiParam, FuncRef, GlobalValue, InstBuilder, MemFlagsData, Signature, TrapCode,
    Value,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Switch, Variable};
use cranelift_module::Module;

use crate::ops::{self, clif_ty, BinClass};
use crate::program::Declared;

/// Trap code of `Terminator::Unreachable`.
pub(crate) const UNREACHABLE_TRAP: TrapCode = TrapCode::unwrap_user(1);

/// Most statements in a block that tail duplication copies.
const TINY_STMTS: usize = 6;
/// How many blocks deep tail duplication may copy.
const MAX_DUP_DEPTH: u32 = 2;

/// Flags for MIR loads and stores: our objects are aligned and the lowering
/// only dereferences valid addresses.
fn mem_flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// The signature of an Aria function: `fn(env: i64, params..) -> (i64, ret)`
/// (the env is the first MIR parameter); for a function only the runtime
/// calls (`CallConv::Native`/`NativeVoid`): `fn(params..) -> ret` / `fn(params..)`.
pub(crate) fn aria_signature(f: &Function) -> Result<Signature, String> {
    let mut sig = Signature::new(CallConv::SystemV);
    for p in &f.params {
        let ty = f
            .locals
            .get(p.0 as usize)
            .ok_or_else(|| {
                format!(
                    "internal error: function `{}`: parameter _{} is not a local",
                    f.name, p.0
                )
            })?
            .ty;
        sig.params.push(AbiParam::new(clif_ty(ty)));
    }
    match f.conv {
        MirConv::Aria => {
            sig.returns.push(AbiParam::new(types::I64));
            sig.returns.push(AbiParam::new(clif_ty(f.ret)));
        }
        MirConv::Native => sig.returns.push(AbiParam::new(clif_ty(f.ret))),
        MirConv::NativeVoid => {}
    }
    Ok(sig)
}

/// A signature for calling a foreign (runtime) function with arguments of
/// these types and these return types. Narrow integer arguments are
/// extended to 32 bits as the System V convention (as implemented by
/// rustc/LLVM) expects: `I8` zero-extended (bool, bytes), `I16` sign-extended.
pub(crate) fn foreign_signature(args: &[MTy], rets: &[MTy]) -> Signature {
    let mut sig = Signature::new(CallConv::SystemV);
    for &a in args {
        let p = AbiParam::new(clif_ty(a));
        sig.params.push(match a {
            MTy::I8 => p.uext(),
            MTy::I16 => p.sext(),
            _ => p,
        });
    }
    for &r in rets {
        sig.returns.push(AbiParam::new(clif_ty(r)));
    }
    sig
}

/// A signature for an indirect call of an Aria function pointer.
fn indirect_signature(args: &[MTy], rets: &[MTy]) -> Signature {
    let mut sig = Signature::new(CallConv::SystemV);
    sig.params
        .extend(args.iter().map(|&a| AbiParam::new(clif_ty(a))));
    sig.returns
        .extend(rets.iter().map(|&r| AbiParam::new(clif_ty(r))));
    sig
}

/// Blocks on the failure paths (the lowering's panic and propagation code
/// starts by asking `aria_panicking`; `Unreachable` ends impossible paths)
/// are laid out after the hot code.
fn is_cold(block: &aria_mir::mir::Block) -> bool {
    matches!(block.term, Terminator::Unreachable)
        || block.stmts.iter().any(|s| {
            matches!(s, Stmt::Call(_, Callee::Runtime(name, _), _) if name.starts_with("aria_panic"))
        })
}

/// The type of an operand in function `f`, without emitting anything.
pub(crate) fn operand_ty(f: &Function, op: &Operand) -> Result<MTy, String> {
    Ok(match op {
        Operand::Local(l) => {
            f.locals
                .get(l.0 as usize)
                .ok_or_else(|| format!("local _{} is not declared", l.0))?
                .ty
        }
        Operand::Int(_, ty) => *ty,
        Operand::F32(_) => MTy::F32,
        Operand::F64(_) => MTy::F64,
        Operand::DataAddr(_) | Operand::FuncAddr(_) => MTy::I64,
    })
}

/// Translates `f` into `func` (whose signature and name are already set).
pub(crate) fn translate<M: Module>(
    module: &mut M,
    decl: &Declared,
    program: &aria_mir::mir::Program,
    f: &Function,
    func: &mut ir::Function,
    fctx: &mut FunctionBuilderContext,
) -> Result<(), String> {
    let b = FunctionBuilder::new(func, fctx);
    let mut t = Translator {
        module,
        decl,
        program,
        f,
        b,
        vars: Vec::with_capacity(f.locals.len()),
        blocks: Vec::with_capacity(f.blocks.len()),
        func_refs: HashMap::new(),
        import_refs: HashMap::new(),
        data_gvs: HashMap::new(),
        sigs: HashMap::new(),
        cur: None,
    };
    let res = t.run();
    let target = t.module.target_config();
    match res {
        Ok(()) => {
            t.b.finalize(target);
            Ok(())
        }
        Err(e) => {
            let at = match t.cur {
                Some(bb) => format!(" in bb{bb}"),
                None => String::new(),
            };
            Err(format!("internal error: function `{}`{at}: {e}", f.name))
        }
    }
}

struct Translator<'a, 'f, M: Module> {
    module: &'a mut M,
    decl: &'a Declared,
    program: &'a aria_mir::mir::Program,
    f: &'a Function,
    b: FunctionBuilder<'f>,
    vars: Vec<Variable>,
    blocks: Vec<ir::Block>,
    func_refs: HashMap<FuncIdx, FuncRef>,
    import_refs: HashMap<&'static str, FuncRef>,
    data_gvs: HashMap<u32, GlobalValue>,
    sigs: HashMap<(Vec<MTy>, Vec<MTy>), ir::SigRef>,
    /// The MIR block being translated (for error messages).
    cur: Option<usize>,
}

type R<T> = Result<T, String>;

impl<M: Module> Translator<'_, '_, M> {
    fn run(&mut self) -> R<()> {
        let f = self.f;
        if f.blocks.is_empty() {
            return Err("no blocks".into());
        }
        for l in &f.locals {
            let v = self.b.declare_var(clif_ty(l.ty));
            self.vars.push(v);
        }
        // A separate entry block receives the parameters, so that MIR's
        // entry block may be a branch target like any other.
        let entry = self.b.create_block();
        for _ in &f.blocks {
            let blk = self.b.create_block();
            self.blocks.push(blk);
        }
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        let params: Vec<Value> = self.b.block_params(entry).to_vec();
        for (p, v) in f.params.iter().zip(params) {
            let var = self.var(*p)?;
            self.b.def_var(var, v);
        }
        self.b.ins().jump(self.blocks[0], &[]);

        for (i, block) in f.blocks.iter().enumerate() {
            if is_cold(block) {
                self.b.set_cold_block(self.blocks[i]);
            }
        }
        for i in 0..f.blocks.len() {
            self.cur = Some(i);
            self.b.switch_to_block(self.blocks[i]);
            self.body(i, 0)?;
        }
        self.b.seal_all_blocks();
        Ok(())
    }

    fn var(&self, l: Local) -> R<Variable> {
        self.vars
            .get(l.0 as usize)
            .copied()
            .ok_or_else(|| format!("local _{} is not declared", l.0))
    }

    fn local_ty(&self, l: Local) -> R<MTy> {
        Ok(self
            .f
            .locals
            .get(l.0 as usize)
            .ok_or_else(|| format!("local _{} is not declared", l.0))?
            .ty)
    }

    fn target(&self, b: aria_mir::mir::BlockId) -> R<ir::Block> {
        self.blocks
            .get(b.0 as usize)
            .copied()
            .ok_or_else(|| format!("branch to bb{} which does not exist", b.0))
    }

    /// Emits the statements and terminator of MIR block `bi` into the
    /// current Cranelift block: `depth` is 0 for the block's own Cranelift
    /// block, more when it is a copy (tail duplication).
    fn body(&mut self, bi: usize, depth: u32) -> R<()> {
        let f = self.f;
        let block = &f.blocks[bi];
        for s in &block.stmts {
            self.stmt(s)?;
        }
        self.term(&block.term, bi, depth)
    }

    /// A block small enough to copy into its predecessors: a few pure
    /// assignments and a cheap terminator. Copying the join blocks the
    /// lowering emits (`exit.err != 0 ? ... : return`) into predecessors
    /// that set `err` to a constant lets Cranelift fold the test away.
    fn tiny(&self, b: BlockId) -> bool {
        let Some(block) = self.f.blocks.get(b.0 as usize) else {
            return false;
        };
        block.stmts.len() <= TINY_STMTS
            && block.stmts.iter().all(|s| matches!(s, Stmt::Assign(..)))
            && matches!(
                block.term,
                Terminator::Goto(_)
                    | Terminator::Branch(..)
                    | Terminator::Return(..)
                    | Terminator::Unreachable
            )
    }

    /// A tiny block that leaves the function.
    fn tiny_exit(&self, b: BlockId) -> bool {
        self.tiny(b)
            && matches!(
                self.f.blocks[b.0 as usize].term,
                Terminator::Return(..) | Terminator::Unreachable
            )
    }

    /// Whether a jump from block `from` (emitting at `depth`) to `to` is
    /// replaced by a copy of `to`.
    fn duplicate(&self, from: usize, to: BlockId, depth: u32) -> bool {
        depth < MAX_DUP_DEPTH
            && to.0 as usize != from
            && Some(to.0 as usize) != self.cur
            && self.tiny(to)
    }

    // ---- operands -------------------------------------------------------

    fn operand(&mut self, op: &Operand) -> R<(Value, MTy)> {
        Ok(match op {
            Operand::Local(l) => {
                let var = self.var(*l)?;
                (self.b.use_var(var), self.local_ty(*l)?)
            }
            Operand::Int(v, ty) => {
                if ty.is_float() {
                    return Err(format!("integer constant {v} of float type {ty:?}"));
                }
                (ops::iconst(&mut self.b, *ty, *v), *ty)
            }
            Operand::F32(x) => (self.b.ins().f32const(*x), MTy::F32),
            Operand::F64(x) => (self.b.ins().f64const(*x), MTy::F64),
            Operand::DataAddr(d) => {
                let gv = match self.data_gvs.get(&d.0) {
                    Some(gv) => *gv,
                    None => {
                        let id = *self
                            .decl
                            .data
                            .get(d.0 as usize)
                            .ok_or_else(|| format!("data #{} does not exist", d.0))?;
                        let gv = self.module.declare_data_in_func(id, self.b.func);
                        self.data_gvs.insert(d.0, gv);
                        gv
                    }
                };
                (self.b.ins().symbol_value(types::I64, gv), MTy::I64)
            }
            Operand::FuncAddr(fi) => {
                let fref = self.func_ref(*fi)?;
                (self.b.ins().func_addr(types::I64, fref), MTy::I64)
            }
        })
    }

    /// An operand that must have type `want`.
    fn operand_of(&mut self, op: &Operand, want: MTy, what: &str) -> R<Value> {
        let (v, ty) = self.operand(op)?;
        if ty != want {
            return Err(format!(
                "{what}: expected a {want:?} operand, found {ty:?} ({op:?})"
            ));
        }
        Ok(v)
    }

    /// An operand that must be of an integer type.
    fn int_operand(&mut self, op: &Operand, what: &str) -> R<(Value, MTy)> {
        let (v, ty) = self.operand(op)?;
        if ty.is_float() {
            return Err(format!(
                "{what}: expected an integer operand, found {ty:?} ({op:?})"
            ));
        }
        Ok((v, ty))
    }

    fn func_ref(&mut self, fi: FuncIdx) -> R<FuncRef> {
        if let Some(r) = self.func_refs.get(&fi) {
            return Ok(*r);
        }
        let id = *self
            .decl
            .funcs
            .get(fi.0 as usize)
            .ok_or_else(|| format!("function #{} does not exist", fi.0))?;
        let r = self.module.declare_func_in_func(id, self.b.func);
        self.func_refs.insert(fi, r);
        Ok(r)
    }

    // ---- statements -----------------------------------------------------

    fn stmt(&mut self, s: &Stmt) -> R<()> {
        match s {
            Stmt::Assign(l, rv) => {
                let want = self.local_ty(*l)?;
                let v = self.rvalue(rv, want)?;
                let var = self.var(*l)?;
                self.b.def_var(var, v);
            }
            Stmt::Store(addr, off, val) => {
                let a = self.operand_of(addr, MTy::I64, "store address")?;
                let (v, _) = self.operand(val)?;
                self.b.ins().store(mem_flags(), v, a, *off);
            }
            Stmt::Call(dests, callee, args) => self.call(dests, callee, args)?,
        }
        Ok(())
    }

    /// Evaluates `rv`, whose result must have type `want` (the destination's).
    fn rvalue(&mut self, rv: &Rvalue, want: MTy) -> R<Value> {
        let (v, ty) = match rv {
            Rvalue::Use(op) => self.operand(op)?,
            Rvalue::Bin(op, x, y) => self.bin(*op, x, y)?,
            Rvalue::Un(op, x) => {
                let (xv, ty) = self.operand(x)?;
                if ops::un_is_float(*op) != ty.is_float() {
                    return Err(format!("{op:?} applied to a {ty:?} operand"));
                }
                (ops::unary(&mut self.b, *op, xv), ty)
            }
            Rvalue::Cast(op, x) => {
                let (xv, from) = self.operand(x)?;
                (ops::cast(&mut self.b, *op, from, want, xv)?, want)
            }
            Rvalue::Select(c, x, y) => {
                let (cv, _) = self.int_operand(c, "select condition")?;
                let (xv, xt) = self.operand(x)?;
                let (yv, yt) = self.operand(y)?;
                if xt != yt {
                    return Err(format!("select of {xt:?} and {yt:?}"));
                }
                (self.b.ins().select(cv, xv, yv), xt)
            }
            Rvalue::Load(ty, addr, off) => {
                let a = self.operand_of(addr, MTy::I64, "load address")?;
                (self.b.ins().load(clif_ty(*ty), mem_flags(), a, *off), *ty)
            }
        };
        if ty != want {
            return Err(format!(
                "assignment of a {ty:?} value to a {want:?} local ({rv:?})"
            ));
        }
        Ok(v)
    }

    fn bin(&mut self, op: BinOp, x: &Operand, y: &Operand) -> R<(Value, MTy)> {
        let class = ops::bin_class(op);
        let (xv, xt) = self.operand(x)?;
        let (yv, yt) = self.operand(y)?;
        let floats = matches!(class, BinClass::FloatArith | BinClass::FloatCmp);
        if xt.is_float() != floats || yt.is_float() != floats {
            return Err(format!("{op:?} applied to {xt:?} and {yt:?}"));
        }
        if class != BinClass::Shift && xt != yt {
            return Err(format!("{op:?} applied to {xt:?} and {yt:?}"));
        }
        let y_const = match y {
            Operand::Int(c, _) => Some(*c),
            _ => None,
        };
        let v = ops::binary(&mut self.b, op, xt, xv, yv, y_const);
        let ty = match class {
            BinClass::IntCmp | BinClass::FloatCmp => MTy::I8,
            _ => xt,
        };
        Ok((v, ty))
    }

    fn call(&mut self, dests: &[Local], callee: &Callee, args: &[Operand]) -> R<()> {
        let mut vals = Vec::with_capacity(args.len());
        let mut tys = Vec::with_capacity(args.len());
        for a in args {
            let (v, t) = self.operand(a)?;
            vals.push(v);
            tys.push(t);
        }
        let (inst, rets): (ir::Inst, Vec<MTy>) =
            match callee {
                Callee::Func(fi) => {
                    let g = self.program.funcs.get(fi.0 as usize).ok_or_else(|| {
                        format!("call of function #{} which does not exist", fi.0)
                    })?;
                    if g.conv != MirConv::Aria {
                        return Err(format!(
                            "call of `{}`, which only the runtime calls",
                            g.name
                        ));
                    }
                    let params: Vec<MTy> = g
                        .params
                        .iter()
                        .map(|p| g.locals.get(p.0 as usize).map(|l| l.ty))
                        .collect::<Option<_>>()
                        .ok_or_else(|| format!("function `{}` has a bad parameter", g.name))?;
                    if params != tys {
                        return Err(format!(
                            "call of `{}` with arguments {tys:?}; its parameters are {params:?}",
                            g.name
                        ));
                    }
                    let fref = self.func_ref(*fi)?;
                    (self.b.ins().call(fref, &vals), vec![MTy::I64, g.ret])
                }
                Callee::Indirect(target, rets) => {
                    let fp = self.operand_of(target, MTy::I64, "indirect call target")?;
                    let key = (tys.clone(), rets.clone());
                    let sig = match self.sigs.get(&key) {
                        Some(s) => *s,
                        None => {
                            let s = self.b.import_signature(indirect_signature(&tys, rets));
                            self.sigs.insert(key, s);
                            s
                        }
                    };
                    (self.b.ins().call_indirect(sig, fp, &vals), rets.clone())
                }
                Callee::Runtime(name, rets) => {
                    let fref = match self.import_refs.get(name) {
                        Some(r) => *r,
                        None => {
                            let id = *self.decl.imports.get(name).ok_or_else(|| {
                                format!("runtime function `{name}` was not declared")
                            })?;
                            let r = self.module.declare_func_in_func(id, self.b.func);
                            self.import_refs.insert(name, r);
                            r
                        }
                    };
                    (self.b.ins().call(fref, &vals), rets.clone())
                }
            };
        if dests.len() > rets.len() {
            return Err(format!(
                "call with {} destinations but {} return values",
                dests.len(),
                rets.len()
            ));
        }
        let results: Vec<Value> = self.b.inst_results(inst).to_vec();
        for ((d, v), rt) in dests.iter().zip(results).zip(&rets) {
            let dt = self.local_ty(*d)?;
            if dt != *rt {
                return Err(format!(
                    "call result of type {rt:?} stored in _{} of type {dt:?}",
                    d.0
                ));
            }
            let var = self.var(*d)?;
            self.b.def_var(var, v);
        }
        Ok(())
    }

    // ---- terminators ----------------------------------------------------

    fn goto(&mut self, to: BlockId, bi: usize, depth: u32) -> R<()> {
        if self.duplicate(bi, to, depth) {
            self.body(to.0 as usize, depth + 1)
        } else {
            let b = self.target(to)?;
            self.b.ins().jump(b, &[]);
            Ok(())
        }
    }

    fn term(&mut self, t: &Terminator, bi: usize, depth: u32) -> R<()> {
        match t {
            Terminator::Goto(b) => self.goto(*b, bi, depth)?,
            Terminator::Branch(_, t, e) if t == e => self.goto(*t, bi, depth)?,
            Terminator::Branch(c, t, e) => {
                let (cv, _) = self.int_operand(c, "branch condition")?;
                // Exits copied here get blocks of their own.
                let mut copies = Vec::new();
                let mut dest = |this: &mut Self, x: BlockId| -> R<ir::Block> {
                    if depth < MAX_DUP_DEPTH
                        && x.0 as usize != bi
                        && Some(x.0 as usize) != this.cur
                        && this.tiny_exit(x)
                    {
                        let blk = this.b.create_block();
                        copies.push((blk, x));
                        Ok(blk)
                    } else {
                        this.target(x)
                    }
                };
                let (t, e) = (dest(self, *t)?, dest(self, *e)?);
                self.b.ins().brif(cv, t, &[], e, &[]);
                for (blk, x) in copies {
                    self.b.switch_to_block(blk);
                    self.body(x.0 as usize, depth + 1)?;
                }
            }
            Terminator::Switch(v, cases, default) => {
                let (sv, ty) = self.int_operand(v, "switch operand")?;
                let default = self.target(*default)?;
                let mut sw = Switch::new();
                let mut seen = std::collections::HashSet::new();
                for (k, b) in cases {
                    // Cases are keyed by the value's bit pattern at its
                    // width; the first case of a value wins.
                    let key = ops::mask(*k, ty) as u64 as u128;
                    if seen.insert(key) {
                        let b = self.target(*b)?;
                        sw.set_entry(key, b);
                    }
                }
                sw.emit(&mut self.b, sv, default);
            }
            Terminator::Return(err, val) => match self.f.conv {
                MirConv::Aria => {
                    let e = self.operand_of(err, MTy::I64, "return error code")?;
                    let v = self.operand_of(val, self.f.ret, "return value")?;
                    self.b.ins().return_(&[e, v]);
                }
                MirConv::Native => {
                    let v = self.operand_of(val, self.f.ret, "return value")?;
                    self.b.ins().return_(&[v]);
                }
                MirConv::NativeVoid => {
                    self.b.ins().return_(&[]);
                }
            },
            Terminator::Await { .. } => {
                return Err("an `await` left by the coroutine transform".into());
            }
            Terminator::Unreachable => {
                self.b.ins().trap(UNREACHABLE_TRAP);
            }
        }
        Ok(())
    }
}

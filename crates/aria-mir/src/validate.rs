//! A structural and type check of MIR: every local and block exists, every
//! statement and terminator is well typed in the sense the code generator
//! relies on, and runtime calls match `runtime_sigs`. Used by the tests and
//! available to the driver as a debugging aid.

use crate::mir::*;
use crate::runtime_sigs::runtime_signature;

/// Checks `p`; the error names the function and block.
pub fn validate(p: &Program) -> Result<(), String> {
    for f in &p.funcs {
        Checker { p, f }
            .function()
            .map_err(|e| format!("function `{}`: {e}", f.name))?;
    }
    for (what, idx) in [("init", p.init), ("main", p.main)] {
        if idx.0 as usize >= p.funcs.len() {
            return Err(format!("{what} function #{} does not exist", idx.0));
        }
    }
    if p.file.0 as usize >= p.data.len() {
        return Err("file data does not exist".into());
    }
    for d in &p.data {
        for (off, op) in &d.relocs {
            let ok = match op {
                Operand::FuncAddr(fi) => (fi.0 as usize) < p.funcs.len(),
                Operand::DataAddr(di) => (di.0 as usize) < p.data.len(),
                _ => false,
            };
            if !ok || *off as usize + 8 > d.bytes.len() {
                return Err(format!("data `{}`: bad relocation {op:?} at {off}", d.name));
            }
        }
    }
    Ok(())
}

struct Checker<'p> {
    p: &'p Program,
    f: &'p Function,
}

type R<T> = Result<T, String>;

impl Checker<'_> {
    fn function(&self) -> R<()> {
        if self.f.blocks.is_empty() {
            return Err("no blocks".into());
        }
        if self.f.conv == CallConv::Aria {
            match self.f.params.first() {
                Some(env) if self.local(*env)? == MTy::I64 => {}
                _ => return Err("the first parameter must be `env: I64`".into()),
            }
        }
        for (i, b) in self.f.blocks.iter().enumerate() {
            let at = |e: String| format!("bb{i}: {e}");
            for s in &b.stmts {
                self.stmt(s).map_err(at)?;
            }
            self.term(&b.term).map_err(at)?;
        }
        Ok(())
    }

    fn local(&self, l: Local) -> R<MTy> {
        self.f
            .locals
            .get(l.0 as usize)
            .map(|d| d.ty)
            .ok_or_else(|| format!("undeclared local _{}", l.0))
    }

    fn operand(&self, op: &Operand) -> R<MTy> {
        Ok(match op {
            Operand::Local(l) => self.local(*l)?,
            Operand::Int(_, t) if t.is_float() => return Err(format!("float-typed int {op:?}")),
            Operand::Int(_, t) => *t,
            Operand::F32(_) => MTy::F32,
            Operand::F64(_) => MTy::F64,
            Operand::DataAddr(d) => {
                if d.0 as usize >= self.p.data.len() {
                    return Err(format!("data #{} does not exist", d.0));
                }
                MTy::I64
            }
            Operand::FuncAddr(fi) => {
                if fi.0 as usize >= self.p.funcs.len() {
                    return Err(format!("function #{} does not exist", fi.0));
                }
                MTy::I64
            }
        })
    }

    fn expect(&self, op: &Operand, want: MTy, what: &str) -> R<()> {
        let t = self.operand(op)?;
        if t != want {
            return Err(format!("{what}: expected {want:?}, found {t:?} ({op:?})"));
        }
        Ok(())
    }

    fn stmt(&self, s: &Stmt) -> R<()> {
        match s {
            Stmt::Assign(l, Rvalue::Cast(op, a)) => {
                let (from, to) = (self.operand(a)?, self.local(*l)?);
                if !cast_ok(*op, from, to) {
                    return Err(format!("invalid cast {op:?} from {from:?} to {to:?}"));
                }
                Ok(())
            }
            Stmt::Assign(l, rv) => {
                let (lt, rt) = (self.local(*l)?, self.rvalue(rv)?);
                if lt != rt {
                    return Err(format!("_{} ({lt:?}) = {rv:?} ({rt:?})", l.0));
                }
                Ok(())
            }
            Stmt::Store(addr, _, v) => {
                self.expect(addr, MTy::I64, "store address")?;
                self.operand(v).map(|_| ())
            }
            Stmt::Call(dests, callee, args) => self.call(dests, callee, args),
        }
    }

    fn rvalue(&self, rv: &Rvalue) -> R<MTy> {
        match rv {
            Rvalue::Use(op) => self.operand(op),
            Rvalue::Bin(op, a, b) => self.bin(*op, a, b),
            Rvalue::Un(op, a) => {
                let t = self.operand(a)?;
                let float_op = matches!(op, UnOp::FNeg | UnOp::FSqrt | UnOp::FAbs);
                if float_op != t.is_float() {
                    return Err(format!("{op:?} on {t:?}"));
                }
                Ok(t)
            }
            Rvalue::Cast(..) => Err("a cast is typed by its destination".into()),
            Rvalue::Select(c, a, b) => {
                if self.operand(c)?.is_float() {
                    return Err("select condition is a float".into());
                }
                let (ta, tb) = (self.operand(a)?, self.operand(b)?);
                if ta != tb {
                    return Err(format!("select of {ta:?} and {tb:?}"));
                }
                Ok(ta)
            }
            Rvalue::Load(t, addr, _) => {
                self.expect(addr, MTy::I64, "load address")?;
                Ok(*t)
            }
        }
    }

    fn bin(&self, op: BinOp, a: &Operand, b: &Operand) -> R<MTy> {
        use BinOp::*;
        let (ta, tb) = (self.operand(a)?, self.operand(b)?);
        if ta != tb {
            return Err(format!("{op:?} of {ta:?} and {tb:?}"));
        }
        let float_op = matches!(
            op,
            FAdd | FSub | FMul | FDiv | FEq | FNe | FLt | FLe | FGt | FGe
        );
        if float_op != ta.is_float() {
            return Err(format!("{op:?} on {ta:?}"));
        }
        Ok(match op {
            Eq | Ne | SLt | SLe | SGt | SGe | ULt | ULe | UGt | UGe | FEq | FNe | FLt | FLe
            | FGt | FGe => MTy::I8,
            _ => ta,
        })
    }

    fn call(&self, dests: &[Local], callee: &Callee, args: &[Operand]) -> R<()> {
        let (params, rets): (Vec<MTy>, Vec<MTy>) = match callee {
            Callee::Func(fi) => {
                let g = self
                    .p
                    .funcs
                    .get(fi.0 as usize)
                    .ok_or_else(|| format!("function #{} does not exist", fi.0))?;
                if g.conv != CallConv::Aria {
                    return Err(format!(
                        "call of `{}`, which only the runtime calls",
                        g.name
                    ));
                }
                let ps = g.params.iter().map(|l| g.locals[l.0 as usize].ty).collect();
                // An async body not transformed yet is called through its
                // ramp, which returns the task.
                let ret = if g.coroutine.is_some() {
                    MTy::I64
                } else {
                    g.ret
                };
                (ps, vec![MTy::I64, ret])
            }
            Callee::Indirect(target, rets) => {
                self.expect(target, MTy::I64, "call target")?;
                let ps = args.iter().map(|a| self.operand(a)).collect::<R<_>>()?;
                (ps, rets.clone())
            }
            Callee::Runtime(name, rets) => {
                let (ps, rs) = runtime_signature(name)
                    .ok_or_else(|| format!("unknown runtime function `{name}`"))?;
                if rs != rets.as_slice() {
                    return Err(format!("`{name}` returns {rs:?}, call says {rets:?}"));
                }
                (ps.to_vec(), rs.to_vec())
            }
        };
        if params.len() != args.len() {
            return Err(format!(
                "{callee:?}: {} arguments for {} parameters",
                args.len(),
                params.len()
            ));
        }
        for (a, t) in args.iter().zip(&params) {
            self.expect(a, *t, &format!("argument of {callee:?}"))?;
        }
        if dests.len() > rets.len() {
            return Err(format!(
                "{callee:?}: {} destinations for {} returns",
                dests.len(),
                rets.len()
            ));
        }
        for (d, t) in dests.iter().zip(&rets) {
            if self.local(*d)? != *t {
                return Err(format!("{callee:?}: destination _{} is not {t:?}", d.0));
            }
        }
        Ok(())
    }

    fn target(&self, b: BlockId) -> R<()> {
        if b.0 as usize >= self.f.blocks.len() {
            return Err(format!("block bb{} does not exist", b.0));
        }
        Ok(())
    }

    fn term(&self, t: &Terminator) -> R<()> {
        match t {
            Terminator::Goto(b) => self.target(*b),
            Terminator::Branch(c, a, b) => {
                self.expect(c, MTy::I8, "branch condition")?;
                self.target(*a)?;
                self.target(*b)
            }
            Terminator::Switch(v, cases, d) => {
                if self.operand(v)?.is_float() {
                    return Err("switch on a float".into());
                }
                for (_, b) in cases {
                    self.target(*b)?;
                }
                self.target(*d)
            }
            Terminator::Return(e, v) => match self.f.conv {
                CallConv::Aria => {
                    self.expect(e, MTy::I64, "returned err")?;
                    self.expect(v, self.f.ret, "returned val")
                }
                CallConv::Native => self.expect(v, self.f.ret, "returned value"),
                CallConv::NativeVoid => Ok(()),
            },
            Terminator::Await {
                task,
                err,
                val,
                next,
                cancel,
                ..
            } => {
                if self.f.coroutine.is_none() {
                    return Err("await outside an async body".into());
                }
                self.expect(task, MTy::I64, "awaited task")?;
                if self.local(*err)? != MTy::I64 {
                    return Err("await: err is not I64".into());
                }
                self.local(*val)?;
                self.target(*next)?;
                self.target(*cancel)
            }
            Terminator::Unreachable => Ok(()),
        }
    }
}

/// The conversions the code generator accepts (same rules as its `cast`).
fn cast_ok(op: CastOp, from: MTy, to: MTy) -> bool {
    let (fi, ti) = (!from.is_float(), !to.is_float());
    match op {
        CastOp::SExt | CastOp::UExt => fi && ti && to.bytes() >= from.bytes(),
        CastOp::Trunc => fi && ti && to.bytes() <= from.bytes(),
        CastOp::SIntToFloat | CastOp::UIntToFloat => fi && !ti,
        CastOp::FloatToSInt | CastOp::FloatToUInt => !fi && ti,
        CastOp::FPromote => from == MTy::F32 && to == MTy::F64 || from == to && !fi,
        CastOp::FDemote => from == MTy::F64 && to == MTy::F32 || from == to && !fi,
        CastOp::Bitcast => from == to || from.bytes() == to.bytes() && fi != ti,
    }
}

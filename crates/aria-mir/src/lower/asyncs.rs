//! Async constructs (LANGUAGE.md §7) that are not calls of async functions
//! (those call the function's ramp, `calls.rs`): `await`, the task methods
//! and the async library, as runtime calls of docs/RUNTIME_ABI.md ("Tasks
//! and the scheduler").
//!
//! An `await` is a `Terminator::Await`; everything around it is ordinary
//! lowering. The coroutine transform (`crate::coroutine`) later turns each
//! one into a suspension point of the async function's state machine.
//!
//! Ownership: task handles are managed values like any other (`aria_retain`
//! / `aria_release`); runtime functions borrow their task arguments and
//! return new tasks owned (+1). An awaited task is owned by the awaiting
//! function until its result is read, then released.

use super::func::FnBuilder;
use super::layout::{self, mty, res_inner};
use super::results::Split;
use super::Span;
use crate::mir::{BinOp, Callee, FuncIdx, Local, MTy, Operand, Stmt, Terminator};
use aria_sema::tast::{self, Builtin, Callee as TCallee, Expr, ExprKind};
use aria_sema::types::Ty;

/// `ERR_CANCELLED` (LANGUAGE.md §10.2).
const ERR_CANCELLED: i64 = -1;

const NIL: Operand = Operand::Int(0, MTy::I8);

/// The task of an `await` operand is created by the operand itself — a
/// call of an async function or lambda, or of an async built-in (possibly
/// unwrapped) — so nobody else holds its handle: cancelling the awaiting
/// task cancels it too (LANGUAGE.md §7.6). A synchronous function returning
/// a task (maybe a stored one) does not count; a function *value* of type
/// `func<Task<T>(..)>` is taken to be async.
fn creates_task(prog: &tast::Program, e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Call(TCallee::Direct(f), _) => prog.funcs[f.0 as usize].is_async,
        ExprKind::Call(..) => true,
        ExprKind::Unwrap(x, _) | ExprKind::Convert(x) => creates_task(prog, x),
        _ => false,
    }
}

/// A task operand that can be null: anything but a call of an async
/// function or async built-in (those always return a new task).
fn may_be_null(prog: &tast::Program, e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Call(TCallee::Direct(f), _) => !prog.funcs[f.0 as usize].is_async,
        ExprKind::Call(TCallee::Builtin(_), _) => false,
        ExprKind::Unwrap(x, _) | ExprKind::Convert(x) => may_be_null(prog, x),
        _ => true,
    }
}

impl<'c, 'a> FnBuilder<'c, 'a> {
    /// `await operand` (type `result<U>`): the task is evaluated (owned and
    /// held, so that the cancellation path releases it), the function
    /// suspends at a `Terminator::Await`, and the awaited `(err, val)` is
    /// then handled like a call's result: an `err` with the panicking flag
    /// set (`-107`, awaiting a detached task) unwinds, any other is a
    /// failure for the result rule.
    ///
    /// `await f(x)` on a direct call of an async function or lambda creates
    /// the task with the callee's no-spawn ramp and starts it inline right
    /// before the await (`aria_task_start_inline`: ARCHITECTURE.md §4's
    /// fast path; the runtime spawns it instead when it cannot run it here).
    /// `await c.send(v)` / `await c.recv()` first try the operation without
    /// a task (`io.rs`, `await_chan`).
    pub fn await_split(&mut self, operand: &'a Expr, e: &'a Expr) -> Split {
        if let Some(s) = self.await_chan(operand, e) {
            return s;
        }
        let mark = self.mark();
        let direct = self.direct_async_call(operand);
        let inline = direct.is_some();
        let t = direct.unwrap_or_else(|| self.expr(operand));
        let t = match t {
            Operand::Local(_) => t,
            other => self.copy(other),
        };
        self.hold(&t, true);
        if !inline && may_be_null(self.prog, operand) {
            self.null_check(&t, "Task", e.span);
        }
        let u = res_inner(&e.ty);
        let (err, val) = (self.local(MTy::I64), self.local(mty(u)));
        let spread = creates_task(self.prog, operand);
        if inline {
            self.rt1("aria_task_start_inline", MTy::I32, vec![t.clone()]);
        }
        self.await_held(&t, spread, (err, val), mark);
        self.checked_call(Operand::Local(err), Operand::Local(val), e.span)
    }

    /// Awaits task `t` (held since `mark`) into `(err, val)`. On the await's
    /// cancellation path `t` is cancelled too when `spread` (§7.6), then the
    /// cancellation propagates; after the await the holds since `mark` end
    /// and `t` is released.
    pub fn await_held(
        &mut self,
        t: &Operand,
        spread: bool,
        (err, val): (Local, Local),
        mark: usize,
    ) {
        let (next, cancel) = (self.block(), self.block());
        self.at(cancel, |me| {
            if spread {
                me.rt0("aria_task_cancel", vec![t.clone()]);
            }
            me.propagate(Operand::Int(ERR_CANCELLED, MTy::I64));
        });
        self.terminate(Terminator::Await {
            task: t.clone(),
            err,
            val,
            next,
            cancel,
            finish: None,
        });
        self.switch_to(next);
        self.unhold(mark);
        self.release(t);
    }

    /// The task of an `await` operand that is a direct call of an async
    /// function, or of an async lambda written at the call (`(async T()
    /// {..})()`), created by the callee's no-spawn ramp (owned, not
    /// spawned yet); `None` (nothing lowered) for any other operand.
    fn direct_async_call(&mut self, operand: &'a Expr) -> Option<Operand> {
        let mut call = operand;
        while let ExprKind::Unwrap(x, _) = &call.kind {
            call = x;
        }
        let ExprKind::Call(callee, args) = &call.kind else {
            return None;
        };
        match callee {
            TCallee::Direct(f) if self.prog.funcs[f.0 as usize].is_async => {
                let mark = self.mark();
                let mut ops = vec![Operand::Int(0, MTy::I64)];
                self.push_args(args, &mut ops);
                self.unhold(mark);
                let entry = self.cx.ramp_nospawn(*f);
                Some(self.call_ramp(entry, ops))
            }
            TCallee::Value(fe) => {
                let ExprKind::Closure(l) = fe.kind else {
                    return None;
                };
                if !self.prog.funcs[l.0 as usize].is_async {
                    return None;
                }
                let mark = self.mark();
                let clo = self.expr(fe);
                self.hold(&clo, true);
                let mut ops = vec![clo.clone()];
                self.push_args(args, &mut ops);
                self.unhold(mark);
                let entry = self.cx.ramp_nospawn(l);
                let t = self.call_ramp(entry, ops);
                // The ramp retained the closure for the task's frame.
                self.release(&clo);
                Some(t)
            }
            _ => None,
        }
    }

    /// Calls a ramp (arguments moved into the task); the task, owned.
    fn call_ramp(&mut self, ramp: FuncIdx, ops: Vec<Operand>) -> Operand {
        let (err, val): (Local, Local) = (self.local(MTy::I64), self.local(MTy::I64));
        self.push(Stmt::Call(vec![err, val], Callee::Func(ramp), ops));
        Operand::Local(val)
    }

    /// Panics -105 (`use of uninitialized WHAT value`) when `v` is null.
    pub fn null_check(&mut self, v: &Operand, what: &str, span: Span) {
        if !matches!(v, Operand::Local(_)) {
            return;
        }
        let is_null = self.bin(BinOp::Eq, v.clone(), Operand::Int(0, MTy::I64));
        let null = self.branch_out(is_null);
        let msg = format!("use of uninitialized {what} value");
        self.at(null, |me| me.raise(-105, &msg, span));
    }

    /// The machine value of type `ty` from a task result's 64 "bits".
    fn result_value(&mut self, bits: Operand, ty: &Ty) -> Operand {
        self.value_of_bits(bits, ty)
    }

    /// Task methods (§7.4, §7.5) and the async library (§7.11); `None` for
    /// other built-ins.
    pub fn async_builtin(&mut self, b: Builtin, args: &'a [Expr], e: &'a Expr) -> Option<Split> {
        use Builtin::*;
        let span = e.span;
        let task = MTy::I64;
        let split = match b {
            Sleep => {
                let ms = self.index_value(&args[0]);
                Split::ok(self.rt1("aria_sleep", task, vec![ms]))
            }
            YieldNow => Split::ok(self.rt1("aria_yield_now", task, vec![])),
            JoinAll | Race => {
                let mark = self.mark();
                let vals = self.operands(&[&args[0]]);
                let arr = vals[0].0.clone();
                let t = if b == JoinAll {
                    // `join_all(Task<T>[])`: a task of `T[]`.
                    let elem = match res_inner(&e.ty) {
                        Ty::Task(a) => match &**a {
                            Ty::Array(t) => (**t).clone(),
                            t => t.clone(),
                        },
                        t => t.clone(),
                    };
                    let kind = Operand::Int(layout::elem_kind(&elem) as i64, MTy::I32);
                    let size = Operand::Int(layout::elem_size(&elem) as i64, MTy::I32);
                    self.rt1("aria_join_all", task, vec![arr, kind, size])
                } else {
                    self.rt1("aria_race", task, vec![arr])
                };
                self.drop_operands(&vals, mark);
                Split::ok(t)
            }
            WithTimeout => {
                let mark = self.mark();
                let vals = self.operands(&[&args[0], &args[1]]);
                self.null_check(&vals[0].0, "Task", span);
                let ms = self.widen_i64(vals[1].0.clone(), &args[1].ty);
                let t = self.rt1("aria_with_timeout", task, vec![vals[0].0.clone(), ms]);
                self.drop_operands(&vals, mark);
                Split::ok(t)
            }
            TaskAwait => {
                // `t.await()` in synchronous code: block this thread.
                let mark = self.mark();
                let vals = self.operands(&[&args[0]]);
                self.null_check(&vals[0].0, "Task", span);
                let r = self.rt(
                    "aria_task_block_on",
                    &[MTy::I64, MTy::I64],
                    vec![vals[0].0.clone()],
                );
                self.drop_operands(&vals, mark);
                let val = self.result_value(r[1].clone(), res_inner(&e.ty));
                self.checked_call(r[0].clone(), val, span)
            }
            TaskDone | TaskCancel | TaskDetach => {
                let mark = self.mark();
                let vals = self.operands(&[&args[0]]);
                self.null_check(&vals[0].0, "Task", span);
                let t = vals[0].0.clone();
                let v = match b {
                    TaskDone => self.rt1("aria_task_done", MTy::I8, vec![t]),
                    TaskCancel => {
                        self.rt0("aria_task_cancel", vec![t]);
                        NIL
                    }
                    _ => {
                        self.rt0("aria_task_detach", vec![t]);
                        NIL
                    }
                };
                self.drop_operands(&vals, mark);
                Split::ok(v)
            }
            TaskThen => {
                let mark = self.mark();
                let vals = self.operands(&[&args[0], &args[1]]);
                self.null_check(&vals[0].0, "Task", span);
                self.null_check(&vals[1].0, "func", span);
                let value_ty = match &args[0].ty {
                    Ty::Task(t) => mty(t),
                    _ => MTy::I64,
                };
                let mut cb = vals[1].0.clone();
                if value_ty.is_float() {
                    cb = self.float_callback(cb, value_ty);
                }
                self.rt0("aria_task_then", vec![vals[0].0.clone(), cb.clone()]);
                if cb != vals[1].0 {
                    self.release(&cb);
                }
                self.drop_operands(&vals, mark);
                Split::ok(NIL)
            }
            _ => return None,
        };
        Some(split)
    }

    /// A call of async function `f` (its ramp): the arguments are moved
    /// into the new task's frame; the result is the task handle (owned),
    /// in a result that never fails (§7.2).
    pub fn async_call(&mut self, ops: Vec<Operand>, callee: FuncIdx) -> Split {
        Split::ok(self.call_ramp(callee, ops))
    }

    /// The runtime calls a `then` callback as `fn(env, err: i64, val: i64)`
    /// (the result's 64 bits); a callback taking a float value gets it in a
    /// float register instead. Wraps closure `cb` (borrowed) in an owned
    /// adapter closure whose function converts the bits and calls `cb`.
    fn float_callback(&mut self, cb: Operand, ty: MTy) -> Operand {
        let key = format!("then_adapter.{ty:?}");
        let f = self
            .cx
            .extra_func(&key, || float_callback_adapter(&format!("aria.{key}"), ty));
        let mask = self.cx.mask(vec![1]);
        let clo = self.rt1(
            "aria_closure_new",
            MTy::I64,
            vec![Operand::FuncAddr(f), Operand::Int(1, MTy::I64), mask],
        );
        self.retain(&cb);
        self.store(clo.clone(), layout::cap_offset(0), cb);
        clo
    }
}

/// `NAME$ramp_nospawn(env, params..) -> (i64, task)` standing for async
/// function `f`'s no-spawn ramp until the coroutine transform builds the
/// real one (`Coroutine::ramp_nospawn`): it calls the ramp (a spawned task
/// is a correct, slower, operand for `aria_task_start_inline`).
pub(super) fn forward_to_ramp(
    prog: &tast::Program,
    f: tast::FuncId,
    ramp_name: String,
) -> crate::mir::Function {
    use crate::mir::{Block, Function, LocalDecl};
    let func = &prog.funcs[f.0 as usize];
    let mut locals = vec![LocalDecl {
        ty: MTy::I64,
        name: Some("env".into()),
    }];
    for &p in &func.params {
        for ty in layout::flat_mtys(&func.locals[p.0 as usize].ty) {
            locals.push(LocalDecl { ty, name: None });
        }
    }
    let params: Vec<Local> = (0..locals.len() as u32).map(Local).collect();
    let (err, task) = (Local(locals.len() as u32), Local(locals.len() as u32 + 1));
    locals.extend([MTy::I64, MTy::I64].map(|ty| LocalDecl { ty, name: None }));
    Function {
        name: format!("{ramp_name}$ramp_nospawn"),
        params: params.clone(),
        ret: MTy::I64,
        locals,
        blocks: vec![Block {
            stmts: vec![Stmt::Call(
                vec![err, task],
                Callee::Func(FuncIdx(f.0)),
                params.into_iter().map(Operand::Local).collect(),
            )],
            term: Terminator::Return(Operand::Local(err), Operand::Local(task)),
        }],
        conv: crate::mir::CallConv::Aria,
        coroutine: None,
    }
}

/// `fn(env, err: i64, bits: i64) -> (i64, i8)`: calls the closure held in
/// capture 0 of `env` with `(err, float value of bits)`.
fn float_callback_adapter(name: &str, ty: MTy) -> crate::mir::Function {
    use crate::mir::{Block, CastOp, Function, LocalDecl, Rvalue};
    let decl = |ty| LocalDecl { ty, name: None };
    let mut locals = vec![decl(MTy::I64), decl(MTy::I64), decl(MTy::I64)];
    let mut new = |ty| {
        locals.push(decl(ty));
        Local(locals.len() as u32 - 1)
    };
    let (env, err, bits) = (Local(0), Local(1), Local(2));
    let (inner, fnptr, val) = (new(MTy::I64), new(MTy::I64), new(ty));
    let (e, v) = (new(MTy::I64), new(MTy::I8));
    let low = new(MTy::I32);
    let mut stmts = vec![
        Stmt::Assign(
            inner,
            Rvalue::Load(MTy::I64, Operand::Local(env), layout::cap_offset(0)),
        ),
        Stmt::Assign(
            fnptr,
            Rvalue::Load(MTy::I64, Operand::Local(inner), layout::CLOSURE_FN),
        ),
    ];
    if ty == MTy::F32 {
        stmts.push(Stmt::Assign(
            low,
            Rvalue::Cast(CastOp::Trunc, Operand::Local(bits)),
        ));
        stmts.push(Stmt::Assign(
            val,
            Rvalue::Cast(CastOp::Bitcast, Operand::Local(low)),
        ));
    } else {
        stmts.push(Stmt::Assign(
            val,
            Rvalue::Cast(CastOp::Bitcast, Operand::Local(bits)),
        ));
    }
    stmts.push(Stmt::Call(
        vec![e, v],
        Callee::Indirect(Operand::Local(fnptr), vec![MTy::I64, MTy::I8]),
        vec![
            Operand::Local(inner),
            Operand::Local(err),
            Operand::Local(val),
        ],
    ));
    Function {
        name: name.to_string(),
        params: vec![env, err, bits],
        ret: MTy::I8,
        locals,
        blocks: vec![Block {
            stmts,
            term: Terminator::Return(Operand::Local(e), Operand::Local(v)),
        }],
        conv: crate::mir::CallConv::Aria,
        coroutine: None,
    }
}

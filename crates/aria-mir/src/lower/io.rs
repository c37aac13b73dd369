//! Channels, TCP and files (LANGUAGE.md §7.12–§7.14) as runtime calls of
//! docs/RUNTIME_ABI.md ("Channels, TCP and files").
//!
//! Handles (`Chan<T>`, `TcpListener`, `TcpConn`) are managed values like
//! task handles: the runtime functions borrow them (and every other
//! argument) and return owned results. Each asynchronous operation returns
//! a new built-in task, owned by the caller and awaited like any task
//! (`await`, `.await()`, `join_all`...); its value comes back as 64 bits
//! and is converted to the value type where it is read, so a `Chan<T>`
//! only needs the conversion the other way: `send` passes `v` as bits
//! (integers sign/zero-extended by their type, floats by bit pattern). A
//! method called on a null (uninitialized) handle panics -105 before the
//! runtime is called.
//!
//! Cancellation of `await c.recv()` and the like spreads to the built-in
//! task because the operand is a call that created it (`asyncs.rs`,
//! `creates_task`): nobody else holds its handle.
//!
//! `await c.send(v)` / `await c.recv()` / `await k.read(n)` /
//! `await k.write(s)` / `await sleep(ms)` (the operand is the call itself)
//! call `aria_chan_try_send` / `aria_chan_try_recv` / `aria_conn_try_read` /
//! `aria_conn_try_write` / `aria_try_sleep` instead
//! ([`FnBuilder::await_chan`]), which complete the operation without a task
//! when they can (its `{err, val}` then goes on exactly like an awaited
//! result), tell the await to stop (a pending cancellation: nothing
//! happened), make the awaiting task the operation's waiter (an `Await`
//! with `finish` suspends on it), or return the operation's built-in task
//! (not in a task, or out of budget), awaited as usual.

use super::func::FnBuilder;
use super::layout::{mty, res_inner};
use super::results::Split;
use crate::mir::{
    BinOp, CastOp, MTy, Operand, Rvalue, Terminator, TRY_CANCELLED, TRY_TASK, TRY_WAIT,
};
use aria_sema::tast::{Builtin, Callee as TCallee, Expr, ExprKind};
use aria_sema::types::Ty;

const NIL: Operand = Operand::Int(0, MTy::I8);

/// `ERR_CANCELLED` (LANGUAGE.md §10.2).
const ERR_CANCELLED: i64 = -1;

/// How the runtime function of an I/O built-in returns.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ret {
    /// A new built-in task (owned).
    Task,
    /// Nothing; the built-in yields `NIL`.
    Nil,
    /// `AriaResult {err, val}`: may fail (never panics).
    Result,
    /// An `int64` truncated to the built-in's `int32`.
    Int32,
}

/// The runtime function of I/O built-in `b` and how it returns.
fn runtime_fn(b: Builtin) -> Option<(&'static str, Ret)> {
    use Builtin::*;
    Some(match b {
        Chan => ("aria_chan_new", Ret::Result),
        ChanSend => ("aria_chan_send", Ret::Task),
        ChanRecv => ("aria_chan_recv", Ret::Task),
        ChanClose => ("aria_chan_close", Ret::Nil),
        TcpListen => ("aria_tcp_listen", Ret::Result),
        ListenerPort => ("aria_listener_port", Ret::Int32),
        ListenerAccept => ("aria_listener_accept", Ret::Task),
        ListenerClose => ("aria_listener_close", Ret::Nil),
        TcpConnect => ("aria_tcp_connect", Ret::Task),
        ConnRead => ("aria_conn_read", Ret::Task),
        ConnWrite => ("aria_conn_write", Ret::Task),
        ConnShutdown => ("aria_conn_shutdown", Ret::Nil),
        ConnClose => ("aria_conn_close", Ret::Nil),
        ReadFile => ("aria_read_file", Ret::Task),
        WriteFile => ("aria_write_file", Ret::Task),
        _ => return None,
    })
}

/// The type name in the -105 panic of a method on a null handle.
fn handle_name(ty: &Ty) -> Option<&'static str> {
    match ty {
        Ty::Chan(_) => Some("Chan"),
        Ty::TcpListener => Some("TcpListener"),
        Ty::TcpConn => Some("TcpConn"),
        _ => None,
    }
}

impl<'c, 'a> FnBuilder<'c, 'a> {
    /// Channels, TCP and files; `None` for other built-ins. `e` is the
    /// call (type `result<T>`).
    pub fn io_builtin(&mut self, b: Builtin, args: &'a [Expr], e: &'a Expr) -> Option<Split> {
        let (name, ret) = runtime_fn(b)?;
        let mark = self.mark();
        let refs: Vec<&'a Expr> = args.iter().collect();
        let vals = self.operands(&refs);
        // A method's receiver is `args[0]`.
        if let Some(what) = args.first().and_then(|a| handle_name(&a.ty)) {
            self.null_check(&vals[0].0, what, e.span);
        }
        let mut ops = self.io_args(args, &vals);
        if b == Builtin::Chan {
            // `chan<T>(n)`: does the channel own (retain) its values?
            let managed = match res_inner(&e.ty) {
                Ty::Chan(t) => t.is_managed(),
                _ => false,
            };
            ops.push(Operand::Int(managed as i64, MTy::I32));
        }
        let rets: &[MTy] = match ret {
            Ret::Task | Ret::Int32 => &[MTy::I64],
            Ret::Nil => &[],
            Ret::Result => &[MTy::I64, MTy::I64],
        };
        let r = self.rt(name, rets, ops);
        self.drop_operands(&vals, mark);
        Some(match ret {
            Ret::Task => Split::ok(r[0].clone()),
            Ret::Nil => Split::ok(NIL),
            Ret::Result => self.fail_check(r[0].clone(), r[1].clone()),
            Ret::Int32 => Split::ok(self.cast(CastOp::Trunc, r[0].clone(), MTy::I32)),
        })
    }

    /// The runtime arguments of I/O built-in call `args` from their
    /// evaluated operands `vals`.
    fn io_args(&mut self, args: &'a [Expr], vals: &[(Operand, bool)]) -> Vec<Operand> {
        let mut ops: Vec<Operand> = Vec::with_capacity(vals.len() + 1);
        for (i, ((v, _), a)) in vals.iter().zip(args).enumerate() {
            let op = match (&args[0].ty, i) {
                // `c.send(v)`: the element as bits, extended by its type.
                (Ty::Chan(t), 1) => self.bits_of(v.clone(), Some(&**t)),
                _ if matches!(a.ty, Ty::Int(_)) => self.widen_i64(v.clone(), &a.ty),
                _ => v.clone(),
            };
            ops.push(op);
        }
        ops
    }

    /// `await c.send(v)` / `await c.recv()` / `await k.read(n)` /
    /// `await k.write(s)` / `await sleep(ms)` (`operand` is the call, maybe implicitly
    /// unwrapped; `e` the await, type `result<U>`); `None` for any other
    /// operand:
    ///
    /// ```text
    /// (err, x) = aria_chan_try_*(c[, v])           (or aria_conn_try_*, aria_try_sleep)
    /// TRY_TASK:      await task x (cancellation spreads to it)
    /// TRY_CANCELLED: the await's cancellation path (nothing happened)
    /// TRY_WAIT:      suspend; resumed: (err, val) = aria_*_finish_*(x,
    ///                task), TRY_CANCELLED → the cancellation path
    /// otherwise:     (err, val) = (err, value of bits x)      — no task
    /// ```
    ///
    /// and both ways on to the awaited result's checks. Ownership is the
    /// task path's: `v` is borrowed by the call, a received managed value
    /// comes back owned.
    pub fn await_chan(&mut self, operand: &'a Expr, e: &'a Expr) -> Option<Split> {
        let mut call = operand;
        while let ExprKind::Unwrap(x, _) = &call.kind {
            call = x;
        }
        let ExprKind::Call(TCallee::Builtin(b), args) = &call.kind else {
            return None;
        };
        let (name, finish) = match b {
            Builtin::ChanSend => ("aria_chan_try_send", "aria_chan_finish_send"),
            Builtin::ChanRecv => ("aria_chan_try_recv", "aria_chan_finish_recv"),
            Builtin::ConnRead => ("aria_conn_try_read", "aria_conn_finish_read"),
            Builtin::ConnWrite => ("aria_conn_try_write", "aria_conn_finish_write"),
            Builtin::Sleep => ("aria_try_sleep", "aria_finish_sleep"),
            _ => return None,
        };
        let mark = self.mark();
        let refs: Vec<&'a Expr> = args.iter().collect();
        let vals = self.operands(&refs);
        if let Some(what) = handle_name(&args[0].ty) {
            self.null_check(&vals[0].0, what, call.span);
        }
        let ops = self.io_args(args, &vals);
        let r = self.rt(name, &[MTy::I64, MTy::I64], ops);
        self.drop_operands(&vals, mark);
        let u = res_inner(&e.ty);
        let (err, val) = (self.local(MTy::I64), self.local(mty(u)));
        let join = self.block();
        let is_task = self.bin(BinOp::Eq, r[0].clone(), Operand::Int(TRY_TASK, MTy::I64));
        let slow = self.branch_out(is_task);
        let stop = self.bin(
            BinOp::Eq,
            r[0].clone(),
            Operand::Int(TRY_CANCELLED, MTy::I64),
        );
        let cancel_now = self.branch_out(stop);
        self.at(cancel_now, |me| {
            me.propagate(Operand::Int(ERR_CANCELLED, MTy::I64))
        });
        // The awaiting task waits for the operation itself.
        let waits = self.bin(BinOp::Eq, r[0].clone(), Operand::Int(TRY_WAIT, MTy::I64));
        let wait = self.branch_out(waits);
        self.at(wait, |me| {
            let resumed = me.block();
            me.terminate(Terminator::Await {
                task: r[1].clone(),
                err,
                val,
                next: resumed,
                cancel: cancel_now,
                finish: Some(finish),
            });
            me.switch_to(resumed);
            me.goto(join);
        });

        // Done at once.
        self.assign(err, Rvalue::Use(r[0].clone()));
        let v = self.value_of_bits(r[1].clone(), u);
        self.assign(val, Rvalue::Use(v));
        self.goto(join);

        // The built-in task, awaited.
        self.switch_to(slow);
        let t = r[1].clone();
        self.hold(&t, true);
        self.await_held(&t, true, (err, val), mark);
        self.goto(join);

        self.switch_to(join);
        Some(self.checked_call(Operand::Local(err), Operand::Local(val), e.span))
    }
}

#[cfg(test)]
mod tests {
    use crate::mir::*;
    use crate::validate::validate;

    /// Parses, checks and lowers `src` (before the coroutine transform when
    /// `bodies`), validating the MIR.
    fn lower(src: &str, bodies: bool) -> Program {
        let (ast, diags) = aria_syntax::parse(src.as_bytes());
        assert!(
            diags
                .iter()
                .all(|d| d.severity != aria_syntax::Severity::Error),
            "{diags:?}"
        );
        let (tast, diags) = aria_sema::check_source(&ast, src.as_bytes());
        let tast = tast.unwrap_or_else(|| panic!("sema errors: {diags:?}"));
        let p = if bodies {
            super::super::lower_bodies(&tast, "t.aria", src)
        } else {
            super::super::lower(&tast, "t.aria", src)
        }
        .unwrap_or_else(|e| panic!("lowering: {e}"));
        validate(&p).unwrap_or_else(|e| panic!("invalid MIR: {e}\n{p}"));
        p
    }

    fn func<'p>(p: &'p Program, name: &str) -> &'p Function {
        p.funcs.iter().find(|f| f.name == name).unwrap()
    }

    /// `(name, args)` of every runtime call of `f`.
    fn calls(f: &Function) -> Vec<(&str, &[Operand])> {
        f.blocks
            .iter()
            .flat_map(|b| &b.stmts)
            .filter_map(|s| match s {
                Stmt::Call(_, Callee::Runtime(n, _), a) => Some((*n, a.as_slice())),
                _ => None,
            })
            .collect()
    }

    fn casts(f: &Function, op: CastOp) -> usize {
        f.blocks
            .iter()
            .flat_map(|b| &b.stmts)
            .filter(|s| matches!(s, Stmt::Assign(_, Rvalue::Cast(o, _)) if *o == op))
            .count()
    }

    #[test]
    fn every_io_builtin_calls_its_runtime_function() {
        let p = lower(
            "async func:main = int32() {\n\
                 Chan<string>:c = chan<string>(2);\n\
                 await c.send(\"x\");\n\
                 string:s = await c.recv();\n\
                 c.close();\n\
                 TcpListener:l = tcp_listen(\"127.0.0.1\", 0);\n\
                 int32:port = l.port();\n\
                 Task<TcpConn>:a = l.accept();\n\
                 TcpConn:k = await tcp_connect(\"127.0.0.1\", port);\n\
                 string:got = await k.read(10);\n\
                 int64:n = await k.write(got);\n\
                 k.shutdown();\n\
                 k.close();\n\
                 l.close();\n\
                 string:f = await read_file(\"/tmp/x\");\n\
                 await write_file(\"/tmp/x\", f);\n\
                 pass(0);\n\
             };",
            false,
        );
        let names: Vec<&str> = calls(func(&p, "aria.main$resume"))
            .iter()
            .map(|c| c.0)
            .collect();
        for rt in [
            "aria_chan_new",
            "aria_chan_try_send",
            "aria_chan_try_recv",
            "aria_chan_close",
            "aria_tcp_listen",
            "aria_listener_port",
            "aria_listener_accept",
            "aria_listener_close",
            "aria_tcp_connect",
            "aria_conn_try_read",
            "aria_conn_try_write",
            "aria_conn_shutdown",
            "aria_conn_close",
            "aria_read_file",
            "aria_write_file",
        ] {
            assert!(names.contains(&rt), "no call of {rt}: {names:?}");
        }
    }

    #[test]
    fn awaited_channel_calls_try_first_stored_handles_do_not() {
        let p = lower(
            "async func:main = int32() {\n\
                 Chan<int8>:c = chan<int8>(1);\n\
                 int8:v = -1;\n\
                 await c.send(v);\n\
                 int8:a = await c.recv();\n\
                 Task<NIL>:s = c.send(a);\n\
                 await s;\n\
                 Task<int8>:r = c.recv();\n\
                 int8:b = await r;\n\
                 pass(b);\n\
             };",
            true,
        );
        let main = func(&p, "aria.main");
        let names: Vec<&str> = calls(main).iter().map(|c| c.0).collect();
        let count = |n: &str| names.iter().filter(|x| **x == n).count();
        assert_eq!(count("aria_chan_try_send"), 1, "{names:?}");
        assert_eq!(count("aria_chan_try_recv"), 1, "{names:?}");
        assert_eq!(count("aria_chan_send"), 1, "stored handle: {names:?}");
        assert_eq!(count("aria_chan_recv"), 1, "stored handle: {names:?}");
        // Each try branches on the three sentinels.
        let sentinels = main
            .blocks
            .iter()
            .flat_map(|b| &b.stmts)
            .filter(|s| {
                matches!(s, Stmt::Assign(_, Rvalue::Bin(BinOp::Eq, _, Operand::Int(v, MTy::I64)))
                    if [super::TRY_TASK, super::TRY_CANCELLED, super::TRY_WAIT].contains(v))
            })
            .count();
        assert_eq!(sentinels, 6);
        // Six awaits remain: the two tries' task paths, their waits in the
        // awaiting task (ended by the finish calls), and the two handles.
        let finishes: Vec<Option<&str>> = main
            .blocks
            .iter()
            .filter_map(|b| match b.term {
                Terminator::Await { finish, .. } => Some(finish),
                _ => None,
            })
            .collect();
        assert_eq!(
            finishes,
            [
                None,
                Some("aria_chan_finish_send"),
                None,
                Some("aria_chan_finish_recv"),
                None,
                None
            ]
        );
    }

    #[test]
    fn channel_values_are_bits_extended_by_their_type() {
        let p = lower(
            "func:main = int32() {\n\
                 Chan<int8>:a = chan<int8>(1);\n\
                 Chan<string>:s = chan<string>(0);\n\
                 int8:v = -1;\n\
                 a.send(v).await();\n\
                 int8:back = a.recv().await();\n\
                 pass(back);\n\
             };",
            false,
        );
        let main = func(&p, "aria.main");
        let news: Vec<&[Operand]> = calls(main)
            .into_iter()
            .filter(|c| c.0 == "aria_chan_new")
            .map(|c| c.1)
            .collect();
        assert_eq!(news.len(), 2);
        assert_eq!(news[0][1], Operand::Int(0, MTy::I32), "int8 is not managed");
        assert_eq!(news[1][1], Operand::Int(1, MTy::I32), "string is managed");
        assert!(casts(main, CastOp::SExt) >= 1, "int8 sent sign-extended");
        assert!(casts(main, CastOp::Trunc) >= 1, "received bits truncated");
    }

    #[test]
    fn handle_methods_check_for_null_and_port_is_int32() {
        let p = lower(
            "func:main = int32() {\n\
                 TcpListener:l;\n\
                 int32:p = l.port();\n\
                 pass(p);\n\
             };",
            false,
        );
        let main = func(&p, "aria.main");
        assert!(p.data.iter().any(|d| String::from_utf8_lossy(&d.bytes)
            .contains("use of uninitialized TcpListener value")));
        assert!(calls(main).iter().any(|c| c.0 == "aria_panic_raise"));
        assert!(casts(main, CastOp::Trunc) >= 1, "port truncated to int32");
    }

    #[test]
    fn cancellation_spreads_to_builtin_tasks_created_at_the_await() {
        let p = lower(
            "async func:f = int32(Chan<int32>:c, Task<int32>:t) {\n\
                 int32:a = await c.recv();\n\
                 int32:b = await t;\n\
                 pass(a + b);\n\
             };\n\
             func:main = int32() {\n\
                 Chan<int32>:c = chan<int32>(1);\n\
                 pass(f(c, c.recv()).await());\n\
             };",
            true,
        );
        let f = func(&p, "aria.f");
        let spreads: Vec<bool> = f
            .blocks
            .iter()
            .filter_map(|b| match b.term {
                Terminator::Await { cancel, .. } => {
                    Some(f.blocks[cancel.0 as usize].stmts.iter().any(|s| {
                        matches!(s, Stmt::Call(_, Callee::Runtime("aria_task_cancel", _), _))
                    }))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            spreads,
            [true, false, false],
            "`await c.recv()` spreads to its task (its wait in the task \
             itself has none to spread to), `await t` not"
        );
    }
}

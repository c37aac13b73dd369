//! Scopes, defers, releases and the ways out of a function: normal scope
//! exit, `break`/`continue`/`fall`, leaving the function (pass, fail,
//! return, propagation) and panic unwinding (RUNTIME_ABI.md "Panics").
//!
//! Cleanup code is emitted inline at each exit. Leaving the function and
//! unwinding go through blocks shared by every exit point that has the same
//! cleanup state (same active scopes and temporaries), so a function with
//! many calls does not repeat its defers at each of them.

use super::func::{zero_of, FnBuilder};
use super::Span;
use crate::mir::{BinOp, BlockId, Local, MTy, Operand, Rvalue, Terminator};
use aria_sema::tast;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Cleanup<'a> {
    /// Release an owned reference held in this local and null it.
    Release(Local),
    /// Run a `defer` body.
    Defer(&'a tast::Block),
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Scope<'a> {
    /// In registration order; run in reverse.
    pub cleanups: Vec<Cleanup<'a>>,
}

/// An enclosing loop: where `break`/`continue` go and how many scopes stay
/// active there.
pub(crate) struct LoopCtx {
    pub brk: BlockId,
    pub cont: BlockId,
    pub depth: usize,
}

/// An enclosing `pick`: the case bodies `fall` can jump to.
pub(crate) struct PickCtx {
    pub bodies: Vec<BlockId>,
    pub depth: usize,
}

/// Identifies a cleanup state (which shared exit block fits it).
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub(crate) struct ExitKey {
    unwind: bool,
    state: Vec<u64>,
}

impl<'c, 'a> FnBuilder<'c, 'a> {
    pub fn push_scope(&mut self) {
        self.scopes.push(Scope::default());
    }

    /// Leaves the innermost scope normally (its end was reached).
    pub fn pop_scope(&mut self) {
        if !self.is_dead() {
            self.emit_cleanups_to(self.scopes.len() - 1);
        }
        self.scopes.pop();
    }

    pub fn add_cleanup(&mut self, c: Cleanup<'a>) {
        self.scopes.last_mut().expect("a scope").cleanups.push(c);
    }

    /// Emits the cleanups of scopes `depth..` (innermost first, each
    /// scope's entries last-registered first). While a defer body is
    /// lowered, the active state is exactly what is still to be cleaned up,
    /// so a panic inside it unwinds the rest.
    pub fn emit_cleanups_to(&mut self, depth: usize) {
        let saved = self.scopes.clone();
        for s in (depth..saved.len()).rev() {
            for k in (0..saved[s].cleanups.len()).rev() {
                match saved[s].cleanups[k] {
                    Cleanup::Release(l) => self.release_local(l),
                    Cleanup::Defer(body) => {
                        self.scopes = saved[..=s].to_vec();
                        self.scopes[s].cleanups.truncate(k);
                        self.defer_body(body);
                    }
                }
            }
        }
        self.scopes = saved;
    }

    pub fn release_local(&mut self, l: Local) {
        self.release(&Operand::Local(l));
        self.assign(l, Rvalue::Use(Operand::Int(0, MTy::I64)));
    }

    /// A defer body runs in its own scope; no `break`/`continue`/`fall`
    /// leaves it (E0326), so the enclosing loops and picks are hidden.
    fn defer_body(&mut self, body: &'a tast::Block) {
        let loops = std::mem::take(&mut self.loops);
        let picks = std::mem::take(&mut self.picks);
        self.push_scope();
        self.stmts(&body.stmts);
        self.pop_scope();
        self.loops = loops;
        self.picks = picks;
    }

    /// Panics here: attach the location, then unwind (suspend the panic,
    /// run all cleanups, resume it, return the code).
    pub fn unwind(&mut self, span: Span) {
        let loc = self.cx.location(span, &self.func.name);
        self.rt0("aria_panic_locate", vec![loc]);
        let target = self.shared_exit(true);
        self.goto(target);
    }

    /// Leaves the function with `(err, val)`: runs all cleanups, then
    /// returns. With `err != 0` the value is dropped and zero returned.
    pub fn leave(&mut self, err: Operand, val: Operand) {
        // Nothing to clean up: return directly. A failure's val is already
        // zero unless it is an owned object that must be dropped first.
        let nothing = self.temps.is_empty() && self.scopes.iter().all(|s| s.cleanups.is_empty());
        if nothing && (err == Operand::Int(0, MTy::I64) || !self.func.ret.is_managed()) {
            self.terminate(Terminator::Return(err, val));
            return;
        }
        let (e, v) = (self.exit_err, self.exit_val);
        self.assign(e, Rvalue::Use(err));
        self.assign(v, Rvalue::Use(val));
        let target = self.shared_exit(false);
        self.goto(target);
    }

    /// Fails the function with `code` (propagation, `fail`).
    pub fn propagate(&mut self, code: Operand) {
        let zero = zero_of(self.ret);
        self.leave(code, zero);
    }

    fn exit_key(&self, unwind: bool) -> ExitKey {
        let mut state = Vec::new();
        for s in &self.scopes {
            for c in &s.cleanups {
                state.push(match c {
                    Cleanup::Release(l) => u64::from(l.0) << 1,
                    Cleanup::Defer(b) => ((*b as *const tast::Block as u64) << 1) | 1,
                });
            }
        }
        // Only the flattened sequence matters, not where scopes begin.
        state.push(u64::MAX);
        state.extend(self.temps.iter().map(|t| u64::from(t.0)));
        ExitKey { unwind, state }
    }

    fn shared_exit(&mut self, unwind: bool) -> BlockId {
        let key = self.exit_key(unwind);
        if let Some(&b) = self.exit_cache.get(&key) {
            return b;
        }
        let b = self.block();
        self.at(b, |me| {
            if unwind {
                me.emit_unwind_exit();
            } else {
                me.emit_leave_exit();
            }
        });
        self.exit_cache.insert(key, b);
        b
    }

    /// Releases the live temporaries, then runs every scope's cleanups
    /// with no temporaries active (they are gone on this path).
    fn cleanup_all(&mut self) {
        let temps = std::mem::take(&mut self.temps);
        for t in temps.iter().rev() {
            self.release(&Operand::Local(*t));
        }
        self.emit_cleanups_to(0);
        self.temps = temps;
    }

    fn emit_unwind_exit(&mut self) {
        let code = self.rt1("aria_panic_suspend", MTy::I64, vec![]);
        self.cleanup_all();
        self.rt0("aria_panic_resume", vec![code.clone()]);
        let zero = zero_of(self.ret);
        self.terminate(Terminator::Return(code, zero));
    }

    fn emit_leave_exit(&mut self) {
        let (err, val) = (Operand::Local(self.exit_err), Operand::Local(self.exit_val));
        let managed = self.func.ret.is_managed();
        // The value being returned is a temporary while defers run: a
        // panic in one of them must release it.
        let temps = std::mem::take(&mut self.temps);
        for t in temps.iter().rev() {
            self.release(&Operand::Local(*t));
        }
        self.hold(&val, managed);
        self.emit_cleanups_to(0);
        self.temps = temps;
        let failed = self.bin(BinOp::Ne, err.clone(), Operand::Int(0, MTy::I64));
        let fail = self.branch_out(failed);
        self.terminate(Terminator::Return(Operand::Int(0, MTy::I64), val.clone()));
        self.switch_to(fail);
        if managed {
            self.release(&val);
        }
        let zero = zero_of(self.ret);
        self.terminate(Terminator::Return(err, zero));
    }
}

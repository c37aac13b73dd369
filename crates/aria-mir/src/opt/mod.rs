//! MIR optimisations, run on the whole program after the coroutine
//! transform (see [`optimize`]).
//!
//! - [`fails`]: which Aria functions can never return a failure (`err !=
//!   0`); after every call of such a function the `err` destination is set
//!   to the constant 0, so the caller's failure test and its panic path
//!   fold away in Cranelift.
//! - [`tail_rec`]: self-calls in tail position of such functions become
//!   jumps back to the entry (accumulating `+`/`*` of integers when the
//!   call is an operand of the returned value).
//!
//! Both are exact: they only fire where the program's observable behaviour
//! (output, failures, panics, evaluation order) cannot change.

pub mod fails;
pub mod tail_rec;

#[cfg(test)]
mod tests;

use crate::mir::Program;

/// Runs every MIR optimisation. `ARIA_MIR_OPT=0` turns them all off and
/// `ARIA_TAILREC=0` only the tail-recursion pass (for measurements).
pub fn optimize(p: &mut Program) {
    let off = |k: &str| std::env::var_os(k).is_some_and(|v| v == "0");
    if off("ARIA_MIR_OPT") {
        return;
    }
    let nf = fails::never_fail(p);
    fails::fold_call_errors(p, &nf);
    if !off("ARIA_TAILREC") {
        tail_rec::transform(p, &nf);
    }
}

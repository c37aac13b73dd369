//! Semantic analysis: names, types, constants, the result rule and the
//! async rules. Input: `aria_syntax::ast::Program`; output: `tast::Program`.
//!
//! - `scope`: environments (block scopes, top level, built-ins);
//! - `check`: the checker, by idea (items, statements, expressions, calls,
//!   built-ins, lambdas, async rules, coercions);
//! - `convert` / `consts`: type relations and constant arithmetic, pure;
//! - `flow`: terminating statements (E0310) and unreachable code (W0003);
//! - `validate`: a final guard that the output is fully typed.

mod check;
pub mod consts;
pub mod convert;
mod flow;
mod scope;
pub mod tast;
pub mod types;
mod validate;

use aria_syntax::{ast, Diagnostic};

/// Check a program. The typed program comes back only when there is no
/// error (warnings do not block); diagnostics are sorted by position.
/// Lambdas are named `lambda@OFFSET`; use [`check_source`] to get
/// `lambda@LINE:COL`.
pub fn check(program: &ast::Program) -> (Option<tast::Program>, Vec<Diagnostic>) {
    check::check_program(program, None)
}

/// [`check`], with the source text so lambdas are named `lambda@LINE:COL`.
pub fn check_source(
    program: &ast::Program,
    src: &[u8],
) -> (Option<tast::Program>, Vec<Diagnostic>) {
    check::check_program(program, Some(src))
}

#[cfg(test)]
mod tests;

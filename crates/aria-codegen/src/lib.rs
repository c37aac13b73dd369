//! The code generator: MIR → Cranelift IR → machine code.
//!
//! [`compile_jit`] declares every runtime import, data object and function
//! of a [`aria_mir::mir::Program`], defines all functions, finalises the JIT
//! once and returns the entry points; [`run`] hands them to the runtime.
//! [`emit_clif`] prints the Cranelift IR for `aria run --emit=clif`.

mod function;
mod inline;
mod jit;
mod ops;
mod program;
mod rt;

pub use jit::{compile_jit, compile_jit_with_symbols, emit_clif, run, JitProgram};

#[cfg(test)]
mod tests;

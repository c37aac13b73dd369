//! The code generator: MIR → Cranelift IR → machine code.
//!
//! [`compile_jit`] declares every runtime import, data object and function
//! of a [`aria_mir::mir::Program`], defines all functions, finalises the JIT
//! once and returns the entry points; [`run`] hands them to the runtime.
//! [`emit_clif`] prints the Cranelift IR for `aria run --emit=clif`.
//! [`compile_object`] makes a relocatable object defining `main` for
//! `aria build` (linked with the runtime's static library).

mod function;
mod inline;
mod jit;
mod object;
mod ops;
mod program;
mod rt;

pub use jit::{compile_jit, compile_jit_with_symbols, emit_clif, run, JitProgram};
pub use object::{compile_object, compile_object_with, ObjectOptions};

#[cfg(test)]
mod tests;

//! MIR (a CFG of basic blocks over machine locals), the lowering from the
//! typed AST, the coroutine transform and the MIR optimisations (`opt`).

pub mod coroutine;
pub mod display;
mod lower;
pub mod mir;
pub mod opt;
pub mod runtime_sigs;
pub mod validate;

pub use lower::{lower, lower_bodies};

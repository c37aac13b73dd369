//! MIR (a CFG of basic blocks over machine locals), the lowering from the
//! typed AST, and the coroutine transform.

pub mod coroutine;
pub mod display;
mod lower;
pub mod mir;
pub mod runtime_sigs;
pub mod validate;

pub use lower::{lower, lower_bodies};

//! MIR (a CFG of basic blocks over machine locals), the lowering from the
//! typed AST, and the coroutine transform.

pub mod mir;

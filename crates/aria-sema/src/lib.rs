//! Semantic analysis: names, types, constants, the result rule and the
//! async rules. Input: `aria_syntax::ast::Program`; output: `tast::Program`.

pub mod tast;
pub mod types;

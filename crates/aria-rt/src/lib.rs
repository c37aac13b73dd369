//! `aria-rt`: the runtime of the Aria language.
//!
//! Generated code calls the `extern "C"` functions of this crate; the binding
//! contract (object layouts, reference counting, panic protocol, the function
//! list) is `docs/RUNTIME_ABI.md`. [`layout`] holds that contract's numbers
//! for the code generator, [`symbols`] lists every exported function with its
//! address for the JIT.
//!
//! One module per idea: [`object`] (header, counts, destruction), [`string`],
//! [`format`], [`array`], [`structs`], [`closure`], [`panic`], [`output`],
//! [`entry`], [`parse`], [`memory`], [`process`], [`numbers`]. The async
//! runtime (tasks, scheduler, timers, channels, I/O) is meant to be added as
//! sibling modules; runtime-private object kinds plug into [`object`] through
//! the destructor word described in [`layout::PRIVATE_DROP_OFFSET`].

#![warn(clippy::undocumented_unsafe_blocks)]
#![warn(unsafe_op_in_unsafe_fn)]

pub mod array;
pub mod async_main;
pub mod asynclib;
pub mod capi;
pub mod chan;
pub mod closure;
pub mod direct;
pub mod entry;
pub mod format;
pub mod fs;
pub mod layout;
pub mod memory;
pub mod net;
pub mod numbers;
pub mod object;
pub mod output;
pub mod panic;
pub mod parse;
pub mod process;
pub mod sched;
pub mod stack_guard;
pub mod string;
pub mod structs;
pub mod symbols;
pub mod sync;
pub mod task;
#[cfg(test)]
pub mod testutil;
pub mod waitq;

/// The `{err, val}` pair returned by runtime functions that can fail or panic
/// (returned in rax:rdx on System V x86-64, x0:x1 on AArch64).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AriaResult {
    pub err: i64,
    pub val: i64,
}

impl AriaResult {
    /// Success with `val`.
    pub const fn ok(val: i64) -> Self {
        AriaResult { err: 0, val }
    }
    /// Failure (or panic) with `err` and a zero value.
    pub const fn err(err: i64) -> Self {
        AriaResult { err, val: 0 }
    }
}

/// `{err, val: f64}` (rax:xmm0 on System V x86-64).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AriaResultF {
    pub err: i64,
    pub val: f64,
}

pub use object::{aria_rt_live_objects, thread_live_objects};

//! Lowering: typed AST (`aria_sema::tast`) → MIR.
//!
//! # Conventions
//!
//! **Ownership (reference counting, docs/RUNTIME_ABI.md).** Evaluating an
//! expression of a managed type yields an *owned* (+1) reference: reading a
//! variable retains, runtime functions and Aria calls return owned results,
//! literals are immortal. Internally some operands are only *borrowed* (read
//! from a variable without a retain) when they are consumed before any Aria
//! code can run (see `visit::runs_no_user_code`): runtime calls take borrowed
//! arguments, so `s.length` or `a == b` cost no count traffic.
//!
//! **Arguments are callee-owned.** The caller passes an owned (+1) reference
//! for every managed argument; the callee owns its parameters like locals and
//! releases them when it returns, fails or unwinds. Results are returned
//! owned. The closure object passed as `env` is borrowed (the caller keeps
//! it alive for the call). A failed call returns `val = 0`.
//!
//! **Variables.** Every managed local is zeroed at entry, owned by its scope
//! and released (then set back to null) on every path leaving the scope.
//! A local captured by reference lives in a cell (or, for a result, in a
//! 2-field struct object used as a cell); owned temporaries that are live
//! while other code may exit are kept on a temp stack and released by the
//! propagation and unwinding paths.
//!
//! **Exits.** Leaving a function (pass, fail, return, propagation) stores
//! `(err, val)` into two function-wide locals and jumps to a shared exit
//! block per cleanup state, which runs defers and releases. Panics jump to a
//! shared unwinding block after `aria_panic_locate`. See `cleanup.rs`.

mod aggregate;
mod asyncs;
mod builtins;
mod calls;
mod cfg;
mod cleanup;
mod convert;
mod expr;
mod func;
mod io;
mod layout;
mod ops;
mod place;
mod results;
mod stmt;
#[cfg(test)]
mod tests;
mod vars;
mod visit;

use crate::mir::{
    BinOp, Block, BlockId, Callee, CastOp, Data, DataId, FuncIdx, Function, LocalDecl, MTy,
    Operand, Program, Rvalue, Stmt, Terminator,
};
use aria_sema::tast::{self, ExprKind, FuncId};
use aria_sema::types::Ty;
use aria_syntax::span::LineIndex;
use aria_syntax::Span;
use std::collections::{HashMap, HashSet};

/// Lowers a checked program, then transforms coroutines and optimises
/// (`crate::opt`). `source` is the program text (for panic locations);
/// `file_name` is used in locations and `Program::file`.
pub fn lower(program: &tast::Program, file_name: &str, source: &str) -> Result<Program, String> {
    let mut p = lower_bodies(program, file_name, source)?;
    crate::coroutine::transform(&mut p);
    crate::opt::optimize(&mut p);
    Ok(p)
}

/// The lowering without the coroutine transform: async bodies keep their
/// `Terminator::Await`s and `Function::coroutine` (for tests and
/// `--emit`-style inspection).
pub fn lower_bodies(
    program: &tast::Program,
    file_name: &str,
    source: &str,
) -> Result<Program, String> {
    let mut cx = Cx::new(program, file_name, source);
    let mut funcs = Vec::with_capacity(program.funcs.len() + 1);
    for id in 0..program.funcs.len() {
        funcs.push(func::FnBuilder::new(&mut cx, id).build(symbol_name(program, id)));
    }
    let main_fn = &program.funcs[program.main.0 as usize];
    let main_ret = &main_fn.ret;
    // An async `main` is run through its ramp by `aria_main_async`, which
    // reads the result bits itself: no wrapper.
    let main = if main_fn.is_async {
        FuncIdx(program.main.0)
    } else {
        funcs.push(main_wrapper(FuncIdx(program.main.0), main_ret));
        FuncIdx(program.funcs.len() as u32)
    };
    if let Some(e) = cx.error {
        return Err(e);
    }
    debug_assert_eq!(funcs.len() as u32, cx.extra_base);
    for &(f, entry) in &cx.ramps_nospawn {
        if let Some(co) = funcs[f.0 as usize].coroutine.as_mut() {
            co.ramp_nospawn = Some(entry);
        }
    }
    funcs.append(&mut cx.extra);
    let file = cx.cstring(file_name);
    Ok(Program {
        funcs,
        data: cx.data,
        init: FuncIdx(program.init.0),
        main,
        main_kind: if *main_ret == Ty::Nil { 0 } else { 1 },
        file,
        main_async: main_fn.is_async,
    })
}

/// Symbol names are prefixed so that no Aria name can collide with a
/// runtime symbol (`aria_print`) or with another function (lambdas share
/// source names).
fn symbol_name(program: &tast::Program, id: usize) -> String {
    let f = &program.funcs[id];
    match f.kind {
        tast::FuncKind::TopLevel => format!("aria.{}", f.name),
        tast::FuncKind::Lambda => format!("aria.{}.{}", f.name, id),
        tast::FuncKind::Init => "aria.__init".to_string(),
    }
}

/// `__aria_main(env) -> (i64, i64)`: calls `main` and widens its integer
/// value to i64 by its own signedness (RUNTIME_ABI.md `aria_main`).
fn main_wrapper(main: FuncIdx, ret: &Ty) -> Function {
    use crate::mir::Local;
    let val_ty = layout::mty(ret);
    let locals = vec![
        LocalDecl {
            ty: MTy::I64,
            name: Some("env".into()),
        },
        LocalDecl {
            ty: MTy::I64,
            name: Some("err".into()),
        },
        LocalDecl {
            ty: val_ty,
            name: Some("val".into()),
        },
        LocalDecl {
            ty: MTy::I64,
            name: Some("wide".into()),
        },
        LocalDecl {
            ty: MTy::I8,
            name: None,
        },
    ];
    let (env, err, val, wide, failed) = (Local(0), Local(1), Local(2), Local(3), Local(4));
    let widen = if val_ty == MTy::I64 {
        Rvalue::Use(Operand::Local(val))
    } else if layout::is_signed(ret) {
        Rvalue::Cast(CastOp::SExt, Operand::Local(val))
    } else {
        Rvalue::Cast(CastOp::UExt, Operand::Local(val))
    };
    let entry = Block {
        stmts: vec![
            Stmt::Call(
                vec![err, val],
                Callee::Func(main),
                vec![Operand::Int(0, MTy::I64)],
            ),
            Stmt::Assign(
                failed,
                Rvalue::Bin(BinOp::Ne, Operand::Local(err), Operand::Int(0, MTy::I64)),
            ),
        ],
        term: Terminator::Branch(Operand::Local(failed), BlockId(1), BlockId(2)),
    };
    let fail = Block {
        stmts: vec![],
        term: Terminator::Return(Operand::Local(err), Operand::Int(0, MTy::I64)),
    };
    let ok = Block {
        stmts: vec![Stmt::Assign(wide, widen)],
        term: Terminator::Return(Operand::Int(0, MTy::I64), Operand::Local(wide)),
    };
    Function {
        name: "__aria_main".into(),
        params: vec![env],
        ret: MTy::I64,
        locals,
        blocks: vec![entry, fail, ok],
        conv: crate::mir::CallConv::Aria,
        coroutine: None,
    }
}

#[derive(Hash, PartialEq, Eq)]
enum DataKey {
    Str(Vec<u8>),
    CStr(String),
    Mask(Vec<u8>),
}

/// Program-wide lowering state: static data and the first error.
pub(crate) struct Cx<'a> {
    pub prog: &'a tast::Program,
    file_name: &'a str,
    lines: LineIndex,
    pub data: Vec<Data>,
    interned: HashMap<DataKey, DataId>,
    /// One writable data slot per global (16 bytes for a result global).
    pub globals: Vec<DataId>,
    /// Per function: locals that must live in cells because some lambda
    /// created in that function captures them by reference.
    pub captured: Vec<HashSet<u32>>,
    pub error: Option<String>,
    /// Functions the lowering synthesises (appended after the program's
    /// own functions and `main`'s wrapper), with a cache by purpose.
    pub extra: Vec<Function>,
    extra_index: HashMap<String, FuncIdx>,
    /// Index of the first synthesised function.
    extra_base: u32,
    /// Async functions awaited directly somewhere, with the synthesised
    /// function standing for their no-spawn ramp ([`Cx::ramp_nospawn`]).
    ramps_nospawn: Vec<(FuncId, FuncIdx)>,
}

impl<'a> Cx<'a> {
    fn new(prog: &'a tast::Program, file_name: &'a str, source: &str) -> Cx<'a> {
        let mut cx = Cx {
            prog,
            file_name,
            lines: LineIndex::new(source.as_bytes()),
            data: Vec::new(),
            interned: HashMap::new(),
            globals: Vec::new(),
            captured: captured_locals(prog),
            error: None,
            extra: Vec::new(),
            extra_index: HashMap::new(),
            extra_base: prog.funcs.len() as u32
                + u32::from(!prog.funcs[prog.main.0 as usize].is_async),
            ramps_nospawn: Vec::new(),
        };
        for g in &prog.globals {
            let size = if matches!(g.ty, Ty::Result(_)) { 16 } else { 8 };
            let id = cx.add_data(format!("global.{}", g.name), vec![0; size], true);
            cx.globals.push(id);
        }
        cx
    }

    fn add_data(&mut self, name: String, bytes: Vec<u8>, writable: bool) -> DataId {
        let id = DataId(self.data.len() as u32);
        self.data.push(Data {
            name: format!("{}.{}", name, id.0),
            bytes,
            align: 8,
            writable,
            relocs: Vec::new(),
        });
        id
    }

    fn intern(&mut self, key: DataKey, name: &str, make: impl FnOnce() -> Vec<u8>) -> DataId {
        if let Some(&id) = self.interned.get(&key) {
            return id;
        }
        let id = self.add_data(name.to_string(), make(), false);
        self.interned.insert(key, id);
        id
    }

    /// An immortal string object (rc = -1, kind 1, len, bytes). The empty
    /// string is the null pointer.
    pub fn str_lit(&mut self, bytes: &[u8]) -> Operand {
        if bytes.is_empty() {
            return Operand::Int(0, MTy::I64);
        }
        let id = self.intern(DataKey::Str(bytes.to_vec()), "str", || {
            let mut v = Vec::with_capacity(24 + bytes.len());
            v.extend_from_slice(&(-1i64).to_le_bytes());
            v.extend_from_slice(&1u32.to_le_bytes());
            v.extend_from_slice(&0u32.to_le_bytes());
            v.extend_from_slice(&(bytes.len() as i64).to_le_bytes());
            v.extend_from_slice(bytes);
            v
        });
        Operand::DataAddr(id)
    }

    /// A NUL-terminated C string.
    pub fn cstring(&mut self, text: &str) -> DataId {
        self.intern(DataKey::CStr(text.to_string()), "cstr", || {
            let mut v = text.as_bytes().to_vec();
            v.push(0);
            v
        })
    }

    /// A managed-field mask (one byte per slot, 1 = managed pointer).
    pub fn mask(&mut self, mut bytes: Vec<u8>) -> Operand {
        if bytes.is_empty() {
            bytes.push(0);
        }
        let b = bytes.clone();
        Operand::DataAddr(self.intern(DataKey::Mask(bytes), "mask", || b))
    }

    pub fn struct_mask(&mut self, sid: aria_sema::types::StructId) -> Operand {
        let prog = self.prog;
        let bytes = prog.structs[sid.0 as usize]
            .fields
            .iter()
            .map(|(_, t)| t.is_managed() as u8)
            .collect();
        self.mask(bytes)
    }

    /// The "FILE:LINE:COL in FUNCTION" string of a panic location.
    pub fn location(&mut self, span: Span, func: &str) -> Operand {
        let (line, col) = self.lines.line_col(span.start);
        let text = format!("{}:{}:{} in {}", self.file_name, line, col, func);
        Operand::DataAddr(self.cstring(&text))
    }

    /// The synthesised function `key`, built by `make` on first use.
    pub fn extra_func(&mut self, key: &str, make: impl FnOnce() -> Function) -> FuncIdx {
        if let Some(&i) = self.extra_index.get(key) {
            return i;
        }
        let i = FuncIdx(self.extra_base + self.extra.len() as u32);
        self.extra.push(make());
        self.extra_index.insert(key.to_string(), i);
        i
    }

    /// The entry of async function `f` that creates its task without
    /// spawning it, for `await f(x)`'s inline fast path: a synthesised
    /// function with the ramp's signature that forwards to the ramp until
    /// the coroutine transform replaces it by `F$ramp_nospawn`
    /// (`Coroutine::ramp_nospawn`).
    pub fn ramp_nospawn(&mut self, f: FuncId) -> FuncIdx {
        let prog = self.prog;
        let mut made = false;
        let entry = self.extra_func(&format!("ramp_nospawn.{}", f.0), || {
            made = true;
            asyncs::forward_to_ramp(prog, f, symbol_name(prog, f.0 as usize))
        });
        if made {
            self.ramps_nospawn.push((f, entry));
        }
        entry
    }

    /// Records the first lowering error; lowering goes on with dummy values.
    pub fn fail(&mut self, msg: String) {
        if self.error.is_none() {
            self.error = Some(msg);
        }
    }
}

/// For each function, the locals that a lambda created in it captures by
/// reference. Sema marks them `by_ref` already; this makes the lowering
/// independent of that flag being complete.
fn captured_locals(prog: &tast::Program) -> Vec<HashSet<u32>> {
    prog.funcs
        .iter()
        .map(|f| {
            let mut set = HashSet::new();
            visit::walk_block(&f.body, &mut |e| {
                if let ExprKind::Closure(FuncId(l)) = e.kind {
                    for c in &prog.funcs[l as usize].captures {
                        if c.by_ref {
                            set.insert(c.outer.0);
                        }
                    }
                }
            });
            set
        })
        .collect()
}

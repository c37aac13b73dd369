//! MIR: a control-flow graph of basic blocks over typed machine locals.
//!
//! Lowering (`lower/`) turns the typed AST into this form; the code
//! generator maps it 1:1 onto Cranelift IR. All Aria semantics that need a
//! decision (result rule, reference counting, defers, panics, bounds and
//! zero checks) are already explicit here: codegen only translates. Every
//! `await` is a terminator (`Terminator::Await`), so a suspension point is
//! always at a block boundary; the coroutine transform (`crate::coroutine`)
//! turns async bodies into ordinary functions before codegen sees them.

/// Machine types. Pointers and managed references are `I64`; `bool` and
/// `NIL` are `I8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MTy {
    I8,
    I16,
    I32,
    I64,
    F32,
    F64,
}

impl MTy {
    pub fn bytes(self) -> u32 {
        match self {
            MTy::I8 => 1,
            MTy::I16 => 2,
            MTy::I32 | MTy::F32 => 4,
            MTy::I64 | MTy::F64 => 8,
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, MTy::F32 | MTy::F64)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Local(pub u32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockId(pub u32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FuncIdx(pub u32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DataId(pub u32);

#[derive(Debug, Clone)]
pub struct Program {
    pub funcs: Vec<Function>,
    /// Static data: string literal objects, field masks, location strings,
    /// and (writable) one 8-byte slot per global variable.
    pub data: Vec<Data>,
    /// Runs the global initialisers; signature `fn(env) -> (i64, i8)`.
    pub init: FuncIdx,
    /// Wrapper around `main` with signature `fn(env) -> (i64 err, i64 val)`.
    pub main: FuncIdx,
    /// 0: main returns NIL; 1: an integer (see docs/RUNTIME_ABI.md `aria_main`).
    pub main_kind: i32,
    /// NUL-terminated source file name, as given on the command line.
    pub file: DataId,
    /// `main` is `async`: `main` is then its ramp (`fn(env) -> (i64 err,
    /// i64 task)`), run by `aria_main_async` (docs/RUNTIME_ABI.md).
    pub main_async: bool,
}

#[derive(Debug, Clone)]
pub struct Data {
    pub name: String,
    pub bytes: Vec<u8>,
    pub align: u64,
    pub writable: bool,
    /// Addresses written into `bytes` when the program is loaded: at byte
    /// `offset`, the 8-byte address given by the operand, which is a
    /// `FuncAddr` or a `DataAddr` (e.g. the function pointers of a static
    /// `TaskVTable`).
    pub relocs: Vec<(u32, Operand)>,
}

#[derive(Debug, Clone)]
pub struct Function {
    /// Unique symbol name.
    pub name: String,
    /// Parameter locals in order; the first is always `env: I64`.
    pub params: Vec<Local>,
    /// Type of the `val` return (the `err` return is always I64).
    pub ret: MTy,
    pub locals: Vec<LocalDecl>,
    /// `blocks[0]` is the entry block.
    pub blocks: Vec<Block>,
    /// How the function is called (the Aria convention unless the runtime
    /// calls it directly).
    pub conv: CallConv,
    /// Set by the lowering on the body of an `async` function or lambda
    /// (which may contain `Terminator::Await`); the coroutine transform
    /// (`crate::coroutine`) replaces such a function by its ramp, resume and
    /// drop functions, so no function of a finished program has it.
    pub coroutine: Option<Box<Coroutine>>,
}

/// Calling conventions of MIR functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallConv {
    /// `fn(env: i64, params..) -> (err: i64, val: ret)`; `params[0]` is
    /// `env`; `Return(err, val)`.
    Aria,
    /// A function the runtime calls as plain C: `fn(params..) -> ret` with a
    /// single return value, `Return(_, val)` returning `val` (the `err`
    /// operand is ignored and written `0i64`). A coroutine's `resume`
    /// (`fn(task: i64) -> i32`).
    Native,
    /// As `Native` but returning nothing (`Return` ignores both operands;
    /// `ret` is unused): a coroutine's `drop` (`fn(task: i64)`).
    NativeVoid,
}

/// What the coroutine transform needs to know about an async body beyond
/// its MIR (see `crate::coroutine`).
#[derive(Debug, Clone, PartialEq)]
pub struct Coroutine {
    /// Task name for panic reports (`in task #ID NAME`): the source name.
    pub name: String,
    /// The result value is a managed pointer (`TaskVTable.result_managed`).
    pub result_managed: bool,
    /// The value type is a signed integer (or tbb): its result bits are
    /// sign-extended to 64 bits (zero-extended otherwise).
    pub result_signed: bool,
    /// Per parameter (same order as `params`, `env` first): the frame owns
    /// a reference that must be released if the task is dropped before its
    /// first run. `env` is owned only by async lambdas (the ramp retains
    /// the closure).
    pub owned_params: Vec<bool>,
    /// Some `await` may hold a wild-bearing value across it (LANGUAGE.md
    /// §7.8): every suspension pins the task to its worker. (Conservative:
    /// the lowering sets it when the function touches any wild-bearing
    /// value at all, which the language allows.)
    pub affine: bool,
    /// Some `await f(x)` calls this function directly: the function the
    /// caller calls instead of the ramp, to be filled in by the transform
    /// with the ramp that does not spawn (`F$ramp_nospawn`, see
    /// `crate::coroutine`). Until then it forwards to the ramp.
    pub ramp_nospawn: Option<FuncIdx>,
}

#[derive(Debug, Clone)]
pub struct LocalDecl {
    pub ty: MTy,
    /// Source name, for `--emit=mir` readability.
    pub name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub term: Terminator,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Local(Local),
    /// An integer constant of an integer machine type (the value is
    /// truncated to the type).
    Int(i64, MTy),
    F32(f32),
    F64(f64),
    /// Address of static data (I64).
    DataAddr(DataId),
    /// Address of a function (I64), for closures.
    FuncAddr(FuncIdx),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    // Integers (operands of one type; wrapping).
    Add,
    Sub,
    Mul,
    /// Signed division; the divisor is known non-zero (lowering checks);
    /// `MIN / -1` gives `MIN` (codegen must not trap).
    SDiv,
    UDiv,
    /// Signed remainder; divisor non-zero; `MIN % -1` gives 0.
    SRem,
    URem,
    And,
    Or,
    Xor,
    /// Shift counts are masked to the width (Cranelift semantics).
    Shl,
    SShr,
    UShr,
    // Integer comparisons: result I8 0/1.
    Eq,
    Ne,
    SLt,
    SLe,
    SGt,
    SGe,
    ULt,
    ULe,
    UGt,
    UGe,
    // Floats.
    FAdd,
    FSub,
    FMul,
    FDiv,
    /// IEEE min/max are not needed: lowering uses compares + select.
    // Float comparisons (ordered; `FNe` is unordered-or-not-equal, so NaN != NaN): I8 0/1.
    FEq,
    FNe,
    FLt,
    FLe,
    FGt,
    FGe,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    /// Two's-complement negation.
    Neg,
    /// Bitwise not.
    Not,
    FNeg,
    FSqrt,
    FAbs,
}

/// Conversions; the target type is the destination local's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CastOp {
    SExt,
    UExt,
    Trunc,
    SIntToFloat,
    UIntToFloat,
    /// Truncating toward zero, saturating, NaN gives 0.
    FloatToSInt,
    FloatToUInt,
    FPromote,
    FDemote,
    /// Same-size reinterpretation (i64 <-> f64, i32 <-> f32).
    Bitcast,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Rvalue {
    Use(Operand),
    Bin(BinOp, Operand, Operand),
    Un(UnOp, Operand),
    Cast(CastOp, Operand),
    /// `cond (I8) != 0 ? a : b`.
    Select(Operand, Operand, Operand),
    /// Load `ty` from `addr + offset`.
    Load(MTy, Operand, i32),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Callee {
    /// An Aria function of this program: `fn(env, args..) -> (i64, ret)`.
    Func(FuncIdx),
    /// An Aria function through a pointer (closure call); `rets` are the
    /// return types (`[I64, val]`).
    Indirect(Operand, Vec<MTy>),
    /// A runtime function of docs/RUNTIME_ABI.md, with its return types
    /// (empty, one, or two for AriaResult). Parameter types are the
    /// arguments' types.
    Runtime(&'static str, Vec<MTy>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    Assign(Local, Rvalue),
    /// Store `value` (of its own type) to `addr + offset`.
    Store(Operand, i32, Operand),
    /// Call; `dests` receive the return values in order (may be fewer than
    /// returned: extra results are dropped).
    Call(Vec<Local>, Callee, Vec<Operand>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Terminator {
    Goto(BlockId),
    /// `cond (I8) != 0`.
    Branch(Operand, BlockId, BlockId),
    /// Multi-way branch on an integer.
    Switch(Operand, Vec<(i64, BlockId)>, BlockId),
    /// Return `(err: I64, val: ret)` (see `CallConv` for native functions).
    Return(Operand, Operand),
    /// `await task` in an async body (only before the coroutine transform).
    /// `task` (an owned `I64` task handle, a local) stays owned by the
    /// function. Continues at `next` with the awaited task's result in
    /// `err: I64` and `val` (the value type's machine type; a managed `val`
    /// is owned), or, when the current task was cancelled, at `cancel`,
    /// which runs the cleanups active here and leaves with `ERR_CANCELLED`.
    ///
    /// With `finish: Some(f)`, `task` is instead the block of a runtime
    /// operation the current task already waits for (an `aria_*_try_*`
    /// call returned `TRY_WAIT`): the task suspends at once and, resumed,
    /// `f(task, current_task) -> {err, val}` ends the operation; `err`
    /// `TRY_CANCELLED` goes to `cancel`, `TRY_WAIT` suspends again (the
    /// operation must wait once more: a socket not ready after all),
    /// anything else is the result.
    Await {
        task: Operand,
        err: Local,
        val: Local,
        next: BlockId,
        cancel: BlockId,
        finish: Option<&'static str>,
    },
    /// Never reached (after `exit`, or a block with no predecessors).
    Unreachable,
}

/// `err` of the `aria_*_try_*` runtime calls behind `await c.recv()` and
/// the like (docs/RUNTIME_ABI.md): `val` is the operation's built-in task
/// (owned), to await as usual (`aria_rt::direct::TRY_TASK`).
pub const TRY_TASK: i64 = i64::MIN;
/// `err` of `aria_*_try_*` (and of an operation's finish call): nothing
/// happened, the awaiting task must stop at this await as cancelled.
pub const TRY_CANCELLED: i64 = i64::MIN + 1;
/// `err` of `aria_*_try_*`: the current task now waits for the operation
/// whose block is `val`; an `Await` with `finish` suspends on it.
pub const TRY_WAIT: i64 = i64::MIN + 2;

impl Terminator {
    /// The blocks control may go to next.
    pub fn successors(&self) -> Vec<BlockId> {
        match self {
            Terminator::Goto(b) => vec![*b],
            Terminator::Branch(_, a, b) => vec![*a, *b],
            Terminator::Switch(_, cases, d) => {
                let mut v: Vec<BlockId> = cases.iter().map(|(_, b)| *b).collect();
                v.push(*d);
                v
            }
            Terminator::Await { next, cancel, .. } => vec![*next, *cancel],
            Terminator::Return(..) | Terminator::Unreachable => vec![],
        }
    }
}

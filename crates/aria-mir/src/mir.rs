//! MIR: a control-flow graph of basic blocks over typed machine locals.
//!
//! Lowering (`lower/`) turns the typed AST into this form; the code
//! generator maps it 1:1 onto Cranelift IR. All Aria semantics that need a
//! decision (result rule, reference counting, defers, panics, bounds and
//! zero checks) are already explicit here: codegen only translates. Every
//! `await` (next stage) will be a terminator, so a suspension point is always
//! at a block boundary and the coroutine transform only has to split there.

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
}

#[derive(Debug, Clone)]
pub struct Data {
    pub name: String,
    pub bytes: Vec<u8>,
    pub align: u64,
    pub writable: bool,
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
    /// Return `(err: I64, val: ret)`.
    Return(Operand, Operand),
    /// Never reached (after `exit`, or a block with no predecessors).
    Unreachable,
}

//! The typed AST: sema's output and the lowering's input.
//!
//! Everything implicit in the source is explicit here: names are resolved to
//! ids, every expression has its type, implicit conversions and result
//! unwraps are nodes (`Convert`, `Unwrap`), constants are folded to values
//! of a concrete type, `x |> f(a)` is a call, and the result rule's five
//! forms are distinct nodes. Lowering never needs to re-check anything.

use crate::types::{StructId, Ty};
use aria_syntax::ast::{BinOp, RelOp, UnOp};
use aria_syntax::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalId(pub u32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GlobalId(pub u32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FuncId(pub u32);

#[derive(Debug, Clone)]
pub struct Program {
    pub structs: Vec<StructInfo>,
    pub globals: Vec<GlobalInfo>,
    /// Top-level functions, lambdas (closures' bodies) and the synthetic
    /// global initialiser, indexed by `FuncId`.
    pub funcs: Vec<Func>,
    /// Synthetic function (kind `Init`) assigning every non-const global its
    /// initial value in source order.
    pub init: FuncId,
    pub main: FuncId,
}

impl Program {
    /// LANGUAGE.md §7.8: a pointer, an array of wild-bearing elements, or a
    /// struct with a wild-bearing field. Values of these types held across
    /// an `await` pin the task to its worker.
    pub fn is_wild_bearing(&self, ty: &Ty) -> bool {
        is_wild_bearing(&self.structs, ty)
    }
}

/// [`Program::is_wild_bearing`] given the struct declarations.
pub fn is_wild_bearing(structs: &[StructInfo], ty: &Ty) -> bool {
    fn go(structs: &[StructInfo], ty: &Ty, seen: &mut Vec<StructId>) -> bool {
        match ty {
            Ty::Ptr(_) => true,
            Ty::Array(e) | Ty::Fixed(e, _) => go(structs, e, seen),
            Ty::Struct(id) if !seen.contains(id) => {
                seen.push(*id);
                structs[id.0 as usize]
                    .fields
                    .iter()
                    .any(|(_, f)| go(structs, f, seen))
            }
            _ => false,
        }
    }
    go(structs, ty, &mut Vec::new())
}

#[derive(Debug, Clone)]
pub struct StructInfo {
    pub name: String,
    pub fields: Vec<(String, Ty)>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct GlobalInfo {
    pub name: String,
    pub ty: Ty,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FuncKind {
    TopLevel,
    /// A lambda or local `func:`; created by `ExprKind::Closure`.
    Lambda,
    /// The global initialiser.
    Init,
}

#[derive(Debug, Clone)]
pub struct Func {
    /// Source name (`main`, `make_counter`); lambdas get the local name they
    /// initialise (`next`) or `lambda@LINE:COL`.
    pub name: String,
    pub kind: FuncKind,
    pub is_async: bool,
    /// Parameters, in order; each is also in `locals`.
    pub params: Vec<LocalId>,
    /// The value type T (an async function's calls yield `Task<T>`).
    pub ret: Ty,
    pub locals: Vec<LocalInfo>,
    /// Variables of the enclosing function this lambda uses.
    pub captures: Vec<Capture>,
    pub body: Block,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct LocalInfo {
    pub name: String,
    pub ty: Ty,
    /// Captured by reference by some synchronous lambda: lives in a heap
    /// cell shared with the closures (LANGUAGE.md §4.3).
    pub by_ref: bool,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Capture {
    /// The variable in the enclosing function (where the closure is created).
    pub outer: LocalId,
    /// The local of this lambda that stands for it.
    pub inner: LocalId,
    /// By reference (sync lambdas: the cell is shared) or by value (async
    /// lambdas: a snapshot copied at closure creation).
    pub by_ref: bool,
}

#[derive(Debug, Clone)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum StmtKind {
    /// Declare a local; `None` initialises it with the zero value of its type.
    Let(LocalId, Option<Expr>),
    /// Evaluate and discard (the value is never a result here: sema wraps
    /// results in `Unwrap`, which panics on failure, per §4.4).
    Expr(Expr),
    /// `place = value` (op None) or `place op= value`; `value` already has
    /// the place's type.
    Assign(Expr, Option<BinOp>, Expr),
    /// `place++` (true) / `place--` (false).
    IncDec(Expr, bool),
    Block(Block),
    If(Expr, Block, Option<Block>),
    While(Expr, Block),
    /// `init` runs once in the loop's scope. A by-ref local declared by
    /// `init` is fresh in every iteration (§5.3).
    For {
        init: Option<Box<Stmt>>,
        cond: Option<Expr>,
        update: Option<Box<Stmt>>,
        body: Block,
    },
    /// `limit` and `step` are int64; `var` is the int64 local read by `$`.
    Till {
        limit: Expr,
        step: Expr,
        var: LocalId,
        body: Block,
    },
    When {
        cond: Expr,
        body: Block,
        then: Option<Block>,
        end: Option<Block>,
    },
    Pick(Expr, Vec<PickCase>),
    Defer(Block),
    Break,
    Continue,
    /// Jump into the body of case N of the innermost `pick`.
    Fall(usize),
    /// Success with the value (already converted to the function's value type).
    Pass(Expr),
    /// Failure with an int64 code.
    Fail(Expr),
    /// Forward a result unchanged (type `result<T>` of the function's T).
    Return(Expr),
}

#[derive(Debug, Clone)]
pub struct PickCase {
    pub pattern: Pattern,
    pub body: Block,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Pattern {
    Wild,
    Never,
    Alts(Vec<Alt>),
}

/// Alternatives; values already converted to the selector's type.
#[derive(Debug, Clone)]
pub enum Alt {
    Value(Expr),
    Range { lo: Expr, hi: Expr, inclusive: bool },
    Rel(RelOp, Expr),
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Ty,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum TemplatePart {
    Text(Vec<u8>),
    /// A printable value (results already unwrapped).
    Value(Expr),
}

#[derive(Debug, Clone)]
pub enum Callee {
    /// A top-level function called by name.
    Direct(FuncId),
    /// A function value (variable, field, element, call result...).
    Value(Box<Expr>),
    /// A built-in function or method; a method's receiver is `args[0]`.
    Builtin(Builtin),
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    /// Integer, bool-free constant of an integer or tbb type (tbb `ERR` is
    /// the type's minimum two's-complement value).
    Int(i128),
    Float(f64),
    Bool(bool),
    Str(Vec<u8>),
    Nil,
    /// The zero value of `self.ty` (LANGUAGE.md §2: empty string, a new
    /// empty array, a zeroed struct, null handle...).
    Zero,
    /// `NULL` as a pointer (type `Ptr`).
    Null,
    Template(Vec<TemplatePart>),
    Local(LocalId),
    Global(GlobalId),
    /// A top-level function used as a value.
    FuncRef(FuncId),
    /// Create a closure of lambda `FuncId`, capturing per its `captures`.
    Closure(FuncId),
    /// Elements already converted; type `Array` or `Fixed`.
    ArrayLit(Vec<Expr>),
    /// Fields given, in source order (field index, value); others zero.
    StructLit(StructId, Vec<(usize, Expr)>),
    /// Type is `result<T>` where T is the callee's value type (`Task<U>` for
    /// an async callee).
    Call(Callee, Vec<Expr>),
    /// Array (bounds-checked), fixed array, string (read-only byte) or
    /// pointer (unchecked) indexing, by the base's type.
    Index(Box<Expr>, Box<Expr>),
    /// Struct field by index.
    Field(Box<Expr>, usize),
    /// `p->f`: field of element 0 of a wild struct pointer.
    Arrow(Box<Expr>, usize),
    /// `.length` of a string or array.
    Len(Box<Expr>),
    /// `r.err` (int64) / `r.val` (T) of a result-typed expression.
    ResultErr(Box<Expr>),
    ResultVal(Box<Expr>),
    /// result<T> → T; on failure panic -103 naming `name` (§4.4).
    Unwrap(Box<Expr>, String),
    /// `e?`: result<T> → T; on failure the enclosing function fails with it.
    Propagate(Box<Expr>),
    /// `e ? d`: result<T> → T; `d` evaluated only on failure.
    Default(Box<Expr>, Box<Expr>),
    /// Implicit conversion or explicit cast from the operand's type to
    /// `self.ty` (numbers, tbb, bool→int, pointers, result<S>→result<D>).
    Convert(Box<Expr>),
    Unary(UnOp, Box<Expr>),
    /// Operands converted to a common type (shifts: right operand any
    /// integer). `And`/`Or` short-circuit.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `await t`: type `result<U>` for a `Task<U>` operand.
    Await(Box<Expr>),
}

/// Built-in functions (§7.11-§7.14, §8) and methods (receiver first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builtin {
    Print,
    Println,
    Puts,
    Eprint,
    Eprintln,
    Exit,
    Panic,
    Assert,
    NowMs,
    ToString,
    ParseInt,
    ParseFloat,
    FromByte,
    Abs,
    Min,
    Max,
    Sqrt,
    /// `alloc<T>(n)`: the element type is the result's `Ptr(T)`.
    Alloc,
    Free,
    // Async library (next issue).
    Sleep,
    YieldNow,
    JoinAll,
    Race,
    WithTimeout,
    /// `chan<T>(n)`: the element type is the result's `Chan(T)`.
    Chan,
    TcpListen,
    TcpConnect,
    ReadFile,
    WriteFile,
    // String methods.
    StrSubstring,
    StrFind,
    StrContains,
    StrStartsWith,
    StrEndsWith,
    StrSplit,
    StrTrim,
    StrToUpper,
    StrToLower,
    StrReplace,
    StrRepeat,
    // Array methods (dynamic and fixed; fixed ones only the non-resizing).
    ArrPush,
    ArrPop,
    ArrInsert,
    ArrRemove,
    ArrClear,
    ArrSlice,
    ArrIndexOf,
    ArrContains,
    ArrReverse,
    ArrSort,
    ArrJoin,
    // Handle methods (next issues).
    TaskAwait,
    TaskDone,
    TaskCancel,
    TaskDetach,
    TaskThen,
    ChanSend,
    ChanRecv,
    ChanClose,
    ListenerPort,
    ListenerAccept,
    ListenerClose,
    ConnRead,
    ConnWrite,
    ConnShutdown,
    ConnClose,
}

impl Builtin {
    /// The name used in unwrap panics (`Type.method` for methods).
    pub fn display_name(self) -> &'static str {
        use Builtin::*;
        match self {
            Print => "print",
            Println => "println",
            Puts => "puts",
            Eprint => "eprint",
            Eprintln => "eprintln",
            Exit => "exit",
            Panic => "panic",
            Assert => "assert",
            NowMs => "now_ms",
            ToString => "to_string",
            ParseInt => "parse_int",
            ParseFloat => "parse_float",
            FromByte => "from_byte",
            Abs => "abs",
            Min => "min",
            Max => "max",
            Sqrt => "sqrt",
            Alloc => "alloc",
            Free => "free",
            Sleep => "sleep",
            YieldNow => "yield_now",
            JoinAll => "join_all",
            Race => "race",
            WithTimeout => "with_timeout",
            Chan => "chan",
            TcpListen => "tcp_listen",
            TcpConnect => "tcp_connect",
            ReadFile => "read_file",
            WriteFile => "write_file",
            StrSubstring => "string.substring",
            StrFind => "string.find",
            StrContains => "string.contains",
            StrStartsWith => "string.starts_with",
            StrEndsWith => "string.ends_with",
            StrSplit => "string.split",
            StrTrim => "string.trim",
            StrToUpper => "string.to_upper",
            StrToLower => "string.to_lower",
            StrReplace => "string.replace",
            StrRepeat => "string.repeat",
            ArrPush => "array.push",
            ArrPop => "array.pop",
            ArrInsert => "array.insert",
            ArrRemove => "array.remove",
            ArrClear => "array.clear",
            ArrSlice => "array.slice",
            ArrIndexOf => "array.index_of",
            ArrContains => "array.contains",
            ArrReverse => "array.reverse",
            ArrSort => "array.sort",
            ArrJoin => "array.join",
            TaskAwait => "Task.await",
            TaskDone => "Task.done",
            TaskCancel => "Task.cancel",
            TaskDetach => "Task.detach",
            TaskThen => "Task.then",
            ChanSend => "Chan.send",
            ChanRecv => "Chan.recv",
            ChanClose => "Chan.close",
            ListenerPort => "TcpListener.port",
            ListenerAccept => "TcpListener.accept",
            ListenerClose => "TcpListener.close",
            ConnRead => "TcpConn.read",
            ConnWrite => "TcpConn.write",
            ConnShutdown => "TcpConn.shutdown",
            ConnClose => "TcpConn.close",
        }
    }
}

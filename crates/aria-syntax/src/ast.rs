//! The untyped syntax tree produced by the parser (LANGUAGE.md §9).
//!
//! Every node carries a `Span` (byte range into the source). The tree is
//! faithful to the source: no desugaring happens here except that the two
//! defer forms are both stored as a `Block` and `x |> f(a)` stays a `Pipe`.

use crate::span::Span;

/// A whole source file.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Struct(StructDecl),
    /// `func:f = T(..) {..};`, `async func:f = T(..) {..};` and globals.
    Var(VarDecl),
}

#[derive(Debug, Clone, PartialEq)]
pub struct StructDecl {
    pub name: Ident,
    pub fields: Vec<Param>,
    pub span: Span,
}

/// `Type:name` as a struct field or a parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub ty: TypeExpr,
    pub name: Ident,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `[const] Type:name [= init];`. An `async func:f = T(p) {..};` is a
/// VarDecl whose type is bare `func` and whose init is an async lambda.
#[derive(Debug, Clone, PartialEq)]
pub struct VarDecl {
    pub is_const: bool,
    pub ty: TypeExpr,
    pub name: Ident,
    pub init: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntKind {
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FloatKind {
    F32,
    F64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TbbKind {
    T8,
    T16,
    T32,
    T64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    Int(IntKind),
    Float(FloatKind),
    Tbb(TbbKind),
    Bool,
    String,
    /// `NIL` or `void`.
    Nil,
    TcpListener,
    TcpConn,
    /// `result` (None) or `result<T>`.
    Result(Option<Box<TypeExpr>>),
    /// `func` (None) or `func<R(P1, ..)>`.
    Func(Option<(Box<TypeExpr>, Vec<TypeExpr>)>),
    Task(Box<TypeExpr>),
    Chan(Box<TypeExpr>),
    /// `wild T@`.
    Wild(Box<TypeExpr>),
    /// `T@` without `wild` (E0321 in sema) .
    PtrNoWild(Box<TypeExpr>),
    /// `T[]` (None) or `T[N]` (Some(N expr)); first suffix is outermost.
    Array(Box<TypeExpr>, Option<Box<Expr>>),
    /// A struct name (or an unknown name: E0203 in sema).
    Named(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignOp {
    Set,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    Var(VarDecl),
    /// A declaration that is not allowed in a body (`struct`): kept so sema
    /// reports E0109.
    Struct(StructDecl),
    Expr(Expr),
    Assign(Expr, AssignOp, Expr),
    /// `lv++` (true) / `lv--` (false).
    IncDec(Expr, bool),
    Block(Block),
    If(Expr, Block, Option<Box<Stmt>>),
    While(Expr, Block),
    For {
        init: Option<Box<Stmt>>,
        cond: Option<Expr>,
        update: Option<Box<Stmt>>,
        body: Block,
    },
    Till(Expr, Expr, Block),
    When {
        cond: Expr,
        body: Block,
        then: Option<Block>,
        end: Option<Block>,
    },
    Pick(Expr, Vec<PickCase>),
    /// Both `defer { .. }` and `defer call(..);` (the latter wrapped in a block).
    Defer(Block),
    Break,
    Continue,
    Fall(Ident),
    Pass(Option<Expr>),
    Fail(Expr),
    Return(Option<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PickCase {
    pub label: Option<Ident>,
    pub pattern: PickPattern,
    pub body: Block,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PickPattern {
    /// `(*)`
    Wild,
    /// `(!)`
    Never,
    Alts(Vec<PickAlt>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelOp {
    Lt,
    Le,
    Gt,
    Ge,
    Ne,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PickAlt {
    Value(Expr),
    /// `lo..hi` (inclusive = true) or `lo...hi` (inclusive = false).
    Range(Expr, Expr, bool),
    Rel(RelOp, Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Shl,
    Shr,
    Lt,
    Le,
    Gt,
    Ge,
    Cmp3,
    Eq,
    Ne,
    BitAnd,
    BitXor,
    BitOr,
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
    BitNot,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    Text(Vec<u8>),
    Interp(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// Integer literal value (fits u64) — untyped constant.
    Int(u64),
    Float(f64),
    /// Char literal: the byte value.
    Char(u8),
    /// String literal bytes after escapes.
    Str(Vec<u8>),
    Template(Vec<TemplatePart>),
    Bool(bool),
    Nil,
    Null,
    Err,
    Ident(String),
    /// `$`
    Dollar,
    Array(Vec<Expr>),
    StructLit(Ident, Vec<(Ident, Expr)>),
    Lambda(Box<Lambda>),
    /// `chan<T>(args)` / `alloc<T>(args)`.
    Chan(TypeExpr, Vec<Expr>),
    Alloc(TypeExpr, Vec<Expr>),
    Call(Box<Expr>, Vec<Expr>),
    Index(Box<Expr>, Box<Expr>),
    /// `e.name`; `e.await` and `e.then` use the names "await" / "then".
    Member(Box<Expr>, Ident),
    /// `p->f`
    Arrow(Box<Expr>, Ident),
    /// postfix `e?` (propagation)
    Propagate(Box<Expr>),
    /// `e ? d` (default)
    Default(Box<Expr>, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    Await(Box<Expr>),
    Cast(Box<Expr>, TypeExpr),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `x |> f`
    Pipe(Box<Expr>, Box<Expr>),
    /// `is c : a : b`
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A placeholder left by error recovery; sema ignores it silently.
    Error,
}

/// `[async] RetType(Type:p, ..) { body }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lambda {
    pub is_async: bool,
    pub ret: TypeExpr,
    pub params: Vec<Param>,
    pub body: Block,
    pub span: Span,
}

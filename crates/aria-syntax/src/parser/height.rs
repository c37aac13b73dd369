//! Bounding the height of the trees the parser builds.
//!
//! Recursion depth alone does not bound tree height: loops build left-deep
//! chains (`a+b+c+..`, `f()()()..`, `x.a.b.c..`) whose height grows with
//! their length, and such a chain can be the first operand of another chain.
//! Every consumer that recurses over the tree (including the compiler-made
//! `Drop`) could then overflow the stack. So each loop that wraps a node
//! counts its links; a loop that made many links (itself or in the operands
//! it parsed) measures the real height of its result with an iterative walk
//! and rejects it if it is above `MAX_HEIGHT`. Small results skip the walk:
//! their height is at most the links built plus a few nodes per recursion
//! level, which `MAX_DEPTH` bounds.

use super::{PResult, Parser, MAX_HEIGHT};
use crate::ast::*;
use crate::span::Span;

/// Links a subtree may contain before its height is measured for real.
const UNCHECKED_LINKS: usize = 64;

/// A node of any syntactic category, for the iterative walk.
enum Node<'a> {
    Expr(&'a Expr),
    Type(&'a TypeExpr),
    Block(&'a Block),
    Stmt(&'a Stmt),
}

impl Parser {
    /// Counts one wrapping node built by a loop; `count` is the loop's own
    /// count, capped so a single loop cannot build a tree past the limit.
    pub(super) fn link(&mut self, count: &mut usize, span: Span) -> PResult<()> {
        self.links += 1;
        *count += 1;
        if *count > MAX_HEIGHT {
            return Err(self.too_deep(span));
        }
        Ok(())
    }

    /// Rejects `e` if it is too tall; `links_before` is `self.links` when
    /// the loop that built it started.
    pub(super) fn check_expr_height(&mut self, links_before: usize, e: &Expr) -> PResult<()> {
        self.check_height(links_before, Node::Expr(e), e.span)
    }

    pub(super) fn check_type_height(&mut self, links_before: usize, t: &TypeExpr) -> PResult<()> {
        self.check_height(links_before, Node::Type(t), t.span)
    }

    pub(super) fn check_stmt_height(&mut self, links_before: usize, s: &Stmt) -> PResult<()> {
        self.check_height(links_before, Node::Stmt(s), s.span)
    }

    fn check_height(&mut self, links_before: usize, node: Node, span: Span) -> PResult<()> {
        if self.links - links_before > UNCHECKED_LINKS && taller_than(node, MAX_HEIGHT) {
            return Err(self.too_deep(span));
        }
        Ok(())
    }
}

/// Whether the tree under `root` has more than `limit` levels (iterative).
fn taller_than(root: Node, limit: usize) -> bool {
    let mut stack = vec![(root, 1usize)];
    let mut kids = Vec::new();
    while let Some((node, depth)) = stack.pop() {
        if depth > limit {
            return true;
        }
        children(&node, &mut kids);
        stack.extend(kids.drain(..).map(|k| (k, depth + 1)));
    }
    false
}

fn children<'a>(node: &Node<'a>, out: &mut Vec<Node<'a>>) {
    match node {
        Node::Expr(e) => expr_children(e, out),
        Node::Type(t) => type_children(t, out),
        Node::Block(b) => out.extend(b.stmts.iter().map(Node::Stmt)),
        Node::Stmt(s) => stmt_children(s, out),
    }
}

fn expr_children<'a>(e: &'a Expr, out: &mut Vec<Node<'a>>) {
    use ExprKind::*;
    let mut push = |e: &'a Expr| out.push(Node::Expr(e));
    match &e.kind {
        Template(parts) => parts.iter().for_each(|p| {
            if let TemplatePart::Interp(e) = p {
                push(e)
            }
        }),
        Array(items) => items.iter().for_each(push),
        StructLit(_, fields) => fields.iter().for_each(|(_, e)| push(e)),
        Call(f, args) => {
            push(f);
            args.iter().for_each(push);
        }
        Index(a, b) | Default(a, b) | Binary(_, a, b) | Pipe(a, b) => {
            push(a);
            push(b);
        }
        Member(a, _) | Arrow(a, _) | Propagate(a) | Unary(_, a) | Await(a) => push(a),
        Ternary(a, b, c) => {
            push(a);
            push(b);
            push(c);
        }
        Cast(a, t) => {
            push(a);
            out.push(Node::Type(t));
        }
        Chan(t, args) | Alloc(t, args) => {
            args.iter().for_each(push);
            out.push(Node::Type(t));
        }
        Lambda(l) => {
            out.push(Node::Type(&l.ret));
            out.extend(l.params.iter().map(|p| Node::Type(&p.ty)));
            out.push(Node::Block(&l.body));
        }
        Int(_) | Float(_) | Char(_) | Str(_) | Bool(_) | Nil | Null | Err | Ident(_) | Dollar
        | Error => {}
    }
}

fn type_children<'a>(t: &'a TypeExpr, out: &mut Vec<Node<'a>>) {
    match &t.kind {
        TypeKind::Result(Some(inner))
        | TypeKind::Task(inner)
        | TypeKind::Chan(inner)
        | TypeKind::Wild(inner)
        | TypeKind::PtrNoWild(inner) => out.push(Node::Type(inner)),
        TypeKind::Func(Some((ret, params))) => {
            out.push(Node::Type(ret));
            out.extend(params.iter().map(Node::Type));
        }
        TypeKind::Array(inner, size) => {
            out.push(Node::Type(inner));
            if let Some(size) = size {
                out.push(Node::Expr(size));
            }
        }
        _ => {}
    }
}

fn stmt_children<'a>(s: &'a Stmt, out: &mut Vec<Node<'a>>) {
    use StmtKind::*;
    let opt_expr = |e: &'a Option<crate::ast::Expr>| e.as_ref().map(Node::Expr);
    match &s.kind {
        Var(v) => {
            out.push(Node::Type(&v.ty));
            out.extend(opt_expr(&v.init));
        }
        Struct(d) => out.extend(d.fields.iter().map(|f| Node::Type(&f.ty))),
        Expr(e) | IncDec(e, _) | Fail(e) => out.push(Node::Expr(e)),
        Assign(a, _, b) => out.extend([Node::Expr(a), Node::Expr(b)]),
        Block(b) | Defer(b) => out.push(Node::Block(b)),
        If(c, b, other) => {
            out.extend([Node::Expr(c), Node::Block(b)]);
            out.extend(other.as_deref().map(Node::Stmt));
        }
        While(c, b) => out.extend([Node::Expr(c), Node::Block(b)]),
        For {
            init,
            cond,
            update,
            body,
        } => {
            out.extend(init.as_deref().map(Node::Stmt));
            out.extend(opt_expr(cond));
            out.extend(update.as_deref().map(Node::Stmt));
            out.push(Node::Block(body));
        }
        Till(a, b, body) => out.extend([Node::Expr(a), Node::Expr(b), Node::Block(body)]),
        When {
            cond,
            body,
            then,
            end,
        } => {
            out.extend([Node::Expr(cond), Node::Block(body)]);
            out.extend(then.iter().chain(end.iter()).map(Node::Block));
        }
        Pick(e, cases) => {
            out.push(Node::Expr(e));
            cases.iter().for_each(|c| case_children(c, out));
        }
        Pass(e) | Return(e) => out.extend(opt_expr(e)),
        Break | Continue | Fall(_) => {}
    }
}

/// A pick case hangs one level below the pick (its patterns and body).
fn case_children<'a>(c: &'a PickCase, out: &mut Vec<Node<'a>>) {
    if let PickPattern::Alts(alts) = &c.pattern {
        for alt in alts {
            match alt {
                PickAlt::Value(e) | PickAlt::Rel(_, e) => out.push(Node::Expr(e)),
                PickAlt::Range(a, b, _) => out.extend([Node::Expr(a), Node::Expr(b)]),
            }
        }
    }
    out.push(Node::Block(&c.body));
}

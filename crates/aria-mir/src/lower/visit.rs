//! Small read-only walks over the typed AST.

use aria_sema::tast::{Alt, Block, Callee, Expr, ExprKind, Pattern, StmtKind, TemplatePart};

/// Calls `f` on each direct subexpression of `e`.
pub fn for_each_child<'a>(e: &'a Expr, f: &mut impl FnMut(&'a Expr)) {
    use ExprKind::*;
    match &e.kind {
        Int(_) | Float(_) | Bool(_) | Str(_) | Nil | Zero | Null | Local(_) | Global(_)
        | FuncRef(_) | Closure(_) => {}
        Template(parts) => {
            for p in parts {
                if let TemplatePart::Value(v) = p {
                    f(v);
                }
            }
        }
        ArrayLit(es) => es.iter().for_each(f),
        StructLit(_, fs) => fs.iter().for_each(|(_, v)| f(v)),
        Call(callee, args) => {
            if let Callee::Value(c) = callee {
                f(c);
            }
            args.iter().for_each(f);
        }
        Index(a, b) | Binary(_, a, b) | Default(a, b) => {
            f(a);
            f(b);
        }
        Field(a, _)
        | Arrow(a, _)
        | Len(a)
        | ResultErr(a)
        | ResultVal(a)
        | Unwrap(a, _)
        | Propagate(a)
        | Convert(a)
        | Unary(_, a)
        | Await(a) => f(a),
        Ternary(c, a, b) => {
            f(c);
            f(a);
            f(b);
        }
    }
}

/// True when evaluating `e` runs no Aria code (no call of an Aria function
/// or closure, no `await`). Such an expression cannot reassign variables, so
/// a value borrowed from a variable stays valid across it.
pub fn runs_no_user_code(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Call(Callee::Direct(_) | Callee::Value(_), _) | ExprKind::Await(_) => false,
        _ => {
            let mut ok = true;
            for_each_child(e, &mut |c| ok = ok && runs_no_user_code(c));
            ok
        }
    }
}

/// Calls `f` on every expression (recursively) in `b`.
pub fn walk_block<'a>(b: &'a Block, f: &mut impl FnMut(&'a Expr)) {
    for s in &b.stmts {
        walk_stmt(&s.kind, f);
    }
}

fn walk_expr<'a>(e: &'a Expr, f: &mut impl FnMut(&'a Expr)) {
    f(e);
    for_each_child(e, &mut |c| walk_expr(c, f));
}

fn walk_stmt<'a>(s: &'a StmtKind, f: &mut impl FnMut(&'a Expr)) {
    use StmtKind::*;
    match s {
        Let(_, e) => {
            if let Some(e) = e {
                walk_expr(e, f);
            }
        }
        Expr(e) | Pass(e) | Fail(e) | Return(e) | IncDec(e, _) => walk_expr(e, f),
        Assign(a, _, b) => {
            walk_expr(a, f);
            walk_expr(b, f);
        }
        Block(b) | Defer(b) => walk_block(b, f),
        If(c, t, e) => {
            walk_expr(c, f);
            walk_block(t, f);
            if let Some(e) = e {
                walk_block(e, f);
            }
        }
        While(c, b) => {
            walk_expr(c, f);
            walk_block(b, f);
        }
        For {
            init,
            cond,
            update,
            body,
        } => {
            if let Some(i) = init {
                walk_stmt(&i.kind, f);
            }
            if let Some(c) = cond {
                walk_expr(c, f);
            }
            if let Some(u) = update {
                walk_stmt(&u.kind, f);
            }
            walk_block(body, f);
        }
        Till {
            limit, step, body, ..
        } => {
            walk_expr(limit, f);
            walk_expr(step, f);
            walk_block(body, f);
        }
        When {
            cond,
            body,
            then,
            end,
        } => {
            walk_expr(cond, f);
            walk_block(body, f);
            for b in [then, end].into_iter().flatten() {
                walk_block(b, f);
            }
        }
        Pick(sel, cases) => {
            walk_expr(sel, f);
            for c in cases {
                if let Pattern::Alts(alts) = &c.pattern {
                    for a in alts {
                        match a {
                            Alt::Value(e) | Alt::Rel(_, e) => walk_expr(e, f),
                            Alt::Range { lo, hi, .. } => {
                                walk_expr(lo, f);
                                walk_expr(hi, f);
                            }
                        }
                    }
                }
                walk_block(&c.body, f);
            }
        }
        Break | Continue | Fall(_) => {}
    }
}

/// Whether `func` holds or computes a wild-bearing value anywhere
/// (LANGUAGE.md §7.8): a local, parameter or capture of such a type, or an
/// expression producing one. When false, no `await` of the function can be
/// affine; when true the lowering marks them all affine (allowed: "may mark
/// extra points affine, never fewer").
pub fn touches_wild(prog: &aria_sema::tast::Program, func: &aria_sema::tast::Func) -> bool {
    if func.locals.iter().any(|l| prog.is_wild_bearing(&l.ty)) {
        return true;
    }
    let mut found = false;
    walk_block(&func.body, &mut |e| {
        if !found {
            let ty = match &e.ty {
                aria_sema::types::Ty::Result(t) => t,
                t => t,
            };
            found = prog.is_wild_bearing(ty);
        }
    });
    found
}

//! Helpers shared by the parser tests: wrapping snippets in a function and
//! printing expressions and types as compact S-expressions.

#![allow(dead_code)]

use aria_syntax::ast::*;
use aria_syntax::Diagnostic;

/// Parses `src` and returns its diagnostics' codes.
pub fn codes(src: &str) -> Vec<&'static str> {
    aria_syntax::parse(src.as_bytes())
        .1
        .iter()
        .map(|d| d.code)
        .collect()
}

/// Parses `body` as the body of `func:main`, asserting no diagnostics.
pub fn body(body: &str) -> Vec<Stmt> {
    let src = format!("func:main = NIL() {{\n{body}\n}};\n");
    let (program, diags) = aria_syntax::parse(src.as_bytes());
    assert_no_diags(&src, &diags);
    let Some(Item::Var(VarDecl {
        init: Some(init), ..
    })) = program.items.into_iter().next()
    else {
        panic!("no function parsed");
    };
    let ExprKind::Lambda(lambda) = init.kind else {
        panic!("init is not a lambda");
    };
    lambda.body.stmts
}

/// The S-expression of the expression statement or initializer `e`.
pub fn expr(e: &str) -> String {
    let stmts = body(&format!("int64:v = {e};"));
    match &stmts[0].kind {
        StmtKind::Var(VarDecl { init: Some(e), .. }) => sexpr(e),
        other => panic!("unexpected statement {other:?}"),
    }
}

pub fn assert_no_diags(src: &str, diags: &[Diagnostic]) {
    let text: String = diags
        .iter()
        .map(|d| d.render("t.aria", src.as_bytes(), false))
        .collect();
    assert!(
        diags.is_empty(),
        "unexpected diagnostics for:\n{src}\n{text}"
    );
}

pub fn sexpr(e: &Expr) -> String {
    use ExprKind::*;
    match &e.kind {
        Int(v) => v.to_string(),
        Float(v) => format!("{v:?}"),
        Char(b) => format!("'{}'", *b as char),
        Str(s) => format!("{:?}", String::from_utf8_lossy(s)),
        Template(parts) => {
            let parts: Vec<String> = parts
                .iter()
                .map(|p| match p {
                    TemplatePart::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
                    TemplatePart::Interp(e) => sexpr(e),
                })
                .collect();
            format!("(tpl {})", parts.join(" "))
        }
        Bool(b) => b.to_string(),
        Nil => "NIL".into(),
        Null => "NULL".into(),
        Err => "ERR".into(),
        Ident(n) => n.clone(),
        Dollar => "$".into(),
        Array(items) => format!("[{}]", list(items)),
        StructLit(n, fields) => {
            let f: Vec<String> = fields
                .iter()
                .map(|(n, e)| format!("{}:{}", n.name, sexpr(e)))
                .collect();
            format!("({}{{}} {})", n.name, f.join(" "))
        }
        Lambda(l) => format!(
            "({}lambda {} ({}) {})",
            if l.is_async { "async " } else { "" },
            ty(&l.ret),
            l.params
                .iter()
                .map(|p| format!("{}:{}", ty(&p.ty), p.name.name))
                .collect::<Vec<_>>()
                .join(" "),
            l.body.stmts.len()
        ),
        Chan(t, args) => format!("(chan {} {})", ty(t), list(args)),
        Alloc(t, args) => format!("(alloc {} {})", ty(t), list(args)),
        Call(f, args) if args.is_empty() => format!("(call {})", sexpr(f)),
        Call(f, args) => format!("(call {} {})", sexpr(f), list(args)),
        Index(a, i) => format!("(index {} {})", sexpr(a), sexpr(i)),
        Member(a, n) => format!("(. {} {})", sexpr(a), n.name),
        Arrow(a, n) => format!("(-> {} {})", sexpr(a), n.name),
        Propagate(a) => format!("(prop {})", sexpr(a)),
        Default(a, d) => format!("(default {} {})", sexpr(a), sexpr(d)),
        Unary(op, a) => format!("({op:?} {})", sexpr(a)),
        Await(a) => format!("(await {})", sexpr(a)),
        Cast(a, t) => format!("(cast {} {})", sexpr(a), ty(t)),
        Binary(op, a, b) => format!("({op:?} {} {})", sexpr(a), sexpr(b)),
        Pipe(a, b) => format!("(|> {} {})", sexpr(a), sexpr(b)),
        Ternary(c, a, b) => format!("(is {} {} {})", sexpr(c), sexpr(a), sexpr(b)),
        Error => "<error>".into(),
    }
}

fn list(items: &[Expr]) -> String {
    items.iter().map(sexpr).collect::<Vec<_>>().join(" ")
}

pub fn ty(t: &TypeExpr) -> String {
    match &t.kind {
        TypeKind::Int(k) => format!("{k:?}"),
        TypeKind::Float(k) => format!("{k:?}"),
        TypeKind::Tbb(k) => format!("{k:?}"),
        TypeKind::Bool => "bool".into(),
        TypeKind::String => "string".into(),
        TypeKind::Nil => "NIL".into(),
        TypeKind::TcpListener => "TcpListener".into(),
        TypeKind::TcpConn => "TcpConn".into(),
        TypeKind::Result(None) => "result".into(),
        TypeKind::Result(Some(t)) => format!("result<{}>", ty(t)),
        TypeKind::Func(None) => "func".into(),
        TypeKind::Func(Some((r, ps))) => format!(
            "func<{}({})>",
            ty(r),
            ps.iter().map(ty).collect::<Vec<_>>().join(",")
        ),
        TypeKind::Task(t) => format!("Task<{}>", ty(t)),
        TypeKind::Chan(t) => format!("Chan<{}>", ty(t)),
        TypeKind::Wild(t) => format!("wild {}@", ty(t)),
        TypeKind::PtrNoWild(t) => format!("{}@", ty(t)),
        TypeKind::Array(t, None) => format!("[{}]", ty(t)),
        TypeKind::Array(t, Some(n)) => format!("[{}; {}]", ty(t), sexpr(n)),
        TypeKind::Named(n) => n.clone(),
    }
}

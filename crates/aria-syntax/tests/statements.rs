//! Declarations, statement dispatch and types.

mod common;
use aria_syntax::ast::*;
use common::{body, sexpr, ty};

fn parse_ok(src: &str) -> Program {
    let (program, diags) = aria_syntax::parse(src.as_bytes());
    common::assert_no_diags(src, &diags);
    program
}

fn decl_type(src: &str) -> String {
    match &body(src)[0].kind {
        StmtKind::Var(v) => ty(&v.ty),
        other => panic!("not a declaration: {other:?}"),
    }
}

#[test]
fn nested_type_arguments_split_shift_right() {
    assert_eq!(decl_type("Task<Chan<int32>>:t;"), "Task<Chan<I32>>");
    assert_eq!(
        decl_type("result<Task<Chan<int32>>>:r;"),
        "result<Task<Chan<I32>>>"
    );
    assert_eq!(
        decl_type("func<Task<Chan<int32>>(Chan<Chan<int8>>)>:f;"),
        "func<Task<Chan<I32>>(Chan<Chan<I8>>)>"
    );
    let stmts = body("Task<Chan<int32>>:t = f(x >> 2);");
    let StmtKind::Var(v) = &stmts[0].kind else {
        panic!()
    };
    assert_eq!(sexpr(v.init.as_ref().unwrap()), "(call f (Shr x 2))");
}

#[test]
fn types() {
    assert_eq!(decl_type("int32[3][4]:a;"), "[[I32; 4]; 3]");
    assert_eq!(decl_type("Task<int64>[]:tasks = [];"), "[Task<I64>]");
    assert_eq!(decl_type("wild int64@:p;"), "wild I64@");
    assert_eq!(decl_type("wild wild int8@@:p;"), "wild wild I8@@");
    assert_eq!(decl_type("int32@:p;"), "I32@");
    assert_eq!(decl_type("wild Point@[4]:ps;"), "[wild Point@; 4]");
    assert_eq!(decl_type("func<NIL()>:f;"), "func<NIL()>");
    assert_eq!(decl_type("func:f = g;"), "func");
    assert_eq!(decl_type("result:r = f();"), "result");
    assert_eq!(decl_type("void:v;"), "NIL");
    assert_eq!(decl_type("tbb16:t;"), "T16");
    assert_eq!(decl_type("const flt32:F = 1.0;"), "F32");
    assert_eq!(decl_type("Point:p;"), "Point");
}

#[test]
fn function_declarations() {
    let program = parse_ok(
        "func:add = int32(int32:a, int32:b) { pass(a + b); };\n\
         async func:fetch = string(TcpConn:c) { pass(await c.read(8)); };\n\
         struct:Point { int32:x, int32:y, };\n\
         const int32:N = 4;\n",
    );
    assert_eq!(program.items.len(), 4);
    let Item::Var(add) = &program.items[0] else {
        panic!()
    };
    assert_eq!(ty(&add.ty), "func");
    assert_eq!(
        sexpr(add.init.as_ref().unwrap()),
        "(lambda I32 (I32:a I32:b) 1)"
    );
    let Item::Var(fetch) = &program.items[1] else {
        panic!()
    };
    assert_eq!(fetch.name.name, "fetch");
    assert_eq!(ty(&fetch.ty), "func");
    assert_eq!(
        sexpr(fetch.init.as_ref().unwrap()),
        "(async lambda string (TcpConn:c) 1)"
    );
    let Item::Struct(point) = &program.items[2] else {
        panic!()
    };
    assert_eq!(point.fields.len(), 2);
    let Item::Var(n) = &program.items[3] else {
        panic!()
    };
    assert!(n.is_const);
}

#[test]
fn statement_dispatch() {
    let stmts = body(
        "int32:result = await some_io_task();\n\
         result = 3;\n\
         x.y[2] += 1;\n\
         p->f = 1;\n\
         k++; k--;\n\
         async NIL() { }().detach();\n\
         async func:inner = NIL() { };\n\
         func:local = int32(int32:x) { pass(x); };\n\
         log(m) ? NIL;\n\
         await t;\n\
         xs |> println;\n\
         { int32:z; }\n\
         struct:Inner { int32:a };\n",
    );
    let kinds: Vec<&str> = stmts
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Var(_) => "var",
            StmtKind::Assign(..) => "assign",
            StmtKind::IncDec(..) => "incdec",
            StmtKind::Expr(_) => "expr",
            StmtKind::Block(_) => "block",
            StmtKind::Struct(_) => "struct",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "var", "assign", "assign", "assign", "incdec", "incdec", "expr", "var", "var", "expr",
            "expr", "expr", "block", "struct"
        ]
    );
    let StmtKind::Var(inner) = &stmts[7].kind else {
        panic!()
    };
    assert_eq!(ty(&inner.ty), "func");
    assert_eq!(
        sexpr(inner.init.as_ref().unwrap()),
        "(async lambda NIL () 0)"
    );
}

#[test]
fn control_flow() {
    let stmts = body(
        "if (a) { } else if (b) { x(); } else { }\n\
         while (true) { break; continue; }\n\
         for (int32:i = 0; i < 10; i++) { }\n\
         for (i = 0; ; ) { }\n\
         for (;;) { }\n\
         till(5, 1) { print($); }\n\
         when (k < 3) { k++; } then { } end { }\n\
         when (c) { }\n\
         defer { free(p); }\n\
         defer conn.close();\n\
         pass(); pass(1); fail(22); return; return x; fall(loud);\n",
    );
    let StmtKind::If(_, _, Some(other)) = &stmts[0].kind else {
        panic!()
    };
    assert!(matches!(&other.kind, StmtKind::If(_, _, Some(_))));
    let StmtKind::For {
        init: Some(init),
        cond: Some(_),
        update: Some(update),
        ..
    } = &stmts[2].kind
    else {
        panic!()
    };
    assert!(matches!(init.kind, StmtKind::Var(_)));
    assert!(matches!(update.kind, StmtKind::IncDec(_, true)));
    let StmtKind::For {
        init: Some(init),
        cond: None,
        update: None,
        ..
    } = &stmts[3].kind
    else {
        panic!()
    };
    assert!(matches!(init.kind, StmtKind::Assign(..)));
    assert!(matches!(
        &stmts[4].kind,
        StmtKind::For {
            init: None,
            cond: None,
            update: None,
            ..
        }
    ));
    assert!(matches!(&stmts[5].kind, StmtKind::Till(..)));
    assert!(matches!(
        &stmts[6].kind,
        StmtKind::When {
            then: Some(_),
            end: Some(_),
            ..
        }
    ));
    assert!(matches!(
        &stmts[7].kind,
        StmtKind::When {
            then: None,
            end: None,
            ..
        }
    ));
    let StmtKind::Defer(call) = &stmts[9].kind else {
        panic!()
    };
    assert_eq!(call.stmts.len(), 1);
    let StmtKind::Expr(e) = &call.stmts[0].kind else {
        panic!()
    };
    assert_eq!(sexpr(e), "(call (. conn close))");
    assert!(matches!(&stmts[10].kind, StmtKind::Pass(None)));
    assert!(matches!(&stmts[11].kind, StmtKind::Pass(Some(_))));
    assert!(matches!(&stmts[14].kind, StmtKind::Return(Some(_))));
    assert!(matches!(&stmts[15].kind, StmtKind::Fall(l) if l.name == "loud"));
}

#[test]
fn pick_cases() {
    let stmts = body(
        "pick (n) {\n\
            (0) { },\n\
            (1..9, 20) { fall(loud); },\n\
            (<0) { }, (<= -5, >= 100, > 7, != 3) { },\n\
            (1...5) { },\n\
            (*) { },\n\
            loud:(!) { },\n\
            named:(!x) { },\n\
         }\n\
         pick (s) { }\n",
    );
    let StmtKind::Pick(sel, cases) = &stmts[0].kind else {
        panic!()
    };
    assert_eq!(sexpr(sel), "n");
    assert_eq!(cases.len(), 8);
    let PickPattern::Alts(alts) = &cases[1].pattern else {
        panic!()
    };
    assert!(matches!(&alts[0], PickAlt::Range(_, _, true)));
    assert!(matches!(&alts[1], PickAlt::Value(_)));
    let PickPattern::Alts(alts) = &cases[3].pattern else {
        panic!()
    };
    let ops: Vec<RelOp> = alts
        .iter()
        .map(|a| match a {
            PickAlt::Rel(op, _) => *op,
            _ => panic!(),
        })
        .collect();
    assert_eq!(ops, [RelOp::Le, RelOp::Ge, RelOp::Gt, RelOp::Ne]);
    let PickPattern::Alts(alts) = &cases[4].pattern else {
        panic!()
    };
    assert!(matches!(&alts[0], PickAlt::Range(_, _, false)));
    assert!(matches!(cases[5].pattern, PickPattern::Wild));
    assert!(matches!(cases[6].pattern, PickPattern::Never));
    assert_eq!(cases[6].label.as_ref().unwrap().name, "loud");
    let PickPattern::Alts(alts) = &cases[7].pattern else {
        panic!()
    };
    assert!(matches!(&alts[0], PickAlt::Value(e) if sexpr(e) == "(Not x)"));
    assert!(matches!(&stmts[1].kind, StmtKind::Pick(_, c) if c.is_empty()));
}

#[test]
fn spans_cover_their_source() {
    let src = "func:main = int32() { int32:x = a + b; pass(x); };";
    let program = parse_ok(src);
    let Item::Var(main) = &program.items[0] else {
        panic!()
    };
    assert_eq!(main.span.start, 0);
    assert_eq!(main.span.end as usize, src.len());
    let ExprKind::Lambda(l) = &main.init.as_ref().unwrap().kind else {
        panic!()
    };
    let StmtKind::Var(x) = &l.body.stmts[0].kind else {
        panic!()
    };
    let init = x.init.as_ref().unwrap();
    assert_eq!(
        &src[init.span.start as usize..init.span.end as usize],
        "a + b"
    );
    assert_eq!(
        &src[l.body.stmts[1].span.start as usize..l.body.stmts[1].span.end as usize],
        "pass(x);"
    );
}

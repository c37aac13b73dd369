//! The shape of the typed output for key constructs (what lowering
//! relies on, per the doc comments of `tast.rs`).

use super::sexp::{body, func};
use super::*;
use crate::tast::{ExprKind, FuncKind, StmtKind};

const DIVIDE: &str =
    "func:divide = int32(int32:a, int32:b) { if (b == 0) { fail(22); } pass(a / b); };\n";

fn main_body(src: &str) -> Vec<String> {
    body(&ok(src), "main")
}

#[test]
fn propagation_initialises_a_local() {
    let src = format!(
        "{DIVIDE}func:h = int32(int32:a, int32:b) {{ int32:q = divide(a, b)?; pass(q / 2); }};\n{}",
        in_main("")
    );
    let b = body(&ok(&src), "h");
    assert_eq!(b[0], "let q = propagate(call[direct divide](a, b))");
    assert_eq!(b[1], "pass Div(q, 2:int32)");
}

#[test]
fn call_statement_is_unwrapped() {
    let b = main_body(&in_main("println(1);"));
    assert_eq!(b[0], "expr unwrap[println](call[builtin println](1:int64))");
}

#[test]
fn result_forms() {
    let src = format!(
        "{DIVIDE}{}",
        in_main(
            "println(divide(10, 2)); int32:d = divide(1, 0) ? -1; result:r = divide(7, 0); \
             println(r.err); int32:t = is r.err == NULL : r.val : -5; int64:w = r;"
        )
    );
    let b = main_body(&src);
    assert_eq!(b[0], "expr unwrap[println](call[builtin println](unwrap[divide](call[direct divide](10:int32, 2:int32))))");
    assert_eq!(
        b[1],
        "let d = default(call[direct divide](1:int32, 0:int32), -1:int32)"
    );
    assert_eq!(b[2], "let r = call[direct divide](7:int32, 0:int32)");
    assert_eq!(b[3], "expr unwrap[println](call[builtin println](err(r)))");
    assert_eq!(b[4], "let t = is(Eq(err(r), 0:int64), val(r), -5:int32)");
    assert_eq!(b[5], "let w = convert:int64(unwrap[r](r))");
}

#[test]
fn result_ternaries() {
    let src = format!(
        "{DIVIDE}{}",
        in_main("bool:c = true; result:r = is c : divide(1, 2) : divide(3, 4); int32:v = is c : divide(1, 2) : divide(3, 4);")
    );
    let b = main_body(&src);
    assert_eq!(b[1], "let r = is(c, call[direct divide](1:int32, 2:int32), call[direct divide](3:int32, 4:int32))");
    assert_eq!(
        b[2],
        "let v = is(c, unwrap[divide](call[direct divide](1:int32, 2:int32)), unwrap[divide](call[direct divide](3:int32, 4:int32)))"
    );
}

#[test]
fn return_forwards_results() {
    let src = format!(
        "{DIVIDE}func:f = int32() {{ return divide(1, 2); }};\nfunc:g = int64() {{ return divide(1, 2); }};\nfunc:k = int32() {{ return 3; }};\n{}",
        in_main("")
    );
    let p = ok(&src);
    assert_eq!(
        body(&p, "f")[0],
        "return call[direct divide](1:int32, 2:int32)"
    );
    assert_eq!(
        body(&p, "g")[0],
        "return convert:result<int64>(call[direct divide](1:int32, 2:int32))"
    );
    assert_eq!(body(&p, "k")[0], "pass 3:int32");
}

#[test]
fn implicit_conversions_and_folding() {
    let b = main_body(&in_main(
        "int32:a = 1; int64:b = a + 2; flt64:f = a; println(0xFF + 0b1010 + 0o17 + 1_000); \
         int8:c = 100 + 27; tbb8:t = ERR; println(7 => flt64 / 2.0); uint8:ch = 'a';",
    ));
    assert_eq!(b[1], "let b = convert:int64(Add(a, 2:int32))");
    assert_eq!(b[2], "let f = convert:flt64(a)");
    assert_eq!(
        b[3],
        "expr unwrap[println](call[builtin println](1280:int64))"
    );
    assert_eq!(b[4], "let c = 127:int8");
    assert_eq!(b[5], "let t = -128:tbb8");
    assert_eq!(
        b[6],
        "expr unwrap[println](call[builtin println](3.5:flt64))"
    );
    assert_eq!(b[7], "let ch = 97:uint8");
}

#[test]
fn typed_constants_fold_with_runtime_semantics() {
    let b = main_body(&in_main(
        "const int8:A = 100; int8:x = A + A; const tbb8:T = 100; tbb8:y = T + 50; println(ERR == ERR);",
    ));
    assert_eq!(b[0], "let x = -56:int8");
    assert_eq!(b[1], "let y = -128:tbb8");
    assert_eq!(b[2], "expr unwrap[println](call[builtin println](true))");
}

#[test]
fn err_adapts_to_the_tbb_operand() {
    let b = main_body(&in_main("tbb8:t = 5; bool:e = t == ERR;"));
    assert_eq!(b[1], "let e = Eq(t, -128:tbb8)");
}

#[test]
fn pipe_becomes_a_call() {
    let src = format!(
        "func:add = int32(int32:a, int32:b) {{ pass(a + b); }};\n{}",
        in_main("println(5 |> add(3) |> add(100));")
    );
    let b = main_body(&src);
    assert_eq!(
        b[0],
        "expr unwrap[println](call[builtin println](unwrap[add](call[direct add](unwrap[add](call[direct add](5:int32, 3:int32)), 100:int32))))"
    );
}

#[test]
fn dollar_is_the_innermost_till_variable() {
    let p = ok(&in_main(
        "till(3, 1) { till(2, 1) { println($); } println($); }",
    ));
    let main = func(&p, "main");
    let StmtKind::Till {
        var: outer, body, ..
    } = &main.body.stmts[0].kind
    else {
        panic!()
    };
    let StmtKind::Till {
        var: inner,
        body: ib,
        ..
    } = &body.stmts[0].kind
    else {
        panic!()
    };
    let arg = |s: &crate::tast::Stmt| match &s.kind {
        StmtKind::Expr(e) => match &e.kind {
            ExprKind::Unwrap(c, _) => match &c.kind {
                ExprKind::Call(_, args) => match args[0].kind {
                    ExprKind::Local(id) => id,
                    _ => panic!(),
                },
                _ => panic!(),
            },
            _ => panic!(),
        },
        _ => panic!(),
    };
    assert_eq!(arg(&ib.stmts[0]), *inner);
    assert_eq!(arg(&body.stmts[1]), *outer);
    assert_ne!(inner, outer);
}

#[test]
fn constants_are_substituted() {
    let src = format!(
        "const int64:N = 3;\nconst int64:M = N * 2;\n{}",
        in_main("const string:S = \"a\" + \"b\"; println(M); println(S);")
    );
    let b = main_body(&src);
    assert_eq!(b[0], "expr unwrap[println](call[builtin println](6:int64))");
    assert_eq!(b[1], "expr unwrap[println](call[builtin println](\"ab\"))");
}

#[test]
fn init_assigns_globals_in_order() {
    let p = ok("int32:a = 1;\nconst int32:C = 2;\nint32:b;\nint32[]:xs = [a, C];\nfunc:main = int32() { pass(a + b); };");
    let init = &p.funcs[p.init.0 as usize];
    assert_eq!(init.kind, FuncKind::Init);
    assert_eq!(p.globals.len(), 3, "consts need no storage");
    let b = body(&p, "<init>");
    assert_eq!(
        b,
        vec![
            "global a = 1:int32",
            "global b = zero:int32",
            "global xs = [global a, 2:int32]:int32[]",
        ]
    );
}

#[test]
fn functions_as_values_and_direct_calls() {
    let src = "func:add = int32(int32:a, int32:b) { pass(a + b); };\n\
               func:apply = int32(func<int32(int32, int32)>:f) { pass(f(1, 2)); };\n\
               func:main = int32() { println(apply(add)); pass(add(1, 2)); };";
    let p = ok(src);
    assert_eq!(
        body(&p, "apply")[0],
        "pass unwrap[f](call[value f](1:int32, 2:int32))"
    );
    let b = body(&p, "main");
    assert_eq!(
        b[0],
        "expr unwrap[println](call[builtin println](unwrap[apply](call[direct apply](fn add))))"
    );
    assert_eq!(b[1], "pass unwrap[add](call[direct add](1:int32, 2:int32))");
}

#[test]
fn methods_and_members() {
    let b = main_body(&in_main(
        "string:s = \"ab\"; int64:n = s.length; string:u = s.to_upper(); int32[]:xs = [1]; xs.push(2); int64:i = xs.index_of(2);",
    ));
    assert_eq!(b[1], "let n = len(s)");
    assert_eq!(
        b[2],
        "let u = unwrap[string.to_upper](call[builtin string.to_upper](s))"
    );
    assert_eq!(
        b[4],
        "expr unwrap[array.push](call[builtin array.push](xs, 2:int32))"
    );
    assert_eq!(
        b[5],
        "let i = unwrap[array.index_of](call[builtin array.index_of](xs, 2:int32))"
    );
}

#[test]
fn sync_closures_capture_by_reference() {
    let p = ok(&in_main(
        "int32:n = 0; func:inc = NIL() { func:deep = NIL() { n = n + 1; }; deep(); }; inc();",
    ));
    let main = func(&p, "main");
    let n = main.locals.iter().position(|l| l.name == "n").unwrap();
    assert!(main.locals[n].by_ref);
    let inc = func(&p, "inc");
    assert_eq!(
        inc.captures.len(),
        1,
        "the middle lambda brings `n` through"
    );
    assert_eq!(inc.captures[0].outer.0 as usize, n);
    assert!(inc.captures[0].by_ref && inc.locals[inc.captures[0].inner.0 as usize].by_ref);
    let deep = func(&p, "deep");
    assert_eq!(deep.captures[0].outer, inc.captures[0].inner);
    assert!(deep.captures[0].by_ref);
}

#[test]
fn async_lambdas_capture_by_value() {
    let p = ok("async func:main = int32() { int32:n = 1; func:t = async int32() { pass(n); }; int32:v = await t(); pass(v); };");
    let main = func(&p, "main");
    assert!(main.locals.iter().all(|l| !l.by_ref));
    let t = func(&p, "t");
    assert!(t.is_async && t.kind == FuncKind::Lambda);
    assert!(!t.captures[0].by_ref);
}

#[test]
fn local_function_calls_itself() {
    let p = ok(&in_main("func:fact = int64(int64:n) { if (n <= 1) { pass(1); } pass(n * fact(n - 1)); }; println(fact(5));"));
    let fact = func(&p, "fact");
    assert_eq!(fact.captures.len(), 1);
    assert!(fact.captures[0].by_ref);
    let main = func(&p, "main");
    assert!(main.locals[fact.captures[0].outer.0 as usize].by_ref);
    assert_eq!(main.locals[fact.captures[0].outer.0 as usize].name, "fact");
    // Even an async local function reaches itself through a shared cell.
    let p = ok("async func:main = int32() { async func:count = int32(int32:n) { if (n == 0) { pass(0); } pass(await count(n - 1) + 1); }; pass(await count(3)); };");
    assert!(func(&p, "count").captures[0].by_ref);
}

#[test]
fn await_forms() {
    let src = "async func:f = int32() { pass(1); };\n\
               async func:g = int32() { Task<int32>:t = f(); int32:a = await t; int32:b = t.await(); pass(a + b); };\n\
               func:main = int32() { Task<int32>:t = f(); int32:c = t.await(); pass(c); };";
    let (p, d) = run(src);
    assert_eq!(d.iter().map(|d| d.code).collect::<Vec<_>>(), vec!["W0002"]);
    let p = p.unwrap();
    let g = body(&p, "g");
    assert_eq!(g[0], "let t = unwrap[f](call[direct f]())");
    assert_eq!(g[1], "let a = unwrap[t](await(t))");
    assert_eq!(g[2], "let b = unwrap[t](await(t))");
    assert_eq!(
        body(&p, "main")[1],
        "let c = unwrap[Task.await](call[builtin Task.await](t))"
    );
}

#[test]
fn lambda_names() {
    let p = ok(&in_main("println(int32(int32:x) { pass(x * 2); }(21));"));
    assert!(
        p.funcs.iter().any(|f| f.name == "lambda@2:9"),
        "{:?}",
        p.funcs.iter().map(|f| &f.name).collect::<Vec<_>>()
    );
}

#[test]
fn struct_literals_and_fields() {
    let src = "struct:P { int32:x, int32:y };\nfunc:main = int32() { P:p = P{y: 2, x: 1}; p.y = 5; pass(p.x); };";
    let b = main_body(src);
    assert_eq!(b[0], "let p = struct{1: 2:int32, 0: 1:int32}");
    assert_eq!(b[1], "p.#1 = 5:int32");
    assert_eq!(b[2], "pass p.#0");
}

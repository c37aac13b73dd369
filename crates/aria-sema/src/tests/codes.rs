//! One small program per diagnostic code owned by sema (LANGUAGE.md §10.1),
//! mostly the exact examples given there.

use super::*;

const DIVIDE: &str =
    "func:divide = int32(int32:a, int32:b) { if (b == 0) { fail(22); } pass(a / b); };\n";
const POINT: &str = "struct:Point { int32:x, int32:y };\n";

fn main_has(body: &str, code: &str) {
    has(&in_main(body), code);
}

#[test]
fn e0109_struct_in_body() {
    main_has("struct:S { int32:x };", "E0109");
}

#[test]
fn e0200_undefined_name() {
    main_has("println(y);", "E0200");
    main_has("nope(1);", "E0200");
}

#[test]
fn e0201_duplicate_declaration() {
    main_has("int32:a = 1; int32:a = 2;", "E0201");
    has(
        "func:f = NIL(int32:a) { int32:a = 1; };\nfunc:main = int32() { pass(0); };",
        "E0201",
    );
    has(
        "func:f = NIL() { };\nfunc:f = NIL() { };\nfunc:main = int32() { pass(0); };",
        "E0201",
    );
    has(
        "func:f = NIL(int32:a, int32:a) { };\nfunc:main = int32() { pass(0); };",
        "E0201",
    );
    has(
        "struct:S { int32:x };\nstruct:S { int32:y };\nfunc:main = int32() { pass(0); };",
        "E0201",
    );
}

#[test]
fn shadowing_is_allowed() {
    ok(&in_main(
        "int32:a = 1; { int32:a = 2; println(a); } int64:println = 3;",
    ));
    ok("int32:g = 1;\nfunc:main = int32() { string:g = \"x\"; pass(0); };");
}

#[test]
fn e0202_dollar_outside_till() {
    main_has("int64:i = $;", "E0202");
}

#[test]
fn e0203_unknown_type() {
    main_has("Pointt:p;", "E0203");
    has(
        "struct:A { Nope:n };\nfunc:main = int32() { pass(0); };",
        "E0203",
    );
}

#[test]
fn e0204_unknown_field() {
    has(
        &format!("{POINT}{}", in_main("Point:p; println(p.z);")),
        "E0204",
    );
    has(
        &format!("{POINT}{}", in_main("Point:p = Point{x: 1, z: 2};")),
        "E0204",
    );
}

#[test]
fn e0205_duplicate_field() {
    has(
        "struct:P { int32:x, int32:x };\nfunc:main = int32() { pass(0); };",
        "E0205",
    );
}

#[test]
fn e0206_global_reads_later_global() {
    has(
        "int32:a = b;\nint32:b = 1;\nfunc:main = int32() { pass(0); };",
        "E0206",
    );
    has(
        "int32:a = a + 1;\nfunc:main = int32() { pass(0); };",
        "E0206",
    );
    ok("int32:a = 1;\nint32:b = a + 1;\nfunc:main = int32() { pass(b); };");
    // Functions may read any global; a lambda body is a function.
    ok("func:f = int32() { pass(later); };\nint32:later = 2;\nfunc:main = int32() { pass(f()); };");
}

#[test]
fn e0207_break_outside_loop() {
    main_has("break;", "E0207");
    main_has("continue;", "E0207");
    // `pick` is not a loop.
    main_has("pick (1) { (1) { break; } }", "E0207");
}

#[test]
fn e0208_bad_fall() {
    main_has("fall(nowhere);", "E0208");
    main_has("pick (1) { a:(1) { }, (2) { fall(a); } }", "E0208");
    main_has("pick (1) { (1) { fall(b); }, c:(2) { } }", "E0208");
    ok(&in_main("pick (1) { (1) { fall(b); }, b:(!) { } }"));
}

#[test]
fn e0209_duplicate_label() {
    main_has("pick (1) { a:(1) { }, a:(2) { } }", "E0209");
}

#[test]
fn e0210_main_signature() {
    has("func:main = string() { pass(\"x\"); };", "E0210");
    has("func:main = int32(int32:x) { pass(x); };", "E0210");
    has("func:f = int32() { pass(0); };", "E0210");
    ok("func:main = NIL() { };");
    ok("async func:main = int64() { pass(0); };");
}

#[test]
fn e0211_never_case_without_label() {
    main_has("pick (1) { (!) { } }", "E0211");
}

#[test]
fn e0212_builtin_type_redeclared() {
    has(
        "struct:result { int32:x };\nfunc:main = int32() { pass(0); };",
        "E0212",
    );
}

#[test]
fn e0300_type_mismatch() {
    main_has("int32:x = \"five\";", "E0300");
    has(
        &format!("{DIVIDE}{}", in_main("string:s = divide(1, 2);")),
        "E0300",
    );
}

#[test]
fn e0301_no_implicit_conversion() {
    main_has("int64:a = 1; int32:b = a;", "E0301");
    main_has("int32:a = 1; uint32:b = 2; println(a + b);", "E0301");
    main_has("tbb8:t = 1; int8:i = 2; println(t + i);", "E0301");
    main_has("flt64:f = 1.5; int64:i = f;", "E0301");
    ok(&in_main(
        "int32:a = 1; int64:b = a; flt32:f = a; uint8:u = 1; uint64:w = u;",
    ));
}

#[test]
fn e0302_constant_out_of_range() {
    main_has("int8:x = 300;", "E0302");
    main_has("int8:x = 127 + 1;", "E0302");
    main_has("tbb8:t = -128;", "E0302");
    main_has("uint8:u = 1; println(u + 300);", "E0302");
    main_has("uint32:u = -1;", "E0302");
    ok(&in_main("int64:m = -9223372036854775808; uint64:big = 18446744073709551615; tbb8:t = -127; tbb8:e = ERR;"));
}

#[test]
fn e0303_invalid_cast() {
    main_has("println(\"5\" => int32);", "E0303");
    main_has("bool:b = 1 => bool;", "E0303");
    ok(&in_main("int32:w = 300; println(w => int8); println(3.99 => int32); println(true => int32); tbb8:t = w => tbb8;"));
}

#[test]
fn e0304_operator_not_defined() {
    main_has("println(\"a\" + 1);", "E0304");
    main_has("tbb8:t = 1; println(t & t);", "E0304");
    main_has("tbb8:t = 1; println(t << 1);", "E0304");
    main_has("string:s = \"a\"; s -= \"b\";", "E0304");
    main_has("println(!5);", "E0304");
}

#[test]
fn e0305_condition_not_bool() {
    main_has("if (1) { }", "E0305");
    main_has("int32:x = 1; while (x) { }", "E0305");
    main_has("println(is 1 : 2 : 3);", "E0305");
}

#[test]
fn e0306_wrong_argument_count() {
    has("func:add = int32(int32:a, int32:b) { pass(a + b); };\nfunc:main = int32() { println(add(1)); pass(0); };", "E0306");
    main_has("println(1, 2);", "E0306");
}

#[test]
fn e0307_not_callable() {
    main_has("int32:x = 1; x();", "E0307");
}

#[test]
fn e0308_immutable_place() {
    main_has("till(3, 1) { $ = 1; }", "E0308");
    has(
        &format!("{DIVIDE}{}", in_main("result:r = divide(1, 0); r.err = 0;")),
        "E0308",
    );
    main_has("const int32:N = 3; N = 4;", "E0308");
    has(
        "func:f = NIL() { };\nfunc:main = int32() { f = f; pass(0); };",
        "E0308",
    );
    main_has("string:s = \"ab\"; s[0] = 65;", "E0308");
}

#[test]
fn e0309_cannot_infer() {
    main_has("result:r;", "E0309");
    main_has("func:f;", "E0309");
    main_has("println([]);", "E0309");
    main_has("int32:x = 1; result:r = x;", "E0309");
}

#[test]
fn e0310_reachable_end() {
    has(
        "func:f = int32() { };\nfunc:main = int32() { pass(0); };",
        "E0310",
    );
    has(
        "func:f = int32(bool:c) { if (c) { pass(1); } };\nfunc:main = int32() { pass(0); };",
        "E0310",
    );
    ok("func:f = int32(bool:c) { if (c) { pass(1); } else { fail(2); } };\nfunc:main = int32() { pass(0); };");
    ok("func:f = int32() { while (true) { } };\nfunc:main = int32() { pass(0); };");
    ok("func:f = int32() { panic(\"x\"); };\nfunc:main = int32() { pass(0); };");
    ok("func:f = int32(int32:n) { pick (n) { (0) { pass(0); }, (*) { fall(z); }, z:(!) { pass(1); } } };\nfunc:main = int32() { pass(0); };");
    has(
        "func:f = int32() { while (true) { break; } };\nfunc:main = int32() { pass(0); };",
        "E0310",
    );
}

#[test]
fn e0311_pass_value_does_not_fit() {
    has(
        "func:f = int32() { pass(); };\nfunc:main = int32() { pass(0); };",
        "E0311",
    );
    has(
        "func:f = int32() { return; };\nfunc:main = int32() { pass(0); };",
        "E0311",
    );
    has(
        "func:f = NIL() { pass(3); };\nfunc:main = int32() { pass(0); };",
        "E0311",
    );
}

#[test]
fn e0312_bad_fail_code() {
    main_has("fail(\"x\");", "E0312");
    main_has("fail(0);", "E0312");
    ok(&in_main("int32:c = 3; if (c > 5) { fail(c); }"));
}

#[test]
fn e0313_question_needs_result() {
    main_has("int32:x = 1; int32:y = x ? 0;", "E0313");
    main_has("int32:x = 1; int32:y = x?;", "E0313");
}

#[test]
fn e0314_default_type_or_propagation_place() {
    has(
        &format!("{DIVIDE}{}", in_main("int32:v = divide(1, 0) ? \"no\";")),
        "E0314",
    );
    has(
        &format!("{DIVIDE}int32:g = divide(1, 2)?;\nfunc:main = int32() {{ pass(0); }};"),
        "E0314",
    );
}

#[test]
fn e0315_not_indexable() {
    main_has("int32[]:xs = [1]; println(xs[\"a\"]);", "E0315");
    main_has("int32:x = 1; println(x[0]);", "E0315");
}

#[test]
fn e0316_fixed_array_size() {
    main_has("int32[3]:a = [1, 2];", "E0316");
    main_has("int32[0]:a;", "E0316");
    ok(&in_main(
        "const int64:N = 2; int32[N]:a = [1, 2]; int32[3][4]:m;",
    ));
}

#[test]
fn e0317_unknown_member() {
    main_has("int32[3]:fixed; fixed.push(1);", "E0317");
    main_has("string:s = \"a\"; s.frobnicate();", "E0317");
    main_has("int32:x = 1; println(x.err);", "E0317");
}

#[test]
fn e0318_not_printable() {
    has(
        &format!("{POINT}{}", in_main("Point:p; println(p);")),
        "E0318",
    );
    has(
        &format!("{POINT}{}", in_main("Point:p; println(`&{p}`);")),
        "E0318",
    );
}

#[test]
fn e0319_struct_contains_itself() {
    has(
        "struct:N { N:next };\nfunc:main = int32() { pass(0); };",
        "E0319",
    );
    has(
        "struct:N { N[2]:kids };\nfunc:main = int32() { pass(0); };",
        "E0319",
    );
    has(
        "struct:A { B:b };\nstruct:B { A:a };\nfunc:main = int32() { pass(0); };",
        "E0319",
    );
    ok("struct:T { T[]:kids };\nstruct:L { int32:v, wild L@:next };\nfunc:main = int32() { pass(0); };");
}

#[test]
fn e0320_result_as_value_type() {
    has(
        "func:f = result<int32>() { pass(1); };\nfunc:main = int32() { pass(0); };",
        "E0320",
    );
}

#[test]
fn e0321_pointer_misuse() {
    main_has("wild string@:p;", "E0321");
    main_has("wild int64@:p = alloc<string>(3);", "E0321");
}

#[test]
fn e0322_not_comparable() {
    main_has(
        "int32[]:xs = [1]; int32[]:ys = [1]; println(xs == ys);",
        "E0322",
    );
    has(
        &format!("{POINT}{}", in_main("Point:p; Point:q; println(p == q);")),
        "E0322",
    );
    main_has("println(true < false);", "E0322");
}

#[test]
fn e0323_ternary_branches() {
    main_has("bool:c = true; println(is c : 1 : \"a\");", "E0323");
}

#[test]
fn e0324_pattern_does_not_fit() {
    main_has("bool:b = true; pick (b) { (1..5) { } }", "E0324");
    main_has("int32:n = 1; pick (n) { (\"a\") { } }", "E0324");
}

#[test]
fn e0325_constant_expression() {
    has(
        "func:f = int32() { pass(1); };\nconst int32:N = f();\nfunc:main = int32() { pass(0); };",
        "E0325",
    );
    main_has("const int32:Z = 1 / 0;", "E0325");
    main_has("int32:x = 1; const int32:N = x;", "E0325");
    main_has("int32:x = 5 % 0;", "E0325");
}

#[test]
fn e0326_jump_out_of_defer() {
    has(
        "func:f = int32() { defer { pass(1); } pass(0); };\nfunc:main = int32() { pass(0); };",
        "E0326",
    );
    main_has("while (true) { defer { break; } }", "E0326");
    ok(&in_main("defer { while (true) { break; } }"));
}

#[test]
fn e0400_await_outside_async() {
    main_has("await sleep(1);", "E0400");
    has(
        "async func:f = NIL() { func:g = NIL() { await sleep(1); }; g(); };\nfunc:main = int32() { pass(0); };",
        "E0400",
    );
}

#[test]
fn e0401_await_non_task() {
    has("async func:main = int32() { await 5; pass(0); };", "E0401");
}

#[test]
fn e0402_await_in_defer() {
    has(
        "async func:main = int32() { defer { await sleep(1); } pass(0); };",
        "E0402",
    );
}

#[test]
fn e0403_async_lambda_captures_wild() {
    let src = "func:main = int32() { wild int32@:p = alloc<int32>(1); async NIL() { free(p); }().detach(); pass(0); };";
    has(src, "E0403");
}

#[test]
fn w0001_task_discarded() {
    let worker = "async func:worker = NIL(Chan<int32>:jobs) { await jobs.recv(); };\n";
    has(
        &format!(
            "{worker}{}",
            in_main("Chan<int32>:jobs = chan<int32>(1); worker(jobs);")
        ),
        "W0001",
    );
    has(
        "async func:main = int32() { Chan<int32>:c = chan<int32>(1); c.send(1); pass(0); };",
        "W0001",
    );
    let (p, d) = run(&format!(
        "{worker}{}",
        in_main("Chan<int32>:jobs = chan<int32>(1); worker(jobs).detach();")
    ));
    assert!(p.is_some() && d.is_empty(), "{d:?}");
    // An async lambda called at once, and a sync getter (no task started).
    has(&in_main("async NIL() { }();"), "W0001");
    let getter = "Task<int32>:t;\nfunc:get = Task<int32>() { pass(t); };\n";
    assert!(run(&format!("{getter}{}", in_main("get();"))).1.is_empty());
}

#[test]
fn e0403_through_a_sync_lambda() {
    let src = in_main("wild int32@:p = alloc<int32>(1); func:s = NIL() { async NIL() { println(p[0]); }().detach(); }; s();");
    has(&src, "E0403");
    // Sync lambdas may share pointers.
    ok(&in_main(
        "wild int32@:p = alloc<int32>(1); func:s = NIL() { free(p); }; s();",
    ));
}

#[test]
fn task_builtins_signatures() {
    let f = "async func:f = int32() { pass(1); };\n";
    ok(&format!(
        "{f}async func:main = int32() {{ Task<int32>:t = f(); t.then(NIL(result<int32>:r) {{ println(r.err); }}); \
         int32:a = await with_timeout(f(), 10); int32:b = await race([f(), f()]); int32[]:c = await join_all([f()]); pass(a + b); }};"
    ));
    has(
        &format!(
            "{f}{}",
            in_main("Task<int32>:t = f(); t.then(NIL(int32:x) { });")
        ),
        "E0300",
    );
    has(&in_main("race([]).detach();"), "E0309");
    has(&in_main("join_all(5).detach();"), "E0300");
}

#[test]
fn w0002_dot_await_in_async() {
    let src = "async func:f = int32() { pass(1); };\nasync func:main = int32() { Task<int32>:t = f(); int32:v = t.await(); pass(v); };";
    has(src, "W0002");
    assert!(run(src).0.is_some(), "a warning does not block");
}

#[test]
fn w0003_unreachable() {
    has("func:main = int32() { pass(1); println(\"x\"); };", "W0003");
    has(
        "func:main = int32() { while (true) { break; println(\"x\"); } pass(0); };",
        "W0003",
    );
}

#[test]
fn e0104_nested_non_place() {
    has(
        &format!(
            "{POINT}func:mk = Point() {{ Point:p; pass(p); }};\n{}",
            in_main("mk().x = 3;")
        ),
        "E0104",
    );
}

#[test]
fn independent_errors_all_reported() {
    let src = in_main("int32:x = \"a\"; println(y); break; int8:z = 300;");
    let c = codes(&src);
    for code in ["E0300", "E0200", "E0207", "E0302"] {
        assert!(c.contains(&code), "{code} missing from {c:?}");
    }
}

#[test]
fn poison_suppresses_cascades() {
    // One unknown name: no follow-up errors from its uses.
    let src = in_main("int32:x = nope + 1; int32:y = x * 2; println(nope.length);");
    let c = codes(&src);
    assert_eq!(c, vec!["E0200", "E0200"], "{c:?}");
}

//! Expression shapes: precedence, associativity, `?` default vs
//! propagation, `await` reach, casts, pipes, lambdas and literals.

mod common;
use common::expr;

#[test]
fn casts_bind_tighter_than_arithmetic() {
    assert_eq!(
        expr("a => int64 + b => int64"),
        "(Add (cast a I64) (cast b I64))"
    );
    assert_eq!(expr("x => int32 => int16"), "(cast (cast x I32) I16)");
    assert_eq!(expr("7 => flt64 / 2.0"), "(Div (cast 7 F64) 2.0)");
    assert_eq!(expr("-x => int8"), "(cast (Neg x) I8)");
}

#[test]
fn pipes_are_left_associative_and_loose() {
    assert_eq!(
        expr("5 |> add(3) |> add(100)"),
        "(|> (|> 5 (call add 3)) (call add 100))"
    );
    assert_eq!(expr("a + b |> f"), "(|> (Add a b) f)");
    assert_eq!(expr("x |> f ? 0"), "(default (|> x f) 0)");
}

#[test]
fn question_mark_default_or_propagation() {
    assert_eq!(expr("f()? - 1"), "(default (call f) (Neg 1))");
    assert_eq!(expr("(f()?) - 1"), "(Sub (prop (call f)) 1)");
    assert_eq!(expr("f() ? 0"), "(default (call f) 0)");
    assert_eq!(expr("g(f()?, 2)"), "(call g (prop (call f)) 2)");
    assert_eq!(expr("f()?.x"), "(. (prop (call f)) x)");
    assert_eq!(expr("f()? + 1"), "(Add (prop (call f)) 1)");
    assert_eq!(expr("f()? == 2"), "(Eq (prop (call f)) 2)");
    assert_eq!(expr("a ? b ? c"), "(default a (default b c))");
    assert_eq!(expr("a + f() ? 0"), "(default (Add a (call f)) 0)");
    assert_eq!(expr("-f()?"), "(Neg (prop (call f)))");
    assert_eq!(expr("f() ? NIL"), "(default (call f) NIL)");
}

#[test]
fn await_reach() {
    assert_eq!(expr("await t ? -1"), "(default (await t) (Neg 1))");
    assert_eq!(
        expr("await c.read(64)?"),
        "(prop (await (call (. c read) 64)))"
    );
    assert_eq!(
        expr("await c.read(64)?.length"),
        "(. (prop (await (call (. c read) 64))) length)"
    );
    assert_eq!(expr("await xs[0].f()"), "(await (call (. (index xs 0) f)))");
    assert_eq!(expr("await t + 1"), "(Add (await t) 1)");
    assert_eq!(expr("-await t"), "(Neg (await t))");
    assert_eq!(
        expr("await crasher(0) ? -1"),
        "(default (await (call crasher 0)) (Neg 1))"
    );
    assert_eq!(
        expr("join_all(tasks).await()"),
        "(call (. (call join_all tasks) await))"
    );
}

#[test]
fn ternary_is_right_associative_and_loosest() {
    assert_eq!(expr("is c : a : b"), "(is c a b)");
    assert_eq!(expr("is c : a : is d : e : f"), "(is c a (is d e f))");
    assert_eq!(
        expr("is a < b : 1 : 2 ? 3"),
        "(is (Lt a b) 1 (default 2 3))"
    );
    assert_eq!(
        expr("is r.err == NULL : r.val : -5"),
        "(is (Eq (. r err) NULL) (. r val) (Neg 5))"
    );
}

#[test]
fn binary_levels() {
    assert_eq!(expr("a + b * c"), "(Add a (Mul b c))");
    assert_eq!(expr("a - b - c"), "(Sub (Sub a b) c)");
    assert_eq!(expr("a << 1 + 2"), "(Shl a (Add 1 2))");
    assert_eq!(expr("a < b == c"), "(Eq (Lt a b) c)");
    assert_eq!(expr("a == b < c"), "(Eq a (Lt b c))");
    assert_eq!(expr("a & b == c"), "(BitAnd a (Eq b c))");
    assert_eq!(expr("a | b ^ c & d"), "(BitOr a (BitXor b (BitAnd c d)))");
    assert_eq!(expr("a || b && c"), "(Or a (And b c))");
    assert_eq!(expr("a <=> b"), "(Cmp3 a b)");
    assert_eq!(expr("x >> 2 >> 1"), "(Shr (Shr x 2) 1)");
    assert_eq!(expr("!a && ~b != 0"), "(And (Not a) (Ne (BitNot b) 0))");
}

#[test]
fn postfix_forms() {
    assert_eq!(expr("p->f[2].g"), "(. (index (-> p f) 2) g)");
    assert_eq!(expr("Point{x: 1, y: 2}.x"), "(. (Point{} x:1 y:2) x)");
    assert_eq!(expr("Point{x: 1, y: -2,}"), "(Point{} x:1 y:(Neg 2))");
    assert_eq!(expr("Point{}"), "(Point{} )");
    assert_eq!(
        expr("int32(int32:x) { pass(x * 2); }(21)"),
        "(call (lambda I32 (I32:x) 1) 21)"
    );
    assert_eq!(expr("f()()"), "(call (call f))");
    assert_eq!(expr("t.then(cb)"), "(call (. t then) cb)");
}

#[test]
fn primaries() {
    assert_eq!(expr("[1, 2, 3,]"), "[1 2 3]");
    assert_eq!(expr("[]"), "[]");
    assert_eq!(expr("chan<int32>(4)"), "(chan I32 4)");
    assert_eq!(expr("alloc<Point>(n)"), "(alloc Point n)");
    assert_eq!(expr("'a'"), "'a'");
    assert_eq!(
        expr("0xFF + 0b1010 + 0o17 + 1_000"),
        "(Add (Add (Add 255 10) 15) 1000)"
    );
    assert_eq!(expr("1.5e3"), "1500.0");
    assert_eq!(expr("$"), "$");
    assert_eq!(expr("NIL"), "NIL");
    assert_eq!(expr("ERR"), "ERR");
    assert_eq!(expr("result"), "result");
    assert_eq!(
        expr("async NIL(int64:count) { pass(); }"),
        "(async lambda NIL (I64:count) 1)"
    );
    assert_eq!(expr("NIL() { }"), "(lambda NIL () 0)");
    assert_eq!(expr("Point() { }"), "(lambda Point () 0)");
    assert_eq!(expr("Point[](int32:n) { }"), "(lambda [Point] (I32:n) 0)");
    assert_eq!(expr("func<int32()>() { }"), "(lambda func<I32()> () 0)");
    assert_eq!(expr("result<int32>() { }"), "(lambda result<I32> () 0)");
}

#[test]
fn templates() {
    assert_eq!(expr("`a&{x}b`"), "(tpl \"a\" x \"b\")");
    assert_eq!(expr("`&{`in&{1}`}`"), "(tpl (tpl \"in\" 1))");
    assert_eq!(expr("`\\&{x} & {`"), "(tpl \"&{x} & {\")");
    assert_eq!(expr("`&{ Point{x: 1}.x }`"), "(tpl (. (Point{} x:1) x))");
    assert_eq!(expr("`&{ \"}\" }`"), "(tpl \"}\")");
    assert_eq!(expr("``"), "(tpl )");
    assert_eq!(
        expr("`[&{f(Point{x: 1})}]`"),
        "(tpl \"[\" (call f (Point{} x:1)) \"]\")"
    );
}

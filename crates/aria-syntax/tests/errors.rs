//! One test per syntax error code (LANGUAGE.md §10.1), asserting the exact
//! codes reported (one each: no cascades), plus error recovery.

mod common;
use common::codes;

/// `stmts` inside `func:main`.
fn in_main(stmts: &str) -> Vec<&'static str> {
    codes(&format!(
        "func:main = int32() {{\n    {stmts}\n    pass(0);\n}};\n"
    ))
}

#[test]
fn e0001_unexpected_character() {
    assert_eq!(in_main("int32:x = 5 \\ 2;"), ["E0001"]);
    assert_eq!(in_main("int32:x = 5; \u{e9}"), ["E0001"]);
    assert_eq!(codes("func:main = int32() { pass(0); }; \u{1}"), ["E0001"]);
    // Non-ASCII is fine in comments and literals.
    assert!(
        in_main("// \u{e9}\n string:s = \"\u{e9}\"; string:t = `\u{e9}`; /* \u{e9} */").is_empty()
    );
}

#[test]
fn e0002_unterminated_block_comment() {
    assert_eq!(codes("/* open"), ["E0002"]);
    assert_eq!(in_main("/* open"), ["E0002"]);
    assert!(codes("/* a /* b */ int32:x; // */").is_empty());
}

#[test]
fn e0003_unterminated_string() {
    assert_eq!(in_main("string:s = \"abc;"), ["E0003"]);
    assert_eq!(codes("string:s = \"abc"), ["E0003"]);
}

#[test]
fn e0004_unterminated_template() {
    assert_eq!(in_main("println(`v=&{x`);"), ["E0004"]);
    assert_eq!(codes("string:s = `v=&{x`"), ["E0004"]);
    assert_eq!(codes("string:s = `abc"), ["E0004"]);
}

#[test]
fn e0005_unknown_escape() {
    assert_eq!(in_main("string:s = \"\\q\";"), ["E0005"]);
    assert_eq!(in_main("string:s = `\\q`;"), ["E0005"]);
    assert_eq!(in_main("string:s = \"\\x4\";"), ["E0005"]);
    assert!(in_main("string:s = \"\\n\\t\\r\\0\\\\\\\"\\'\\`\\&\\x41\\xff\";").is_empty());
}

#[test]
fn e0006_malformed_number() {
    for bad in ["0x", "0b102", "12abc", "0x_1", "1.5e", "0o8", "1e+", "0xg"] {
        assert_eq!(in_main(&format!("int64:x = {bad};")), ["E0006"], "{bad}");
    }
    for good in ["0XfF", "0B1_0", "0O7_", "1_000_", "1.5e-3", "2E10", "1e5"] {
        assert!(in_main(&format!("flt64:x = {good};")).is_empty(), "{good}");
    }
}

#[test]
fn e0007_integer_too_large() {
    assert_eq!(in_main("uint64:x = 99999999999999999999;"), ["E0007"]);
    assert_eq!(in_main("uint64:x = 0x1_0000_0000_0000_0000;"), ["E0007"]);
    assert!(in_main("uint64:x = 18446744073709551615;").is_empty());
}

#[test]
fn e0008_bad_char_literal() {
    assert_eq!(in_main("uint8:c = '';"), ["E0008"]);
    assert_eq!(in_main("uint8:c = 'ab';"), ["E0008"]);
    assert_eq!(in_main("uint8:c = '\u{e9}';"), ["E0008"]);
    assert_eq!(in_main("uint8:c = 'a;"), ["E0008"]);
    assert!(in_main("uint8:c = '\\n'; uint8:d = '\\''; uint8:e = '\"';").is_empty());
}

#[test]
fn e0009_operator_not_in_subset() {
    assert_eq!(in_main("int32:x = a ?? b;"), ["E0009"]);
    assert_eq!(in_main("#x;"), ["E0009"]);
    assert_eq!(in_main("x = a <| b;"), ["E0009"]);
}

#[test]
fn e0010_reserved_for_later() {
    assert_eq!(in_main("loop(0, 9, 1) { }"), ["E0010"]);
    assert_eq!(codes("use x;"), ["E0010"]);
    assert_eq!(in_main("int32:pub = 1;"), ["E0010"]);
    assert_eq!(in_main("x = mod;"), ["E0010"]);
}

#[test]
fn e0100_unexpected_token() {
    assert_eq!(in_main("int32:x = ;"), ["E0100"]);
    assert_eq!(in_main("f(1, );"), ["E0100"]);
    assert_eq!(in_main("int32 x = 1;"), ["E0100"]);
    assert_eq!(codes("}"), ["E0100"]);
}

#[test]
fn e0101_missing_semicolon_after_declaration() {
    assert_eq!(codes("func:f = NIL() { }"), ["E0101"]);
    assert_eq!(
        codes("func:f = NIL() { }\nfunc:main = int32() { pass(0); };"),
        ["E0101"]
    );
    assert_eq!(in_main("int32:x = 1\n int32:y = 2;"), ["E0101"]);
    assert_eq!(codes("struct:P { int32:x }"), ["E0101"]);
}

#[test]
fn e0102_body_not_a_block() {
    assert_eq!(in_main("if (x) pass(1);"), ["E0102"]);
    assert_eq!(in_main("while (x) f();"), ["E0102"]);
    assert_eq!(in_main("if (x) { } else pass(1);"), ["E0102"]);
}

#[test]
fn e0103_condition_without_parentheses() {
    assert_eq!(in_main("while x < 3 { }"), ["E0103"]);
    assert_eq!(in_main("if x { }"), ["E0103"]);
    assert_eq!(in_main("till 5 { }"), ["E0103"]);
}

#[test]
fn e0104_not_assignable() {
    assert_eq!(in_main("f() = 3;"), ["E0104"]);
    assert_eq!(in_main("1 += 3;"), ["E0104"]);
    assert_eq!(in_main("f()++;"), ["E0104"]);
    assert!(in_main("x = 1; a[i] = 2; s.f = 3; p->f = 4; $ = 5;").is_empty());
}

#[test]
fn e0105_chained_comparison() {
    assert_eq!(in_main("bool:b = a < b < c;"), ["E0105"]);
    assert_eq!(in_main("bool:b = a == b == c;"), ["E0105"]);
    assert_eq!(in_main("bool:b = a < b + 1 <= c;"), ["E0105"]);
}

#[test]
fn e0106_increment_in_expression() {
    assert_eq!(in_main("int32:y = x++;"), ["E0106"]);
    assert_eq!(in_main("f(x--);"), ["E0106"]);
    assert_eq!(in_main("y = ++x;"), ["E0106"]);
}

#[test]
fn e0107_expression_without_effect() {
    assert_eq!(in_main("x + 1;"), ["E0107"]);
    assert_eq!(in_main("x;"), ["E0107"]);
    assert_eq!(in_main("f() => int32;"), ["E0107"]);
    assert!(in_main("f(); await t; f()?; f() ? 0; await t ? 1; x |> g;").is_empty());
}

#[test]
fn e0108_statement_at_top_level() {
    assert_eq!(codes("println(\"hi\");"), ["E0108"]);
    assert_eq!(codes("if (x) { y(); }"), ["E0108"]);
    assert_eq!(
        codes("x = 1;\nfunc:main = int32() { pass(0); };"),
        ["E0108"]
    );
}

#[test]
fn e0110_type_paren_not_a_lambda() {
    assert_eq!(in_main("int32:y = int32(x);"), ["E0110"]);
    assert_eq!(in_main("println(flt64(2));"), ["E0110"]);
    assert_eq!(in_main("int32(x);"), ["E0110"]);
}

#[test]
fn e0111_empty_interpolation() {
    assert_eq!(in_main("println(`&{}`);"), ["E0111"]);
    assert_eq!(in_main("println(`a&{  }b`);"), ["E0111"]);
}

#[test]
fn wild_without_pointer_and_chan_without_type() {
    assert_eq!(in_main("wild int32:x;"), ["E0321"]);
    assert_eq!(in_main("Chan<int32>:c = chan(4);"), ["E0404"]);
}

#[test]
fn recovery_reports_independent_errors() {
    let src = "func:f = int32() {\n\
                   int32:x = ;\n\
                   if x > 1 { pass(1); }\n\
                   f() = 3;\n\
                   pass(0);\n\
               };\n\
               println(\"top\");\n\
               func:g = NIL() {\n\
                   int32:y = 1 +;\n\
               };\n\
               func:main = int32() { pass(0); };\n";
    assert_eq!(codes(src), ["E0100", "E0103", "E0104", "E0108", "E0100"]);
}

#[test]
fn recovery_three_errors() {
    let src = "func:main = int32() {\n\
                   int32:a = 1 +;\n\
                   x + 1;\n\
                   int32:b = int32(a);\n\
                   pass(0);\n\
               };\n";
    assert_eq!(codes(src), ["E0100", "E0107", "E0110"]);
}

#[test]
fn recovery_keeps_parsing_after_lexer_errors() {
    let src = "func:main = int32() {\n\
                   string:s = \"abc;\n\
                   int32:x = 0b2;\n\
                   int32:y = a <| b;\n\
                   int32:z = ;\n\
                   pass(0);\n\
               };\n";
    assert_eq!(codes(src), ["E0003", "E0006", "E0009", "E0100"]);
}

#[test]
fn literal_errors_do_not_hide_parser_errors() {
    let src = "func:f = NIL() { string:s = \"\\q\"; int64:n = 0b2; }\n";
    assert_eq!(codes(src), ["E0005", "E0006", "E0101"]);
}

#[test]
fn diagnostics_render_with_code_and_position() {
    let src = "func:main = int32() {\n    int32:x = ;\n};\n";
    let (_, diags) = aria_syntax::parse(src.as_bytes());
    let text = diags[0].render("t.aria", src.as_bytes(), false);
    assert!(
        text.starts_with("t.aria:2:15: error[E0100]: expected an expression, found `;`"),
        "{text}"
    );
}

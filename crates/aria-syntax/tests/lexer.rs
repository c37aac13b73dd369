//! Lexer: token kinds, literals, templates, `>>`, comments and codes.

use aria_syntax::{lex, Kw, TokenKind as T};

fn kinds(src: &str) -> Vec<T> {
    let (toks, diags) = lex(src.as_bytes());
    assert!(diags.is_empty(), "{src}: {diags:?}");
    toks.into_iter().map(|t| t.kind).collect()
}

fn codes(src: &str) -> Vec<&'static str> {
    lex(src.as_bytes()).1.iter().map(|d| d.code).collect()
}

fn ident(s: &str) -> T {
    T::Ident(s.to_string())
}

#[test]
fn ranges_are_not_floats() {
    assert_eq!(kinds("1..5"), [T::Int(1), T::DotDot, T::Int(5), T::Eof]);
    assert_eq!(kinds("1...5"), [T::Int(1), T::DotDotDot, T::Int(5), T::Eof]);
    assert_eq!(kinds("1."), [T::Int(1), T::Dot, T::Eof]);
    assert_eq!(kinds(".5"), [T::Dot, T::Int(5), T::Eof]);
    assert_eq!(kinds("1.5"), [T::Float(1.5), T::Eof]);
    assert_eq!(kinds("1_0.2_5e1_0"), [T::Float(10.25e10), T::Eof]);
    assert_eq!(kinds("3e-2"), [T::Float(0.03), T::Eof]);
    assert_eq!(kinds("x.0"), [ident("x"), T::Dot, T::Int(0), T::Eof]);
}

#[test]
fn integer_prefixes() {
    assert_eq!(
        kinds("0xFF 0Xff 0b1010 0B1 0o755 0O7 1_000_000 007"),
        [
            T::Int(255),
            T::Int(255),
            T::Int(10),
            T::Int(1),
            T::Int(493),
            T::Int(7),
            T::Int(1_000_000),
            T::Int(7),
            T::Eof
        ]
    );
    assert_eq!(kinds("18446744073709551615"), [T::Int(u64::MAX), T::Eof]);
    assert_eq!(codes("18446744073709551616"), ["E0007"]);
    assert_eq!(codes("0x 0b102 12abc 0x_1"), ["E0006"; 4]);
}

#[test]
fn longest_match_operators() {
    use T::*;
    assert_eq!(
        kinds("<=> <= << < >= >> > => == = != ! -> -- -= - ++ += |> || | && & ... .. . ?"),
        [
            Cmp3, Le, Shl, Lt, Ge, Shr, Gt, FatArrow, EqEq, Assign, BangEq, Bang, Arrow,
            MinusMinus, MinusEq, Minus, PlusPlus, PlusEq, PipeGt, PipePipe, Pipe, AmpAmp, Amp,
            DotDotDot, DotDot, Dot, Question, Eof
        ]
    );
    assert_eq!(kinds("a>>b"), [ident("a"), Shr, ident("b"), Eof]);
    assert_eq!(kinds("*= /= %= ^ ~ $ @ ( ) [ ] { } , ; :").len(), 17);
}

#[test]
fn rejected_operators_and_characters() {
    assert_eq!(codes("a ?? b"), ["E0009"]);
    assert_eq!(codes("a <| b"), ["E0009"]);
    assert_eq!(codes("#x"), ["E0009"]);
    assert_eq!(codes("5 \\ 2"), ["E0001"]);
    assert_eq!(codes("\u{e9}\u{e8} x"), ["E0001"]);
    let (toks, _) = lex(b"a ?? b");
    assert_eq!(toks[1].kind, T::Error);
}

#[test]
fn keywords_and_identifiers() {
    assert_eq!(
        kinds("func Chan chan result loop _x Task NIL void"),
        [
            T::Kw(Kw::Func),
            T::Kw(Kw::Chan),
            T::Kw(Kw::ChanFn),
            ident("result"),
            T::Kw(Kw::Loop),
            ident("_x"),
            T::Kw(Kw::Task),
            T::Kw(Kw::Nil),
            T::Kw(Kw::Void),
            T::Eof
        ]
    );
}

#[test]
fn comments() {
    assert_eq!(kinds("a // b */ c\nd"), [ident("a"), ident("d"), T::Eof]);
    assert_eq!(kinds("a /* b /* c */ d"), [ident("a"), ident("d"), T::Eof]);
    assert_eq!(codes("a /* b"), ["E0002"]);
}

#[test]
fn strings_and_chars() {
    assert_eq!(
        kinds(r#""a\n\t\r\0\\\"\'\`\&\x41\xff""#),
        [T::Str(b"a\n\t\r\0\\\"'`&A\xff".to_vec()), T::Eof]
    );
    assert_eq!(
        kinds(r"'a' '\n' '\x7f'"),
        [T::Char(b'a'), T::Char(b'\n'), T::Char(0x7f), T::Eof]
    );
    assert_eq!(codes("\"abc\nx"), ["E0003"]);
    assert_eq!(codes(r#""\q""#), ["E0005"]);
    assert_eq!(codes("'' 'ab'"), ["E0008", "E0008"]);
}

#[test]
fn templates_nest() {
    use T::*;
    let text = |s: &str| TemplateText(s.as_bytes().to_vec());
    assert_eq!(
        kinds("`a&{x}b`"),
        [
            TemplateStart,
            text("a"),
            InterpStart,
            ident("x"),
            InterpEnd,
            text("b"),
            TemplateEnd,
            Eof
        ]
    );
    assert_eq!(
        kinds("`&{ `in&{ {} }` }`"),
        [
            TemplateStart,
            InterpStart,
            TemplateStart,
            text("in"),
            InterpStart,
            LBrace,
            RBrace,
            InterpEnd,
            TemplateEnd,
            InterpEnd,
            TemplateEnd,
            Eof
        ]
    );
    assert_eq!(
        kinds("`\\&{x} & {`"),
        [TemplateStart, text("&{x} & {"), TemplateEnd, Eof]
    );
    assert_eq!(
        kinds("`line\nbreak`"),
        [TemplateStart, text("line\nbreak"), TemplateEnd, Eof]
    );
    assert_eq!(
        kinds("`&{\"}\"}`"),
        [
            TemplateStart,
            InterpStart,
            Str(b"}".to_vec()),
            InterpEnd,
            TemplateEnd,
            Eof
        ]
    );
    assert_eq!(codes("`&{}`"), ["E0111"]);
    assert_eq!(codes("`v=&{x`"), ["E0004"]);
    assert_eq!(codes("`abc"), ["E0004"]);
}

#[test]
fn spans_and_token_dump() {
    let (toks, _) = lex(b"int32:x = 42;");
    let spans: Vec<(u32, u32)> = toks.iter().map(|t| (t.span.start, t.span.end)).collect();
    assert_eq!(
        spans,
        [(0, 5), (5, 6), (6, 7), (8, 9), (10, 12), (12, 13), (13, 13)]
    );
    assert_eq!(
        aria_syntax::dump_tokens(b"func:f\n  = `a&{x}`;"),
        "1:1 keyword func\n1:5 punct :\n1:6 ident f\n2:3 punct =\n2:5 template_start\n\
         2:6 template_text \"a\"\n2:7 interp_start\n2:9 ident x\n2:10 interp_end\n\
         2:11 template_end\n2:12 punct ;\n2:13 eof\n"
    );
}

#[test]
fn every_reserved_word_is_a_keyword() {
    let words = "alloc async await bool break chan Chan const continue defer else end ERR fail fall \
                 false flt32 flt64 for func if int8 int16 int32 int64 is NIL NULL pass pick return \
                 string struct Task tbb8 tbb16 tbb32 tbb64 TcpConn TcpListener then till true uint8 \
                 uint16 uint32 uint64 void when while wild loop use mod pub extern";
    for word in words.split_whitespace() {
        let kw = Kw::lookup(word.as_bytes()).unwrap_or_else(|| panic!("{word}"));
        assert_eq!(kw.as_str(), word);
        let later = ["loop", "use", "mod", "pub", "extern"].contains(&word);
        assert_eq!(kw.is_reserved_for_later(), later, "{word}");
    }
    assert_eq!(Kw::lookup(b"result"), None);
    assert_eq!(Kw::lookup(b"Int32"), None);
}

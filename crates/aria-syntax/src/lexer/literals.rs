//! Number, char and string literals and escapes (LANGUAGE.md §1).

use super::Lexer;
use crate::token::TokenKind;

impl Lexer<'_> {
    /// Integer or float literal. A malformed one is still one token (value 0)
    /// so the parser does not cascade.
    pub(super) fn number(&mut self) {
        let start = self.pos;
        if self.at(0) == b'0' && matches!(self.at(1), b'x' | b'X' | b'b' | b'B' | b'o' | b'O') {
            return self.prefixed_int(start);
        }
        self.digits();
        let mut is_float = false;
        if self.at(0) == b'.' && self.at(1).is_ascii_digit() {
            self.pos += 1;
            self.digits();
            is_float = true;
        }
        if let Some(len) = self.exponent_len() {
            self.pos += len;
            self.digits();
            is_float = true;
        }
        if self.letters_follow() {
            self.malformed_tail(true);
            return self.malformed_number(start);
        }
        let text: String = self.src[start..self.pos]
            .iter()
            .filter(|&&b| b != b'_')
            .map(|&b| b as char)
            .collect();
        if is_float {
            let value = text.parse::<f64>().unwrap_or(0.0);
            self.push(TokenKind::Float(value), start, self.pos);
        } else {
            let value = self.int_value(start, text.as_bytes(), 10);
            self.push(TokenKind::Int(value), start, self.pos);
        }
    }

    /// `[0-9][0-9_]*` (the caller knows a digit is next).
    fn digits(&mut self) {
        while self.at(0).is_ascii_digit() || self.at(0) == b'_' {
            self.pos += 1;
        }
    }

    /// Length of `e[+-]` when an exponent with at least one digit follows.
    fn exponent_len(&self) -> Option<usize> {
        if !matches!(self.at(0), b'e' | b'E') {
            return None;
        }
        match self.at(1) {
            b'0'..=b'9' => Some(1),
            b'+' | b'-' if self.at(2).is_ascii_digit() => Some(2),
            _ => None,
        }
    }

    /// A letter, digit or `_` glued to a literal makes it malformed (`12abc`).
    fn letters_follow(&self) -> bool {
        self.at(0).is_ascii_alphanumeric() || self.at(0) == b'_'
    }

    /// Consumes letters, digits and `_` glued to a literal; with
    /// `exponent_sign`, also a sign right after an `e` (`1e+`, `2.5e-x`).
    fn malformed_tail(&mut self, exponent_sign: bool) {
        loop {
            if self.letters_follow() {
                self.pos += 1;
                continue;
            }
            let after_e = matches!(self.src.get(self.pos.wrapping_sub(1)), Some(b'e' | b'E'));
            if exponent_sign && after_e && matches!(self.at(0), b'+' | b'-') {
                self.pos += 1;
                continue;
            }
            return;
        }
    }

    /// Reports E0006 for the malformed literal `start..pos`.
    fn malformed_number(&mut self, start: usize) {
        let text = String::from_utf8_lossy(&self.src[start..self.pos]).into_owned();
        self.error(
            "E0006",
            start,
            self.pos,
            format!("malformed number `{text}`"),
        );
        self.push(TokenKind::Int(0), start, self.pos);
    }

    /// `0x..`, `0b..`, `0o..`: the first character after the prefix must be
    /// a digit of the base; then digits and `_`.
    fn prefixed_int(&mut self, start: usize) {
        let radix = match self.at(1) | 0x20 {
            b'x' => 16,
            b'b' => 2,
            _ => 8,
        };
        self.pos += 2;
        let body_start = self.pos;
        while self.letters_follow() {
            self.pos += 1;
        }
        let body = &self.src[body_start..self.pos];
        let first_ok = body
            .first()
            .is_some_and(|&b| digit_value(b, radix).is_some());
        let rest_ok = body
            .iter()
            .all(|&b| b == b'_' || digit_value(b, radix).is_some());
        if !(first_ok && rest_ok) {
            return self.malformed_number(start);
        }
        let digits: Vec<u8> = body.iter().copied().filter(|&b| b != b'_').collect();
        let value = self.int_value(start, &digits, radix);
        self.push(TokenKind::Int(value), start, self.pos);
    }

    /// Value of validated `digits`; E0007 (and 0) above 2^64-1.
    fn int_value(&mut self, start: usize, digits: &[u8], radix: u64) -> u64 {
        let mut value: u64 = 0;
        for &b in digits {
            let d = digit_value(b, radix).unwrap_or(0);
            match value.checked_mul(radix).and_then(|v| v.checked_add(d)) {
                Some(v) => value = v,
                None => {
                    self.error(
                        "E0007",
                        start,
                        self.pos,
                        "integer literal is larger than 2^64-1",
                    );
                    return 0;
                }
            }
        }
        value
    }

    /// `"..."` on one line.
    pub(super) fn string(&mut self) {
        let start = self.pos;
        self.pos += 1;
        let mut bytes = Vec::new();
        loop {
            match self.src.get(self.pos) {
                None | Some(b'\n') => {
                    self.error("E0003", start, self.pos, "unterminated string literal");
                    break;
                }
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => self.escape(&mut bytes, false),
                Some(&b) => {
                    bytes.push(b);
                    self.pos += 1;
                }
            }
        }
        self.push(TokenKind::Str(bytes), start, self.pos);
    }

    /// Decodes the escape at `self.pos` (a backslash) into `out`. Unknown
    /// escapes are E0005. In a string (not `multiline`) a backslash before a
    /// newline or EOF is left for the caller's E0003.
    pub(super) fn escape(&mut self, out: &mut Vec<u8>, multiline: bool) {
        let start = self.pos;
        let c = self.at(1);
        if self.pos + 1 >= self.src.len() || (c == b'\n' && !multiline) {
            self.pos += 1;
            return;
        }
        let simple = match c {
            b'n' => Some(b'\n'),
            b't' => Some(b'\t'),
            b'r' => Some(b'\r'),
            b'0' => Some(0),
            b'\\' | b'"' | b'\'' | b'`' | b'&' => Some(c),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            self.pos += 2;
            return;
        }
        if c == b'x' {
            let hi = digit_value(self.at(2), 16);
            let lo = digit_value(self.at(3), 16);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push((hi * 16 + lo) as u8);
                self.pos += 4;
                return;
            }
        }
        self.pos += 2;
        let shown = if c.is_ascii_graphic() {
            format!("`\\{}`", c as char)
        } else {
            "here".to_string()
        };
        let msg = if c == b'x' {
            "`\\x` must be followed by two hex digits".to_string()
        } else {
            format!("unknown escape {shown}")
        };
        self.error("E0005", start, self.pos, msg);
    }

    /// `'a'`, `'\n'`: one ASCII byte or escape (E0008 otherwise). A quote
    /// with no closing quote nearby on the line swallows only one character,
    /// so the code after it still lexes as written.
    pub(super) fn char_lit(&mut self) {
        let start = self.pos;
        self.pos += 1;
        let errors_before = self.diags.len();
        let mut bytes = Vec::new();
        match self.at_byte(0) {
            Some(b'\'') => {
                self.pos += 1;
                return self.bad_char(start, "empty char literal");
            }
            None | Some(b'\n') => return self.bad_char(start, "unterminated char literal"),
            Some(b'\\') => self.escape(&mut bytes, false),
            Some(b) => {
                bytes.push(b);
                self.pos += 1;
            }
        }
        if self.at_byte(0) != Some(b'\'') {
            return self.unclosed_char(start);
        }
        self.pos += 1;
        if self.diags.len() > errors_before {
            // The escape was already reported (E0005).
            return self.push(TokenKind::Char(0), start, self.pos);
        }
        match bytes.as_slice() {
            [b] if b.is_ascii() => self.push(TokenKind::Char(*b), start, self.pos),
            _ => self.bad_char(start, "char literal must be one ASCII byte"),
        }
    }

    /// After `'x` without a closing quote: a quote a little further on the
    /// line closes a too-long literal (`'ab'`); otherwise it is unterminated.
    fn unclosed_char(&mut self, start: usize) {
        let rest = &self.src[self.pos..];
        let line = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let window = &rest[..line.min(MAX_CHAR_SCAN)];
        let Some(close) = window.iter().position(|&b| b == b'\'') else {
            return self.bad_char(start, "unterminated char literal");
        };
        self.pos += close + 1;
        let text = &self.src[start..self.pos];
        if text.is_ascii() {
            self.bad_char(start, "char literal holds more than one character");
        } else {
            self.bad_char(start, "char literal must be one ASCII byte");
        }
    }

    /// Reports E0008 for the literal from `start` and emits it as `'\0'`.
    fn bad_char(&mut self, start: usize, msg: &str) {
        self.error("E0008", start, self.pos, msg);
        self.push(TokenKind::Char(0), start, self.pos);
    }
}

/// How far past the first character a closing quote is looked for.
const MAX_CHAR_SCAN: usize = 16;

/// Value of `b` as a digit in `radix`, if it is one.
fn digit_value(b: u8, radix: u64) -> Option<u64> {
    let d = match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => return None,
    } as u64;
    (d < radix).then_some(d)
}

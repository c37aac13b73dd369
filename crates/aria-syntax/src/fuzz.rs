//! A deterministic mutation fuzzer for the front end: an xorshift PRNG and
//! source mutations (byte flips, deletions, token-fragment insertions,
//! truncations, duplications). Used by the robustness tests of this crate
//! and by the whole-front-end fuzz test of the `aria` crate.

/// Xorshift64*: small, deterministic, good enough for fuzzing.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// Token-ish fragments that exercise the grammar's tricky corners.
pub const FRAGMENTS: &[&str] = &[
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "<",
    ">",
    ">>",
    "`",
    "&{",
    "\\&{",
    "\"",
    "'",
    "?",
    "??",
    ":",
    ";",
    ",",
    ".",
    "..",
    "...",
    "=>",
    "|>",
    "->",
    "++",
    "--",
    "=",
    "+=",
    "$",
    "@",
    "#",
    "<|",
    "async ",
    "await ",
    "func",
    "func:",
    "int32",
    "Task<",
    "Chan<",
    "result",
    "wild ",
    "is ",
    "pick ",
    "(*)",
    "(!)",
    "defer ",
    "if (x) ",
    "else ",
    "when ",
    "then ",
    "end ",
    "till",
    "for (",
    "struct:S { int32:a };",
    "loop",
    "0x",
    "1_0",
    "1.5e3",
    "99999999999999999999",
    "/*",
    "*/",
    "//",
    "\n",
    "\u{e9}",
    "\\",
    "\\x",
    "NIL",
    "ERR",
    "NULL",
    "chan<int32>(1)",
    "alloc(",
    "x++",
    "a < b < c",
    "Point{",
    "int32(x)",
    "pass(0);",
    "};",
];

/// Applies one random mutation to `src`.
pub fn mutate(rng: &mut Rng, src: &mut Vec<u8>) {
    let len = src.len();
    let at = rng.below(len + 1);
    match rng.below(6) {
        0 if len > 0 => {
            let i = rng.below(len);
            src[i] = rng.next_u64() as u8;
        }
        1 if len > 0 => {
            let n = 1 + rng.below(16.min(len - at.min(len - 1)));
            let at = at.min(len - 1);
            src.drain(at..(at + n).min(len));
        }
        2 => {
            let frag = FRAGMENTS[rng.below(FRAGMENTS.len())].as_bytes();
            src.splice(at..at, frag.iter().copied());
        }
        3 => {
            let bytes: Vec<u8> = (0..1 + rng.below(4))
                .map(|_| rng.next_u64() as u8)
                .collect();
            src.splice(at..at, bytes);
        }
        4 => src.truncate(at),
        _ if len > 0 => {
            let from = rng.below(len);
            let to = (from + 1 + rng.below(64)).min(len);
            let slice = src[from..to].to_vec();
            src.splice(at..at, slice);
        }
        _ => src.push(b'('),
    }
}

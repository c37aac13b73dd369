//! Byte-offset spans into one source file, and line/column lookup.

/// A half-open byte range `[start, end)` into the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// Maps byte offsets to 1-based line and column numbers.
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(src: &[u8]) -> LineIndex {
        let mut line_starts = vec![0];
        for (i, b) in src.iter().enumerate() {
            if *b == b'\n' {
                line_starts.push(i + 1);
            }
        }
        LineIndex { line_starts }
    }

    /// 1-based (line, column); the column counts bytes.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        let offset = offset as usize;
        let line = match self.line_starts.binary_search(&offset) {
            Ok(l) => l,
            Err(l) => l - 1,
        };
        (
            line as u32 + 1,
            (offset - self.line_starts[line]) as u32 + 1,
        )
    }

    /// Byte range of the given 1-based line, without its newline.
    pub fn line_range(&self, line: u32, src_len: usize) -> (usize, usize) {
        let i = (line - 1) as usize;
        let start = self.line_starts[i];
        let end = self
            .line_starts
            .get(i + 1)
            .map(|e| e - 1)
            .unwrap_or(src_len);
        (start, end.max(start))
    }
}

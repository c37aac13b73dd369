//! Diagnostics shared by every compiler stage (LANGUAGE.md §10.1).
//!
//! A diagnostic is a code (`E0300`, `W0001`), a primary span, a plain-words
//! message and an optional help line. `render` prints it as
//! `FILE:LINE:COL: error[E0300]: message` followed by the source line and a caret.

use crate::span::{LineIndex, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// "E0300", "W0001", ...
    pub code: &'static str,
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            span,
            message: message.into(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            code,
            span,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `FILE:LINE:COL: error[CODE]: message`, the source line, a caret line
    /// and the help line if any. `color` adds ANSI colours (for terminals).
    pub fn render(&self, file: &str, src: &[u8], color: bool) -> String {
        let index = LineIndex::new(src);
        let start = (self.span.start as usize).min(src.len()) as u32;
        let (line, col) = index.line_col(start);
        let (kind, paint) = match self.severity {
            Severity::Error => ("error", "\x1b[1;31m"),
            Severity::Warning => ("warning", "\x1b[1;33m"),
        };
        let (on, off) = if color { (paint, "\x1b[0m") } else { ("", "") };
        let mut out = format!(
            "{file}:{line}:{col}: {on}{kind}[{}]{off}: {}\n",
            self.code, self.message
        );
        let (ls, le) = index.line_range(line, src.len());
        let text = String::from_utf8_lossy(&src[ls..le]).replace('\t', " ");
        let width = ((self.span.end.saturating_sub(self.span.start)) as usize)
            .clamp(1, (le - start as usize).max(1));
        let gutter = line.to_string();
        let pad = " ".repeat(gutter.len());
        out.push_str(&format!("{pad} |\n{gutter} | {text}\n{pad} | "));
        out.push_str(&" ".repeat(col as usize - 1));
        out.push_str(&format!("{on}{}{off}\n", "^".repeat(width)));
        if let Some(help) = &self.help {
            out.push_str(&format!("{pad} = help: {help}\n"));
        }
        out
    }
}

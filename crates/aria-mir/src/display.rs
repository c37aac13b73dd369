//! A readable text form of MIR (`aria run --emit=mir`).
//!
//! ```text
//! fn aria.add(_0: i64, _1: i32, _2: i32) -> i32 {
//!     let _3: i32   // exit.val
//! bb0:
//!     _4 = add _1, _2
//!     return 0i64, _4
//! }
//! ```

use crate::mir::*;
use std::fmt::{self, Display, Formatter, Write};

impl Display for Program {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "// init: {}, main: {} (kind {}{}), file: d{}",
            self.funcs[self.init.0 as usize].name,
            self.funcs[self.main.0 as usize].name,
            self.main_kind,
            if self.main_async { ", async" } else { "" },
            self.file.0
        )?;
        for (i, d) in self.data.iter().enumerate() {
            writeln!(f, "{}", DataLine(i, d))?;
        }
        for func in &self.funcs {
            writeln!(f)?;
            write_function(f, self, func)?;
        }
        Ok(())
    }
}

struct DataLine<'a>(usize, &'a Data);

impl Display for DataLine<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let DataLine(i, d) = *self;
        let rw = if d.writable { "rw" } else { "ro" };
        // An immortal string object (rc -1, kind 1) shows its text.
        let is_str = d.bytes.len() >= 24 && d.bytes[..8] == [0xff; 8] && d.bytes[8] == 1;
        let (what, shown) = if is_str {
            ("string ", &d.bytes[24..])
        } else {
            ("", &d.bytes[..])
        };
        write!(
            f,
            "data d{i} {} ({rw}, {} bytes) {what}\"",
            d.name,
            d.bytes.len()
        )?;
        for &b in shown.iter().take(64) {
            match b {
                b'"' | b'\\' => write!(f, "\\{}", b as char)?,
                0x20..=0x7e => f.write_char(b as char)?,
                _ => write!(f, "\\x{b:02x}")?,
            }
        }
        if shown.len() > 64 {
            f.write_str("...")?;
        }
        f.write_char('"')?;
        for (off, op) in &d.relocs {
            match op {
                Operand::FuncAddr(fi) => write!(f, " [+{off}: &fn#{}]", fi.0)?,
                Operand::DataAddr(di) => write!(f, " [+{off}: &d{}]", di.0)?,
                op => write!(f, " [+{off}: {op:?}]")?,
            }
        }
        Ok(())
    }
}

fn ty(t: MTy) -> &'static str {
    match t {
        MTy::I8 => "i8",
        MTy::I16 => "i16",
        MTy::I32 => "i32",
        MTy::I64 => "i64",
        MTy::F32 => "f32",
        MTy::F64 => "f64",
    }
}

fn write_function(f: &mut Formatter<'_>, p: &Program, func: &Function) -> fmt::Result {
    let params: Vec<String> = func
        .params
        .iter()
        .map(|l| format!("_{}: {}", l.0, ty(func.locals[l.0 as usize].ty)))
        .collect();
    let conv = match func.conv {
        CallConv::Aria => "",
        CallConv::Native => "native ",
        CallConv::NativeVoid => "native void ",
    };
    let kind = if func.coroutine.is_some() {
        "async "
    } else {
        ""
    };
    writeln!(
        f,
        "{kind}{conv}fn {}({}) -> {} {{",
        func.name,
        params.join(", "),
        ty(func.ret)
    )?;
    for (i, d) in func.locals.iter().enumerate() {
        if func.params.contains(&Local(i as u32)) {
            continue;
        }
        if let Some(n) = &d.name {
            writeln!(f, "    let _{i}: {}   // {n}", ty(d.ty))?;
        }
    }
    let w = Writer { p };
    for (i, b) in func.blocks.iter().enumerate() {
        writeln!(f, "bb{i}:")?;
        for s in &b.stmts {
            writeln!(f, "    {}", w.stmt(s))?;
        }
        writeln!(f, "    {}", w.term(&b.term))?;
    }
    writeln!(f, "}}")
}

struct Writer<'p> {
    p: &'p Program,
}

impl Writer<'_> {
    fn op(&self, o: &Operand) -> String {
        match o {
            Operand::Local(l) => format!("_{}", l.0),
            Operand::Int(v, t) => format!("{v}{}", ty(*t)),
            Operand::F32(v) => format!("{v:?}f32"),
            Operand::F64(v) => format!("{v:?}f64"),
            Operand::DataAddr(d) => format!("&d{}", d.0),
            Operand::FuncAddr(fi) => format!("&{}", self.fname(*fi)),
        }
    }

    fn fname(&self, fi: FuncIdx) -> String {
        self.p
            .funcs
            .get(fi.0 as usize)
            .map(|f| f.name.clone())
            .unwrap_or_else(|| format!("fn#{}", fi.0))
    }

    fn ops(&self, os: &[Operand]) -> String {
        os.iter().map(|o| self.op(o)).collect::<Vec<_>>().join(", ")
    }

    fn rvalue(&self, rv: &Rvalue) -> String {
        match rv {
            Rvalue::Use(o) => self.op(o),
            Rvalue::Bin(op, a, b) => format!("{} {}, {}", lower(op), self.op(a), self.op(b)),
            Rvalue::Un(op, a) => format!("{} {}", lower(op), self.op(a)),
            Rvalue::Cast(op, a) => format!("{} {}", lower(op), self.op(a)),
            Rvalue::Select(c, a, b) => {
                format!("select {}, {}, {}", self.op(c), self.op(a), self.op(b))
            }
            Rvalue::Load(t, a, off) => format!("load.{} {}{:+}", ty(*t), self.op(a), off),
        }
    }

    fn stmt(&self, s: &Stmt) -> String {
        match s {
            Stmt::Assign(l, rv) => format!("_{} = {}", l.0, self.rvalue(rv)),
            Stmt::Store(a, off, v) => format!("store {}{:+}, {}", self.op(a), off, self.op(v)),
            Stmt::Call(dests, callee, args) => {
                let lhs = if dests.is_empty() {
                    String::new()
                } else {
                    let d: Vec<String> = dests.iter().map(|l| format!("_{}", l.0)).collect();
                    format!("{} = ", d.join(", "))
                };
                let target = match callee {
                    Callee::Func(fi) => self.fname(*fi),
                    Callee::Indirect(t, _) => format!("*{}", self.op(t)),
                    Callee::Runtime(n, _) => format!("rt {n}"),
                };
                format!("{lhs}call {target}({})", self.ops(args))
            }
        }
    }

    fn term(&self, t: &Terminator) -> String {
        match t {
            Terminator::Goto(b) => format!("goto bb{}", b.0),
            Terminator::Branch(c, a, b) => format!("br {}, bb{}, bb{}", self.op(c), a.0, b.0),
            Terminator::Switch(v, cases, d) => {
                let cs: Vec<String> = cases
                    .iter()
                    .map(|(k, b)| format!("{k} => bb{}", b.0))
                    .collect();
                format!("switch {} [{}], else bb{}", self.op(v), cs.join(", "), d.0)
            }
            Terminator::Return(e, v) => format!("return {}, {}", self.op(e), self.op(v)),
            Terminator::Await {
                task,
                err,
                val,
                next,
                cancel,
                finish,
            } => format!(
                "_{}, _{} = await {}{}, bb{}, cancel bb{}",
                err.0,
                val.0,
                self.op(task),
                finish.map(|f| format!(" finish {f}")).unwrap_or_default(),
                next.0,
                cancel.0
            ),
            Terminator::Unreachable => "unreachable".into(),
        }
    }
}

/// `SDiv` → `sdiv`.
fn lower(x: &impl fmt::Debug) -> String {
    format!("{x:?}").to_lowercase()
}

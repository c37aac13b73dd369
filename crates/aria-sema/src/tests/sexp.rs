//! A compact one-line rendering of typed statements and expressions, so
//! tests can assert the shape of the output.

use crate::tast::{Callee, Expr, ExprKind, Func, Program, Stmt, StmtKind, TemplatePart};

pub struct Printer<'a> {
    pub p: &'a Program,
    pub f: &'a Func,
}

impl Printer<'_> {
    pub fn stmt(&self, s: &Stmt) -> String {
        match &s.kind {
            StmtKind::Let(id, e) => {
                let name = &self.f.locals[id.0 as usize].name;
                match e {
                    Some(e) => format!("let {name} = {}", self.expr(e)),
                    None => format!("let {name}"),
                }
            }
            StmtKind::Expr(e) => format!("expr {}", self.expr(e)),
            StmtKind::Assign(a, op, b) => match op {
                Some(op) => format!("{} {op:?}= {}", self.expr(a), self.expr(b)),
                None => format!("{} = {}", self.expr(a), self.expr(b)),
            },
            StmtKind::Pass(e) => format!("pass {}", self.expr(e)),
            StmtKind::Fail(e) => format!("fail {}", self.expr(e)),
            StmtKind::Return(e) => format!("return {}", self.expr(e)),
            StmtKind::Till {
                limit, step, body, ..
            } => format!(
                "till({}, {}) {{ {} }}",
                self.expr(limit),
                self.expr(step),
                self.stmts(&body.stmts)
            ),
            other => format!("{other:?}").chars().take(40).collect(),
        }
    }

    pub fn stmts(&self, ss: &[Stmt]) -> String {
        ss.iter()
            .map(|s| self.stmt(s))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn expr(&self, e: &Expr) -> String {
        let list = |xs: &[Expr]| {
            xs.iter()
                .map(|x| self.expr(x))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match &e.kind {
            ExprKind::Int(v) => format!("{v}:{}", e.ty),
            ExprKind::Float(v) => format!("{v:?}:{}", e.ty),
            ExprKind::Bool(b) => format!("{b}"),
            ExprKind::Str(s) => format!("{:?}", String::from_utf8_lossy(s)),
            ExprKind::Nil => "NIL".into(),
            ExprKind::Zero => format!("zero:{}", e.ty),
            ExprKind::Null => "NULL".into(),
            ExprKind::Template(parts) => {
                let ps: Vec<String> = parts
                    .iter()
                    .map(|p| match p {
                        TemplatePart::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
                        TemplatePart::Value(v) => self.expr(v),
                    })
                    .collect();
                format!("tmpl({})", ps.join(", "))
            }
            ExprKind::Local(id) => self.f.locals[id.0 as usize].name.clone(),
            ExprKind::Global(id) => format!("global {}", self.p.globals[id.0 as usize].name),
            ExprKind::FuncRef(id) => format!("fn {}", self.p.funcs[id.0 as usize].name),
            ExprKind::Closure(id) => format!("closure {}", self.p.funcs[id.0 as usize].name),
            ExprKind::ArrayLit(xs) => format!("[{}]:{}", list(xs), e.ty),
            ExprKind::StructLit(_, fs) => {
                let fs: Vec<String> = fs
                    .iter()
                    .map(|(i, x)| format!("{i}: {}", self.expr(x)))
                    .collect();
                format!("struct{{{}}}", fs.join(", "))
            }
            ExprKind::Call(c, args) => {
                let callee = match c {
                    Callee::Direct(id) => format!("direct {}", self.p.funcs[id.0 as usize].name),
                    Callee::Value(v) => format!("value {}", self.expr(v)),
                    Callee::Builtin(b) => format!("builtin {}", b.display_name()),
                };
                format!("call[{callee}]({})", list(args))
            }
            ExprKind::Index(a, i) => format!("{}[{}]", self.expr(a), self.expr(i)),
            ExprKind::Field(a, i) => format!("{}.#{i}", self.expr(a)),
            ExprKind::Arrow(a, i) => format!("{}->#{i}", self.expr(a)),
            ExprKind::Len(a) => format!("len({})", self.expr(a)),
            ExprKind::ResultErr(a) => format!("err({})", self.expr(a)),
            ExprKind::ResultVal(a) => format!("val({})", self.expr(a)),
            ExprKind::Unwrap(a, n) => format!("unwrap[{n}]({})", self.expr(a)),
            ExprKind::Propagate(a) => format!("propagate({})", self.expr(a)),
            ExprKind::Default(a, d) => format!("default({}, {})", self.expr(a), self.expr(d)),
            ExprKind::Convert(a) => format!("convert:{}({})", e.ty, self.expr(a)),
            ExprKind::Unary(op, a) => format!("{op:?}({})", self.expr(a)),
            ExprKind::Binary(op, a, b) => format!("{op:?}({}, {})", self.expr(a), self.expr(b)),
            ExprKind::Ternary(c, a, b) => {
                format!("is({}, {}, {})", self.expr(c), self.expr(a), self.expr(b))
            }
            ExprKind::Await(a) => format!("await({})", self.expr(a)),
        }
    }
}

/// The body of function `name` rendered statement by statement.
pub fn body(p: &Program, name: &str) -> Vec<String> {
    let f = func(p, name);
    let pr = Printer { p, f };
    f.body.stmts.iter().map(|s| pr.stmt(s)).collect()
}

pub fn func<'a>(p: &'a Program, name: &str) -> &'a Func {
    p.funcs
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no function {name}"))
}

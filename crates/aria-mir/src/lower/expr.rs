//! Expressions (non-result values): literals, variables, projections,
//! templates, ternaries. Operators are in `ops.rs`, the result rule in
//! `results.rs`, aggregates in `aggregate.rs`.

use super::func::{zero_of, FnBuilder, VarSlot};
use super::layout::{self, field_offset, mty, ARR_DATA, ARR_LEN, STR_LEN};
use super::visit::runs_no_user_code;
use super::Span;
use crate::mir::{BinOp, CastOp, MTy, Operand, Rvalue};
use aria_sema::tast::{Expr, ExprKind, TemplatePart};
use aria_sema::types::Ty;

impl<'c, 'a> FnBuilder<'c, 'a> {
    /// Lowers `e` to an owned value. A result-typed `e` is unwrapped.
    pub fn expr(&mut self, e: &'a Expr) -> Operand {
        if self.is_dead() {
            return zero_of(mty(layout::res_inner(&e.ty)));
        }
        if matches!(e.ty, Ty::Result(_)) {
            return self.unwrap(e, "expression", e.span);
        }
        use ExprKind::*;
        match &e.kind {
            Int(v) => match mty(&e.ty) {
                MTy::F32 => Operand::F32(*v as f32),
                MTy::F64 => Operand::F64(*v as f64),
                t => Operand::Int(*v as i64, t),
            },
            Float(v) => match mty(&e.ty) {
                MTy::F32 => Operand::F32(*v as f32),
                _ => Operand::F64(*v),
            },
            Bool(b) => Operand::Int(*b as i64, MTy::I8),
            Str(s) => self.cx.str_lit(s),
            Nil => Operand::Int(0, MTy::I8),
            Zero => self.zero_value(&e.ty),
            Null => Operand::Int(0, MTy::I64),
            Template(parts) => self.template(parts),
            Local(id) => self.read_var(*id, true),
            Global(_) | Field(..) | Index(..) => self.owned(e),
            FuncRef(f) => self.func_ref(*f),
            Closure(f) => self.make_closure(*f),
            ArrayLit(es) => self.array_lit(es, &e.ty),
            StructLit(sid, fields) => self.struct_lit(*sid, fields),
            Call(..) => self.unwrap(e, "call", e.span),
            Arrow(p, f) => {
                let base = self.expr(p);
                self.load(mty(&e.ty), base, 8 * *f as i32)
            }
            Len(b) => self.len(b),
            ResultErr(r) if matches!(r.kind, Local(_)) => match r.kind {
                Local(id) => self.read_result_err(id),
                _ => unreachable!(),
            },
            ResultErr(r) => {
                let (err, val) = self.joined(r, false);
                if layout::res_inner(&r.ty).is_managed() {
                    self.release(&val);
                }
                err
            }
            ResultVal(r) => self.joined(r, true).1,
            Unwrap(r, name) => self.unwrap(r, name, e.span),
            Propagate(r) => self.propagate_expr(r),
            Default(r, d) => self.default_expr(r, d),
            Convert(x) => {
                let v = self.expr(x);
                self.convert(v, layout::res_inner(&x.ty), &e.ty)
            }
            Unary(op, x) => self.unary(*op, x),
            Binary(op, a, b) => self.binary(*op, a, b, e),
            Ternary(c, a, b) => self.ternary(c, a, b, &e.ty),
            Await(_) => self.unwrap(e, "await", e.span),
        }
    }

    fn owned(&mut self, e: &'a Expr) -> Operand {
        let (v, owned) = self.borrow(e);
        if !owned && e.ty.is_managed() {
            self.retain(&v);
        }
        v
    }

    /// Lowers `e` possibly without a retain: returns `(value, owned)`.
    /// A borrowed value is only valid until Aria code runs again.
    pub fn borrow(&mut self, e: &'a Expr) -> (Operand, bool) {
        if self.is_dead() {
            return (zero_of(mty(layout::res_inner(&e.ty))), false);
        }
        match &e.kind {
            ExprKind::Local(id)
                if matches!(
                    self.vars[id.0 as usize],
                    VarSlot::Plain(_) | VarSlot::Cell(_)
                ) =>
            {
                (self.read_var(*id, false), false)
            }
            ExprKind::Global(g) => (self.load_global(*g, &e.ty), false),
            ExprKind::Field(b, f) => self.field(b, *f, e),
            ExprKind::Index(b, i) => self.index(b, i, e),
            _ => {
                let v = self.expr(e);
                (v, e.ty.is_managed())
            }
        }
    }

    /// Borrows `e` if `rest` (evaluated before `e` is used) runs no Aria code.
    pub fn borrow_before(&mut self, e: &'a Expr, rest: &[&'a Expr]) -> (Operand, bool) {
        if rest.iter().all(|r| runs_no_user_code(r)) {
            self.borrow(e)
        } else {
            let v = self.expr(e);
            (v, e.ty.is_managed())
        }
    }

    /// Evaluates operands left to right for a runtime call (which borrows
    /// them); owned ones are held until `drop_operands`.
    pub fn operands(&mut self, es: &[&'a Expr]) -> Vec<(Operand, bool)> {
        let mut out = Vec::with_capacity(es.len());
        for (i, e) in es.iter().enumerate() {
            let (v, owned) = self.borrow_before(e, &es[i + 1..]);
            self.hold(&v, owned);
            out.push((v, owned));
        }
        out
    }

    pub fn drop_operands(&mut self, vals: &[(Operand, bool)], mark: usize) {
        self.unhold(mark);
        for (v, owned) in vals {
            if *owned {
                self.release(v);
            }
        }
    }

    /// After loading `v` out of `base`: makes `v` owned when asked or when
    /// the base was a temporary that is released now.
    fn projected(&mut self, v: Operand, ty: &Ty, base: (Operand, bool)) -> (Operand, bool) {
        let own = ty.is_managed() && base.1;
        if own {
            self.retain(&v);
        }
        if base.1 {
            self.release(&base.0);
        }
        (v, own)
    }

    fn field(&mut self, b: &'a Expr, f: usize, e: &'a Expr) -> (Operand, bool) {
        if let ExprKind::Index(p, i) = &b.kind {
            if let Ty::Ptr(_) = p.ty {
                let addr = self.wild_addr(p, i);
                return (self.load(mty(&e.ty), addr, 8 * f as i32), false);
            }
        }
        let base = self.borrow(b);
        let v = self.load(mty(&e.ty), base.0.clone(), field_offset(f));
        self.projected(v, &e.ty, base)
    }

    fn index(&mut self, b: &'a Expr, i: &'a Expr, e: &'a Expr) -> (Operand, bool) {
        match &b.ty {
            Ty::String => {
                let mark = self.mark();
                let (s, owned) = self.borrow_before(b, &[i]);
                self.hold(&s, owned);
                let idx = self.index_value(i);
                let r = self.rt(
                    "aria_str_index",
                    &[MTy::I64, MTy::I64],
                    vec![s.clone(), idx],
                );
                self.panic_check(r[0].clone(), e.span);
                self.drop_operands(&[(s, owned)], mark);
                (self.cast(CastOp::Trunc, r[1].clone(), MTy::I8), false)
            }
            Ty::Ptr(t) => {
                let addr = self.wild_addr(b, i);
                if let Ty::Struct(sid) = &**t {
                    (self.struct_from_wild(*sid, addr), true)
                } else {
                    (self.load(mty(t), addr, 0), false)
                }
            }
            Ty::Array(t) | Ty::Fixed(t, _) => {
                let mark = self.mark();
                let base = self.borrow_before(b, &[i]);
                self.hold(&base.0, base.1);
                let idx = self.index_value(i);
                let addr = self.elem_addr(base.0.clone(), idx, &b.ty, e.span);
                self.unhold(mark);
                let v = self.load(mty(t), addr, 0);
                self.projected(v, t, base)
            }
            _ => (self.unsupported("indexing this type", &e.ty), false),
        }
    }

    /// An index of any integer type as i64.
    pub fn index_value(&mut self, i: &'a Expr) -> Operand {
        let v = self.expr(i);
        self.widen_i64(v, &i.ty)
    }

    pub fn widen_i64(&mut self, v: Operand, ty: &Ty) -> Operand {
        match self.ty_of(&v) {
            MTy::I64 => v,
            _ if layout::is_signed(ty) => self.cast(CastOp::SExt, v, MTy::I64),
            _ => self.cast(CastOp::UExt, v, MTy::I64),
        }
    }

    /// Address of element `idx` of array object `a` (of type `arr_ty`),
    /// bounds-checked: out of range, the runtime raises -102.
    pub fn elem_addr(&mut self, a: Operand, idx: Operand, arr_ty: &Ty, span: Span) -> Operand {
        let (elem, fixed) = match arr_ty {
            Ty::Fixed(t, n) => (&**t, Some(*n)),
            Ty::Array(t) => (&**t, None),
            _ => (arr_ty, None),
        };
        let known = match (&idx, fixed) {
            (Operand::Int(k, _), Some(n)) => *k >= 0 && (*k as u64) < n,
            _ => false,
        };
        if !known {
            let len = self.load(MTy::I64, a.clone(), ARR_LEN);
            let inside = self.bin(BinOp::ULt, idx.clone(), len);
            let (fast, slow) = (self.block(), self.block());
            self.branch(inside, fast, slow);
            self.switch_to(slow);
            self.rt(
                "aria_array_elem",
                &[MTy::I64, MTy::I64],
                vec![a.clone(), idx.clone()],
            );
            self.unwind(span);
            self.switch_to(fast);
        }
        let data = self.load(MTy::I64, a, ARR_DATA);
        let size = Operand::Int(layout::elem_size(elem) as i64, MTy::I64);
        let off = self.bin(BinOp::Mul, idx, size);
        self.bin(BinOp::Add, data, off)
    }

    /// Address of element `i` of wild pointer `p` (unchecked).
    pub fn wild_addr(&mut self, p: &'a Expr, i: &'a Expr) -> Operand {
        let base = self.expr(p);
        let idx = self.index_value(i);
        let elem = match &p.ty {
            Ty::Ptr(t) => &**t,
            t => t,
        };
        let size = layout::wild_elem_size(self.prog, elem);
        let off = self.bin(BinOp::Mul, idx, Operand::Int(size, MTy::I64));
        self.bin(BinOp::Add, base, off)
    }

    fn len(&mut self, b: &'a Expr) -> Operand {
        if let (Ty::Fixed(_, n), ExprKind::Local(_) | ExprKind::Global(_)) = (&b.ty, &b.kind) {
            return Operand::Int(*n as i64, MTy::I64);
        }
        let (v, owned) = self.borrow(b);
        let len = if b.ty == Ty::String {
            // The null pointer is the empty string.
            let r = self.local(MTy::I64);
            self.assign(r, Rvalue::Use(Operand::Int(0, MTy::I64)));
            let nonnull = self.bin(BinOp::Ne, v.clone(), Operand::Int(0, MTy::I64));
            let (some, join) = (self.block(), self.block());
            self.branch(nonnull, some, join);
            self.switch_to(some);
            let l = self.load(MTy::I64, v.clone(), STR_LEN);
            self.assign(r, Rvalue::Use(l));
            self.goto(join);
            self.switch_to(join);
            Operand::Local(r)
        } else {
            self.load(MTy::I64, v.clone(), ARR_LEN)
        };
        if owned {
            self.release(&v);
        }
        len
    }

    fn template(&mut self, parts: &'a [TemplatePart]) -> Operand {
        let mark = self.mark();
        let mut acc: Option<Operand> = None;
        for p in parts {
            let s = match p {
                TemplatePart::Text(t) => self.cx.str_lit(t),
                TemplatePart::Value(v) => self.fmt_owned(v),
            };
            let next = match acc {
                None => s,
                Some(a) => {
                    let r = self.rt1("aria_str_concat", MTy::I64, vec![a.clone(), s.clone()]);
                    self.release(&a);
                    self.release(&s);
                    r
                }
            };
            self.unhold(mark);
            self.hold(&next, true);
            acc = Some(next);
        }
        self.unhold(mark);
        acc.unwrap_or(Operand::Int(0, MTy::I64))
    }

    fn ternary(&mut self, c: &'a Expr, a: &'a Expr, b: &'a Expr, ty: &Ty) -> Operand {
        let cv = self.expr(c);
        let r = self.local(mty(ty));
        let (t, f, join) = (self.block(), self.block(), self.block());
        self.branch(cv, t, f);
        for (blk, side) in [(t, a), (f, b)] {
            self.switch_to(blk);
            let v = self.expr(side);
            self.assign(r, Rvalue::Use(v));
            self.goto(join);
        }
        self.switch_to(join);
        Operand::Local(r)
    }

    pub fn load_global(&mut self, g: aria_sema::tast::GlobalId, ty: &Ty) -> Operand {
        let addr = Operand::DataAddr(self.cx.globals[g.0 as usize]);
        self.load(mty(ty), addr, 0)
    }
}

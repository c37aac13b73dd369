//! Aggregates: zero values, array and struct literals.

use super::func::{zero_of, FnBuilder};
use super::layout::{self, field_offset, mty, ARR_DATA};
use crate::mir::{BinOp, MTy, Operand, Rvalue};
use aria_sema::tast::Expr;
use aria_sema::types::{StructId, Ty};

impl<'c, 'a> FnBuilder<'c, 'a> {
    /// The zero value of `ty` (LANGUAGE.md §2), owned: null for strings,
    /// handles and closures; new objects for arrays and structs.
    pub fn zero_value(&mut self, ty: &Ty) -> Operand {
        match ty {
            Ty::Array(t) => self.new_array(t, Operand::Int(0, MTy::I64)),
            Ty::Fixed(t, n) => {
                let a = self.new_array(t, Operand::Int(*n as i64, MTy::I64));
                if layout::zero_allocates(t) {
                    self.fill_zero(a.clone(), t, *n);
                }
                a
            }
            Ty::Struct(sid) => self.zero_struct(*sid),
            Ty::Result(t) => self.zero_value(t),
            t => zero_of(mty(t)),
        }
    }

    fn new_array(&mut self, elem: &Ty, len: Operand) -> Operand {
        let kind = Operand::Int(layout::elem_kind(elem) as i64, MTy::I32);
        let size = Operand::Int(layout::elem_size(elem) as i64, MTy::I32);
        self.rt1("aria_array_new", MTy::I64, vec![kind, size, len])
    }

    /// Stores a fresh zero value of `elem` into each of the `n` slots.
    fn fill_zero(&mut self, a: Operand, elem: &Ty, n: u64) {
        let data = self.load(MTy::I64, a, ARR_DATA);
        let i = self.local(MTy::I64);
        self.assign(i, Rvalue::Use(Operand::Int(0, MTy::I64)));
        let (head, body, exit) = (self.block(), self.block(), self.block());
        self.goto(head);
        self.switch_to(head);
        let more = self.bin(
            BinOp::SLt,
            Operand::Local(i),
            Operand::Int(n as i64, MTy::I64),
        );
        self.branch(more, body, exit);
        self.switch_to(body);
        let z = self.zero_value(elem);
        let off = self.bin(BinOp::Mul, Operand::Local(i), Operand::Int(8, MTy::I64));
        let addr = self.bin(BinOp::Add, data, off);
        self.store(addr, 0, z);
        let next = self.bin(BinOp::Add, Operand::Local(i), Operand::Int(1, MTy::I64));
        self.assign(i, Rvalue::Use(next));
        self.goto(head);
        self.switch_to(exit);
    }

    fn new_struct(&mut self, sid: StructId) -> Operand {
        let n = self.prog.structs[sid.0 as usize].fields.len();
        let mask = self.cx.struct_mask(sid);
        self.rt1(
            "aria_struct_new",
            MTy::I64,
            vec![Operand::Int(n as i64, MTy::I64), mask],
        )
    }

    fn zero_struct(&mut self, sid: StructId) -> Operand {
        let s = self.new_struct(sid);
        self.zero_fields(s.clone(), sid, &[]);
        s
    }

    /// Fills the fields not in `given` whose zero value allocates.
    fn zero_fields(&mut self, s: Operand, sid: StructId, given: &[usize]) {
        let fields = &self.prog.structs[sid.0 as usize].fields;
        for (f, (_, ty)) in fields.iter().enumerate() {
            if layout::zero_allocates(ty) && !given.contains(&f) {
                let z = self.zero_value(ty);
                self.store(s.clone(), field_offset(f), z);
            }
        }
    }

    /// `[e1, e2, ...]`: a new array of the literal's length; the owned
    /// elements are moved into their slots.
    pub fn array_lit(&mut self, elems: &'a [Expr], ty: &Ty) -> Operand {
        let elem = match ty {
            Ty::Array(t) | Ty::Fixed(t, _) => &**t,
            t => return self.unsupported("an array literal of this type", t),
        };
        let n = Operand::Int(elems.len() as i64, MTy::I64);
        let a = self.new_array(elem, n);
        if elems.is_empty() {
            return a;
        }
        let mark = self.mark();
        self.hold(&a, true);
        let size = layout::elem_size(elem);
        for (i, e) in elems.iter().enumerate() {
            let v = self.expr(e);
            // Reload: the data pointer is only read once nothing else runs.
            let data = self.load(MTy::I64, a.clone(), ARR_DATA);
            self.store(data, size * i as i32, v);
        }
        self.unhold(mark);
        a
    }

    /// `Name{f: e, ...}`: fields evaluated in source order and moved in;
    /// omitted fields take their zero value.
    pub fn struct_lit(&mut self, sid: StructId, fields: &'a [(usize, Expr)]) -> Operand {
        let s = self.new_struct(sid);
        let given: Vec<usize> = fields.iter().map(|(f, _)| *f).collect();
        self.zero_fields(s.clone(), sid, &given);
        let mark = self.mark();
        self.hold(&s, true);
        for (f, e) in fields {
            let v = self.expr(e);
            self.store_slot(s.clone(), field_offset(*f), v, &e.ty);
        }
        self.unhold(mark);
        s
    }

    /// Reads a struct element of wild memory into a new struct object
    /// (wild structs have plain fields only: no counts to adjust).
    pub fn struct_from_wild(&mut self, sid: StructId, addr: Operand) -> Operand {
        let s = self.new_struct(sid);
        let n = self.prog.structs[sid.0 as usize].fields.len();
        for f in 0..n {
            let v = self.load(MTy::I64, addr.clone(), 8 * f as i32);
            self.store(s.clone(), field_offset(f), v);
        }
        s
    }
}

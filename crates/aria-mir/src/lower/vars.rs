//! Variables: where each lives (a machine local, a pair for results, or a
//! cell when captured by reference) and how values are encoded in 8-byte
//! slots (cells, struct fields, captures).

use super::cleanup::Cleanup;
use super::func::FnBuilder;
use super::layout::{self, mty, CELL_VALUE};
use crate::mir::*;
use aria_sema::tast::LocalId;
use aria_sema::types::Ty;

/// Where a variable lives.
#[derive(Debug, Clone, Copy)]
pub(crate) enum VarSlot {
    /// A machine local.
    Plain(Local),
    /// A result variable: err and val locals.
    Pair(Local, Local),
    /// Captured by reference: a local holding a cell (value at offset 24).
    Cell(Local),
    /// A result captured by reference: a 2-field struct object (err, val).
    PairCell(Local),
}

impl<'c, 'a> FnBuilder<'c, 'a> {
    // ---- variables ---------------------------------------------------

    pub fn var_ty(&self, id: LocalId) -> &'a Ty {
        &self.func.locals[id.0 as usize].ty
    }

    /// First half of declaring a variable: a by-reference variable gets its
    /// cell now, before its initializer runs (a local `func:` may capture
    /// itself).
    pub fn begin_var(&mut self, id: LocalId) {
        let ty = self.var_ty(id);
        match self.vars[id.0 as usize] {
            VarSlot::Cell(c) => {
                let m = Operand::Int(ty.is_managed() as i64, MTy::I64);
                let cell = self.rt1("aria_cell_new", MTy::I64, vec![m]);
                self.assign(c, Rvalue::Use(cell));
                self.add_cleanup(Cleanup::Release(c));
            }
            VarSlot::PairCell(c) => {
                let inner = layout::res_inner(ty);
                let mask = self.cx.mask(vec![0, inner.is_managed() as u8]);
                let obj = self.rt1("aria_struct_new", MTy::I64, vec![Self::i64c(2), mask]);
                self.assign(c, Rvalue::Use(obj));
                self.add_cleanup(Cleanup::Release(c));
            }
            _ => {}
        }
    }

    /// Second half: stores the (owned) initial value(s) and, for a plain
    /// managed variable, registers its release.
    pub fn set_var_initial(&mut self, id: LocalId, vals: &[Operand]) {
        let ty = self.var_ty(id);
        let managed = layout::res_inner(ty).is_managed();
        match self.vars[id.0 as usize] {
            VarSlot::Plain(l) => {
                if vals[0] != Operand::Local(l) {
                    self.assign(l, Rvalue::Use(vals[0].clone()));
                }
                if managed {
                    self.add_cleanup(Cleanup::Release(l));
                }
            }
            VarSlot::Pair(e, v) => {
                if vals[0] != Operand::Local(e) {
                    self.assign(e, Rvalue::Use(vals[0].clone()));
                    self.assign(v, Rvalue::Use(vals[1].clone()));
                }
                if managed {
                    self.add_cleanup(Cleanup::Release(v));
                }
            }
            VarSlot::Cell(c) => self.store_slot(Operand::Local(c), CELL_VALUE, vals[0].clone(), ty),
            VarSlot::PairCell(c) => {
                let obj = Operand::Local(c);
                let off = layout::field_offset(0);
                self.store(obj.clone(), off, vals[0].clone());
                let inner = layout::res_inner(ty);
                self.store_slot(obj, layout::field_offset(1), vals[1].clone(), inner);
            }
        }
    }

    /// Reads a non-result variable. `owned` retains a managed value.
    pub fn read_var(&mut self, id: LocalId, owned: bool) -> Operand {
        let ty = self.var_ty(id);
        let v = match self.vars[id.0 as usize] {
            VarSlot::Plain(l) => self.copy(Operand::Local(l)),
            VarSlot::Cell(c) => self.load(mty(ty), Operand::Local(c), CELL_VALUE),
            _ => return self.unsupported("reading a result variable as a value", ty),
        };
        if owned && ty.is_managed() {
            self.retain(&v);
        }
        v
    }

    /// Reads a result variable as `(err, val)`; the val is owned.
    pub fn read_result_var(&mut self, id: LocalId) -> (Operand, Operand) {
        let ty = layout::res_inner(self.var_ty(id));
        let (e, v) = match self.vars[id.0 as usize] {
            VarSlot::Pair(e, v) => (self.copy(Operand::Local(e)), self.copy(Operand::Local(v))),
            VarSlot::PairCell(c) => {
                let obj = Operand::Local(c);
                (
                    self.load(MTy::I64, obj.clone(), layout::field_offset(0)),
                    self.load(mty(ty), obj, layout::field_offset(1)),
                )
            }
            _ => {
                let v = self.read_var(id, true);
                return (Self::i64c(0), v);
            }
        };
        if ty.is_managed() {
            self.retain(&v);
        }
        (e, v)
    }

    /// `r.err` of a result variable.
    pub fn read_result_err(&mut self, id: LocalId) -> Operand {
        match self.vars[id.0 as usize] {
            VarSlot::Pair(e, _) => self.copy(Operand::Local(e)),
            VarSlot::PairCell(c) => self.load(MTy::I64, Operand::Local(c), layout::field_offset(0)),
            _ => Self::i64c(0),
        }
    }

    /// Replaces the cell of a by-reference variable by a fresh one holding
    /// the same value (per-iteration `for` variables, LANGUAGE.md §5.3).
    pub fn recell(&mut self, id: LocalId) {
        let ty = self.var_ty(id);
        let managed = layout::res_inner(ty).is_managed();
        let (c, offs): (Local, Vec<(i32, MTy)>) = match self.vars[id.0 as usize] {
            VarSlot::Cell(c) => (c, vec![(CELL_VALUE, mty(ty))]),
            VarSlot::PairCell(c) => (
                c,
                vec![
                    (layout::field_offset(0), MTy::I64),
                    (layout::field_offset(1), mty(layout::res_inner(ty))),
                ],
            ),
            _ => return,
        };
        let old = self.copy(Operand::Local(c));
        let vals: Vec<Operand> = offs
            .iter()
            .map(|(off, t)| self.load(*t, old.clone(), *off))
            .collect();
        if managed {
            self.retain(vals.last().unwrap());
        }
        self.release(&old);
        // `begin_var` would register a second release: build the cell here.
        let saved = self.scopes.last().map(|s| s.cleanups.len());
        self.begin_var(id);
        if let (Some(n), Some(s)) = (saved, self.scopes.last_mut()) {
            s.cleanups.truncate(n);
        }
        self.set_var_initial(id, &vals);
    }

    // ---- slots (struct fields, cells, captures) ----------------------

    /// Stores a value into an 8-byte slot, extended to 64 bits by its type
    /// (RUNTIME_ABI.md: integers sign/zero-extended, f32 bits in the low half).
    pub fn store_slot(&mut self, addr: Operand, off: i32, v: Operand, ty: &Ty) {
        let bits = self.bits_of(v, Some(ty));
        self.store(addr, off, bits);
    }

    /// A machine value as 64 "bits" (array push/search, slots). Signedness
    /// only matters for narrow integers; `ty` gives it when known.
    pub fn bits_of(&mut self, v: Operand, ty: Option<&Ty>) -> Operand {
        match self.ty_of(&v) {
            MTy::I64 => v,
            MTy::F64 => self.cast(CastOp::Bitcast, v, MTy::I64),
            MTy::F32 => {
                let b = self.cast(CastOp::Bitcast, v, MTy::I32);
                self.cast(CastOp::UExt, b, MTy::I64)
            }
            _ => {
                let signed = ty.map(layout::is_signed).unwrap_or(false);
                let op = if signed { CastOp::SExt } else { CastOp::UExt };
                self.cast(op, v, MTy::I64)
            }
        }
    }

    /// The machine value of `ty` from 64 "bits".
    pub fn value_of_bits(&mut self, bits: Operand, ty: &Ty) -> Operand {
        match mty(ty) {
            MTy::I64 => bits,
            MTy::F64 => self.cast(CastOp::Bitcast, bits, MTy::F64),
            MTy::F32 => {
                let b = self.cast(CastOp::Trunc, bits, MTy::I32);
                self.cast(CastOp::Bitcast, b, MTy::F32)
            }
            t => self.cast(CastOp::Trunc, bits, t),
        }
    }
}

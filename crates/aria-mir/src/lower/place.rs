//! Assignable places (LANGUAGE.md §5.1) and copy-on-write.
//!
//! A place is a root (variable, global, wild memory or a temporary) plus a
//! path of projections. Writing through a path first makes each
//! value-semantics container on it (fixed array, struct) unique, storing
//! the unique object back into its parent, so copies that share the object
//! never see the write. Dynamic arrays are references: never made unique.

use super::func::{FnBuilder, VarSlot};
use super::layout::{self, field_offset, mty, CELL_VALUE};
use super::Span;
use crate::mir::{Operand, Rvalue};
use aria_sema::tast::{Expr, ExprKind, GlobalId, LocalId};
use aria_sema::types::Ty;
use aria_syntax::ast::BinOp;

enum Root {
    Var(LocalId),
    Global(GlobalId),
    /// Wild memory at this address.
    Wild(Operand),
    /// A temporary (owned) container, e.g. `make()[0] = 1` on a `T[]`.
    Temp(Operand),
}

enum Proj {
    Field(usize),
    Index(Operand),
    /// A field of a struct element in wild memory (8-byte slots).
    WildField(usize),
}

pub(crate) struct Place<'a> {
    root: Root,
    root_ty: &'a Ty,
    /// Each projection with the type it produces.
    projs: Vec<(Proj, &'a Ty)>,
}

/// A resolved storage location.
pub(crate) enum Loc {
    Var(LocalId),
    /// Memory at `addr + off`; `slot` means an 8-byte slot holding the
    /// value extended to 64 bits (struct fields, cells).
    Mem {
        addr: Operand,
        off: i32,
        slot: bool,
    },
}

impl<'c, 'a> FnBuilder<'c, 'a> {
    /// Evaluates the subexpressions of a place (indices, pointers) in
    /// source order, without touching the containers yet.
    pub fn place(&mut self, e: &'a Expr) -> Place<'a> {
        match &e.kind {
            ExprKind::Local(id) => Place::new(Root::Var(*id), &e.ty),
            ExprKind::Global(g) => Place::new(Root::Global(*g), &e.ty),
            ExprKind::Arrow(p, f) => {
                let base = self.expr(p);
                let mut pl = Place::new(Root::Wild(base), elem_of(&p.ty));
                pl.projs.push((Proj::WildField(*f), &e.ty));
                pl
            }
            ExprKind::Index(b, i) if matches!(b.ty, Ty::Ptr(_)) => {
                let addr = self.wild_addr(b, i);
                Place::new(Root::Wild(addr), &e.ty)
            }
            ExprKind::Field(b, f) if is_wild_elem(b) => {
                let mut pl = self.place(b);
                pl.projs.push((Proj::WildField(*f), &e.ty));
                pl
            }
            ExprKind::Field(b, f) => {
                let mut pl = self.place(b);
                pl.projs.push((Proj::Field(*f), &e.ty));
                pl
            }
            ExprKind::Index(b, i) => {
                let mut pl = self.place(b);
                let idx = self.index_value(i);
                pl.projs.push((Proj::Index(idx), &e.ty));
                pl
            }
            _ => {
                let v = self.expr(e);
                self.hold(&v, e.ty.is_managed());
                Place::new(Root::Temp(v), &e.ty)
            }
        }
    }

    /// Walks the path, making value containers unique; returns the final
    /// location and its type.
    pub fn resolve(&mut self, pl: &Place<'a>, span: Span) -> (Loc, &'a Ty) {
        let (mut loc, mut ty) = match &pl.root {
            Root::Var(id) => (Loc::Var(*id), pl.root_ty),
            Root::Global(g) => {
                let addr = Operand::DataAddr(self.cx.globals[g.0 as usize]);
                (
                    Loc::Mem {
                        addr,
                        off: 0,
                        slot: false,
                    },
                    pl.root_ty,
                )
            }
            Root::Wild(a) => (
                Loc::Mem {
                    addr: a.clone(),
                    off: 0,
                    slot: false,
                },
                pl.root_ty,
            ),
            // Never loaded: the first projection uses the value itself.
            Root::Temp(v) => (
                Loc::Mem {
                    addr: v.clone(),
                    off: 0,
                    slot: false,
                },
                pl.root_ty,
            ),
        };
        let temp_root = matches!(pl.root, Root::Temp(_));
        for (i, (proj, next_ty)) in pl.projs.iter().enumerate() {
            loc = match proj {
                Proj::WildField(f) => match loc {
                    Loc::Mem { addr, off, .. } => Loc::Mem {
                        addr,
                        off: off + 8 * *f as i32,
                        slot: true,
                    },
                    l => l,
                },
                Proj::Field(f) => {
                    let c = self.container(&loc, ty, i == 0 && temp_root, &pl.root);
                    Loc::Mem {
                        addr: c,
                        off: field_offset(*f),
                        slot: true,
                    }
                }
                Proj::Index(idx) => {
                    let c = self.container(&loc, ty, i == 0 && temp_root, &pl.root);
                    let addr = self.elem_addr(c, idx.clone(), ty, span);
                    Loc::Mem {
                        addr,
                        off: 0,
                        slot: false,
                    }
                }
            };
            ty = next_ty;
        }
        (loc, ty)
    }

    /// The container object at `loc`, made unique first if it has value
    /// semantics (the unique object is stored back).
    fn container(&mut self, loc: &Loc, ty: &Ty, temp: bool, root: &Root) -> Operand {
        if temp {
            // A temporary container is the root value itself.
            if let Root::Temp(v) = root {
                return v.clone();
            }
        }
        let c = self.load_loc(loc, ty);
        if !layout::is_cow(ty) {
            return c;
        }
        self.make_unique(loc, c, ty)
    }

    fn make_unique(&mut self, loc: &Loc, c: Operand, ty: &Ty) -> Operand {
        let f = if matches!(ty, Ty::Struct(_)) {
            "aria_struct_unique"
        } else {
            "aria_array_unique"
        };
        let u = self.rt1(f, crate::mir::MTy::I64, vec![c]);
        self.store_loc(loc, u.clone(), ty);
        u
    }

    /// Reads the value at `loc` (borrowed: no retain).
    pub fn load_loc(&mut self, loc: &Loc, ty: &Ty) -> Operand {
        match loc {
            Loc::Var(id) => self.read_var(*id, false),
            Loc::Mem { addr, off, .. } => self.load(mty(ty), addr.clone(), *off),
        }
    }

    /// Writes `v` at `loc` (no counting).
    pub fn store_loc(&mut self, loc: &Loc, v: Operand, ty: &Ty) {
        match loc {
            Loc::Var(id) => match self.vars[id.0 as usize] {
                VarSlot::Plain(l) => self.assign(l, Rvalue::Use(v)),
                VarSlot::Cell(c) => self.store_slot(Operand::Local(c), CELL_VALUE, v, ty),
                _ => {
                    self.unsupported("assigning a result variable here", ty);
                }
            },
            Loc::Mem {
                addr,
                off,
                slot: true,
            } => self.store_slot(addr.clone(), *off, v, ty),
            Loc::Mem { addr, off, .. } => self.store(addr.clone(), *off, v),
        }
    }

    /// `place = value` / `place op= value` (LANGUAGE.md §4.2: the place's
    /// subexpressions are evaluated before the value).
    pub fn assign_stmt(
        &mut self,
        target: &'a Expr,
        op: Option<BinOp>,
        value: &'a Expr,
        span: Span,
    ) {
        if matches!(target.ty, Ty::Result(_)) {
            return self.assign_result(target, value);
        }
        let mark = self.mark();
        let pl = self.place(target);
        let managed = target.ty.is_managed();
        let v = self.expr(value);
        self.hold(&v, managed);
        let (loc, ty) = self.resolve(&pl, span);
        let old = (managed || op.is_some()).then(|| self.load_loc(&loc, ty));
        let new = match (op, &old) {
            (Some(op), Some(old)) => {
                let r = self.arith(op, old.clone(), v.clone(), ty, span);
                if managed {
                    self.release(&v);
                }
                r
            }
            _ => v,
        };
        self.store_loc(&loc, new, ty);
        self.unhold(mark);
        if let (true, Some(old)) = (managed, &old) {
            self.release(old);
        }
        self.drop_place(&pl);
    }

    /// `place++` / `place--`.
    pub fn incdec(&mut self, target: &'a Expr, inc: bool, span: Span) {
        let mark = self.mark();
        let pl = self.place(target);
        let (loc, ty) = self.resolve(&pl, span);
        let old = self.load_loc(&loc, ty);
        let one = match mty(ty) {
            crate::mir::MTy::F32 => Operand::F32(1.0),
            crate::mir::MTy::F64 => Operand::F64(1.0),
            t => Operand::Int(1, t),
        };
        let op = if inc { BinOp::Add } else { BinOp::Sub };
        let new = self.arith(op, old, one, ty, span);
        self.store_loc(&loc, new, ty);
        self.unhold(mark);
        self.drop_place(&pl);
    }

    fn drop_place(&mut self, pl: &Place<'a>) {
        if let Root::Temp(v) = &pl.root {
            if pl.root_ty.is_managed() {
                self.temps.retain(|t| Operand::Local(*t) != *v);
                self.release(v);
            }
        }
    }

    /// Assignment to a result variable: both parts are replaced.
    fn assign_result(&mut self, target: &'a Expr, value: &'a Expr) {
        let managed = layout::res_inner(&target.ty).is_managed();
        let (err, val) = self.joined(value, true);
        match &target.kind {
            ExprKind::Local(id) => {
                let old = self.write_result_var(*id, err, val);
                if managed {
                    self.release(&old);
                }
            }
            ExprKind::Global(g) => {
                let addr = Operand::DataAddr(self.cx.globals[g.0 as usize]);
                let inner = layout::res_inner(&target.ty);
                let old = self.load(mty(inner), addr.clone(), 8);
                self.store(addr.clone(), 0, err);
                self.store(addr, 8, val);
                if managed {
                    self.release(&old);
                }
            }
            _ => {
                self.unsupported("assigning to this result place", &target.ty);
            }
        }
    }

    /// Stores both parts; returns the old (still owned) val.
    fn write_result_var(&mut self, id: LocalId, err: Operand, val: Operand) -> Operand {
        let inner = layout::res_inner(self.var_ty(id));
        match self.vars[id.0 as usize] {
            VarSlot::Pair(e, v) => {
                let old = self.copy(Operand::Local(v));
                self.assign(e, Rvalue::Use(err));
                self.assign(v, Rvalue::Use(val));
                old
            }
            VarSlot::PairCell(c) => {
                let obj = Operand::Local(c);
                let old = self.load(mty(inner), obj.clone(), field_offset(1));
                self.store(obj.clone(), field_offset(0), err);
                self.store_slot(obj, field_offset(1), val, inner);
                old
            }
            _ => self.unsupported("this result variable", inner),
        }
    }

    /// The receiver of a mutating method on a fixed array (`sort`,
    /// `reverse`): made unique in its place. Returns `(ptr, owned)`.
    pub fn mutable_receiver(&mut self, e: &'a Expr, span: Span) -> (Operand, bool) {
        if !layout::is_cow(&e.ty) || !is_place_expr(e) {
            return self.borrow(e);
        }
        let pl = self.place(e);
        let (loc, ty) = self.resolve(&pl, span);
        let c = self.load_loc(&loc, ty);
        (self.make_unique(&loc, c, ty), false)
    }
}

impl<'a> Place<'a> {
    fn new(root: Root, root_ty: &'a Ty) -> Place<'a> {
        Place {
            root,
            root_ty,
            projs: Vec::new(),
        }
    }
}

fn elem_of(ty: &Ty) -> &Ty {
    match ty {
        Ty::Ptr(t) => t,
        t => t,
    }
}

/// `p[i]` of a wild struct pointer (its fields are raw slots).
fn is_wild_elem(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Index(b, _) => matches!(b.ty, Ty::Ptr(_)),
        _ => false,
    }
}

fn is_place_expr(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Local(_) | ExprKind::Global(_) => true,
        ExprKind::Field(b, _) | ExprKind::Index(b, _) => is_place_expr(b),
        _ => false,
    }
}

//! Built-in functions and methods (LANGUAGE.md §8) as runtime calls.

use super::func::FnBuilder;
use super::layout::{self, mty, res_inner};
use super::results::Split;
use super::Span;
use crate::mir::{BinOp, CastOp, MTy, Operand, Terminator, UnOp};
use aria_sema::tast::{Builtin, Expr};
use aria_sema::types::Ty;

const NIL: Operand = Operand::Int(0, MTy::I8);

impl<'c, 'a> FnBuilder<'c, 'a> {
    pub fn builtin(&mut self, b: Builtin, args: &'a [Expr], e: &'a Expr) -> Split {
        use Builtin::*;
        let span = e.span;
        match b {
            Print | Println | Puts | Eprint | Eprintln => self.print(b, &args[0]),
            Exit => {
                let c = self.expr(&args[0]);
                let c = self.widen_i64(c, &args[0].ty);
                self.rt0("aria_exit", vec![c]);
                self.terminate(Terminator::Unreachable);
                Split::ok(NIL)
            }
            Panic => {
                let (m, owned) = self.borrow(&args[0]);
                self.hold(&m, owned);
                self.raise_with(-104, m, span);
                Split::ok(NIL)
            }
            Assert => self.assert(&args[0], &args[1], span),
            NowMs => Split::ok(self.rt1("aria_now_ms", MTy::I64, vec![])),
            ToString => Split::ok(self.fmt_owned(&args[0])),
            ParseInt | ParseFloat => {
                let (name, t) = if b == ParseInt {
                    ("aria_parse_int", MTy::I64)
                } else {
                    ("aria_parse_float", MTy::F64)
                };
                let r = self.rt_call(name, &[MTy::I64, t], args);
                self.fail_check(r[0].clone(), r[1].clone())
            }
            FromByte => {
                let v = self.expr(&args[0]);
                let v = self.cast(CastOp::UExt, v, MTy::I64);
                Split::ok(self.rt1("aria_str_from_byte", MTy::I64, vec![v]))
            }
            Abs => {
                let v = self.expr(&args[0]);
                Split::ok(self.abs_value(v, &args[0].ty))
            }
            Min | Max => {
                let x = self.expr(&args[0]);
                let y = self.expr(&args[1]);
                Split::ok(self.min_max(b == Max, x, y, &args[0].ty))
            }
            Sqrt => {
                let v = self.expr(&args[0]);
                Split::ok(self.un(UnOp::FSqrt, v))
            }
            Alloc => self.alloc(&args[0], res_inner(&e.ty), span),
            Free => {
                let p = self.expr(&args[0]);
                self.rt0("aria_free", vec![p]);
                Split::ok(NIL)
            }
            _ => {
                if let Some(s) = self.string_method(b, args, span) {
                    return s;
                }
                if let Some(s) = self.array_method(b, args, span) {
                    return s;
                }
                if let Some(s) = self.async_builtin(b, args, e) {
                    return s;
                }
                if let Some(s) = self.io_builtin(b, args, e) {
                    return s;
                }
                let what = format!("the built-in `{}`", b.display_name());
                Split::ok(self.unsupported(&what, res_inner(&e.ty)))
            }
        }
    }

    /// Evaluates `args` (borrowed where safe; integers widened to i64),
    /// calls runtime function `name`, and drops the operands.
    fn rt_call(&mut self, name: &'static str, rets: &[MTy], args: &'a [Expr]) -> Vec<Operand> {
        let mark = self.mark();
        let refs: Vec<&'a Expr> = args.iter().collect();
        let vals = self.operands(&refs);
        let ops: Vec<Operand> = vals
            .iter()
            .zip(args)
            .map(|((v, _), a)| match a.ty {
                Ty::Int(_) => self.widen_i64(v.clone(), &a.ty),
                _ => v.clone(),
            })
            .collect();
        let r = self.rt(name, rets, ops);
        self.drop_operands(&vals, mark);
        r
    }

    fn print(&mut self, b: Builtin, arg: &'a Expr) -> Split {
        use Builtin::*;
        let (s, owned) = self.fmt_expr(arg);
        let stream = if matches!(b, Eprint | Eprintln) { 2 } else { 1 };
        let newline = matches!(b, Println | Puts | Eprintln) as i64;
        self.rt0(
            "aria_print",
            vec![
                s.clone(),
                Operand::Int(stream, MTy::I32),
                Operand::Int(newline, MTy::I32),
            ],
        );
        if owned {
            self.release(&s);
        }
        Split::ok(NIL)
    }

    fn assert(&mut self, c: &'a Expr, m: &'a Expr, span: Span) -> Split {
        let mark = self.mark();
        let cv = self.expr(c);
        let (msg, owned) = self.borrow(m);
        self.hold(&msg, owned);
        let failed = self.bin(BinOp::Eq, cv, Operand::Int(0, MTy::I8));
        let fail = self.branch_out(failed);
        self.at(fail, |me| {
            let inner = me.mark();
            let prefix = me.cx.str_lit(b"assertion failed: ");
            let full = me.rt1("aria_str_concat", MTy::I64, vec![prefix, msg.clone()]);
            me.hold(&full, true);
            me.raise_with(-109, full, span);
            me.unhold(inner);
        });
        self.drop_operands(&[(msg, owned)], mark);
        Split::ok(NIL)
    }

    fn alloc(&mut self, n: &'a Expr, ptr_ty: &Ty, span: Span) -> Split {
        let elem = match ptr_ty {
            Ty::Ptr(t) => &**t,
            t => t,
        };
        let size = layout::wild_elem_size(self.prog, elem);
        let nv = self.expr(n);
        let nv = self.widen_i64(nv, &n.ty);
        let r = self.rt(
            "aria_alloc",
            &[MTy::I64, MTy::I64],
            vec![nv, Operand::Int(size, MTy::I64)],
        );
        self.checked_call(r[0].clone(), r[1].clone(), span)
    }

    // ---- formatting (§8.2) -------------------------------------------

    /// `to_string(e)`: `(string, owned)`; a string argument may be borrowed.
    pub fn fmt_expr(&mut self, e: &'a Expr) -> (Operand, bool) {
        match &e.ty {
            Ty::String => self.borrow(e),
            Ty::Array(_) | Ty::Fixed(..) => {
                let (a, owned) = self.borrow(e);
                let s = self.rt1("aria_fmt_array", MTy::I64, vec![a.clone()]);
                if owned {
                    self.release(&a);
                }
                (s, true)
            }
            ty => {
                let v = self.expr(e);
                (self.fmt_scalar(v, ty), true)
            }
        }
    }

    pub fn fmt_owned(&mut self, e: &'a Expr) -> Operand {
        let (s, owned) = self.fmt_expr(e);
        if !owned {
            self.retain(&s);
        }
        s
    }

    fn fmt_scalar(&mut self, v: Operand, ty: &Ty) -> Operand {
        let (name, args) = match ty {
            Ty::Int(_) if ty.is_signed() => ("aria_fmt_int", vec![self.widen_i64(v, ty)]),
            Ty::Int(_) => ("aria_fmt_uint", vec![self.widen_i64(v, ty)]),
            Ty::Float(_) if mty(ty) == MTy::F32 => ("aria_fmt_f32", vec![v]),
            Ty::Float(_) => ("aria_fmt_f64", vec![v]),
            Ty::Tbb(_) => {
                let bits = layout::tbb_kind_bits(ty).unwrap_or(64) as i64;
                let w = self.widen_i64(v, ty);
                ("aria_fmt_tbb", vec![w, Operand::Int(bits, MTy::I32)])
            }
            Ty::Bool => ("aria_fmt_bool", vec![self.cast(CastOp::UExt, v, MTy::I64)]),
            Ty::Nil => ("aria_fmt_nil", vec![]),
            Ty::Ptr(_) | Ty::Null => ("aria_fmt_ptr", vec![v]),
            t => return self.unsupported(&format!("formatting a value of type {t}"), &Ty::String),
        };
        self.rt1(name, MTy::I64, args)
    }

    // ---- string methods (§8.3) ---------------------------------------

    fn string_method(&mut self, b: Builtin, args: &'a [Expr], span: Span) -> Option<Split> {
        use Builtin::*;
        let (name, ret) = match b {
            StrSubstring => {
                let r = self.rt_call("aria_str_substring", &[MTy::I64, MTy::I64], args);
                self.panic_check(r[0].clone(), span);
                return Some(Split::ok(r[1].clone()));
            }
            StrFind => ("aria_str_find", MTy::I64),
            StrContains => ("aria_str_contains", MTy::I8),
            StrStartsWith => ("aria_str_starts_with", MTy::I8),
            StrEndsWith => ("aria_str_ends_with", MTy::I8),
            StrSplit => ("aria_str_split", MTy::I64),
            StrTrim => ("aria_str_trim", MTy::I64),
            StrToUpper => ("aria_str_to_upper", MTy::I64),
            StrToLower => ("aria_str_to_lower", MTy::I64),
            StrReplace => ("aria_str_replace", MTy::I64),
            StrRepeat => ("aria_str_repeat", MTy::I64),
            _ => return None,
        };
        let r = self.rt_call(name, &[ret], args);
        Some(Split::ok(r[0].clone()))
    }

    // ---- array methods (§8.4) ----------------------------------------

    fn array_method(&mut self, b: Builtin, args: &'a [Expr], span: Span) -> Option<Split> {
        use Builtin::*;
        let recv = args.first()?;
        let elem: &'a Ty = match &recv.ty {
            Ty::Array(t) | Ty::Fixed(t, _) => t,
            _ => return None,
        };
        let split = match b {
            ArrPush | ArrInsert | ArrIndexOf | ArrContains => {
                self.array_with_elem(b, args, elem, span)
            }
            ArrPop => {
                let r = self.rt_call("aria_array_pop", &[MTy::I64, MTy::I64], args);
                let v = self.value_of_bits(r[1].clone(), elem);
                self.fail_check(r[0].clone(), v)
            }
            ArrRemove => {
                let r = self.rt_call("aria_array_remove", &[MTy::I64, MTy::I64], args);
                self.panic_check(r[0].clone(), span);
                Split::ok(self.value_of_bits(r[1].clone(), elem))
            }
            ArrSlice => {
                let r = self.rt_call("aria_array_slice", &[MTy::I64, MTy::I64], args);
                self.panic_check(r[0].clone(), span);
                Split::ok(r[1].clone())
            }
            ArrClear => {
                self.rt_call("aria_array_clear", &[], args);
                Split::ok(NIL)
            }
            ArrJoin => Split::ok(self.rt_call("aria_array_join", &[MTy::I64], args)[0].clone()),
            ArrReverse | ArrSort => {
                let name = if b == ArrSort {
                    "aria_array_sort"
                } else {
                    "aria_array_reverse"
                };
                let (a, owned) = self.mutable_receiver(recv, span);
                self.rt0(name, vec![a.clone()]);
                if owned {
                    self.release(&a);
                }
                Split::ok(NIL)
            }
            _ => return None,
        };
        Some(split)
    }

    /// Methods taking an element value, passed as 64 "bits".
    fn array_with_elem(&mut self, b: Builtin, args: &'a [Expr], elem: &Ty, span: Span) -> Split {
        use Builtin::*;
        let mark = self.mark();
        let refs: Vec<&'a Expr> = args.iter().collect();
        let vals = self.operands(&refs);
        let mut ops: Vec<Operand> = Vec::new();
        for ((v, _), a) in vals.iter().zip(args) {
            let op = if std::ptr::eq(a, args.last().unwrap()) {
                self.bits_of(v.clone(), Some(elem))
            } else {
                self.widen_i64(v.clone(), &a.ty)
            };
            ops.push(op);
        }
        let split = match b {
            ArrPush => {
                self.rt0("aria_array_push", ops);
                Split::ok(NIL)
            }
            ArrInsert => {
                let r = self.rt("aria_array_insert", &[MTy::I64, MTy::I64], ops);
                self.panic_check(r[0].clone(), span);
                Split::ok(NIL)
            }
            ArrIndexOf => Split::ok(self.rt1("aria_array_index_of", MTy::I64, ops)),
            _ => Split::ok(self.rt1("aria_array_contains", MTy::I8, ops)),
        };
        self.drop_operands(&vals, mark);
        split
    }
}

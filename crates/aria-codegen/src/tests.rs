//! Hand-built MIR programs, JIT-compiled and called directly.

use aria_mir::mir::*;

use crate::{compile_jit_with_symbols, emit_clif, JitProgram};

// ---- building MIR by hand ---------------------------------------------------

struct Fb {
    f: Function,
}

impl Fb {
    /// A function `name(env: I64, params..) -> (I64, ret)`; returns the
    /// builder and the parameter locals (env first).
    fn new(name: &str, params: &[MTy], ret: MTy) -> (Fb, Vec<Local>) {
        let mut fb = Fb {
            f: Function {
                name: name.into(),
                params: vec![],
                ret,
                locals: vec![],
                blocks: vec![],
                conv: aria_mir::mir::CallConv::Aria,
                coroutine: None,
            },
        };
        let env = fb.local(MTy::I64);
        let mut ps = vec![env];
        for &p in params {
            ps.push(fb.local(p));
        }
        fb.f.params = ps.clone();
        (fb, ps)
    }

    fn local(&mut self, ty: MTy) -> Local {
        self.f.locals.push(LocalDecl { ty, name: None });
        Local(self.f.locals.len() as u32 - 1)
    }

    fn block(&mut self) -> BlockId {
        self.f.blocks.push(Block {
            stmts: vec![],
            term: Terminator::Unreachable,
        });
        BlockId(self.f.blocks.len() as u32 - 1)
    }

    fn assign(&mut self, b: BlockId, l: Local, rv: Rvalue) {
        self.f.blocks[b.0 as usize].stmts.push(Stmt::Assign(l, rv));
    }

    fn stmt(&mut self, b: BlockId, s: Stmt) {
        self.f.blocks[b.0 as usize].stmts.push(s);
    }

    fn term(&mut self, b: BlockId, t: Terminator) {
        self.f.blocks[b.0 as usize].term = t;
    }

    /// `l = x op y` into a fresh local of type `ty`.
    fn bin(&mut self, b: BlockId, ty: MTy, op: BinOp, x: Operand, y: Operand) -> Local {
        let l = self.local(ty);
        self.assign(b, l, Rvalue::Bin(op, x, y));
        l
    }

    fn ret_ok(&mut self, b: BlockId, v: Operand) {
        self.term(b, Terminator::Return(i64c(0), v));
    }
}

fn l(x: Local) -> Operand {
    Operand::Local(x)
}

fn i64c(v: i64) -> Operand {
    Operand::Int(v, MTy::I64)
}

fn program(funcs: Vec<Function>, mut data: Vec<Data>) -> Program {
    data.push(Data {
        name: "file".into(),
        bytes: b"test.aria\0".to_vec(),
        align: 1,
        writable: false,
        relocs: vec![],
    });
    Program {
        funcs,
        init: FuncIdx(0),
        main: FuncIdx(0),
        main_kind: 1,
        file: DataId(data.len() as u32 - 1),
        data,
        main_async: false,
    }
}

fn jit(p: &Program) -> JitProgram {
    jit_with(p, &[])
}

fn jit_with(p: &Program, syms: &[(&'static str, *const u8)]) -> JitProgram {
    if let Err(e) = emit_clif(p) {
        panic!("emit_clif: {e}");
    }
    compile_jit_with_symbols(p, syms).unwrap_or_else(|e| panic!("{e}"))
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ret<T> {
    err: i64,
    val: T,
}

// Pointers of JIT'd functions, typed. Each `call*` helper transmutes the
// address of a function whose MIR signature the test itself just built.

fn fptr(p: &JitProgram, i: u32) -> *const u8 {
    p.function(FuncIdx(i)).expect("function index")
}

fn call0<R: Copy>(p: &JitProgram, i: u32) -> Ret<R> {
    // SAFETY: function `i` was built as `fn(env: i64) -> (i64, R)`.
    let f: extern "C" fn(i64) -> Ret<R> = unsafe { std::mem::transmute(fptr(p, i)) };
    f(0)
}

fn call1<A, R: Copy>(p: &JitProgram, i: u32, a: A) -> Ret<R> {
    // SAFETY: function `i` was built as `fn(env: i64, A) -> (i64, R)`.
    let f: extern "C" fn(i64, A) -> Ret<R> = unsafe { std::mem::transmute(fptr(p, i)) };
    f(0, a)
}

fn call2<A, B, R: Copy>(p: &JitProgram, i: u32, a: A, b: B) -> Ret<R> {
    // SAFETY: function `i` was built as `fn(env: i64, A, B) -> (i64, R)`.
    let f: extern "C" fn(i64, A, B) -> Ret<R> = unsafe { std::mem::transmute(fptr(p, i)) };
    f(0, a, b)
}

// ---- programs ---------------------------------------------------------------

fn fib_function() -> Function {
    let (mut fb, ps) = Fb::new("fib", &[MTy::I64], MTy::I64);
    let (env, n) = (ps[0], ps[1]);
    let b0 = fb.block();
    let small = fb.block();
    let rec = fb.block();
    let c = fb.bin(b0, MTy::I8, BinOp::SLt, l(n), i64c(2));
    fb.term(b0, Terminator::Branch(l(c), small, rec));
    fb.ret_ok(small, l(n));
    let n1 = fb.bin(rec, MTy::I64, BinOp::Sub, l(n), i64c(1));
    let n2 = fb.bin(rec, MTy::I64, BinOp::Sub, l(n), i64c(2));
    let (e1, a, e2, b) = (
        fb.local(MTy::I64),
        fb.local(MTy::I64),
        fb.local(MTy::I64),
        fb.local(MTy::I64),
    );
    fb.stmt(
        rec,
        Stmt::Call(vec![e1, a], Callee::Func(FuncIdx(0)), vec![l(env), l(n1)]),
    );
    fb.stmt(
        rec,
        Stmt::Call(vec![e2, b], Callee::Func(FuncIdx(0)), vec![l(env), l(n2)]),
    );
    let s = fb.bin(rec, MTy::I64, BinOp::Add, l(a), l(b));
    fb.ret_ok(rec, l(s));
    fb.f
}

#[test]
fn recursive_fib() {
    let p = program(vec![fib_function()], vec![]);
    let j = jit(&p);
    assert_eq!(call1::<i64, i64>(&j, 0, 20), Ret { err: 0, val: 6765 });
    assert_eq!(call1::<i64, i64>(&j, 0, 30).val, 832040);
    assert_eq!(j.main_kind(), 1);
    assert_eq!(j.init(), j.main());
    // SAFETY: `file` points at the NUL-terminated data object built above.
    let name = unsafe { std::ffi::CStr::from_ptr(j.file() as *const std::ffi::c_char) };
    assert_eq!(name.to_str().unwrap(), "test.aria");
}

/// `sum = 0; for i in 0..n { switch i % 4 { 0 => +1, 1 => +10, 3 => +1000, _ => +100 } }`
#[test]
fn loop_with_switch() {
    let (mut fb, ps) = Fb::new("loop", &[MTy::I64], MTy::I64);
    let n = ps[1];
    let (i, sum, r) = (fb.local(MTy::I64), fb.local(MTy::I64), fb.local(MTy::I64));
    let entry = fb.block();
    let head = fb.block();
    let body = fb.block();
    let c0 = fb.block();
    let c1 = fb.block();
    let c3 = fb.block();
    let cd = fb.block();
    let next = fb.block();
    let exit = fb.block();
    fb.assign(entry, i, Rvalue::Use(i64c(0)));
    fb.assign(entry, sum, Rvalue::Use(i64c(0)));
    fb.term(entry, Terminator::Goto(head));
    let c = fb.bin(head, MTy::I8, BinOp::SLt, l(i), l(n));
    fb.term(head, Terminator::Branch(l(c), body, exit));
    fb.assign(body, r, Rvalue::Bin(BinOp::SRem, l(i), i64c(4)));
    fb.term(
        body,
        Terminator::Switch(l(r), vec![(0, c0), (1, c1), (3, c3)], cd),
    );
    for (blk, add) in [(c0, 1), (c1, 10), (c3, 1000), (cd, 100)] {
        fb.assign(blk, sum, Rvalue::Bin(BinOp::Add, l(sum), i64c(add)));
        fb.term(blk, Terminator::Goto(next));
    }
    fb.assign(next, i, Rvalue::Bin(BinOp::Add, l(i), i64c(1)));
    fb.term(next, Terminator::Goto(head));
    fb.ret_ok(exit, l(sum));
    let j = jit(&program(vec![fb.f], vec![]));
    assert_eq!(call1::<i64, i64>(&j, 0, 8).val, 2 * 1111);
    assert_eq!(call1::<i64, i64>(&j, 0, 5).val, 1111 + 1);
    assert_eq!(call1::<i64, i64>(&j, 0, 0).val, 0);
}

/// Sparse, negative and narrow switch keys; a back edge into MIR's entry block.
#[test]
fn switch_negative_and_narrow() {
    // f(x: I8) -> I64: -1 => 1, -128 => 2, 127 => 3, 5 => 4, 6 => 5, 7 => 6, else 0
    let (mut fb, ps) = Fb::new("sw8", &[MTy::I8], MTy::I64);
    let x = ps[1];
    let b0 = fb.block();
    let keys = [-1i64, -128, 127, 5, 6, 7];
    let mut cases = vec![];
    for (k, key) in keys.iter().enumerate() {
        let b = fb.block();
        fb.ret_ok(b, i64c(k as i64 + 1));
        cases.push((*key, b));
    }
    // A duplicate key: the first case wins.
    cases.push((5, BlockId(1)));
    let d = fb.block();
    fb.ret_ok(d, i64c(0));
    fb.term(b0, Terminator::Switch(l(x), cases, d));

    // g(x: I64): dense negative range + a far key.
    let (mut gb, gs) = Fb::new("sw64", &[MTy::I64], MTy::I64);
    let y = gs[1];
    let g0 = gb.block();
    let mut cases = vec![];
    for k in -3..=3i64 {
        let b = gb.block();
        gb.ret_ok(b, i64c(k * 10));
        cases.push((k, b));
    }
    let far = gb.block();
    gb.ret_ok(far, i64c(777));
    cases.push((i64::MIN, far));
    let d = gb.block();
    gb.ret_ok(d, i64c(-1));
    gb.term(g0, Terminator::Switch(l(y), cases, d));

    let j = jit(&program(vec![fb.f, gb.f], vec![]));
    for (x, want) in [
        (-1i8, 1i64),
        (-128, 2),
        (127, 3),
        (5, 4),
        (6, 5),
        (7, 6),
        (0, 0),
        (8, 0),
    ] {
        assert_eq!(call1::<i8, i64>(&j, 0, x).val, want, "x = {x}");
    }
    for k in -3..=3i64 {
        assert_eq!(call1::<i64, i64>(&j, 1, k).val, k * 10);
    }
    assert_eq!(call1::<i64, i64>(&j, 1, i64::MIN).val, 777);
    assert_eq!(call1::<i64, i64>(&j, 1, 4).val, -1);
    assert_eq!(call1::<i64, i64>(&j, 1, i64::MAX).val, -1);
}

/// `apply(f, x) = f(x)` through a function pointer; `dbl(x) = 2x`.
#[test]
fn call_through_function_pointer() {
    let (mut ab, aps) = Fb::new("apply", &[MTy::I64, MTy::I32], MTy::I32);
    let (fp, x) = (aps[1], aps[2]);
    let b = ab.block();
    let (e, v) = (ab.local(MTy::I64), ab.local(MTy::I32));
    ab.stmt(
        b,
        Stmt::Call(
            vec![e, v],
            Callee::Indirect(l(fp), vec![MTy::I64, MTy::I32]),
            vec![i64c(0), l(x)],
        ),
    );
    ab.term(b, Terminator::Return(l(e), l(v)));

    let (mut db, dps) = Fb::new("dbl", &[MTy::I32], MTy::I32);
    let b = db.block();
    let r = db.bin(
        b,
        MTy::I32,
        BinOp::Mul,
        l(dps[1]),
        Operand::Int(2, MTy::I32),
    );
    db.term(b, Terminator::Return(i64c(5), l(r)));

    // main() = apply(&dbl, 21), keeping only `err` (fewer destinations).
    let (mut mb, _) = Fb::new("main", &[], MTy::I64);
    let b = mb.block();
    let e = mb.local(MTy::I64);
    let (e2, v2) = (mb.local(MTy::I64), mb.local(MTy::I32));
    mb.stmt(
        b,
        Stmt::Call(
            vec![e],
            Callee::Func(FuncIdx(0)),
            vec![
                i64c(0),
                Operand::FuncAddr(FuncIdx(1)),
                Operand::Int(4, MTy::I32),
            ],
        ),
    );
    mb.stmt(
        b,
        Stmt::Call(
            vec![e2, v2],
            Callee::Func(FuncIdx(0)),
            vec![
                i64c(0),
                Operand::FuncAddr(FuncIdx(1)),
                Operand::Int(21, MTy::I32),
            ],
        ),
    );
    let w = mb.local(MTy::I64);
    mb.assign(b, w, Rvalue::Cast(CastOp::SExt, l(v2)));
    let s = mb.bin(b, MTy::I64, BinOp::Add, l(w), l(e));
    mb.ret_ok(b, l(s));

    let j = jit(&program(vec![ab.f, db.f, mb.f], vec![]));
    assert_eq!(
        call0::<i64>(&j, 2),
        Ret {
            err: 0,
            val: 42 + 5
        }
    );
    let dbl = fptr(&j, 1) as i64;
    assert_eq!(
        call2::<i64, i32, i32>(&j, 0, dbl, -8),
        Ret { err: 5, val: -16 }
    );
}

/// Binary float ops and all comparisons, with NaN.
#[test]
fn float_ops() {
    // f(a, b) = ((a + b) * a - b) / b, as F64
    let (mut fb, ps) = Fb::new("farith", &[MTy::F64, MTy::F64], MTy::F64);
    let (a, b) = (ps[1], ps[2]);
    let b0 = fb.block();
    let s = fb.bin(b0, MTy::F64, BinOp::FAdd, l(a), l(b));
    let m = fb.bin(b0, MTy::F64, BinOp::FMul, l(s), l(a));
    let d = fb.bin(b0, MTy::F64, BinOp::FSub, l(m), l(b));
    let q = fb.bin(b0, MTy::F64, BinOp::FDiv, l(d), l(b));
    fb.ret_ok(b0, l(q));

    // cmp(a, b): bit k = k-th comparison of [FEq, FNe, FLt, FLe, FGt, FGe]
    let (mut cb, cps) = Fb::new("fcmp", &[MTy::F64, MTy::F64], MTy::I64);
    let (a, b) = (cps[1], cps[2]);
    let c0 = cb.block();
    let acc = cb.local(MTy::I64);
    cb.assign(c0, acc, Rvalue::Use(i64c(0)));
    let ops = [
        BinOp::FEq,
        BinOp::FNe,
        BinOp::FLt,
        BinOp::FLe,
        BinOp::FGt,
        BinOp::FGe,
    ];
    for (k, op) in ops.iter().enumerate() {
        let c = cb.bin(c0, MTy::I8, *op, l(a), l(b));
        let w = cb.local(MTy::I64);
        cb.assign(c0, w, Rvalue::Cast(CastOp::UExt, l(c)));
        let sh = cb.bin(c0, MTy::I64, BinOp::Shl, l(w), i64c(k as i64));
        cb.assign(c0, acc, Rvalue::Bin(BinOp::Or, l(acc), l(sh)));
    }
    cb.ret_ok(c0, l(acc));

    // un(x: F32) = sqrt(abs(-x)) + 0.5
    let (mut ub, ups) = Fb::new("fun", &[MTy::F32], MTy::F32);
    let u0 = ub.block();
    let n = ub.local(MTy::F32);
    ub.assign(u0, n, Rvalue::Un(UnOp::FNeg, l(ups[1])));
    let ab = ub.local(MTy::F32);
    ub.assign(u0, ab, Rvalue::Un(UnOp::FAbs, l(n)));
    let sq = ub.local(MTy::F32);
    ub.assign(u0, sq, Rvalue::Un(UnOp::FSqrt, l(ab)));
    let r = ub.bin(u0, MTy::F32, BinOp::FAdd, l(sq), Operand::F32(0.5));
    ub.ret_ok(u0, l(r));

    let j = jit(&program(vec![fb.f, cb.f, ub.f], vec![]));
    let f = |a: f64, b: f64| call2::<f64, f64, f64>(&j, 0, a, b).val;
    assert_eq!(f(3.0, 2.0), ((3.0 + 2.0) * 3.0 - 2.0) / 2.0);
    assert!(f(1.0, 0.0).is_infinite());
    let c = |a: f64, b: f64| call2::<f64, f64, i64>(&j, 1, a, b).val;
    // bits: eq ne lt le gt ge
    assert_eq!(c(1.0, 1.0), 0b101001);
    assert_eq!(c(1.0, 2.0), 0b001110);
    assert_eq!(c(2.0, 1.0), 0b110010);
    assert_eq!(c(f64::NAN, 1.0), 0b000010, "only FNe holds for NaN");
    assert_eq!(c(f64::NAN, f64::NAN), 0b000010);
    assert_eq!(call1::<f32, f32>(&j, 2, -16.0).val, 4.5);
    assert_eq!(call1::<f32, f32>(&j, 2, 9.0).val, 3.5);
}

/// Integer division and remainder of every width, variable and constant
/// divisors, including `MIN / -1` and `MIN % -1`.
#[test]
fn division_never_traps() {
    let mut funcs = vec![];
    // For each type: div(a, b), rem(a, b), div(a, -1), rem(a, -1), udiv, urem, div(a, 7)
    for ty in [MTy::I8, MTy::I16, MTy::I32, MTy::I64] {
        for (op, konst) in [
            (BinOp::SDiv, None),
            (BinOp::SRem, None),
            (BinOp::SDiv, Some(-1)),
            (BinOp::SRem, Some(-1)),
            (BinOp::UDiv, None),
            (BinOp::URem, None),
            (BinOp::SDiv, Some(7)),
            (BinOp::SRem, Some(-7)),
        ] {
            let (mut fb, ps) = Fb::new("div", &[ty, ty], MTy::I64);
            let b = fb.block();
            let y = match konst {
                Some(k) => Operand::Int(k, ty),
                None => l(ps[2]),
            };
            let q = fb.bin(b, ty, op, l(ps[1]), y);
            let w = fb.local(MTy::I64);
            let cast = if matches!(op, BinOp::UDiv | BinOp::URem) {
                CastOp::UExt
            } else {
                CastOp::SExt
            };
            fb.assign(b, w, Rvalue::Cast(cast, l(q)));
            fb.ret_ok(b, l(w));
            funcs.push(fb.f);
        }
    }
    let j = jit(&program(funcs, vec![]));
    // i64
    let base = 24;
    let c64 = |k: u32, a: i64, b: i64| call2::<i64, i64, i64>(&j, base + k, a, b).val;
    assert_eq!(c64(0, i64::MIN, -1), i64::MIN);
    assert_eq!(c64(1, i64::MIN, -1), 0);
    assert_eq!(c64(0, -7, 2), -3);
    assert_eq!(c64(1, -7, 2), -1);
    assert_eq!(c64(0, 7, -1), -7);
    assert_eq!(c64(2, i64::MIN, 0), i64::MIN);
    assert_eq!(c64(2, 5, 0), -5);
    assert_eq!(c64(3, i64::MIN, 0), 0);
    assert_eq!(c64(4, -1, 2), (u64::MAX / 2) as i64);
    assert_eq!(c64(5, -1, 10), (u64::MAX % 10) as i64);
    assert_eq!(c64(6, -50, 0), -7);
    assert_eq!(c64(7, -50, 0), -1);
    // i32
    let c32 = |k: u32, a: i32, b: i32| call2::<i32, i32, i64>(&j, 16 + k, a, b).val;
    assert_eq!(c32(0, i32::MIN, -1), i32::MIN as i64);
    assert_eq!(c32(1, i32::MIN, -1), 0);
    assert_eq!(c32(2, i32::MIN, 0), i32::MIN as i64);
    assert_eq!(c32(4, -1, 2), (u32::MAX / 2) as i64);
    assert_eq!(c32(6, 100, 0), 14);
    // i16 and i8
    let c16 = |k: u32, a: i16, b: i16| call2::<i16, i16, i64>(&j, 8 + k, a, b).val;
    assert_eq!(c16(0, i16::MIN, -1), i16::MIN as i64);
    assert_eq!(c16(1, i16::MIN, -1), 0);
    assert_eq!(c16(0, -300, 7), -42);
    assert_eq!(c16(5, -1, 10), (u16::MAX % 10) as i64);
    let c8 = |k: u32, a: i8, b: i8| call2::<i8, i8, i64>(&j, k, a, b).val;
    assert_eq!(c8(0, i8::MIN, -1), i8::MIN as i64);
    assert_eq!(c8(1, i8::MIN, -1), 0);
    assert_eq!(c8(2, i8::MIN, 0), i8::MIN as i64);
    assert_eq!(c8(3, i8::MIN, 0), 0);
    assert_eq!(c8(0, -128, 3), -42);
    assert_eq!(c8(4, -2, 3), 254 / 3);
    assert_eq!(c8(5, -2, 3), 254 % 3);
    assert_eq!(c8(6, -128, 0), -18);
    assert_eq!(c8(7, -128, 0), -2);
}

/// Shift counts are masked to the width; Neg/Not; Select; narrow wrapping.
#[test]
fn integer_ops() {
    let (mut fb, ps) = Fb::new("shifts", &[MTy::I32, MTy::I32], MTy::I32);
    let (x, n) = (ps[1], ps[2]);
    let b = fb.block();
    let a = fb.bin(b, MTy::I32, BinOp::Shl, l(x), l(n));
    let s = fb.bin(b, MTy::I32, BinOp::SShr, l(x), l(n));
    let u = fb.bin(b, MTy::I32, BinOp::UShr, l(x), l(n));
    let t = fb.bin(b, MTy::I32, BinOp::Xor, l(a), l(s));
    let r = fb.bin(b, MTy::I32, BinOp::Xor, l(t), l(u));
    fb.ret_ok(b, l(r));

    // narrow(x: I8) = select(x < 0, -x, ~x) + 100 (wrapping I8)
    let (mut nb, nps) = Fb::new("narrow", &[MTy::I8], MTy::I8);
    let x8 = nps[1];
    let b = nb.block();
    let c = nb.bin(b, MTy::I8, BinOp::SLt, l(x8), Operand::Int(0, MTy::I8));
    let neg = nb.local(MTy::I8);
    nb.assign(b, neg, Rvalue::Un(UnOp::Neg, l(x8)));
    let not = nb.local(MTy::I8);
    nb.assign(b, not, Rvalue::Un(UnOp::Not, l(x8)));
    let sel = nb.local(MTy::I8);
    nb.assign(b, sel, Rvalue::Select(l(c), l(neg), l(not)));
    let r = nb.bin(b, MTy::I8, BinOp::Add, l(sel), Operand::Int(100, MTy::I8));
    nb.ret_ok(b, l(r));

    // Unsigned comparisons on I16 and an out-of-range constant (truncated).
    let (mut ub, ups) = Fb::new("ucmp", &[MTy::I16], MTy::I8);
    let b = ub.block();
    let c = ub.bin(
        b,
        MTy::I8,
        BinOp::UGt,
        l(ups[1]),
        Operand::Int(0x1_0005, MTy::I16),
    );
    ub.ret_ok(b, l(c));

    let j = jit(&program(vec![fb.f, nb.f, ub.f], vec![]));
    let sh = |x: i32, n: i32| call2::<i32, i32, i32>(&j, 0, x, n).val;
    let model = |x: i32, n: i32| {
        let n = (n & 31) as u32;
        (x << n) ^ (x >> n) ^ ((x as u32 >> n) as i32)
    };
    for (x, n) in [
        (-12345, 3),
        (-12345, 35),
        (7, 31),
        (-1, 32),
        (1 << 30, 33),
        (99, -1),
    ] {
        assert_eq!(sh(x, n), model(x, n), "x={x} n={n}");
    }
    let nr = |x: i8| call1::<i8, i8>(&j, 1, x).val;
    assert_eq!(nr(-5), 105);
    assert_eq!(nr(-128), (-128i8).wrapping_add(100));
    assert_eq!(nr(3), (!3i8).wrapping_add(100));
    assert_eq!(nr(100), (!100i8).wrapping_add(100));
    let uc = |x: i16| call1::<i16, i8>(&j, 2, x).val;
    assert_eq!(uc(6), 1);
    assert_eq!(uc(5), 0);
    assert_eq!(uc(-1), 1, "0xFFFF > 5 unsigned");
}

/// Every cast, with saturation and NaN.
#[test]
fn casts() {
    let mut funcs = vec![];
    let cases: &[(CastOp, MTy, MTy)] = &[
        (CastOp::SExt, MTy::I8, MTy::I64),         // 0
        (CastOp::UExt, MTy::I8, MTy::I64),         // 1
        (CastOp::Trunc, MTy::I64, MTy::I16),       // 2
        (CastOp::SIntToFloat, MTy::I64, MTy::F64), // 3
        (CastOp::UIntToFloat, MTy::I64, MTy::F64), // 4
        (CastOp::FloatToSInt, MTy::F64, MTy::I64), // 5
        (CastOp::FloatToUInt, MTy::F64, MTy::I64), // 6
        (CastOp::FloatToSInt, MTy::F64, MTy::I8),  // 7
        (CastOp::FloatToUInt, MTy::F64, MTy::I8),  // 8
        (CastOp::FloatToSInt, MTy::F32, MTy::I32), // 9
        (CastOp::FloatToUInt, MTy::F64, MTy::I16), // 10
        (CastOp::FPromote, MTy::F32, MTy::F64),    // 11
        (CastOp::FDemote, MTy::F64, MTy::F32),     // 12
        (CastOp::Bitcast, MTy::F64, MTy::I64),     // 13
        (CastOp::Bitcast, MTy::I32, MTy::F32),     // 14
        (CastOp::UIntToFloat, MTy::I8, MTy::F32),  // 15
        (CastOp::SIntToFloat, MTy::I16, MTy::F64), // 16
        (CastOp::FloatToSInt, MTy::F64, MTy::I16), // 17
    ];
    for (op, from, to) in cases {
        let (mut fb, ps) = Fb::new("cast", &[*from], *to);
        let b = fb.block();
        let r = fb.local(*to);
        fb.assign(b, r, Rvalue::Cast(*op, l(ps[1])));
        fb.ret_ok(b, l(r));
        funcs.push(fb.f);
    }
    let j = jit(&program(funcs, vec![]));
    assert_eq!(call1::<i8, i64>(&j, 0, -3).val, -3);
    assert_eq!(call1::<i8, i64>(&j, 1, -3).val, 253);
    assert_eq!(call1::<i64, i16>(&j, 2, 0x12345).val, 0x2345);
    assert_eq!(call1::<i64, f64>(&j, 3, -7).val, -7.0);
    assert_eq!(call1::<i64, f64>(&j, 4, -1).val, 18446744073709551615.0);
    let fs = |x: f64| call1::<f64, i64>(&j, 5, x).val;
    assert_eq!(fs(-2.9), -2);
    assert_eq!(fs(1e300), i64::MAX);
    assert_eq!(fs(-1e300), i64::MIN);
    assert_eq!(fs(f64::NAN), 0);
    let fu = |x: f64| call1::<f64, i64>(&j, 6, x).val;
    assert_eq!(fu(-5.0), 0);
    assert_eq!(fu(1e300), -1, "u64::MAX");
    assert_eq!(fu(f64::NAN), 0);
    assert_eq!(fu(3.99), 3);
    let f8 = |x: f64| call1::<f64, i8>(&j, 7, x).val;
    assert_eq!(f8(300.0), 127);
    assert_eq!(f8(-300.0), -128);
    assert_eq!(f8(-5.5), -5);
    assert_eq!(f8(f64::NAN), 0);
    let fu8 = |x: f64| call1::<f64, u8>(&j, 8, x).val;
    assert_eq!(fu8(300.0), 255);
    assert_eq!(fu8(-3.0), 0);
    assert_eq!(fu8(200.7), 200);
    assert_eq!(fu8(f64::NAN), 0);
    assert_eq!(call1::<f32, i32>(&j, 9, 3e10).val, i32::MAX);
    assert_eq!(call1::<f32, i32>(&j, 9, f32::NAN).val, 0);
    assert_eq!(call1::<f64, u16>(&j, 10, 70000.0).val, u16::MAX);
    assert_eq!(call1::<f32, f64>(&j, 11, 1.5).val, 1.5);
    assert_eq!(call1::<f64, f32>(&j, 12, 0.1).val, 0.1f64 as f32);
    assert_eq!(call1::<f64, i64>(&j, 13, 1.0).val, 1.0f64.to_bits() as i64);
    assert_eq!(call1::<i32, f32>(&j, 14, 0x3fc00000).val, 1.5);
    assert_eq!(call1::<u8, f32>(&j, 15, 200).val, 200.0);
    assert_eq!(call1::<i16, f64>(&j, 16, -300).val, -300.0);
    let f16 = |x: f64| call1::<f64, i16>(&j, 17, x).val;
    assert_eq!(f16(1e9), i16::MAX);
    assert_eq!(f16(-1e9), i16::MIN);
}

/// A writable 8-byte global slot: `bump(k)` adds k and returns the new value;
/// loads and stores of narrow values at offsets inside a bigger slot.
#[test]
fn loads_and_stores_in_writable_data() {
    let counter = Data {
        name: "g_counter".into(),
        bytes: 40i64.to_le_bytes().to_vec(),
        align: 8,
        writable: true,
        relocs: vec![],
    };
    let bytes = Data {
        name: "g_bytes".into(),
        bytes: vec![0; 16],
        align: 8,
        writable: true,
        relocs: vec![],
    };
    let (mut fb, ps) = Fb::new("bump", &[MTy::I64], MTy::I64);
    let b = fb.block();
    let v = fb.local(MTy::I64);
    fb.assign(
        b,
        v,
        Rvalue::Load(MTy::I64, Operand::DataAddr(DataId(0)), 0),
    );
    let n = fb.bin(b, MTy::I64, BinOp::Add, l(v), l(ps[1]));
    fb.stmt(b, Stmt::Store(Operand::DataAddr(DataId(0)), 0, l(n)));
    fb.ret_ok(b, l(n));

    // bytes: store I8 at +3, I16 at +4, F32 at +8, then read back as i64 words.
    let (mut sb, _) = Fb::new("bytes", &[], MTy::I64);
    let b = sb.block();
    let base = sb.local(MTy::I64);
    sb.assign(b, base, Rvalue::Use(Operand::DataAddr(DataId(1))));
    sb.stmt(b, Stmt::Store(l(base), 3, Operand::Int(0xAB, MTy::I8)));
    sb.stmt(b, Stmt::Store(l(base), 4, Operand::Int(-2, MTy::I16)));
    sb.stmt(b, Stmt::Store(l(base), 8, Operand::F32(1.5)));
    let w0 = sb.local(MTy::I64);
    sb.assign(b, w0, Rvalue::Load(MTy::I64, l(base), 0));
    let f = sb.local(MTy::F32);
    sb.assign(b, f, Rvalue::Load(MTy::F32, l(base), 8));
    let fi = sb.local(MTy::I32);
    sb.assign(b, fi, Rvalue::Cast(CastOp::FloatToSInt, l(f)));
    let fw = sb.local(MTy::I64);
    sb.assign(b, fw, Rvalue::Cast(CastOp::SExt, l(fi)));
    let r = sb.bin(b, MTy::I64, BinOp::Add, l(w0), l(fw));
    sb.ret_ok(b, l(r));

    let j = jit(&program(vec![fb.f, sb.f], vec![counter, bytes]));
    assert_eq!(call1::<i64, i64>(&j, 0, 2).val, 42);
    assert_eq!(call1::<i64, i64>(&j, 0, -50).val, -8);
    let w = u64::from_le_bytes([0, 0, 0, 0xAB, 0xFE, 0xFF, 0, 0]) as i64;
    assert_eq!(call0::<i64>(&j, 1).val, w + 1);
}

// ---- runtime calls ----------------------------------------------------------

/// Reads a string object (docs/RUNTIME_ABI.md layout): len + sum of bytes.
extern "C" fn t_str_sum(p: i64) -> i64 {
    // SAFETY: the tests pass pointers to string objects they built.
    unsafe {
        let p = p as *const u8;
        let len = *(p.add(16) as *const i64);
        let bytes = std::slice::from_raw_parts(p.add(24), len as usize);
        len * 1000 + bytes.iter().map(|b| *b as i64).sum::<i64>()
    }
}

#[repr(C)]
struct AriaResult {
    err: i64,
    val: i64,
}

#[repr(C)]
struct AriaResultF {
    err: i64,
    val: f64,
}

extern "C" fn t_checked_div(a: i64, b: i64) -> AriaResult {
    if b == 0 {
        AriaResult { err: -101, val: 0 }
    } else {
        AriaResult { err: 0, val: a / b }
    }
}

extern "C" fn t_half(x: f64) -> AriaResultF {
    AriaResultF {
        err: 0,
        val: x / 2.0,
    }
}

extern "C" fn t_is_nonzero(b: u8, w: i16) -> i8 {
    (b != 0 && w == -2) as i8
}

static T_SINK: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

extern "C" fn t_sink(v: i64, k: i32) {
    T_SINK.fetch_add(v * k as i64, std::sync::atomic::Ordering::SeqCst);
}

fn test_symbols() -> Vec<(&'static str, *const u8)> {
    vec![
        ("t_str_sum", t_str_sum as *const u8),
        ("t_checked_div", t_checked_div as *const u8),
        ("t_half", t_half as *const u8),
        ("t_is_nonzero", t_is_nonzero as *const u8),
        ("t_sink", t_sink as *const u8),
    ]
}

fn string_object(s: &[u8]) -> Data {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&(-1i64).to_le_bytes()); // immortal
    bytes.extend_from_slice(&1u32.to_le_bytes()); // kind: string
    bytes.extend_from_slice(&0u32.to_le_bytes());
    bytes.extend_from_slice(&(s.len() as i64).to_le_bytes());
    bytes.extend_from_slice(s);
    Data {
        name: "str".into(),
        bytes,
        align: 8,
        writable: false,
        relocs: vec![],
    }
}

#[test]
fn runtime_calls_and_string_data() {
    let (mut fb, ps) = Fb::new("rt", &[MTy::I64, MTy::I64], MTy::I64);
    let (a, b_) = (ps[1], ps[2]);
    let b = fb.block();
    let fail = fb.block();
    let ok = fb.block();
    let s = fb.local(MTy::I64);
    fb.stmt(
        b,
        Stmt::Call(
            vec![s],
            Callee::Runtime("t_str_sum", vec![MTy::I64]),
            vec![Operand::DataAddr(DataId(0))],
        ),
    );
    let (e, q) = (fb.local(MTy::I64), fb.local(MTy::I64));
    fb.stmt(
        b,
        Stmt::Call(
            vec![e, q],
            Callee::Runtime("t_checked_div", vec![MTy::I64, MTy::I64]),
            vec![l(a), l(b_)],
        ),
    );
    let c = fb.bin(b, MTy::I8, BinOp::Ne, l(e), i64c(0));
    fb.term(b, Terminator::Branch(l(c), fail, ok));
    fb.term(fail, Terminator::Return(l(e), i64c(0)));
    // The same runtime function again, with the same signature.
    let s2 = fb.local(MTy::I64);
    fb.stmt(
        ok,
        Stmt::Call(
            vec![s2],
            Callee::Runtime("t_str_sum", vec![MTy::I64]),
            vec![Operand::DataAddr(DataId(1))],
        ),
    );
    let t = fb.bin(ok, MTy::I64, BinOp::Add, l(s), l(q));
    let t = fb.bin(ok, MTy::I64, BinOp::Mul, l(t), i64c(1_000_000));
    let t = fb.bin(ok, MTy::I64, BinOp::Add, l(t), l(s2));
    fb.stmt(
        ok,
        Stmt::Call(
            vec![],
            Callee::Runtime("t_sink", vec![]),
            vec![l(t), Operand::Int(2, MTy::I32)],
        ),
    );
    fb.ret_ok(ok, l(t));

    // half(x) via AriaResultF and bool-ish narrow arguments.
    let (mut hb, hps) = Fb::new("half", &[MTy::F64], MTy::F64);
    let b = hb.block();
    let (e, v) = (hb.local(MTy::I64), hb.local(MTy::F64));
    hb.stmt(
        b,
        Stmt::Call(
            vec![e, v],
            Callee::Runtime("t_half", vec![MTy::I64, MTy::F64]),
            vec![l(hps[1])],
        ),
    );
    let nz = hb.local(MTy::I8);
    hb.stmt(
        b,
        Stmt::Call(
            vec![nz],
            Callee::Runtime("t_is_nonzero", vec![MTy::I8]),
            vec![Operand::Int(1, MTy::I8), Operand::Int(-2, MTy::I16)],
        ),
    );
    let nzw = hb.local(MTy::I64);
    hb.assign(b, nzw, Rvalue::Cast(CastOp::UExt, l(nz)));
    let err = hb.bin(b, MTy::I64, BinOp::Add, l(e), l(nzw));
    hb.term(b, Terminator::Return(l(err), l(v)));

    let p = program(
        vec![fb.f, hb.f],
        vec![string_object(b"hi!"), string_object(b"")],
    );
    let j = jit_with(&p, &test_symbols());
    let sum = 3 * 1000 + (b'h' + b'i' + b'!') as i64;
    let r = call2::<i64, i64, i64>(&j, 0, 10, 3);
    assert_eq!(
        r,
        Ret {
            err: 0,
            val: (sum + 3) * 1_000_000
        }
    );
    assert_eq!(T_SINK.load(std::sync::atomic::Ordering::SeqCst), r.val * 2);
    assert_eq!(call2::<i64, i64, i64>(&j, 0, 10, 0).err, -101);
    assert_eq!(call1::<f64, f64>(&j, 1, 5.0), Ret { err: 1, val: 2.5 });
}

// ---- malformed MIR is an internal error, not a panic -------------------------

fn expect_err(p: &Program, syms: &[(&'static str, *const u8)], needle: &str) {
    match compile_jit_with_symbols(p, syms) {
        Ok(_) => panic!("expected an error containing {needle:?}"),
        Err(e) => {
            assert!(e.contains("internal error"), "{e}");
            assert!(e.contains(needle), "{e:?} lacks {needle:?}");
        }
    }
}

#[test]
fn malformed_mir_is_reported() {
    // Type mismatch in an assignment.
    let (mut fb, ps) = Fb::new("bad_assign", &[MTy::I32], MTy::I64);
    let b = fb.block();
    let x = fb.local(MTy::I64);
    fb.assign(b, x, Rvalue::Use(l(ps[1])));
    fb.ret_ok(b, l(x));
    expect_err(&program(vec![fb.f], vec![]), &[], "bad_assign");

    // Mixed operand types.
    let (mut fb, ps) = Fb::new("bad_bin", &[MTy::I32], MTy::I64);
    let b = fb.block();
    let x = fb.bin(b, MTy::I64, BinOp::Add, l(ps[1]), i64c(1));
    fb.ret_ok(b, l(x));
    expect_err(
        &program(vec![fb.f], vec![]),
        &[],
        "Add applied to I32 and I64",
    );

    // Wrong return type.
    let (mut fb, _) = Fb::new("bad_ret", &[], MTy::I32);
    let b = fb.block();
    fb.ret_ok(b, i64c(1));
    expect_err(&program(vec![fb.f], vec![]), &[], "return value");

    // Branch to a missing block, use of an undeclared local.
    let (mut fb, _) = Fb::new("bad_target", &[], MTy::I64);
    let b = fb.block();
    fb.term(b, Terminator::Goto(BlockId(9)));
    expect_err(&program(vec![fb.f], vec![]), &[], "bb9");
    let (mut fb, _) = Fb::new("bad_local", &[], MTy::I64);
    let b = fb.block();
    fb.ret_ok(b, l(Local(99)));
    expect_err(&program(vec![fb.f], vec![]), &[], "_99");

    // Wrong argument types for a direct call.
    let (mut fb, _) = Fb::new("bad_call", &[], MTy::I64);
    let b = fb.block();
    let (e, v) = (fb.local(MTy::I64), fb.local(MTy::I64));
    fb.stmt(
        b,
        Stmt::Call(vec![e, v], Callee::Func(FuncIdx(0)), vec![i64c(0), i64c(1)]),
    );
    fb.ret_ok(b, l(v));
    expect_err(&program(vec![fb.f], vec![]), &[], "parameters are");

    // A runtime function used with two signatures, and one not provided.
    let (mut fb, _) = Fb::new("conflict", &[], MTy::I64);
    let b = fb.block();
    let r = fb.local(MTy::I64);
    fb.stmt(
        b,
        Stmt::Call(
            vec![r],
            Callee::Runtime("t_str_sum", vec![MTy::I64]),
            vec![i64c(0)],
        ),
    );
    fb.stmt(
        b,
        Stmt::Call(
            vec![r],
            Callee::Runtime("t_str_sum", vec![MTy::I64]),
            vec![Operand::Int(0, MTy::I32)],
        ),
    );
    fb.ret_ok(b, l(r));
    expect_err(&program(vec![fb.f], vec![]), &test_symbols(), "t_str_sum");
    let (mut fb, _) = Fb::new("missing", &[], MTy::I64);
    let b = fb.block();
    fb.stmt(
        b,
        Stmt::Call(vec![], Callee::Runtime("t_nowhere", vec![]), vec![]),
    );
    fb.ret_ok(b, i64c(0));
    expect_err(&program(vec![fb.f], vec![]), &test_symbols(), "t_nowhere");
}

/// Unreachable blocks, a branch with equal targets, a function whose name
/// collides with a runtime import, names shared by two functions.
#[test]
fn odd_but_valid_shapes() {
    let (mut fb, ps) = Fb::new("t_checked_div", &[MTy::I64], MTy::I64);
    let b0 = fb.block();
    let dead = fb.block();
    let b2 = fb.block();
    let c = fb.bin(b0, MTy::I8, BinOp::Eq, l(ps[1]), i64c(0));
    fb.term(b0, Terminator::Branch(l(c), b2, b2));
    fb.ret_ok(dead, i64c(-1));
    let (e, v) = (fb.local(MTy::I64), fb.local(MTy::I64));
    fb.stmt(
        b2,
        Stmt::Call(
            vec![e, v],
            Callee::Runtime("t_checked_div", vec![MTy::I64, MTy::I64]),
            vec![i64c(84), i64c(2)],
        ),
    );
    // A use of a local that is never assigned reads zero.
    let z = fb.local(MTy::I64);
    let r = fb.bin(b2, MTy::I64, BinOp::Add, l(v), l(z));
    fb.ret_ok(b2, l(r));
    let (mut gb, _) = Fb::new("t_checked_div", &[], MTy::I64);
    let b = gb.block();
    gb.term(b, Terminator::Unreachable);
    let j = jit_with(&program(vec![fb.f, gb.f], vec![]), &test_symbols());
    assert_eq!(call1::<i64, i64>(&j, 0, 0), Ret { err: 0, val: 42 });
    assert_eq!(call1::<i64, i64>(&j, 0, 1).val, 42);
}

/// A back edge into MIR's entry block (it gets its own Cranelift block).
#[test]
fn loop_into_entry_block() {
    // count(n): bb0: n = n - 1; acc = acc + 2; if n > 0 goto bb0 else bb1
    let (mut fb, ps) = Fb::new("count", &[MTy::I64], MTy::I64);
    let n = ps[1];
    let acc = fb.local(MTy::I64);
    let b0 = fb.block();
    let b1 = fb.block();
    fb.assign(b0, n, Rvalue::Bin(BinOp::Sub, l(n), i64c(1)));
    fb.assign(b0, acc, Rvalue::Bin(BinOp::Add, l(acc), i64c(2)));
    let c = fb.bin(b0, MTy::I8, BinOp::SGt, l(n), i64c(0));
    fb.term(b0, Terminator::Branch(l(c), b0, b1));
    fb.ret_ok(b1, l(acc));
    let j = jit(&program(vec![fb.f], vec![]));
    assert_eq!(call1::<i64, i64>(&j, 0, 5).val, 10);
}

#[test]
fn clif_text() {
    let p = program(vec![fib_function()], vec![]);
    let text = emit_clif(&p).unwrap();
    assert!(text.contains("; fib (function #0)"), "{text}");
    assert!(
        text.contains("function u0:0(i64, i64) -> i64, i64"),
        "{text}"
    );
    assert!(text.contains("call fn0"), "{text}");
}

/// fib with the `err` check the lowering emits after every call
/// (`if err != 0 { return (err, 0) }`), for timing against C.
fn fib_checked_function() -> Function {
    let (mut fb, ps) = Fb::new("fib", &[MTy::I64], MTy::I64);
    let (env, n) = (ps[0], ps[1]);
    let b0 = fb.block();
    let small = fb.block();
    let rec = fb.block();
    let second = fb.block();
    let done = fb.block();
    let fail1 = fb.block();
    let fail2 = fb.block();
    let c = fb.bin(b0, MTy::I8, BinOp::SLt, l(n), i64c(2));
    fb.term(b0, Terminator::Branch(l(c), small, rec));
    fb.ret_ok(small, l(n));
    let n1 = fb.bin(rec, MTy::I64, BinOp::Sub, l(n), i64c(1));
    let (e1, a, e2, b) = (
        fb.local(MTy::I64),
        fb.local(MTy::I64),
        fb.local(MTy::I64),
        fb.local(MTy::I64),
    );
    fb.stmt(
        rec,
        Stmt::Call(vec![e1, a], Callee::Func(FuncIdx(0)), vec![l(env), l(n1)]),
    );
    let c1 = fb.bin(rec, MTy::I8, BinOp::Ne, l(e1), i64c(0));
    fb.term(rec, Terminator::Branch(l(c1), fail1, second));
    fb.term(fail1, Terminator::Return(l(e1), i64c(0)));
    let n2 = fb.bin(second, MTy::I64, BinOp::Sub, l(n), i64c(2));
    fb.stmt(
        second,
        Stmt::Call(vec![e2, b], Callee::Func(FuncIdx(0)), vec![l(env), l(n2)]),
    );
    let c2 = fb.bin(second, MTy::I8, BinOp::Ne, l(e2), i64c(0));
    fb.term(second, Terminator::Branch(l(c2), fail2, done));
    fb.term(fail2, Terminator::Return(l(e2), i64c(0)));
    let s = fb.bin(done, MTy::I64, BinOp::Add, l(a), l(b));
    fb.ret_ok(done, l(s));
    fb.f
}

#[test]
fn fib_checked_is_right() {
    let j = jit(&program(vec![fib_checked_function()], vec![]));
    assert_eq!(call1::<i64, i64>(&j, 0, 25), Ret { err: 0, val: 75025 });
}

/// `cargo test -p aria-codegen --release? -- --ignored fib_timing --nocapture`
#[test]
#[ignore]
fn fib_timing() {
    let j = jit(&program(vec![fib_checked_function()], vec![]));
    let n = std::env::var("FIB_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(35);
    let t = std::time::Instant::now();
    let r = call1::<i64, i64>(&j, 0, n);
    println!("fib({n}) = {} in {:?}", r.val, t.elapsed());
}

fn literal(s: &[u8]) -> Data {
    Data {
        name: "lit".into(),
        bytes: aria_rt::layout::immortal_string_image(s),
        align: 8,
        writable: false,
        relocs: vec![],
    }
}

/// Calls into the real runtime through `compile_jit`'s symbol table.
#[test]
fn real_runtime_calls() {
    let (mut fb, _) = Fb::new("rt", &[], MTy::I64);
    let b = fb.block();
    let d = |i: u32| Operand::DataAddr(DataId(i));
    let rt = |name: &'static str, rets: &[MTy]| Callee::Runtime(name, rets.to_vec());
    let (s, eq, n, eq2) = (
        fb.local(MTy::I64),
        fb.local(MTy::I8),
        fb.local(MTy::I64),
        fb.local(MTy::I8),
    );
    fb.stmt(
        b,
        Stmt::Call(
            vec![s],
            rt("aria_str_concat", &[MTy::I64]),
            vec![d(0), d(1)],
        ),
    );
    fb.stmt(
        b,
        Stmt::Call(vec![eq], rt("aria_str_eq", &[MTy::I8]), vec![l(s), d(2)]),
    );
    fb.stmt(
        b,
        Stmt::Call(vec![n], rt("aria_fmt_int", &[MTy::I64]), vec![i64c(-12345)]),
    );
    fb.stmt(
        b,
        Stmt::Call(vec![eq2], rt("aria_str_eq", &[MTy::I8]), vec![l(n), d(3)]),
    );
    let (pe, pv) = (fb.local(MTy::I64), fb.local(MTy::F64));
    fb.stmt(
        b,
        Stmt::Call(
            vec![pe, pv],
            rt("aria_parse_float", &[MTy::I64, MTy::F64]),
            vec![d(4)],
        ),
    );
    let (ie, iv) = (fb.local(MTy::I64), fb.local(MTy::I64));
    fb.stmt(
        b,
        Stmt::Call(
            vec![ie, iv],
            rt("aria_str_index", &[MTy::I64, MTy::I64]),
            vec![l(s), i64c(5)],
        ),
    );
    fb.stmt(b, Stmt::Call(vec![], rt("aria_release", &[]), vec![l(s)]));
    fb.stmt(b, Stmt::Call(vec![], rt("aria_release", &[]), vec![l(n)]));
    // val = eq + 2*eq2 + 4*(pv == 2.5) + 8*(index byte == b'w') + 16*(pe == 0 && ie == 0)
    let mut acc = fb.local(MTy::I64);
    fb.assign(b, acc, Rvalue::Use(i64c(0)));
    let pv_ok = fb.bin(b, MTy::I8, BinOp::FEq, l(pv), Operand::F64(2.5));
    let iv_ok = fb.bin(b, MTy::I8, BinOp::Eq, l(iv), i64c(b'w' as i64));
    let e_sum = fb.bin(b, MTy::I64, BinOp::Or, l(pe), l(ie));
    let e_ok = fb.bin(b, MTy::I8, BinOp::Eq, l(e_sum), i64c(0));
    for (k, flag) in [eq, eq2, pv_ok, iv_ok, e_ok].into_iter().enumerate() {
        let w = fb.local(MTy::I64);
        fb.assign(b, w, Rvalue::Cast(CastOp::UExt, l(flag)));
        let sh = fb.bin(b, MTy::I64, BinOp::Shl, l(w), i64c(k as i64));
        acc = fb.bin(b, MTy::I64, BinOp::Or, l(acc), l(sh));
    }
    fb.ret_ok(b, l(acc));
    let p = program(
        vec![fb.f],
        vec![
            literal(b"hello"),
            literal(b"world"),
            literal(b"helloworld"),
            literal(b"-12345"),
            literal(b"2.5"),
        ],
    );
    let j = crate::compile_jit(&p).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        call0::<i64>(&j, 0),
        Ret {
            err: 0,
            val: 0b11111
        }
    );
}

/// A small callee that refers to static data, inlined into a caller that
/// refers to other data and functions: the inlined data reference must still
/// name the callee's data. (Cranelift 0.135's own inliner gets this wrong:
/// it copies `symbol` global values without re-mapping their names, which
/// is one reason inlining is done on MIR.)
#[test]
fn inlined_callee_keeps_its_data() {
    // g(env) = t_str_sum(&data0)
    let (mut gb, _) = Fb::new("g", &[], MTy::I64);
    let b = gb.block();
    let r = gb.local(MTy::I64);
    gb.stmt(
        b,
        Stmt::Call(
            vec![r],
            Callee::Runtime("t_str_sum", vec![MTy::I64]),
            vec![Operand::DataAddr(DataId(0))],
        ),
    );
    gb.ret_ok(b, l(r));
    // main(env) = t_str_sum(&data1) * 1_000_000 + g()  (calls g twice:
    // once before and once after its own data reference)
    let (mut mb, _) = Fb::new("main", &[], MTy::I64);
    let b = mb.block();
    let (e0, g0) = (mb.local(MTy::I64), mb.local(MTy::I64));
    mb.stmt(
        b,
        Stmt::Call(vec![e0, g0], Callee::Func(FuncIdx(0)), vec![i64c(0)]),
    );
    let a = mb.local(MTy::I64);
    mb.stmt(
        b,
        Stmt::Call(
            vec![a],
            Callee::Runtime("t_str_sum", vec![MTy::I64]),
            vec![Operand::DataAddr(DataId(1))],
        ),
    );
    let (e, g1) = (mb.local(MTy::I64), mb.local(MTy::I64));
    mb.stmt(
        b,
        Stmt::Call(vec![e, g1], Callee::Func(FuncIdx(0)), vec![i64c(0)]),
    );
    let t = mb.bin(b, MTy::I64, BinOp::Mul, l(a), i64c(1_000_000));
    let t = mb.bin(b, MTy::I64, BinOp::Add, l(t), l(g1));
    let t = mb.bin(b, MTy::I64, BinOp::Mul, l(t), i64c(1_000_000));
    let t = mb.bin(b, MTy::I64, BinOp::Add, l(t), l(g0));
    mb.ret_ok(b, l(t));
    let p = program(
        vec![gb.f, mb.f],
        vec![string_object(b"ab"), string_object(b"xyz")],
    );
    let j = jit_with(&p, &test_symbols());
    let ab = 2000 + (b'a' + b'b') as i64;
    let xyz = 3000 + (b'x' as i64 + b'y' as i64 + b'z' as i64);
    assert_eq!(
        call0::<i64>(&j, 1).val,
        (xyz * 1_000_000 + ab) * 1_000_000 + ab
    );
}

// ---- inlining and tail duplication -------------------------------------------

fn aggressive() -> Option<crate::inline::Params> {
    Some(crate::inline::Params {
        max_callee: 1000,
        budget: 10_000,
        rounds: 3,
    })
}

/// Compiles with inlining off and with aggressive inlining.
fn both_ways(p: &Program, syms: &[(&'static str, *const u8)]) -> [JitProgram; 2] {
    let plain = crate::jit::compile(p, syms, None).unwrap_or_else(|e| panic!("{e}"));
    let inl = crate::jit::compile(p, syms, aggressive()).unwrap_or_else(|e| panic!("{e}"));
    [plain, inl]
}

#[test]
fn inlining_fib_unrolls_and_agrees() {
    let p = program(vec![fib_checked_function(), fib_function()], vec![]);
    let out = crate::inline::inline_program(&p, aggressive().unwrap()).expect("inlined");
    let calls = |f: &Function| {
        f.blocks
            .iter()
            .flat_map(|b| &b.stmts)
            .filter(|s| matches!(s, Stmt::Call(..)))
            .count()
    };
    assert!(calls(&out[0]) > calls(&p.funcs[0]), "recursion unrolled");
    for j in both_ways(&p, &[]) {
        for (n, want) in [(0, 0), (1, 1), (2, 1), (3, 2), (10, 55), (20, 6765)] {
            assert_eq!(call1::<i64, i64>(&j, 0, n), Ret { err: 0, val: want });
            assert_eq!(call1::<i64, i64>(&j, 1, n), Ret { err: 0, val: want });
        }
    }
}

/// A callee that reads a local before writing it (a fresh call sees 0),
/// returns early through several paths, fails with an error, and is called
/// in a loop with fewer destinations than returns.
#[test]
fn inlined_callee_semantics() {
    // acc(x): t = t + x (t starts at 0 on every call); if x < 0 fail(7);
    //         if x == 0 return (0, 100); return (0, t)
    let (mut cb, cps) = Fb::new("acc", &[MTy::I64], MTy::I64);
    let x = cps[1];
    let t = cb.local(MTy::I64);
    let b0 = cb.block();
    let neg = cb.block();
    let nonneg = cb.block();
    let zero = cb.block();
    let pos = cb.block();
    cb.assign(b0, t, Rvalue::Bin(BinOp::Add, l(t), l(x)));
    let c = cb.bin(b0, MTy::I8, BinOp::SLt, l(x), i64c(0));
    cb.term(b0, Terminator::Branch(l(c), neg, nonneg));
    cb.term(neg, Terminator::Return(i64c(7), i64c(0)));
    let z = cb.bin(nonneg, MTy::I8, BinOp::Eq, l(x), i64c(0));
    cb.term(nonneg, Terminator::Branch(l(z), zero, pos));
    cb.ret_ok(zero, i64c(100));
    cb.ret_ok(pos, l(t));

    // main(n): s = 0; errs = 0; for i in -2..n { (e, v) = acc(i); if e != 0 { errs += e } else { s += v };
    //          (e2) = acc(5) [only err kept] ; s += e2 }; return (0, s * 1000 + errs)
    let (mut mb, mps) = Fb::new("main", &[MTy::I64], MTy::I64);
    let n = mps[1];
    let (i, s, errs, e, v, e2) = (
        mb.local(MTy::I64),
        mb.local(MTy::I64),
        mb.local(MTy::I64),
        mb.local(MTy::I64),
        mb.local(MTy::I64),
        mb.local(MTy::I64),
    );
    let entry = mb.block();
    let head = mb.block();
    let body = mb.block();
    let failed = mb.block();
    let ok = mb.block();
    let next = mb.block();
    let exit = mb.block();
    mb.assign(entry, i, Rvalue::Use(i64c(-2)));
    mb.term(entry, Terminator::Goto(head));
    let c = mb.bin(head, MTy::I8, BinOp::SLt, l(i), l(n));
    mb.term(head, Terminator::Branch(l(c), body, exit));
    mb.stmt(
        body,
        Stmt::Call(vec![e, v], Callee::Func(FuncIdx(0)), vec![i64c(0), l(i)]),
    );
    let ce = mb.bin(body, MTy::I8, BinOp::Ne, l(e), i64c(0));
    mb.term(body, Terminator::Branch(l(ce), failed, ok));
    mb.assign(failed, errs, Rvalue::Bin(BinOp::Add, l(errs), l(e)));
    mb.term(failed, Terminator::Goto(next));
    mb.assign(ok, s, Rvalue::Bin(BinOp::Add, l(s), l(v)));
    mb.term(ok, Terminator::Goto(next));
    mb.stmt(
        next,
        Stmt::Call(vec![e2], Callee::Func(FuncIdx(0)), vec![i64c(0), i64c(5)]),
    );
    mb.assign(next, s, Rvalue::Bin(BinOp::Add, l(s), l(e2)));
    mb.assign(next, i, Rvalue::Bin(BinOp::Add, l(i), i64c(1)));
    mb.term(next, Terminator::Goto(head));
    let r = mb.bin(exit, MTy::I64, BinOp::Mul, l(s), i64c(1000));
    let r = mb.bin(exit, MTy::I64, BinOp::Add, l(r), l(errs));
    mb.ret_ok(exit, l(r));

    let p = program(vec![cb.f, mb.f], vec![]);
    let model = |n: i64| {
        let (mut s, mut errs) = (0i64, 0i64);
        for i in -2..n {
            if i < 0 {
                errs += 7;
            } else if i == 0 {
                s += 100;
            } else {
                s += i;
            }
        }
        s * 1000 + errs
    };
    for j in both_ways(&p, &[]) {
        for n in [-5, 0, 1, 2, 10] {
            assert_eq!(call1::<i64, i64>(&j, 1, n).val, model(n), "n = {n}");
        }
        assert_eq!(call1::<i64, i64>(&j, 0, -1), Ret { err: 7, val: 0 });
        assert_eq!(call1::<i64, i64>(&j, 0, 9), Ret { err: 0, val: 9 });
    }
}

/// Join blocks copied into their predecessors (tail duplication), chains of
/// gotos, and a tiny block that loops to itself.
#[test]
fn tail_duplication_shapes() {
    // f(x): bb0: if x > 0 goto bb1 else bb2
    //       bb1: e = 0; v = x; goto bb3       bb2: e = 5; v = 0; goto bb3
    //       bb3: c = e != 0; br c bb4 bb5     bb4: return e, 0   bb5: return 0, v
    let (mut fb, ps) = Fb::new("join", &[MTy::I64], MTy::I64);
    let x = ps[1];
    let (e, v) = (fb.local(MTy::I64), fb.local(MTy::I64));
    let bbs: Vec<BlockId> = (0..6).map(|_| fb.block()).collect();
    let c0 = fb.bin(bbs[0], MTy::I8, BinOp::SGt, l(x), i64c(0));
    fb.term(bbs[0], Terminator::Branch(l(c0), bbs[1], bbs[2]));
    fb.assign(bbs[1], e, Rvalue::Use(i64c(0)));
    fb.assign(bbs[1], v, Rvalue::Use(l(x)));
    fb.term(bbs[1], Terminator::Goto(bbs[3]));
    fb.assign(bbs[2], e, Rvalue::Use(i64c(5)));
    fb.assign(bbs[2], v, Rvalue::Use(i64c(0)));
    fb.term(bbs[2], Terminator::Goto(bbs[3]));
    let c = fb.bin(bbs[3], MTy::I8, BinOp::Ne, l(e), i64c(0));
    fb.term(bbs[3], Terminator::Branch(l(c), bbs[4], bbs[5]));
    fb.term(bbs[4], Terminator::Return(l(e), i64c(0)));
    fb.term(bbs[5], Terminator::Return(i64c(0), l(v)));

    // g(n): counts down in a tiny self-looping block reached by a goto chain.
    let (mut gb, gs) = Fb::new("spin", &[MTy::I64], MTy::I64);
    let n = gs[1];
    let k = gb.local(MTy::I64);
    let g0 = gb.block();
    let g1 = gb.block();
    let g2 = gb.block();
    let g3 = gb.block();
    gb.term(g0, Terminator::Goto(g1));
    gb.term(g1, Terminator::Goto(g2));
    gb.assign(g2, n, Rvalue::Bin(BinOp::Sub, l(n), i64c(1)));
    gb.assign(g2, k, Rvalue::Bin(BinOp::Add, l(k), i64c(3)));
    let c = gb.bin(g2, MTy::I8, BinOp::SGt, l(n), i64c(0));
    gb.term(g2, Terminator::Branch(l(c), g2, g3));
    gb.ret_ok(g3, l(k));

    let j = jit(&program(vec![fb.f, gb.f], vec![]));
    assert_eq!(call1::<i64, i64>(&j, 0, 42), Ret { err: 0, val: 42 });
    assert_eq!(call1::<i64, i64>(&j, 0, -1), Ret { err: 5, val: 0 });
    assert_eq!(call1::<i64, i64>(&j, 1, 4).val, 12);
    assert_eq!(call1::<i64, i64>(&j, 1, 0).val, 3);
}

// ---- data relocations and runtime-called functions (coroutines) ------------

/// A read-only table holding the addresses of two functions and of a string
/// (how a task vtable is emitted), and functions with the native
/// conventions the runtime calls (`resume: fn(i64) -> i32`, `drop: fn(i64)`).
#[test]
fn data_relocations_and_native_functions() {
    let mut seven = Fb::new("seven", &[], MTy::I32).0;
    seven.f.conv = CallConv::Native;
    seven.f.locals.clear();
    let x = seven.local(MTy::I64);
    seven.f.params = vec![x];
    let b = seven.block();
    let n = seven.local(MTy::I32);
    seven.assign(b, n, Rvalue::Cast(CastOp::Trunc, l(x)));
    let r = seven.bin(b, MTy::I32, BinOp::Add, l(n), Operand::Int(7, MTy::I32));
    seven.term(b, Terminator::Return(i64c(0), l(r)));

    let mut sink = Fb::new("sink", &[], MTy::I8).0;
    sink.f.conv = CallConv::NativeVoid;
    sink.f.locals.clear();
    let p = sink.local(MTy::I64);
    sink.f.params = vec![p];
    let b = sink.block();
    sink.stmt(b, Stmt::Store(l(p), 0, Operand::Int(99, MTy::I64)));
    sink.term(b, Terminator::Return(i64c(0), Operand::Int(0, MTy::I8)));

    // `entry(k)`: the k-th word of the table.
    let (mut entry, ps) = Fb::new("entry", &[MTy::I64], MTy::I64);
    let b = entry.block();
    let off = entry.bin(b, MTy::I64, BinOp::Mul, l(ps[1]), i64c(8));
    let addr = entry.bin(
        b,
        MTy::I64,
        BinOp::Add,
        Operand::DataAddr(DataId(1)),
        l(off),
    );
    let v = entry.local(MTy::I64);
    entry.assign(b, v, Rvalue::Load(MTy::I64, l(addr), 0));
    entry.ret_ok(b, l(v));

    let name = Data {
        name: "name".into(),
        bytes: b"coro\0".to_vec(),
        align: 1,
        writable: false,
        relocs: vec![],
    };
    let table = Data {
        name: "table".into(),
        bytes: vec![0; 24],
        align: 8,
        writable: false,
        relocs: vec![
            (0, Operand::FuncAddr(FuncIdx(0))),
            (8, Operand::FuncAddr(FuncIdx(1))),
            (16, Operand::DataAddr(DataId(0))),
        ],
    };
    let mut prog = program(vec![seven.f, sink.f, entry.f], vec![name, table]);
    prog.init = FuncIdx(2);
    prog.main = FuncIdx(2);
    let j = jit(&prog);
    let w0 = call1::<i64, i64>(&j, 2, 0).val;
    let w1 = call1::<i64, i64>(&j, 2, 1).val;
    let w2 = call1::<i64, i64>(&j, 2, 2).val;
    assert_eq!(w0 as *const u8, fptr(&j, 0));
    assert_eq!(w1 as *const u8, fptr(&j, 1));
    // SAFETY: the table's entries are a `fn(i64) -> i32`, a `fn(i64)` and a
    // NUL-terminated string, as built above.
    unsafe {
        let f: extern "C" fn(i64) -> i32 = std::mem::transmute(w0 as *const u8);
        assert_eq!(f(5), 12);
        let g: extern "C" fn(i64) = std::mem::transmute(w1 as *const u8);
        let mut slot = 0i64;
        g(&mut slot as *mut i64 as i64);
        assert_eq!(slot, 99);
        let s = std::ffi::CStr::from_ptr(w2 as *const std::ffi::c_char);
        assert_eq!(s.to_str().unwrap(), "coro");
    }
}

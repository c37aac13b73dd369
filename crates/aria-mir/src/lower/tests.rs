//! Lowering tests: programs from source text (parser + sema + lowering),
//! checked with `validate` and by the shape of the MIR they produce.

use crate::mir::*;
use crate::validate::validate;
use aria_syntax::Severity;
use std::path::{Path, PathBuf};

fn check(src: &str) -> Result<aria_sema::tast::Program, String> {
    let (ast, diags) = aria_syntax::parse(src.as_bytes());
    let errs: Vec<_> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    if !errs.is_empty() {
        return Err(format!("parse errors: {errs:?}"));
    }
    let (prog, diags) = aria_sema::check_source(&ast, src.as_bytes());
    prog.ok_or_else(|| format!("sema errors: {diags:?}"))
}

/// Lowers and validates `src`; panics on any error.
fn lower_ok(src: &str) -> Program {
    let tast = check(src).unwrap();
    let p = super::lower(&tast, "t.aria", src).unwrap_or_else(|e| panic!("lowering: {e}"));
    if let Err(e) = validate(&p) {
        panic!("invalid MIR: {e}\n{p}");
    }
    p
}

fn func<'p>(p: &'p Program, name: &str) -> &'p Function {
    p.funcs
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no function {name}"))
}

fn runtime_calls(f: &Function) -> Vec<&str> {
    f.blocks
        .iter()
        .flat_map(|b| &b.stmts)
        .filter_map(|s| match s {
            Stmt::Call(_, Callee::Runtime(n, _), _) => Some(*n),
            _ => None,
        })
        .collect()
}

fn count(f: &Function, name: &str) -> usize {
    runtime_calls(f).iter().filter(|n| **n == name).count()
}

fn has_int(f: &Function, v: i64) -> bool {
    let text = format!("{:?}", f.blocks);
    text.contains(&format!("Int({v}, I64)"))
}

fn data_strings(p: &Program) -> Vec<String> {
    p.data
        .iter()
        .map(|d| String::from_utf8_lossy(&d.bytes).into_owned())
        .collect()
}

// ---- the conformance corpus ---------------------------------------------

fn aria_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            aria_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "aria") {
            out.push(p);
        }
    }
}

/// Every conformance program that sema accepts lowers to valid MIR, or is
/// refused only for features not implemented yet (channels, TCP, files).
#[test]
fn corpus_lowers_to_valid_mir() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/programs");
    let mut files = Vec::new();
    aria_files(&root, &mut files);
    files.sort();
    let (mut lowered, mut deferred, mut failures) = (0, 0, Vec::new());
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        let Ok(tast) = check(&src) else {
            continue;
        };
        match super::lower(&tast, "t.aria", &src) {
            Ok(p) => match validate(&p) {
                Ok(()) => lowered += 1,
                Err(e) => failures.push(format!("{}: invalid MIR: {e}", f.display())),
            },
            Err(e) if e.contains("not supported yet") => deferred += 1,
            Err(e) => failures.push(format!("{}: {e}", f.display())),
        }
    }
    eprintln!("corpus: {lowered} lowered, {deferred} need unimplemented built-ins");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---- shapes -------------------------------------------------------------

#[test]
fn hello_prints_an_immortal_literal() {
    let p = lower_ok(r#"func:main = int32() { println("Hello, Aria!"); pass(0); };"#);
    let main = func(&p, "aria.main");
    assert_eq!(count(main, "aria_print"), 1);
    assert_eq!(count(main, "aria_retain") + count(main, "aria_release"), 0);
    let lit = p
        .data
        .iter()
        .find(|d| d.bytes.ends_with(b"Hello, Aria!"))
        .unwrap();
    assert_eq!(&lit.bytes[0..8], &(-1i64).to_le_bytes());
    assert_eq!(&lit.bytes[8..12], &1u32.to_le_bytes());
    assert_eq!(&lit.bytes[16..24], &12i64.to_le_bytes());
    assert_eq!(p.main_kind, 1);
    assert_eq!(p.funcs[p.main.0 as usize].name, "__aria_main");
    assert!(p.data[p.file.0 as usize].bytes == b"t.aria\0");
}

#[test]
fn division_checks_zero_and_locates_the_panic() {
    let src = "func:f = int32(int32:a, int32:b) {\n    pass(a / b);\n};\n\
               func:main = int32() { pass(f(1, 1)); };";
    let p = lower_ok(src);
    let f = func(&p, "aria.f");
    assert_eq!(count(f, "aria_panic_raise"), 1);
    assert!(has_int(f, -101));
    assert!(count(f, "aria_panic_locate") >= 1);
    assert!(data_strings(&p).iter().any(|s| s == "t.aria:2:10 in f\0"));
    assert!(data_strings(&p)
        .iter()
        .any(|s| s.ends_with("division by zero")));
}

#[test]
fn calls_check_err_then_panicking() {
    let p = lower_ok(
        "func:g = int32() { pass(1); };\n\
         func:main = int32() { int32:x = g(); pass(x); };",
    );
    let main = func(&p, "aria.main");
    assert_eq!(count(main, "aria_panicking"), 1);
    assert_eq!(count(main, "aria_panic_unwrap"), 1);
    let name = p
        .data
        .iter()
        .any(|d| d.bytes.ends_with(b"g") && d.bytes.len() == 25);
    assert!(name, "unwrap names the callee with a string object");
}

#[test]
fn propagation_returns_the_code() {
    let p = lower_ok(
        "func:g = int32() { fail(3); };\n\
         func:h = int32() { int32:x = g()?; pass(x + 1); };\n\
         func:main = int32() { pass(h() ? 0); };",
    );
    let h = func(&p, "aria.h");
    assert_eq!(count(h, "aria_panic_unwrap"), 0);
    let returns: Vec<_> = h
        .blocks
        .iter()
        .filter(|b| matches!(b.term, Terminator::Return(..)))
        .collect();
    assert!(returns.len() >= 2);
    let g = func(&p, "aria.g");
    // A constant non-zero code needs no run-time zero check.
    assert_eq!(count(g, "aria_panic_raise"), 0);
}

#[test]
fn managed_locals_are_released() {
    let p = lower_ok(
        r#"func:main = int32() {
            string:a = "a";
            string:s = a + "b";
            int32[]:xs = [1, 2];
            println(s);
            pass(0);
        };"#,
    );
    let main = func(&p, "aria.main");
    assert_eq!(count(main, "aria_str_concat"), 1);
    assert_eq!(count(main, "aria_array_new"), 1);
    assert!(count(main, "aria_release") >= 2);
}

#[test]
fn struct_copy_is_copy_on_write() {
    let p = lower_ok(
        r#"struct:Point { int32:x, int32:y };
        func:main = int32() {
            Point:p = Point{x: 3, y: -4};
            Point:q = p;
            q.x = 10;
            println(p.x);
            pass(0);
        };"#,
    );
    let main = func(&p, "aria.main");
    assert_eq!(count(main, "aria_struct_new"), 1);
    assert_eq!(count(main, "aria_struct_unique"), 1);
    assert!(count(main, "aria_retain") >= 1, "the copy retains");
}

#[test]
fn nested_writes_unique_every_value_container() {
    let p = lower_ok(
        r#"struct:P { int32:x, int32:y };
        struct:Line { P:from, P:to };
        func:main = int32() {
            Line:l = Line{};
            l.from.y = 3;
            P[]:pts = [P{x: 1}];
            pts[0].x = 5;
            int32[3][4]:grid;
            grid[1][2] = 7;
            pass(0);
        };"#,
    );
    let main = func(&p, "aria.main");
    // l and l.from; pts[0] (the dynamic array itself is not uniqued).
    assert_eq!(count(main, "aria_struct_unique"), 3);
    // grid and grid[1].
    assert_eq!(count(main, "aria_array_unique"), 2);
}

#[test]
fn closures_capture_cells() {
    let p = lower_ok(
        r#"func:make_counter = func<int32()>() {
            int32:count = 0;
            func:next = int32() { count = count + 1; pass(count); };
            pass(next);
        };
        func:main = int32() {
            func<int32()>:c = make_counter();
            println(c());
            pass(0);
        };"#,
    );
    let mk = func(&p, "aria.make_counter");
    assert_eq!(count(mk, "aria_cell_new"), 1);
    assert_eq!(count(mk, "aria_closure_new"), 1);
    let lambda = p
        .funcs
        .iter()
        .find(|f| f.name.starts_with("aria.next."))
        .unwrap();
    // Loads its capture from env + 40 and retains the cell.
    let text = format!("{:?}", lambda.blocks[0]);
    assert!(text.contains("Load(I64, Local(Local(0)), 40)"), "{text}");
    let main = func(&p, "aria.main");
    let indirect = main
        .blocks
        .iter()
        .flat_map(|b| &b.stmts)
        .any(|s| matches!(s, Stmt::Call(_, Callee::Indirect(..), _)));
    assert!(indirect);
    assert!(has_int(main, -105), "null closure check");
}

#[test]
fn defers_run_on_every_exit() {
    let p = lower_ok(
        r#"func:f = int32(int32:x) {
            defer { println("d"); }
            if (x > 0) { pass(1); }
            if (x < 0) { fail(2); }
            pass(0);
        };
        func:main = int32() { pass(f(1) ? 0); };"#,
    );
    let f = func(&p, "aria.f");
    // The shared exit block runs the defer for pass and fail alike; the
    // unwinding path (no call here can panic) is absent.
    assert_eq!(count(f, "aria_print"), 1);
}

#[test]
fn defer_in_loop_runs_per_iteration_and_on_break() {
    let p = lower_ok(
        r#"func:main = int32() {
            for (int32:i = 0; i < 10; i++) {
                defer { print(`d&{i}.`); }
                if (i == 1) { continue; }
                if (i == 3) { break; }
            }
            pass(0);
        };"#,
    );
    let main = func(&p, "aria.main");
    // Normal end, continue, break.
    assert_eq!(count(main, "aria_print"), 3);
}

#[test]
fn till_checks_its_step() {
    let p = lower_ok(
        r#"func:main = int32() {
            int64:step = -3;
            till(10, step) { print(`(&{$})`); }
            till(4, 1) { print(`(&{$})`); }
            pass(0);
        };"#,
    );
    let main = func(&p, "aria.main");
    // Only the variable step needs the run-time check.
    assert_eq!(count(main, "aria_panic_raise"), 1);
    assert!(has_int(main, -106));
    assert!(data_strings(&p)
        .iter()
        .any(|s| s.ends_with("till step is zero")));
}

#[test]
fn tbb_arithmetic_is_inline() {
    let p = lower_ok(
        r#"func:main = int32() {
            tbb8:t = 100;
            tbb8:over = t + 50;
            println(over);
            pass(0);
        };"#,
    );
    let main = func(&p, "aria.main");
    assert_eq!(count(main, "aria_fmt_tbb"), 1);
    let text = format!("{:?}", main.blocks);
    assert!(text.contains("Int(-128, I8)"), "ERR sentinel of tbb8");
}

#[test]
fn pick_with_fall_and_strings() {
    let p = lower_ok(
        r#"func:classify = string(int32:n) {
            string:label = "";
            pick (n) {
                (0) { label = "zero"; },
                (1..9) { label = "digit"; fall(loud); },
                (<0) { label = "negative"; },
                (*) { label = "other"; },
                loud:(!) { label = label + "!"; }
            }
            pass(label);
        };
        func:s = int32(string:x) {
            pick (x) { ("a", "b") { pass(1); }, (*) { pass(2); } }
        };
        func:main = int32() { println(classify(3)); pass(s("a")); };"#,
    );
    let s = func(&p, "aria.s");
    assert_eq!(count(s, "aria_str_eq"), 2);
}

#[test]
fn when_then_end() {
    lower_ok(
        r#"func:main = int32() {
            int32:k = 0;
            when (k < 3) { k++; } then { println(`then: k=&{k}`); } end { println("end"); }
            pass(0);
        };"#,
    );
}

#[test]
fn results_as_values() {
    let p = lower_ok(
        r#"func:divide = int32(int32:a, int32:b) {
            if (b == 0) { fail(22); }
            pass(a / b);
        };
        func:main = int32() {
            result:r = divide(7, 0);
            println(`err=&{r.err} val=&{r.val}`);
            println(`default: &{divide(1, 0) ? -1}`);
            pass(0);
        };"#,
    );
    let main = func(&p, "aria.main");
    // `r.val` of a failure is read as stored; `?` evaluates the default
    // only on failure.
    assert_eq!(count(main, "aria_fmt_int"), 3);
    assert_eq!(count(main, "aria_panic_unwrap"), 0);
}

#[test]
fn exit_and_nil_main() {
    let p = lower_ok("func:main = NIL() { exit(3); };");
    assert_eq!(p.main_kind, 0);
    let main = func(&p, "aria.main");
    assert_eq!(count(main, "aria_exit"), 1);
    assert!(main
        .blocks
        .iter()
        .any(|b| b.term == Terminator::Unreachable));
}

#[test]
fn globals_are_data_slots() {
    let p = lower_ok(
        r#"int32:counter = 5;
        string:name = "x";
        func:main = int32() { counter = counter + 1; println(name); pass(counter); };"#,
    );
    let globals: Vec<_> = p.data.iter().filter(|d| d.writable).collect();
    assert_eq!(globals.len(), 2);
    let init = &p.funcs[p.init.0 as usize];
    let stores = init
        .blocks
        .iter()
        .flat_map(|b| &b.stmts)
        .filter(|s| matches!(s, Stmt::Store(Operand::DataAddr(_), 0, _)))
        .count();
    assert!(stores >= 2);
}

// ---- async: lowering and the coroutine transform -------------------------

/// The suspension blocks of a resume function: those returning pending.
fn suspend_blocks(f: &Function) -> Vec<&Block> {
    f.blocks
        .iter()
        .filter(|b| matches!(b.term, Terminator::Return(_, Operand::Int(0, MTy::I32))))
        .collect()
}

/// The names of the locals a block stores into the frame.
fn saved_names<'f>(f: &'f Function, b: &Block) -> Vec<&'f str> {
    b.stmts
        .iter()
        .filter_map(|s| match s {
            Stmt::Store(_, _, Operand::Local(l)) => f.locals[l.0 as usize].name.as_deref(),
            _ => None,
        })
        .collect()
}

#[test]
fn async_function_becomes_ramp_resume_and_drop() {
    let p = lower_ok(
        "async func:f = int32(int32:x, string:s) {\n\
             await yield_now();\n\
             pass(x + s.length => int32);\n\
         };\n\
         func:main = int32() { pass(f(1, \"ab\").await()); };",
    );
    let ramp = func(&p, "aria.f");
    assert_eq!(ramp.conv, CallConv::Aria);
    assert_eq!(ramp.ret, MTy::I64, "the ramp returns the task");
    assert_eq!(ramp.params.len(), 3, "env, x, s");
    assert_eq!(
        runtime_calls(ramp),
        ["aria_task_new", "aria_task_spawn"],
        "a top-level function's ramp does not retain env"
    );
    let resume = func(&p, "aria.f$resume");
    assert_eq!(
        (resume.conv, resume.ret, resume.params.len()),
        (CallConv::Native, MTy::I32, 1)
    );
    assert!(matches!(resume.blocks[0].term, Terminator::Switch(..)));
    for name in ["aria_task_await", "aria_task_cancelled", "aria_task_result"] {
        assert_eq!(count(resume, name), 1, "{name}");
    }
    assert_eq!(
        count(resume, "aria_task_pin"),
        0,
        "no wild values: never pinned"
    );
    let drop = func(&p, "aria.f$drop");
    assert_eq!(drop.conv, CallConv::NativeVoid);
    assert_eq!(count(drop, "aria_release"), 1, "only `s` is owned");
    assert!(p.funcs.iter().all(|f| f.coroutine.is_none()));
    // The vtable: resume, drop and name relocated; frame size and flags inline.
    let vt = p
        .data
        .iter()
        .find(|d| d.name.starts_with("task.vtable.f"))
        .unwrap();
    assert_eq!(vt.bytes.len(), crate::coroutine::VTABLE_SIZE);
    assert_eq!(vt.relocs.len(), 3);
    let frame = i64::from_le_bytes(vt.bytes[16..24].try_into().unwrap());
    assert!((16..=64).contains(&frame), "frame of {frame} bytes");
    assert_eq!(&vt.bytes[32..40], &[0; 8], "int32 result is not managed");
}

#[test]
fn only_locals_live_across_an_await_are_saved() {
    let p = lower_ok(
        "async func:f = int64(int64:p) {\n\
             int64:dead = p * 2;\n\
             println(dead);\n\
             int64:kept = p + 1;\n\
             await yield_now();\n\
             int64:after = kept * 3;\n\
             pass(after);\n\
         };\n\
         async func:main = int32() { println(await f(1)); pass(0); };",
    );
    let resume = func(&p, "aria.f$resume");
    let sus = suspend_blocks(resume);
    assert_eq!(sus.len(), 1);
    let saved = saved_names(resume, sus[0]);
    assert!(saved.contains(&"kept"), "{saved:?}");
    assert!(
        !saved.contains(&"dead") && !saved.contains(&"after"),
        "{saved:?}"
    );
    assert!(
        !saved.contains(&"p"),
        "p is dead after the await: {saved:?}"
    );
    assert!(p.main_async);
    assert_eq!(
        func(&p, "aria.main").ret,
        MTy::I64,
        "async main is run through its ramp"
    );
    assert!(p.funcs.iter().all(|f| f.name != "__aria_main"));
}

#[test]
fn wild_values_pin_the_task() {
    let p = lower_ok(
        "async func:w = int64() {\n\
             wild int64@:p = alloc<int64>(1);\n\
             await yield_now();\n\
             int64:v = p[0];\n\
             free(p);\n\
             pass(v);\n\
         };\n\
         func:main = int32() { pass(w().await() => int32); };",
    );
    assert_eq!(count(func(&p, "aria.w$resume"), "aria_task_pin"), 1);
}

#[test]
fn await_cancels_only_tasks_it_created() {
    let src = "async func:c = int32() { await sleep(5); pass(1); };\n\
               async func:f = int32(Task<int32>:t) {\n\
                   int32:a = await c();\n\
                   int32:b = await t;\n\
                   pass(a + b);\n\
               };\n\
               func:main = int32() { pass(f(c()).await()); };";
    let tast = check(src).unwrap();
    let p = super::lower_bodies(&tast, "t.aria", src).unwrap();
    validate(&p).unwrap();
    let f = func(&p, "aria.f");
    let awaits: Vec<&Terminator> = f
        .blocks
        .iter()
        .map(|b| &b.term)
        .filter(|t| matches!(t, Terminator::Await { .. }))
        .collect();
    assert_eq!(awaits.len(), 2);
    let cancels: Vec<usize> = awaits
        .iter()
        .map(|t| match t {
            Terminator::Await { cancel, .. } => {
                count_in(&f.blocks[cancel.0 as usize], "aria_task_cancel")
            }
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(cancels, [1, 0], "`await c()` spreads, `await t` does not");
    assert!(f.coroutine.is_some());
}

fn count_in(b: &Block, name: &str) -> usize {
    runtime_calls_in(b).iter().filter(|n| **n == name).count()
}

#[test]
fn async_lambda_ramp_retains_its_closure() {
    let p = lower_ok(
        "async func:main = int32() {\n\
             int32:k = 2;\n\
             func:g = async int32(int32:x) { await yield_now(); pass(x * k); };\n\
             println(await g(21));\n\
             pass(0);\n\
         };",
    );
    let ramp = p
        .funcs
        .iter()
        .find(|f| f.name.starts_with("aria.g.") && !f.name.contains('$'))
        .unwrap();
    assert_eq!(
        runtime_calls(ramp),
        ["aria_task_new", "aria_retain", "aria_task_spawn"]
    );
    let drop = p
        .funcs
        .iter()
        .find(|f| f.name.ends_with("$drop") && f.name.starts_with("aria.g."))
        .unwrap();
    assert_eq!(count(drop, "aria_release"), 1, "the closure");
}

#[test]
fn display_is_readable() {
    let p = lower_ok("func:main = int32() { pass(1 + 2); };");
    let text = p.to_string();
    assert!(text.contains("fn aria.main(_0: i64) -> i32 {"), "{text}");
    assert!(text.contains("fn __aria_main("), "{text}");
    assert!(text.contains("return "), "{text}");
}

#[test]
fn for_variable_gets_a_fresh_cell_per_iteration() {
    let p = lower_ok(
        r#"func:main = int32() {
            func<int32()>[]:fs = [];
            for (int32:i = 0; i < 3; i++) { fs.push(int32() { pass(i); }); }
            pass(fs[2]());
        };"#,
    );
    let main = func(&p, "aria.main");
    // One cell at the declaration, one per iteration before `update`.
    assert_eq!(count(main, "aria_cell_new"), 2);
}

#[test]
fn wild_memory_is_raw() {
    let p = lower_ok(
        r#"struct:V { int32:x, flt64:w };
        func:main = int32() {
            wild V@:p = alloc<V>(3);
            p[1].x = 5;
            p->w = 2.5;
            int32:y = p[1].x;
            free(p);
            pass(y);
        };"#,
    );
    let main = func(&p, "aria.main");
    assert_eq!(count(main, "aria_alloc"), 1);
    assert_eq!(count(main, "aria_free"), 1);
    assert_eq!(
        count(main, "aria_struct_new"),
        0,
        "fields are read in place"
    );
    let text = format!("{:?}", main.blocks);
    assert!(
        text.contains("Int(16, I64)"),
        "struct elements are 8 bytes per field"
    );
}

#[test]
fn exits_share_their_cleanup_code() {
    let p = lower_ok(
        r#"func:g = int32(int32:x) { pass(x); };
        func:f = int32() {
            defer { println("bye"); }
            int32:a = g(1);
            int32:b = g(2);
            int32:c = g(3);
            if (a > b) { pass(a); }
            pass(a + b + c);
        };
        func:main = int32() { pass(f()); };"#,
    );
    let f = func(&p, "aria.f");
    // Once for leaving, once for unwinding, however many calls and passes.
    assert_eq!(count(f, "aria_print"), 2);
}

#[test]
fn unwinding_releases_live_temporaries() {
    let p = lower_ok(
        r#"func:g = int32() { pass(1); };
        func:h = string(string:a, int32:b) { pass(a); };
        func:main = int32() {
            string:s = "x";
            println(h(s + "y", g()));
            pass(0);
        };"#,
    );
    let main = func(&p, "aria.main");
    let unwind_blocks: Vec<&Block> = main
        .blocks
        .iter()
        .filter(|b| runtime_calls_in(b).contains(&"aria_panic_suspend"))
        .collect();
    // The concatenation is pending while `g()` runs: its unwinding path
    // releases it and `s`; another one (after `h`) releases only `s`.
    let releases: Vec<usize> = unwind_blocks
        .iter()
        .map(|b| {
            runtime_calls_in(b)
                .iter()
                .filter(|n| **n == "aria_release")
                .count()
        })
        .collect();
    assert!(releases.contains(&2), "{releases:?}");
}

fn runtime_calls_in(b: &Block) -> Vec<&str> {
    b.stmts
        .iter()
        .filter_map(|s| match s {
            Stmt::Call(_, Callee::Runtime(n, _), _) => Some(*n),
            _ => None,
        })
        .collect()
}

#[test]
fn validate_rejects_ill_typed_mir() {
    let mut p = lower_ok("func:main = int32() { pass(1); };");
    let main = p.funcs.iter_mut().find(|f| f.name == "aria.main").unwrap();
    main.blocks[0].term = Terminator::Return(Operand::Int(0, MTy::I64), Operand::Int(1, MTy::I8));
    let e = validate(&p).unwrap_err();
    assert!(e.contains("returned val"), "{e}");
    let mut p = lower_ok("func:main = int32() { pass(1); };");
    p.funcs[0].blocks[0].stmts.push(Stmt::Call(
        vec![],
        Callee::Runtime("aria_print", vec![]),
        vec![Operand::Int(0, MTy::I64)],
    ));
    let e = validate(&p).unwrap_err();
    assert!(e.contains("arguments"), "{e}");
}

/// Callees (`Callee::Func`) called by `f`, by name.
fn funcs_called<'p>(p: &'p Program, f: &Function) -> Vec<&'p str> {
    f.blocks
        .iter()
        .flat_map(|b| &b.stmts)
        .filter_map(|s| match s {
            Stmt::Call(_, Callee::Func(g), _) => Some(p.funcs[g.0 as usize].name.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn direct_await_creates_the_task_without_spawning_and_starts_it_inline() {
    let p = lower_ok(
        "async func:c = int32(string:s) { await sleep(5); pass(s.length => int32); };\n\
         async func:f = int32(Task<int32>:t) {\n\
             int32:a = await c(\"ab\");\n\
             int32:b = await t;\n\
             Task<int32>:u = c(\"x\");\n\
             int32:d = await (async int32() { pass(4); })();\n\
             pass(a + b + await u + d);\n\
         };\n\
         func:main = int32() { pass(f(c(\"abc\")).await()); };",
    );
    let f = func(&p, "aria.f$resume");
    assert_eq!(
        count(f, "aria_task_start_inline"),
        2,
        "`await c(..)` and the lambda"
    );
    let called = funcs_called(&p, f);
    assert_eq!(
        called
            .iter()
            .filter(|n| n.ends_with("$ramp_nospawn"))
            .count(),
        2
    );
    assert!(called.contains(&"aria.c$ramp_nospawn"));
    assert!(
        called.contains(&"aria.c"),
        "`c(\"x\")` stored: the spawning ramp"
    );
    // The no-spawn ramp is the ramp without `aria_task_spawn`.
    let ramp = func(&p, "aria.c");
    let nospawn = func(&p, "aria.c$ramp_nospawn");
    assert_eq!(count(ramp, "aria_task_spawn"), 1);
    assert_eq!(count(nospawn, "aria_task_spawn"), 0);
    assert_eq!(count(nospawn, "aria_task_new"), 1);
    assert_eq!(nospawn.params.len(), ramp.params.len());
    // `main` awaits nothing directly (sync code): no inline start.
    assert_eq!(count(func(&p, "aria.main"), "aria_task_start_inline"), 0);
}

//! Object files for `aria build`: the same declarations, translation and
//! compilation as the JIT (`program.rs`, generic over the Cranelift
//! `Module`), into a relocatable object that a system linker joins with the
//! runtime's static library (`libaria_rt.a`).
//!
//! Differences from the JIT:
//! - the code is position-independent (`is_pic`), as executables are PIE;
//! - runtime functions are undefined symbols (`Linkage::Import`), resolved
//!   by the linker against `libaria_rt.a` instead of `JITBuilder::symbol`;
//! - the object defines the C entry `int main(int argc, char **argv)`, which
//!   passes the addresses of the program's initialiser and `main` wrapper,
//!   `main_kind` and the source file name to the runtime's `aria_main` (or
//!   `aria_main_async` for an `async func:main`) exactly as `aria run` does
//!   (docs/RUNTIME_ABI.md), so the executable needs nothing else;
//! - by default the code is generated for the baseline of the host's
//!   architecture (so an executable runs on any machine of that
//!   architecture); [`ObjectOptions::native_cpu`] uses every feature of this
//!   machine's CPU, as the JIT does.
//!
//! Aria functions are local symbols (their names all start with `aria.` or
//! `__aria`), so they cannot clash with anything the linker sees.

use std::collections::BTreeMap;

use aria_mir::mir::{MTy, Program};
use cranelift_codegen::ir::{types, InstBuilder};
use cranelift_codegen::settings;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{default_libcall_names, FuncId, Linkage, Module};
use cranelift_object::{ObjectBuilder, ObjectModule};

use crate::function::foreign_signature;
use crate::inline;
use crate::jit::flag_builder;
use crate::program::{collect_imports, declare, define_all, translate_all, Declared, Import};

/// The C entry point the object defines.
const C_MAIN: &str = "main";

/// Whether `main` ignores `SIGPIPE` first, as the Rust runtime does before
/// the `main` of any Rust program, `aria` included: a program whose stdout
/// is closed early (`prog | head`) then sees failed writes and ends as it
/// does under `aria run`, instead of being killed by the signal. `SIGPIPE`
/// is 13 and `SIG_IGN` is 1 on Linux and the BSDs, macOS included.
const IGNORE_SIGPIPE: bool = cfg!(unix);
const SIGPIPE: i64 = 13;
const SIG_IGN: i64 = 1;

/// How to generate an object file.
#[derive(Clone, Copy, Debug, Default)]
pub struct ObjectOptions {
    /// Use every instruction-set extension of this machine's CPU (like the
    /// JIT) instead of the architecture's baseline: faster code that may not
    /// run on an older CPU.
    pub native_cpu: bool,
}

/// Compiles `program` into a relocatable object file (ELF on Linux) that
/// defines `main` and imports the runtime functions; link it with
/// `libaria_rt.a` and the runtime's native libraries.
pub fn compile_object(program: &Program) -> Result<Vec<u8>, String> {
    compile_object_with(program, ObjectOptions::default())
}

/// [`compile_object`] with explicit options.
pub fn compile_object_with(program: &Program, opts: ObjectOptions) -> Result<Vec<u8>, String> {
    let entry = if program.main_async {
        "aria_main_async"
    } else {
        "aria_main"
    };
    let mut imports = collect_imports(program)?;
    // The runtime entry and libc's `signal` are imported like any runtime
    // function. `main` is reserved the same way (`declare` then never gives
    // that name to an Aria function) and turned into the exported
    // definition below.
    reserve(
        &mut imports,
        entry,
        &[MTy::I64, MTy::I64, MTy::I32, MTy::I64],
        &[],
    )?;
    reserve(&mut imports, C_MAIN, &[MTy::I32, MTy::I64], &[MTy::I32])?;
    if IGNORE_SIGPIPE {
        reserve(&mut imports, "signal", &[MTy::I32, MTy::I64], &[MTy::I64])?;
    }

    let mut module = new_object_module(opts)?;
    let decl = declare(&mut module, program, &imports)?;
    let inlined = inline::Params::from_env().and_then(|p| inline::inline_program(program, p));
    let bodies = inlined.as_deref().unwrap_or(&program.funcs);
    let funcs = translate_all(&mut module, program, bodies, &decl)?;
    define_all(&mut module, program, &decl, funcs)?;
    define_c_main(&mut module, program, &decl, entry)?;
    module
        .finish()
        .emit()
        .map_err(|e| format!("internal error: writing the object file: {e}"))
}

/// Adds `name` to the imports with the given C signature (an error if the
/// program already calls it with another one).
fn reserve(
    imports: &mut BTreeMap<&'static str, Import>,
    name: &'static str,
    args: &[MTy],
    rets: &[MTy],
) -> Result<(), String> {
    match imports.get(name) {
        Some(prev) if prev.args != args || prev.rets != rets => Err(format!(
            "internal error: `{name}` is called by `{}` with a signature \
             that is not the entry point's",
            prev.first_use
        )),
        Some(_) => Ok(()),
        None => {
            imports.insert(
                name,
                Import {
                    args: args.to_vec(),
                    rets: rets.to_vec(),
                    first_use: "the program entry".into(),
                },
            );
            Ok(())
        }
    }
}

fn new_object_module(opts: ObjectOptions) -> Result<ObjectModule, String> {
    let isa_builder = cranelift_native::builder_with_options(opts.native_cpu)
        .map_err(|e| format!("internal error: this host is not supported by Cranelift: {e}"))?;
    let isa = isa_builder
        .finish(settings::Flags::new(flag_builder(true)))
        .map_err(|e| format!("internal error: cannot configure Cranelift: {e}"))?;
    // No `.eh_frame` (`unwind_info`): nothing unwinds through Aria code
    // (panics propagate by return value), and cranelift-object 0.135 writes
    // its FDE addresses as absolute pointers, which in a PIE puts text
    // relocations (DT_TEXTREL) in the executable. Debuggers and `perf`
    // still walk the frame-pointer chain Cranelift maintains.
    let builder = ObjectBuilder::new(isa, "aria", default_libcall_names())
        .map_err(|e| format!("internal error: cannot create an object file: {e}"))?;
    Ok(ObjectModule::new(builder))
}

/// Defines `int main(int argc, char **argv)`: ignores `SIGPIPE` (see
/// [`IGNORE_SIGPIPE`]), then calls the runtime entry
/// `entry(init, main, main_kind, file)`, which never returns.
fn define_c_main(
    module: &mut ObjectModule,
    program: &Program,
    decl: &Declared,
    entry: &str,
) -> Result<FuncId, String> {
    let err = |what: &str, e: cranelift_module::ModuleError| {
        format!("internal error: {what} the entry point `{C_MAIN}`: {e}")
    };
    let sig = foreign_signature(&[MTy::I32, MTy::I64], &[MTy::I32]);
    // `declare` declared it as an import; re-declaring it exported turns
    // the symbol into a global definition.
    let id = module
        .declare_function(C_MAIN, Linkage::Export, &sig)
        .map_err(|e| err("declaring", e))?;
    let func = |i: u32| -> Result<FuncId, String> {
        decl.funcs
            .get(i as usize)
            .copied()
            .ok_or_else(|| format!("internal error: function #{i} does not exist"))
    };
    let (init, main) = (func(program.init.0)?, func(program.main.0)?);
    let file = *decl
        .data
        .get(program.file.0 as usize)
        .ok_or_else(|| "internal error: the file name data does not exist".to_string())?;
    let rt_entry = *decl
        .imports
        .get(entry)
        .ok_or_else(|| format!("internal error: `{entry}` was not declared"))?;

    let mut ctx = module.make_context();
    ctx.func.signature = sig;
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
    let block = b.create_block();
    b.append_block_params_for_function_params(block);
    b.switch_to_block(block);
    b.seal_block(block);
    let ptr = module.target_config().pointer_type();
    let init_ref = module.declare_func_in_func(init, b.func);
    let main_ref = module.declare_func_in_func(main, b.func);
    let file_gv = module.declare_data_in_func(file, b.func);
    let entry_ref = module.declare_func_in_func(rt_entry, b.func);
    if IGNORE_SIGPIPE {
        let signal = *decl
            .imports
            .get("signal")
            .ok_or_else(|| "internal error: `signal` was not declared".to_string())?;
        let signal_ref = module.declare_func_in_func(signal, b.func);
        let sig = b.ins().iconst(types::I32, SIGPIPE);
        let ign = b.ins().iconst(types::I64, SIG_IGN);
        b.ins().call(signal_ref, &[sig, ign]);
    }
    let init_addr = b.ins().func_addr(ptr, init_ref);
    let main_addr = b.ins().func_addr(ptr, main_ref);
    let kind = b.ins().iconst(types::I32, i64::from(program.main_kind));
    let file_addr = b.ins().symbol_value(ptr, file_gv);
    b.ins()
        .call(entry_ref, &[init_addr, main_addr, kind, file_addr]);
    // `aria_main` exits the process; return 0 should it ever come back.
    let zero = b.ins().iconst(types::I32, 0);
    b.ins().return_(&[zero]);
    b.finalize(module.target_config());
    module
        .define_function(id, &mut ctx)
        .map_err(|e| err("compiling", e))?;
    Ok(id)
}

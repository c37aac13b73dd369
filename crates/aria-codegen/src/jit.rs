//! The JIT: compiles a whole MIR program into memory in one batch.

use std::collections::{BTreeMap, HashSet};

use aria_mir::mir::{FuncIdx, Program};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_jit::{ArenaMemoryProvider, JITBuilder, JITModule};
use cranelift_module::default_libcall_names;

use crate::inline;
use crate::program::{clif_text, collect_imports, declare, define_all, translate_all, Import};

/// Address space reserved for one program's code and data. Keeping
/// everything in one region lets calls and data references use 32-bit
/// PC-relative forms; pages are only committed as they are used.
const ARENA_SIZE: usize = 1 << 30;

/// A compiled program: its code stays mapped for the life of the process.
pub struct JitProgram {
    /// Owns the compiled code and data (never freed: the pointers below
    /// stay valid until exit).
    _module: JITModule,
    funcs: Vec<*const u8>,
    init: *const u8,
    main: *const u8,
    main_kind: i32,
    /// `main` is the ramp of an `async func:main` (run by `aria_main_async`).
    main_async: bool,
    file: *const u8,
}

impl JitProgram {
    /// The global initialiser, `fn(env) -> (i64, i8)`.
    pub fn init(&self) -> *const u8 {
        self.init
    }

    /// The main wrapper, `fn(env) -> (i64, i64)`.
    pub fn main(&self) -> *const u8 {
        self.main
    }

    /// 0: main returns NIL; 1: an integer.
    pub fn main_kind(&self) -> i32 {
        self.main_kind
    }

    /// The NUL-terminated source file name.
    pub fn file(&self) -> *const u8 {
        self.file
    }

    /// The entry address of any function of the program.
    pub fn function(&self, f: FuncIdx) -> Option<*const u8> {
        self.funcs.get(f.0 as usize).copied()
    }
}

/// Cranelift flags shared by every module we build.
pub(crate) fn flag_builder(pic: bool) -> settings::Builder {
    let mut fb = settings::builder();
    let set = |fb: &mut settings::Builder, k: &str, v: &str| {
        fb.set(k, v)
            .unwrap_or_else(|e| panic!("cranelift flag {k}={v}: {e}"))
    };
    set(&mut fb, "opt_level", "speed");
    set(&mut fb, "is_pic", if pic { "true" } else { "false" });
    set(&mut fb, "use_colocated_libcalls", "false");
    // Functions start on 32-byte boundaries (Cranelift's preferred x64
    // alignment; its minimum is 1, which let a function's speed depend on
    // whatever the linker happened to place before it).
    set(&mut fb, "log2_min_function_alignment", "5");
    // The translator checks every operand type itself; the verifier is a
    // second line of defence in debug builds.
    let verify = cfg!(debug_assertions) || std::env::var_os("ARIA_VERIFY_CLIF").is_some();
    set(
        &mut fb,
        "enable_verifier",
        if verify { "true" } else { "false" },
    );
    fb
}

/// The host ISA with our flags.
pub(crate) fn host_isa(pic: bool) -> Result<OwnedTargetIsa, String> {
    let isa_builder = cranelift_native::builder()
        .map_err(|e| format!("internal error: this host is not supported by Cranelift: {e}"))?;
    isa_builder
        .finish(settings::Flags::new(flag_builder(pic)))
        .map_err(|e| format!("internal error: cannot configure Cranelift: {e}"))
}

fn new_jit_module(symbols: &[(&'static str, *const u8)]) -> Result<JITModule, String> {
    let mut builder = JITBuilder::with_isa(host_isa(false)?, default_libcall_names());
    for (name, ptr) in symbols {
        builder.symbol(*name, *ptr);
    }
    if let Ok(arena) = ArenaMemoryProvider::new_with_size(ARENA_SIZE) {
        builder.memory_provider(Box::new(arena));
    }
    Ok(JITModule::new(builder))
}

/// Every runtime function the program imports must be provided: an
/// unresolved symbol would panic inside Cranelift at finalisation.
fn check_symbols(
    imports: &BTreeMap<&'static str, Import>,
    symbols: &[(&'static str, *const u8)],
) -> Result<(), String> {
    let provided: HashSet<&str> = symbols.iter().map(|(n, _)| *n).collect();
    let missing: Vec<&str> = imports
        .keys()
        .copied()
        .filter(|n| !provided.contains(n))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "internal error: the runtime does not provide {}",
            missing
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

/// Compiles `program` against the runtime functions of `aria-rt`.
pub fn compile_jit(program: &Program) -> Result<JitProgram, String> {
    compile_jit_with_symbols(program, &crate::rt::symbols())
}

/// Compiles `program`, resolving runtime calls against `symbols`
/// (name, address). All functions are defined first and finalised once.
pub fn compile_jit_with_symbols(
    program: &Program,
    symbols: &[(&'static str, *const u8)],
) -> Result<JitProgram, String> {
    compile(program, symbols, inline::Params::from_env())
}

/// [`compile_jit_with_symbols`] with explicit inlining settings.
pub(crate) fn compile(
    program: &Program,
    symbols: &[(&'static str, *const u8)],
    inlining: Option<inline::Params>,
) -> Result<JitProgram, String> {
    let imports = collect_imports(program)?;
    check_symbols(&imports, symbols)?;
    let mut module = new_jit_module(symbols)?;
    let decl = declare(&mut module, program, &imports)?;
    let inlined = inlining.and_then(|p| inline::inline_program(program, p));
    let bodies = inlined.as_deref().unwrap_or(&program.funcs);
    let funcs = translate_all(&mut module, program, bodies, &decl)?;
    define_all(&mut module, program, &decl, funcs)?;
    module
        .finalize_definitions()
        .map_err(|e| format!("internal error: finalising the JIT: {e}"))?;
    let funcs: Vec<*const u8> = decl
        .funcs
        .iter()
        .map(|id| module.get_finalized_function(*id))
        .collect();
    let (file, _) = module.get_finalized_data(decl.data[program.file.0 as usize]);
    Ok(JitProgram {
        init: funcs[program.init.0 as usize],
        main: funcs[program.main.0 as usize],
        main_kind: program.main_kind,
        main_async: program.main_async,
        file,
        funcs,
        _module: module,
    })
}

/// The Cranelift IR of every function of `program`, as built from the MIR
/// (before Cranelift's optimisations), for `--emit=clif`.
pub fn emit_clif(program: &Program) -> Result<String, String> {
    let imports = collect_imports(program)?;
    let mut module = new_jit_module(&[])?;
    let decl = declare(&mut module, program, &imports)?;
    let inlined = inline::Params::from_env().and_then(|p| inline::inline_program(program, p));
    let bodies = inlined.as_deref().unwrap_or(&program.funcs);
    let funcs = translate_all(&mut module, program, bodies, &decl)?;
    Ok(clif_text(program, funcs))
}

/// Runs a compiled program: hands it to the runtime's `aria_main` (or
/// `aria_main_async` for an `async func:main`), which runs the global
/// initialisers and `main` and exits the process.
pub fn run(program: JitProgram) -> ! {
    let JitProgram {
        _module,
        init,
        main,
        main_kind,
        main_async,
        file,
        ..
    } = program;
    // The code must stay mapped while it runs: the module is never dropped.
    std::mem::forget(_module);
    if main_async {
        crate::rt::aria_main_async(init, main, main_kind, file)
    }
    crate::rt::aria_main(init, main, main_kind, file)
}

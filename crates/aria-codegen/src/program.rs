//! Whole-program declarations, generic over the Cranelift `Module` (the JIT
//! today, an object file for `aria build` later): runtime imports, data
//! objects and functions are all declared before any function is defined.

use std::collections::{BTreeMap, HashMap, HashSet};

use aria_mir::mir::{Callee, MTy, Operand, Program, Stmt};
use cranelift_codegen::ir::{Function, Signature, UserFuncName};
use cranelift_codegen::Context;
use cranelift_frontend::FunctionBuilderContext;
use cranelift_module::{DataDescription, DataId, FuncId, Linkage, Module, ModuleError};

use crate::function::{aria_signature, foreign_signature, operand_ty, translate};

/// Module ids of everything a program declares, indexed like the MIR.
pub(crate) struct Declared {
    pub funcs: Vec<FuncId>,
    pub data: Vec<DataId>,
    pub imports: HashMap<&'static str, FuncId>,
}

/// A runtime function as the program uses it.
pub(crate) struct Import {
    pub args: Vec<MTy>,
    pub rets: Vec<MTy>,
    /// The function of the first use, for error messages.
    pub first_use: String,
}

/// Every runtime function the program calls, with its signature (argument
/// types and listed returns); the same name used with two different
/// signatures is an internal error.
pub(crate) fn collect_imports(program: &Program) -> Result<BTreeMap<&'static str, Import>, String> {
    let mut out: BTreeMap<&'static str, Import> = BTreeMap::new();
    for f in &program.funcs {
        for (bi, b) in f.blocks.iter().enumerate() {
            for s in &b.stmts {
                let Stmt::Call(_, Callee::Runtime(name, rets), args) = s else {
                    continue;
                };
                let args = args
                    .iter()
                    .map(|a| operand_ty(f, a))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("internal error: function `{}` in bb{bi}: {e}", f.name))?;
                match out.get(name) {
                    Some(prev) if prev.args != args || prev.rets != *rets => {
                        return Err(format!(
                            "internal error: runtime function `{name}` is called as \
                             ({}) -> ({}) in `{}` but as ({}) -> ({}) in `{}`",
                            tys(&prev.args),
                            tys(&prev.rets),
                            prev.first_use,
                            tys(&args),
                            tys(rets),
                            f.name
                        ));
                    }
                    Some(_) => {}
                    None => {
                        out.insert(
                            name,
                            Import {
                                args,
                                rets: rets.clone(),
                                first_use: f.name.clone(),
                            },
                        );
                    }
                }
            }
        }
    }
    Ok(out)
}

fn tys(t: &[MTy]) -> String {
    t.iter()
        .map(|t| format!("{t:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn module_err(what: &str, e: ModuleError) -> String {
    format!("internal error: {what}: {e}")
}

/// Checks the program-level indices of `program`.
fn check_program(program: &Program) -> Result<(), String> {
    let nf = program.funcs.len();
    for (what, idx) in [("init", program.init.0), ("main", program.main.0)] {
        if idx as usize >= nf {
            return Err(format!(
                "internal error: the {what} function #{idx} does not exist"
            ));
        }
    }
    if program.file.0 as usize >= program.data.len() {
        return Err(format!(
            "internal error: the file name data #{} does not exist",
            program.file.0
        ));
    }
    Ok(())
}

/// Declares the runtime imports, defines the data objects and declares the
/// functions of `program` in `module`.
pub(crate) fn declare<M: Module>(
    module: &mut M,
    program: &Program,
    imports: &BTreeMap<&'static str, Import>,
) -> Result<Declared, String> {
    check_program(program)?;
    let mut taken: HashSet<&str> = HashSet::new();
    let mut import_ids = HashMap::new();
    for (name, imp) in imports {
        let sig = foreign_signature(&imp.args, &imp.rets);
        let id = module
            .declare_function(name, Linkage::Import, &sig)
            .map_err(|e| module_err(&format!("declaring runtime function `{name}`"), e))?;
        import_ids.insert(*name, id);
        taken.insert(name);
    }

    // Data objects are anonymous: their names are for `--emit=mir` only and
    // cannot collide with anything. They are defined after the functions
    // are declared, since a data object may hold function addresses.
    let mut data = Vec::with_capacity(program.data.len());
    for d in &program.data {
        let id = module
            .declare_anonymous_data(d.writable, false)
            .map_err(|e| module_err(&format!("declaring data `{}`", d.name), e))?;
        data.push(id);
    }

    // Functions keep their names (perf maps, debugging) unless the name is
    // already taken by a runtime import or another function, in which case
    // the function is declared anonymously: it is only ever referenced by id.
    let mut funcs = Vec::with_capacity(program.funcs.len());
    for f in &program.funcs {
        let sig = aria_signature(f)?;
        let id = if f.name.is_empty() || !taken.insert(f.name.as_str()) {
            module.declare_anonymous_function(&sig)
        } else {
            module.declare_function(&f.name, Linkage::Local, &sig)
        }
        .map_err(|e| module_err(&format!("declaring function `{}`", f.name), e))?;
        funcs.push(id);
    }

    for (d, &id) in program.data.iter().zip(&data) {
        let mut desc = DataDescription::new();
        if d.bytes.is_empty() {
            // A zero-sized object would have no address of its own.
            desc.define_zeroinit(1);
        } else {
            desc.define(d.bytes.clone().into_boxed_slice());
        }
        desc.set_align(d.align.max(1));
        // Relocations: addresses written into the object at load time
        // (a task vtable's function pointers and name).
        for (off, target) in &d.relocs {
            if *off as usize + 8 > d.bytes.len() {
                return Err(format!(
                    "internal error: data `{}`: relocation at {off} is outside its {} bytes",
                    d.name,
                    d.bytes.len()
                ));
            }
            match target {
                Operand::FuncAddr(fi) => {
                    let fid = *funcs.get(fi.0 as usize).ok_or_else(|| {
                        format!(
                            "internal error: data `{}` refers to function #{} which does not exist",
                            d.name, fi.0
                        )
                    })?;
                    let r = module.declare_func_in_data(fid, &mut desc);
                    desc.write_function_addr(*off, r);
                }
                Operand::DataAddr(di) => {
                    let did = *data.get(di.0 as usize).ok_or_else(|| {
                        format!(
                            "internal error: data `{}` refers to data #{} which does not exist",
                            d.name, di.0
                        )
                    })?;
                    let gv = module.declare_data_in_data(did, &mut desc);
                    desc.write_data_addr(*off, gv, 0);
                }
                other => {
                    return Err(format!(
                        "internal error: data `{}`: relocation to {other:?} (not an address)",
                        d.name
                    ))
                }
            }
        }
        module
            .define_data(id, &desc)
            .map_err(|e| module_err(&format!("defining data `{}`", d.name), e))?;
    }
    Ok(Declared {
        funcs,
        data,
        imports: import_ids,
    })
}

/// Translates every function into Cranelift IR (not yet optimised).
/// `bodies` are the MIR bodies to translate (`program.funcs`, or the same
/// functions after inlining).
pub(crate) fn translate_all<M: Module>(
    module: &mut M,
    program: &Program,
    bodies: &[aria_mir::mir::Function],
    decl: &Declared,
) -> Result<Vec<Function>, String> {
    let mut fctx = FunctionBuilderContext::new();
    let mut out = Vec::with_capacity(bodies.len());
    for (i, f) in bodies.iter().enumerate() {
        let id = decl.funcs[i];
        let sig: Signature = module
            .declarations()
            .get_function_decl(id)
            .signature
            .clone();
        let mut func = Function::with_name_signature(UserFuncName::user(0, id.as_u32()), sig);
        translate(module, decl, program, f, &mut func, &mut fctx)?;
        out.push(func);
    }
    Ok(out)
}

/// The IR of `funcs` as text, one function after the other.
pub(crate) fn clif_text(program: &Program, funcs: Vec<Function>) -> String {
    let mut out = String::new();
    for (i, (f, mut func)) in program.funcs.iter().zip(funcs).enumerate() {
        func.dfg.resolve_all_aliases();
        out.push_str(&format!("; {} (function #{i})\n", f.name));
        out.push_str(&func.display().to_string());
        out.push('\n');
    }
    out
}

/// Compiles every function into the module.
pub(crate) fn define_all<M: Module>(
    module: &mut M,
    program: &Program,
    decl: &Declared,
    funcs: Vec<Function>,
) -> Result<(), String> {
    let mut ctx = module.make_context();
    // `ARIA_DISASM=1` prints the machine code of every compiled function
    // to stderr (for performance work).
    let disasm = std::env::var_os("ARIA_DISASM").is_some_and(|v| v == "1");
    ctx.set_disasm(disasm);
    for (i, (f, func)) in program.funcs.iter().zip(funcs).enumerate() {
        ctx.func = func;
        define_one(module, decl.funcs[i], &mut ctx, &f.name)?;
        if disasm {
            if let Some(code) = ctx.compiled_code().and_then(|c| c.vcode.as_ref()) {
                eprintln!("; {} (function #{i})\n{code}", f.name);
            }
        }
        module.clear_context(&mut ctx);
    }
    Ok(())
}

fn define_one<M: Module>(
    module: &mut M,
    id: FuncId,
    ctx: &mut Context,
    name: &str,
) -> Result<(), String> {
    module.define_function(id, ctx).map_err(|e| match e {
        ModuleError::Compilation(cranelift_codegen::CodegenError::Verifier(errors)) => {
            format!(
                "internal error: Cranelift rejected function `{name}`:\n{}",
                cranelift_codegen::print_errors::pretty_verifier_error(&ctx.func, None, errors)
            )
        }
        e => module_err(&format!("compiling function `{name}`"), e),
    })
}

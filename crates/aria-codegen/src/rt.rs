//! The two things the code generator needs from `aria-rt`: the runtime's
//! symbol table and its entry point.

/// (name, address) of every runtime function generated code may call.
pub(crate) fn symbols() -> Vec<(&'static str, *const u8)> {
    aria_rt::symbols::symbols()
}

/// Runs init and main and exits (docs/RUNTIME_ABI.md `aria_main`).
/// `init` and `main` must be entry addresses of JIT-compiled Aria functions
/// of signature `fn(env: i64) -> (i64, i8)` and `fn(env: i64) -> (i64, i64)`
/// (so compiled by `compile_jit` from a MIR program), `file` a
/// NUL-terminated string that stays mapped.
pub(crate) fn aria_main(init: *const u8, main: *const u8, kind: i32, file: *const u8) -> ! {
    type Entry = aria_rt::entry::AriaEntryFn;
    // SAFETY: `init` and `main` come from `JitProgram`, i.e. are the
    // finalised code of MIR functions declared with the Aria convention
    // `fn(env: i64) -> (i64 err, val)` (System V, two returns in rax:rdx),
    // which is what `AriaEntryFn` (returning `#[repr(C)] AriaResult`)
    // describes; a non-null code pointer converts to `Some(fn)`. The JIT
    // module owning that code is never freed. `file` points at a
    // NUL-terminated data object of the same module.
    unsafe {
        let init: Option<Entry> = std::mem::transmute::<*const u8, Option<Entry>>(init);
        let main: Option<Entry> = std::mem::transmute::<*const u8, Option<Entry>>(main);
        aria_rt::entry::aria_main(init, main, kind, file as *const std::ffi::c_char)
    }
}

/// Runs init and the async `main` as task #1 and exits
/// (docs/RUNTIME_ABI.md `aria_main_async`). `main` is the entry address of
/// the JIT-compiled ramp of `async func:main`, `fn(env: i64) -> (i64, i64 task)`;
/// the other arguments are as for [`aria_main`].
pub(crate) fn aria_main_async(init: *const u8, main: *const u8, kind: i32, file: *const u8) -> ! {
    type Entry = aria_rt::entry::AriaEntryFn;
    // SAFETY: as in `aria_main`: both pointers are finalised code of MIR
    // functions with the Aria convention taking only `env`; the ramp
    // returns `(0, task)` with the task +1, as `aria_main_async` expects.
    unsafe {
        let init: Option<Entry> = std::mem::transmute::<*const u8, Option<Entry>>(init);
        let main: Option<Entry> = std::mem::transmute::<*const u8, Option<Entry>>(main);
        aria_rt::async_main::aria_main_async(init, main, kind, file as *const std::ffi::c_char)
    }
}

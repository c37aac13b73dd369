//! Running the front end on a thread with a large stack.
//!
//! The parser recurses once per nesting level, bounded by its depth limit;
//! in unoptimised builds one level takes up to ~10 KiB of stack, more than the
//! 2 MiB a test thread has at the limit. Running on a dedicated thread makes
//! the depth limit, not the caller's stack, decide what is accepted, so the
//! same inputs are accepted in every build and on every thread. Only the
//! pages actually touched are committed, so the reservation is cheap.

use std::thread;

/// Stack reserved for the parser thread. The deepest input the depth limit
/// lets through needs about 2.5 MiB in an unoptimised build.
const STACK_BYTES: usize = 16 << 20;

/// Runs `f` on a fresh thread with a `STACK_BYTES` stack and returns its
/// result (panics are propagated). If no thread can be spawned, runs `f`
/// on the current thread.
pub fn with_big_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    let mut job = Some(f);
    let joined = thread::scope(|scope| {
        let slot = &mut job;
        let handle = thread::Builder::new()
            .name("aria-syntax".into())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, move || slot.take().map(|f| f()))
            .ok()?;
        Some(handle.join())
    });
    match (joined, job.take()) {
        (Some(Ok(Some(result))), _) => result,
        (Some(Err(panic)), _) => std::panic::resume_unwind(panic),
        // Spawning failed: the job is still here.
        (None, Some(f)) => f(),
        _ => unreachable!("a spawned thread always takes and runs the job"),
    }
}

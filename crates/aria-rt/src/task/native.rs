//! Tasks written in Rust: the built-ins of the async library and the
//! scheduler's own tests use the same task ABI as generated code.
//!
//! A [`Native`] value lives in the task's frame. Its `resume` returns
//! `Some((err, val))` to complete (the value is then dropped in place) or
//! `None` to stay pending; `drop` (the vtable's) drops it in place for a task
//! that never completed.
//!
//! Invariants: `resume` is called only by the task's runner; state shared
//! with other threads (wait nodes, counters) must be reached through raw
//! pointers or atomics, never through a `&mut` held across such access —
//! hence `resume` takes `*mut Self`.

use std::ffi::CStr;
use std::marker::PhantomData;
use std::mem::{align_of, size_of};

use super::{
    alloc_task, frame, next_id, set_result, state, Task, TaskVTable, FLAG_NUMBERED,
    FLAG_RESULT_MANAGED,
};
use super::{RESUME_COMPLETE, RESUME_PENDING};
use crate::sched::Shared;

/// A task body written in Rust.
pub trait Native: Send + Sized + 'static {
    /// Name in reports.
    const NAME: &'static CStr;
    /// Runs the task: `Some((err, val))` completes it.
    ///
    /// # Safety
    /// Called only by the runner of `task`, whose frame holds `*this`.
    unsafe fn resume(this: *mut Self, task: *mut Task) -> Option<(i64, i64)>;
}

struct VTableOf<N>(PhantomData<N>);

impl<N: Native> VTableOf<N> {
    const VTABLE: TaskVTable = TaskVTable {
        resume: resume_native::<N>,
        drop: drop_native::<N>,
        frame_size: size_of::<N>() as i64,
        name: N::NAME.as_ptr(),
        result_managed: 0,
    };
}

unsafe extern "C" fn resume_native<N: Native>(task: *mut Task) -> i32 {
    // SAFETY: the frame holds an `N` written by `new_task` and not yet dropped
    // (a task is resumed only while incomplete).
    unsafe {
        let this = frame(task).cast::<N>();
        match N::resume(this, task) {
            Some((err, val)) => {
                std::ptr::drop_in_place(this);
                set_result(task, err, val);
                RESUME_COMPLETE
            }
            None => RESUME_PENDING,
        }
    }
}

unsafe extern "C" fn drop_native<N: Native>(task: *mut Task) {
    // SAFETY: called once for a task that never completed: `N` is live.
    unsafe { std::ptr::drop_in_place(frame(task).cast::<N>()) }
}

/// The vtable of native tasks of type `N`.
pub fn vtable<N: Native>() -> &'static TaskVTable {
    &VTableOf::<N>::VTABLE
}

/// A new (unspawned, rc 1) task running `n`. `numbered`: give it an id and
/// treat it as an Aria task (registry, reports); `managed`: its result value
/// is a managed pointer.
pub fn new_task<N: Native>(n: N, numbered: bool, managed: bool) -> *mut Task {
    const { assert!(align_of::<N>() <= 8, "native frames are 8-aligned") };
    let mut flags = 0;
    if numbered {
        flags |= FLAG_NUMBERED;
    }
    if managed {
        flags |= FLAG_RESULT_MANAGED;
    }
    let id = if numbered { next_id() } else { 0 };
    let t = alloc_task(vtable::<N>(), flags, id);
    // SAFETY: the frame has room for `N` (frame_size) and is 8-aligned.
    unsafe { frame(t).cast::<N>().write(n) };
    t
}

/// Hands a new built-in task to `shared` without queueing it: it is started
/// (its `resume` handles cancellation) and waits for a built-in operation
/// (`WAIT_NATIVE`) that will wake it. Takes the run reference.
///
/// # Safety
/// `t` is a new, unspawned task of this thread.
pub unsafe fn start_waiting(shared: &Shared, t: *mut Task) {
    // SAFETY: caller contract: nobody else sees `t` yet.
    unsafe {
        *(*t).sched.get() = shared;
        super::retain(t);
        state(t).mark_spawned_started();
        let published = super::wait::try_publish(t, super::wait::WAIT_NATIVE);
        debug_assert!(published, "a new task is not cancelled");
        if shared.closing.load(std::sync::atomic::Ordering::Acquire) {
            super::wait::cancel(t);
        }
    }
}

/// Makes a new task complete at once with `(err, val)` (no scheduling).
///
/// # Safety
/// `t` is a new, unspawned task of this thread whose frame value was not
/// written (or was already dropped).
pub unsafe fn complete_unspawned(t: *mut Task, err: i64, val: i64) {
    // SAFETY: caller contract.
    unsafe {
        set_result(t, err, val);
        state(t).complete();
    }
}

/// A task running a Rust closure (tests and simple built-ins): the closure
/// gets the task pointer and returns `Some((err, val))` to complete.
pub struct FnTask<F>(pub F);

impl<F> Native for FnTask<F>
where
    F: FnMut(*mut Task) -> Option<(i64, i64)> + Send + 'static,
{
    const NAME: &'static CStr = c"task";
    unsafe fn resume(this: *mut Self, task: *mut Task) -> Option<(i64, i64)> {
        // SAFETY: runner-only access to the closure.
        unsafe { ((*this).0)(task) }
    }
}

/// A new numbered task running closure `f` (rc 1, not spawned).
pub fn fn_task<F>(f: F) -> *mut Task
where
    F: FnMut(*mut Task) -> Option<(i64, i64)> + Send + 'static,
{
    new_task(FnTask(f), true, false)
}

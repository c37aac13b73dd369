//! Tasks: the runtime object behind `Task<T>` (ARCHITECTURE.md §5).
//!
//! One allocation per task: the [`Task`] header, then the coroutine frame at
//! [`TASK_FRAME_OFFSET`] (`frame_size` bytes from the vtable, zeroed). The
//! header starts with the managed-object header (rc @0, kind 6 @8) and keeps
//! its destructor at @16 like every runtime-private kind.
//!
//! Invariants:
//! - References: `rc` counts the handles held by Aria code and the runtime's
//!   own *run reference*, taken at spawn and dropped when the task completes.
//!   While a task is incomplete the run reference keeps it alive, so run
//!   queues, waiter lists and timers hold plain pointers to incomplete tasks
//!   (a timer entry, which can outlive its task's completion, holds its own
//!   reference). A task run inline by `aria_task_start_inline` takes the run
//!   reference only if its first run suspends; until then (and for good if
//!   it completes there) its awaiter's handle keeps it alive.
//! - The result `{err, val}` is written by the code running the task before
//!   `COMPLETE` is published (release) and read only after `COMPLETE` is seen
//!   (acquire). A managed `val` is owned by the task and released when the
//!   task is destroyed.
//! - The waiter list, the callback queue and every `WaitNode.linked` flag of
//!   a node in the list are guarded by the task's [`lock::SpinLock`].
//! - Fields marked "runner" are touched only by the thread running the task
//!   (`RUNNING`), each run ordered after the previous one by the state word.
//!
//! Submodules: [`state`] (the state word), [`lock`], [`wait`] (waiter lists,
//! the wait claim, cancellation), [`run`] (one run of a task and its
//! completion), [`callbacks`] (`then`), [`report`] (panic reports),
//! [`registry`] (the live numbered tasks, for shutdown), [`native`] (tasks
//! written in Rust), [`abi`] (the `extern "C"` functions).

pub mod abi;
pub mod callbacks;
pub mod lock;
pub mod native;
pub mod registry;
pub mod report;
pub mod run;
pub mod state;
pub mod wait;

#[cfg(all(test, not(loom)))]
mod inline_tests;

use std::cell::UnsafeCell;
use std::ffi::{c_char, CStr};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicI32, AtomicI64, AtomicPtr, Ordering::*};

use crate::layout::KIND_TASK;
#[cfg(not(loom))]
use crate::layout::PRIVATE_DROP_OFFSET;
use crate::object::{alloc_object, free_object, PrivateDrop};
use crate::panic::PanicState;
use crate::sched::Shared;
use callbacks::Callbacks;
use lock::SpinLock;
use state::State;
use wait::{WaitClaim, WaitList, WaitNode};

// ---- the ABI numbers (docs/RUNTIME_ABI.md "Tasks and the scheduler") ------------------

/// `state: u64` (bits in [`state`]; generated code never needs to read it).
pub const TASK_STATE_OFFSET: i32 = 24;
/// `vtable: *const TaskVTable`.
pub const TASK_VTABLE_OFFSET: i32 = 32;
/// `result.err: i64`, written by generated code before `resume` returns 1.
pub const TASK_RESULT_ERR_OFFSET: i32 = 40;
/// `result.val: i64` (a managed value is owned by the task).
pub const TASK_RESULT_VAL_OFFSET: i32 = 48;
/// `id: i64` (1, 2, ... for Aria tasks in creation order; 0 for built-in tasks).
pub const TASK_ID_OFFSET: i32 = 56;
/// The coroutine frame: local `k` of the frame lives at `task + TASK_FRAME_OFFSET + k`.
pub const TASK_FRAME_OFFSET: i32 = 192;

/// Offsets inside [`TaskVTable`].
pub const VTABLE_RESUME_OFFSET: i32 = 0;
pub const VTABLE_DROP_OFFSET: i32 = 8;
pub const VTABLE_FRAME_SIZE_OFFSET: i32 = 16;
pub const VTABLE_NAME_OFFSET: i32 = 24;
pub const VTABLE_RESULT_MANAGED_OFFSET: i32 = 32;
pub const VTABLE_SIZE: i32 = 40;

/// `resume` return values.
pub const RESUME_PENDING: i32 = 0;
pub const RESUME_COMPLETE: i32 = 1;

/// The static function table of a kind of task (one per async function).
#[repr(C)]
pub struct TaskVTable {
    /// Runs the coroutine until it suspends (returns 0) or completes
    /// (returns 1 after storing the result at `TASK_RESULT_*_OFFSET`).
    pub resume: unsafe extern "C" fn(task: *mut Task) -> i32,
    /// Releases what the frame owns; called once, only for a task that never
    /// completed and is abandoned (cancelled before its first run, or never
    /// spawned and released). Runs no defers.
    pub drop: unsafe extern "C" fn(task: *mut Task),
    /// Bytes of frame after the header.
    pub frame_size: i64,
    /// NUL-terminated task name for reports (the function's name).
    pub name: *const c_char,
    /// 1 when the result value is a managed pointer.
    pub result_managed: i64,
}

// SAFETY: a vtable is immutable static data.
unsafe impl Sync for TaskVTable {}
// SAFETY: as above.
unsafe impl Send for TaskVTable {}

// ---- flags (immutable once the task is shared) ---------------------------------------

/// The result value is a managed pointer.
pub const FLAG_RESULT_MANAGED: u32 = 1;
/// An Aria task: numbered and kept in the registry while incomplete.
pub const FLAG_NUMBERED: u32 = 2;
/// A `CoroutineFrame` of the C API.
pub const FLAG_C_FRAME: u32 = 4;
/// In its runtime's registry (set at spawn, for numbered tasks and C frames).
pub const FLAG_REGISTERED: u32 = 8;

/// The task header. Always handled through `*mut Task`: no `&Task` to the
/// whole header is ever formed while the task is shared.
#[repr(C)]
pub struct Task {
    pub rc: AtomicI64,
    pub kind: u32,
    /// `FLAG_*`.
    pub flags: UnsafeCell<u32>,
    /// `PrivateDrop`, called by `aria_release` when `rc` reaches zero.
    pub destructor: usize,
    pub state: State,
    pub vtable: *const TaskVTable,
    pub result_err: UnsafeCell<i64>,
    pub result_val: UnsafeCell<i64>,
    pub id: i64,
    pub lock: SpinLock,
    /// Worker index this task is pinned to for its current suspension, or -1.
    pub pinned: AtomicI32,
    /// The wait claim word ([`wait`]).
    pub wait: WaitClaim,
    /// Tasks and threads waiting for this task (under `lock`).
    pub waiters: UnsafeCell<WaitList>,
    /// This task's own entry in the waiter list of the task it awaits.
    pub node: UnsafeCell<WaitNode>,
    /// Completion callbacks (under `lock`); null until the first `then`.
    pub callbacks: UnsafeCell<*mut Callbacks>,
    /// The runtime that runs this task (set at spawn).
    pub sched: UnsafeCell<*const Shared>,
    /// Runner: panic state saved while suspended mid-unwind (null if none).
    pub panic: UnsafeCell<*mut PanicState>,
    /// Registry links (under the registry shard's lock).
    pub reg_next: UnsafeCell<*mut Task>,
    pub reg_prev: UnsafeCell<*mut Task>,
    /// Runner: `aria_task_pin` request for the next suspension.
    pub pin_request: UnsafeCell<i32>,
    pub reserved: u32,
    /// The task running this one inline (`aria_task_start_inline`) during
    /// that first run, for the `awaited by` chain of reports: it awaits this
    /// task but is not in its waiter list yet. Set before the task is
    /// shared, cleared under `lock` when the inline run ends; null otherwise.
    pub inline_parent: AtomicPtr<Task>,
}

#[cfg(not(loom))]
const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(offset_of!(Task, rc) == 0);
    assert!(offset_of!(Task, kind) == 8);
    assert!(offset_of!(Task, destructor) == PRIVATE_DROP_OFFSET as usize);
    assert!(offset_of!(Task, state) == TASK_STATE_OFFSET as usize);
    assert!(offset_of!(Task, vtable) == TASK_VTABLE_OFFSET as usize);
    assert!(offset_of!(Task, result_err) == TASK_RESULT_ERR_OFFSET as usize);
    assert!(offset_of!(Task, result_val) == TASK_RESULT_VAL_OFFSET as usize);
    assert!(offset_of!(Task, id) == TASK_ID_OFFSET as usize);
    assert!(size_of::<Task>() <= TASK_FRAME_OFFSET as usize);
    assert!(TASK_FRAME_OFFSET % 16 == 0);
    assert!(offset_of!(TaskVTable, resume) == VTABLE_RESUME_OFFSET as usize);
    assert!(offset_of!(TaskVTable, drop) == VTABLE_DROP_OFFSET as usize);
    assert!(offset_of!(TaskVTable, frame_size) == VTABLE_FRAME_SIZE_OFFSET as usize);
    assert!(offset_of!(TaskVTable, name) == VTABLE_NAME_OFFSET as usize);
    assert!(offset_of!(TaskVTable, result_managed) == VTABLE_RESULT_MANAGED_OFFSET as usize);
    assert!(size_of::<TaskVTable>() == VTABLE_SIZE as usize);
};

/// A task pointer that may cross threads (run queues, timers).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(transparent)]
pub struct TaskRef(pub NonNull<Task>);

// SAFETY: tasks are shared between threads by design; every shared field is
// atomic or guarded as stated in the module invariants.
unsafe impl Send for TaskRef {}
// SAFETY: as above.
unsafe impl Sync for TaskRef {}

impl TaskRef {
    /// # Safety
    /// `t` is non-null.
    #[inline]
    pub unsafe fn from_raw(t: *mut Task) -> TaskRef {
        debug_assert!(!t.is_null());
        // SAFETY: caller contract.
        TaskRef(unsafe { NonNull::new_unchecked(t) })
    }
    #[inline]
    pub fn as_ptr(self) -> *mut Task {
        self.0.as_ptr()
    }
}

// ---- ids ---------------------------------------------------------------------------------

static NEXT_ID: AtomicI64 = AtomicI64::new(1);

/// The next task id (1, 2, ... in creation order).
pub fn next_id() -> i64 {
    NEXT_ID.fetch_add(1, Relaxed)
}

// ---- allocation and references ---------------------------------------------------------

/// Allocates a task for `vtable`: rc 1 (the caller's), zeroed frame, idle.
/// `id` 0 means unnumbered.
pub fn alloc_task(vtable: &'static TaskVTable, flags: u32, id: i64) -> *mut Task {
    let frame = usize::try_from(vtable.frame_size).unwrap_or(0);
    let size = TASK_FRAME_OFFSET as usize + frame;
    let p = alloc_object(size, KIND_TASK, true).cast::<Task>();
    let destructor: PrivateDrop = destroy;
    let mut flags = flags;
    if vtable.result_managed != 0 {
        flags |= FLAG_RESULT_MANAGED;
    }
    // SAFETY: `p` is a fresh zeroed allocation of at least size_of::<Task>()
    // bytes; alloc_object wrote rc = 1 and the kind. Zero is a valid value
    // for every other field except the ones written here.
    unsafe {
        ptr::addr_of_mut!((*p).flags).write(UnsafeCell::new(flags));
        ptr::addr_of_mut!((*p).destructor).write(destructor as usize);
        ptr::addr_of_mut!((*p).state).write(State::new());
        ptr::addr_of_mut!((*p).vtable).write(vtable);
        ptr::addr_of_mut!((*p).id).write(id);
        ptr::addr_of_mut!((*p).pinned).write(AtomicI32::new(-1));
        ptr::addr_of_mut!((*p).wait).write(WaitClaim::new());
        ptr::addr_of_mut!((*p).node).write(UnsafeCell::new(WaitNode::for_task(p)));
    }
    p
}

/// Total allocation size of task `t`.
///
/// # Safety
/// `t` is a live task.
unsafe fn alloc_size(t: *mut Task) -> usize {
    // SAFETY: caller contract; the vtable is static.
    let frame = unsafe { (*(*t).vtable).frame_size };
    TASK_FRAME_OFFSET as usize + usize::try_from(frame).unwrap_or(0)
}

/// Adds a reference.
///
/// # Safety
/// `t` is a live task the caller holds a reference to (or an immortal one).
#[inline]
pub unsafe fn retain(t: *mut Task) {
    // SAFETY: caller contract.
    unsafe { crate::object::aria_retain(t.cast()) }
}

/// Drops a reference, destroying the task when it was the last.
///
/// # Safety
/// The caller owns a reference to `t`.
#[inline]
pub unsafe fn release(t: *mut Task) {
    // SAFETY: caller contract.
    unsafe { crate::object::aria_release(t.cast()) }
}

/// The destructor (`rc` reached zero): releases the result or, for a task
/// that never completed, what its frame owns; frees the callbacks, the saved
/// panic state and the memory.
///
/// # Safety
/// Called by `aria_release` only, with exclusive access to the task.
unsafe fn destroy(p: *mut u8) {
    let t = p.cast::<Task>();
    // SAFETY: exclusive access (the count is zero).
    unsafe {
        let s = (*t).state.load();
        if s & state::COMPLETE != 0 {
            if flags(t) & FLAG_RESULT_MANAGED != 0 && *(*t).result_err.get() == 0 {
                crate::object::aria_release(*(*t).result_val.get() as *mut u8);
            }
        } else {
            ((*(*t).vtable).drop)(t);
        }
        callbacks::free(t);
        let ps = *(*t).panic.get();
        if !ps.is_null() {
            drop(Box::from_raw(ps));
        }
        free_object(p, alloc_size(t));
    }
}

// ---- accessors -----------------------------------------------------------------------------

/// # Safety
/// `t` is a live task.
#[inline]
pub unsafe fn flags(t: *mut Task) -> u32 {
    // SAFETY: caller contract; flags only change before the task is shared
    // or under the registry discipline documented on FLAG_REGISTERED.
    unsafe { *(*t).flags.get() }
}

/// # Safety
/// `t` is a live task.
#[inline]
pub unsafe fn state<'a>(t: *mut Task) -> &'a State {
    // SAFETY: caller contract.
    unsafe { &(*t).state }
}

/// The task's name (from its vtable).
///
/// # Safety
/// `t` is a live task.
pub unsafe fn name<'a>(t: *mut Task) -> &'a str {
    // SAFETY: caller contract; names are static NUL-terminated strings.
    unsafe {
        let n = (*(*t).vtable).name;
        if n.is_null() {
            return "?";
        }
        CStr::from_ptr(n).to_str().unwrap_or("?")
    }
}

/// The task's result `(err, val)` (meaningful once complete; not retained).
///
/// # Safety
/// `t` is a live task observed complete (acquire).
#[inline]
pub unsafe fn result(t: *mut Task) -> (i64, i64) {
    // SAFETY: caller contract.
    unsafe { (*(*t).result_err.get(), *(*t).result_val.get()) }
}

/// Stores the result; only the task's runner (or its creator before it is
/// shared) may call this, before completing it.
///
/// # Safety
/// As stated.
#[inline]
pub unsafe fn set_result(t: *mut Task, err: i64, val: i64) {
    // SAFETY: caller contract.
    unsafe {
        *(*t).result_err.get() = err;
        *(*t).result_val.get() = val;
    }
}

/// The frame of task `t`.
///
/// # Safety
/// `t` is a live task.
#[inline]
pub unsafe fn frame(t: *mut Task) -> *mut u8 {
    // SAFETY: the frame follows the header inside the allocation.
    unsafe { t.cast::<u8>().add(TASK_FRAME_OFFSET as usize) }
}

/// The task owning frame `f`.
///
/// # Safety
/// `f` was returned by [`frame`].
#[inline]
pub unsafe fn from_frame(f: *mut u8) -> *mut Task {
    // SAFETY: caller contract.
    unsafe { f.sub(TASK_FRAME_OFFSET as usize).cast() }
}

/// `#ID NAME` for reports.
///
/// # Safety
/// `t` is a live task.
pub unsafe fn describe(t: *mut Task) -> String {
    // SAFETY: caller contract.
    unsafe { format!("#{} {}", (*t).id, name(t)) }
}

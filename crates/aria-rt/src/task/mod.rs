//! Tasks: the runtime object behind `Task<T>` (ARCHITECTURE.md §5).
//!
//! One allocation per task: the [`Task`] header (144 bytes), then the
//! coroutine frame at [`TASK_FRAME_OFFSET`] (`frame_size` bytes from the
//! vtable, zeroed). The header starts with the managed-object header (rc @0,
//! kind 6 @8); `aria_release` destroys tasks directly ([`destroy`]), so the
//! word where other runtime-private kinds keep their destructor (@16) holds
//! the runtime pointer. Rarely used fields live in a separate [`Extra`]
//! part allocated on first use. The block comes from, and returns to, the
//! per-thread cache of [`pool`].
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
//! [`registry`] (the live numbered tasks, for shutdown), [`pool`] (task
//! memory), [`native`] (tasks
//! written in Rust), [`abi`] (the `extern "C"` functions).

pub mod abi;
pub mod callbacks;
pub mod lock;
pub mod native;
pub mod pool;
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
use std::sync::atomic::{AtomicI16, AtomicI64, AtomicUsize, Ordering::*};

use crate::layout::KIND_TASK;
#[cfg(not(loom))]
use crate::layout::PRIVATE_DROP_OFFSET;
use crate::object::count_live;
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
/// `aria_mir::coroutine::TASK_FRAME_OFFSET` repeats it (a test there checks
/// that they agree): change both together. The header needs 144 bytes
/// ([`TASK_HEADER_SIZE`]); until the compiler's copy moves to 144 the frame
/// stays at 192 and 48 bytes of each task are unused.
pub const TASK_FRAME_OFFSET: i32 = 144;
/// Bytes of the [`Task`] header: the smallest valid `TASK_FRAME_OFFSET`.
pub const TASK_HEADER_SIZE: i32 = 144;

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
/// Kinds of task that enter their runtime's registry ([`registry`]) when
/// they first suspend.
pub const FLAG_REGISTRABLE: u32 = FLAG_NUMBERED | FLAG_C_FRAME;

/// The task header (144 bytes). Always handled through `*mut Task`: no
/// `&Task` to the whole header is ever formed while the task is shared.
/// Every task has the fields used on the spawn / run / wake / complete
/// path; what few tasks need lives in [`Extra`], allocated on first use.
#[repr(C)]
pub struct Task {
    pub rc: AtomicI64,
    pub kind: u32,
    /// `FLAG_*`.
    pub flags: UnsafeCell<u32>,
    /// The runtime that runs this task (set at spawn). It takes the word
    /// where other runtime-private kinds keep their destructor: tasks are
    /// destroyed by `object::destroy` directly ([`destroy`]).
    pub sched: UnsafeCell<*const Shared>,
    pub state: State,
    pub vtable: *const TaskVTable,
    pub result_err: UnsafeCell<i64>,
    pub result_val: UnsafeCell<i64>,
    pub id: i64,
    pub lock: SpinLock,
    /// Runner: `RUNNER_*` bits.
    pub runner: UnsafeCell<u8>,
    /// Worker index this task is pinned to for its current suspension, or -1
    /// (at most 1024 workers: `sched::threads_from`).
    pub pinned: AtomicI16,
    /// Runner: its shard and slot in the registry while listed ([`registry`]).
    pub reg_index: UnsafeCell<u32>,
    /// The wait claim word ([`wait`]).
    pub wait: WaitClaim,
    /// Tasks and threads waiting for this task (under `lock`).
    pub waiters: UnsafeCell<WaitList>,
    /// This task's own entry in the waiter list of the task it awaits.
    pub node: UnsafeCell<WaitNode>,
    /// `*mut Extra` (null until first needed), or — only during the first
    /// run of a task run inline, when it cannot have an `Extra` yet — the
    /// task running it with bit 0 set ([`inline_parent`]).
    pub extra: AtomicUsize,
}

/// The rarely needed part of a task, allocated on first use and freed with
/// the task: by the first `then` (callbacks) or a suspension mid-unwind
/// (saved panic state). Once set, `Task::extra` never changes until the
/// task is destroyed; each field keeps the discipline it had in the header.
pub struct Extra {
    /// Completion callbacks (under the task's `lock`); null until the first `then`.
    pub callbacks: UnsafeCell<*mut Callbacks>,
    /// Runner: panic state saved while suspended mid-unwind (null if none).
    pub panic: UnsafeCell<*mut PanicState>,
}

impl Default for Extra {
    fn default() -> Self {
        Extra {
            callbacks: UnsafeCell::new(ptr::null_mut()),
            panic: UnsafeCell::new(ptr::null_mut()),
        }
    }
}

/// `Task::extra` holds an inline parent (see there).
const EXTRA_PARENT_TAG: usize = 1;

#[cfg(not(loom))]
const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(offset_of!(Task, rc) == 0);
    assert!(offset_of!(Task, kind) == 8);
    assert!(offset_of!(Task, sched) == PRIVATE_DROP_OFFSET as usize);
    assert!(offset_of!(Task, state) == TASK_STATE_OFFSET as usize);
    assert!(offset_of!(Task, vtable) == TASK_VTABLE_OFFSET as usize);
    assert!(offset_of!(Task, result_err) == TASK_RESULT_ERR_OFFSET as usize);
    assert!(offset_of!(Task, result_val) == TASK_RESULT_VAL_OFFSET as usize);
    assert!(offset_of!(Task, id) == TASK_ID_OFFSET as usize);
    assert!(size_of::<Task>() == TASK_HEADER_SIZE as usize);
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

/// On a cache line of its own: every task creation writes it, from every
/// worker, and a neighbour read on every await (the yield sentinel, say)
/// would miss each time another worker created a task.
static NEXT_ID: crossbeam_utils::CachePadded<AtomicI64> =
    crossbeam_utils::CachePadded::new(AtomicI64::new(1));

/// The next task id (1, 2, ... in creation order).
#[inline]
pub fn next_id() -> i64 {
    NEXT_ID.fetch_add(1, Relaxed)
}

// ---- allocation and references ---------------------------------------------------------

/// Allocates a task for `vtable`: rc 1 (the caller's), zeroed frame, idle.
/// `id` 0 means unnumbered.
pub fn alloc_task(vtable: &'static TaskVTable, flags: u32, id: i64) -> *mut Task {
    let frame = usize::try_from(vtable.frame_size).unwrap_or(0);
    let p = pool::alloc_block(pool::task_block_size(frame)).cast::<Task>();
    count_live(1);
    let mut flags = flags;
    if vtable.result_managed != 0 {
        flags |= FLAG_RESULT_MANAGED;
    }
    // SAFETY: `p` is a fresh zeroed block of at least size_of::<Task>()
    // bytes, 8-aligned. Zero is a valid value for every field except the
    // ones written here.
    unsafe {
        ptr::addr_of_mut!((*p).rc).write(AtomicI64::new(1));
        ptr::addr_of_mut!((*p).kind).write(KIND_TASK);
        ptr::addr_of_mut!((*p).flags).write(UnsafeCell::new(flags));
        ptr::addr_of_mut!((*p).state).write(State::new());
        ptr::addr_of_mut!((*p).vtable).write(vtable);
        ptr::addr_of_mut!((*p).id).write(id);
        ptr::addr_of_mut!((*p).pinned).write(AtomicI16::new(-1));
        ptr::addr_of_mut!((*p).wait).write(WaitClaim::new());
        ptr::addr_of_mut!((*p).node).write(UnsafeCell::new(WaitNode::for_task(p)));
    }
    p
}

/// Frame size of task `t` (as allocated).
///
/// # Safety
/// `t` is a live task.
unsafe fn frame_size(t: *mut Task) -> usize {
    // SAFETY: caller contract; the vtable is static.
    let frame = unsafe { (*(*t).vtable).frame_size };
    usize::try_from(frame).unwrap_or(0)
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

/// The destructor (`rc` reached zero; called by `object::destroy` for
/// `KIND_TASK`): releases the result or, for a task that never completed,
/// what its frame owns; frees the [`Extra`] part (callbacks, saved panic
/// state) and the memory.
///
/// # Safety
/// Called by `aria_release` only, with exclusive access to the task.
pub(crate) unsafe fn destroy(p: *mut u8) {
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
        let x = extra(t);
        if !x.is_null() {
            callbacks::free(t);
            let ps = *(*x).panic.get();
            if !ps.is_null() {
                drop(Box::from_raw(ps));
            }
            free_extra(x);
        }
        let size = pool::task_block_size(frame_size(t));
        count_live(-1);
        pool::free_block(p, size);
    }
}

// ---- the extra part and the inline parent -------------------------------------------

/// The [`Extra`] part of `t`, or null if it has none.
///
/// # Safety
/// `t` is a live task.
#[inline]
pub unsafe fn extra(t: *mut Task) -> *mut Extra {
    // SAFETY: caller contract.
    let v = unsafe { (*t).extra.load(Acquire) };
    if v & EXTRA_PARENT_TAG != 0 {
        ptr::null_mut()
    } else {
        v as *mut Extra
    }
}

/// The [`Extra`] part of `t`, allocated if it has none yet. Several threads
/// may ask at once (the runner at a suspension, another thread's `then`):
/// one allocation wins the compare-exchange, the others are freed.
///
/// # Safety
/// `t` is a live task, not in the first run of an inline run (the field
/// does not hold an inline parent).
pub unsafe fn extra_or_new(t: *mut Task) -> *mut Extra {
    // SAFETY: caller contract.
    unsafe {
        let cur = (*t).extra.load(Acquire);
        debug_assert!(cur & EXTRA_PARENT_TAG == 0, "extra of a task run inline");
        if cur != 0 {
            return cur as *mut Extra;
        }
        let new = pool::alloc_block(EXTRA_BLOCK).cast::<Extra>();
        new.write(Extra::default());
        match (*t)
            .extra
            .compare_exchange(0, new as usize, AcqRel, Acquire)
        {
            Ok(_) => new,
            Err(other) => {
                free_extra(new);
                other as *mut Extra
            }
        }
    }
}

/// Bytes of the pool block of an [`Extra`] part.
const EXTRA_BLOCK: usize = pool::round(std::mem::size_of::<Extra>());

/// Frees an [`Extra`] part made by [`extra_or_new`] (its fields already
/// released: they are raw pointers, dropping it does nothing).
///
/// # Safety
/// `x` came from `extra_or_new` and is not used afterwards.
unsafe fn free_extra(x: *mut Extra) {
    // SAFETY: caller contract; `Extra` is 8-aligned like every pool block.
    unsafe { pool::free_block(x.cast(), EXTRA_BLOCK) }
}

/// The task running `t` inline during `t`'s first run
/// (`aria_task_start_inline`), for the `awaited by` chain of reports: it
/// awaits `t` but is not in its waiter list yet. Null otherwise.
///
/// # Safety
/// `t` is a live task; the caller holds its lock or runs it.
#[inline]
pub unsafe fn inline_parent(t: *mut Task) -> *mut Task {
    // SAFETY: caller contract.
    let v = unsafe { (*t).extra.load(Acquire) };
    if v & EXTRA_PARENT_TAG != 0 {
        (v & !EXTRA_PARENT_TAG) as *mut Task
    } else {
        ptr::null_mut()
    }
}

/// Sets (non-null `parent`: before `t` is shared, at the start of its inline
/// run) or clears (null: under `t`'s lock, when that run ends) the inline
/// parent of `t`. `t` has no [`Extra`] part during that run: nobody but its
/// parent holds a handle to it (no `then`), it has not suspended (no
/// registry entry, no saved panic state).
///
/// # Safety
/// `t` is a live task in its inline first run, as stated.
#[inline]
pub unsafe fn set_inline_parent(t: *mut Task, parent: *mut Task) {
    let v = if parent.is_null() {
        0
    } else {
        parent as usize | EXTRA_PARENT_TAG
    };
    // SAFETY: caller contract.
    unsafe {
        debug_assert!(extra(t).is_null());
        (*t).extra.store(v, Release);
    }
}

// ---- accessors -----------------------------------------------------------------------------

/// # Safety
/// `t` is a live task.
#[inline]
pub unsafe fn flags(t: *mut Task) -> u32 {
    // SAFETY: caller contract; flags never change once the task is shared.
    unsafe { *(*t).flags.get() }
}

// ---- runner-only bits (`Task::runner`) -------------------------------------------------

/// `aria_task_pin` asked to pin the task at its suspensions (sticky).
pub const RUNNER_PIN_REQUEST: u8 = 1;
/// The task is in its runtime's registry (from the end of its first run
/// that suspends until its completion).
pub const RUNNER_REGISTERED: u8 = 2;
/// The current run ends with a yield: requeue the task behind the others.
pub const RUNNER_YIELD: u8 = 4;

/// The runner-only bits of `t`.
///
/// # Safety
/// `t` is a live task, running on this thread (or not shared yet).
#[inline]
pub unsafe fn runner_bits(t: *mut Task) -> u8 {
    // SAFETY: caller contract.
    unsafe { *(*t).runner.get() }
}

/// Sets (`on`) or clears the runner-only bits `bits` of `t`.
///
/// # Safety
/// As for [`runner_bits`].
#[inline]
pub unsafe fn set_runner_bits(t: *mut Task, bits: u8, on: bool) {
    // SAFETY: caller contract.
    unsafe {
        let r = (*t).runner.get();
        *r = if on { *r | bits } else { *r & !bits };
    }
}

/// Is `t` in its runtime's registry?
///
/// # Safety
/// As for [`runner_bits`].
#[inline]
pub unsafe fn is_registered(t: *mut Task) -> bool {
    // SAFETY: caller contract.
    unsafe { runner_bits(t) & RUNNER_REGISTERED != 0 }
}

/// The running task `t` yields: its run ends pending and it is requeued
/// behind the other runnable tasks (`yield_now`, or an exhausted budget).
///
/// # Safety
/// `t` is running on this thread, about to return pending from `resume`.
#[inline]
pub unsafe fn request_yield(t: *mut Task) {
    // SAFETY: caller contract.
    unsafe { set_runner_bits(t, RUNNER_YIELD, true) }
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

//! The async library (LANGUAGE.md §7.11) as built-in tasks: `sleep`,
//! `yield_now`, `join_all`, `race`, `with_timeout`. Each call returns a new
//! task (+1) that is already running; built-in tasks have no id.
//!
//! Invariants:
//! - A built-in task waits with `WAIT_NATIVE` from its creation; each event
//!   that may end the wait (a timer, an argument's completion) *claims* the
//!   wait and only the winner wakes it ([`crate::task::wait`]). A
//!   cancellation claims it too, so the task always resumes exactly once
//!   per wait and sees why (`CANCELLED`, or its events' state).
//! - Argument tasks are retained by the built-in task; its wait nodes live
//!   in its frame (boxed, at stable addresses) and are all unlinked before
//!   the task completes, so no notification can reach a completed task.
//! - Cancelling a `join_all`, `race` or `with_timeout` task cancels its
//!   argument tasks (§7.6); `race` cancels the losers, `with_timeout` its
//!   argument on timeout.

use std::ffi::CStr;
use std::sync::atomic::{AtomicUsize, Ordering::*};

use crate::array::{new_array, parts, store};
use crate::layout::{ERR_CANCELLED, ERR_INVALID, ERR_TIMEOUT};
use crate::task::abi::yield_task;
use crate::task::native::{complete_unspawned, new_task, start_waiting, Native};
use crate::task::state::{CANCELLED, COMPLETE};
use crate::task::wait::{self, claim, WaitNode, NODE_NATIVE, WAIT_NATIVE};
use crate::task::{flags, release, result, retain, state, Task, FLAG_RESULT_MANAGED};

/// Is `t`'s cancellation requested?
unsafe fn cancelled(t: *mut Task) -> bool {
    // SAFETY: caller passes a live task.
    unsafe { state(t).load() & CANCELLED != 0 }
}

/// A task that is complete from the start.
struct Ready;
impl Native for Ready {
    const NAME: &'static CStr = c"ready";
    unsafe fn resume(_this: *mut Self, _task: *mut Task) -> Option<(i64, i64)> {
        Some((0, 0))
    }
}

/// A built-in task complete from the start with `(err, val)`.
pub(crate) fn ready(err: i64, val: i64, managed: bool) -> *mut Task {
    let t = new_task(Ready, false, managed);
    // SAFETY: new task, `Ready` needs no drop.
    unsafe { complete_unspawned(t, err, val) };
    t
}

// ---- sleep / yield_now ------------------------------------------------------------------

struct Sleep;
impl Native for Sleep {
    const NAME: &'static CStr = c"sleep";
    unsafe fn resume(_this: *mut Self, task: *mut Task) -> Option<(i64, i64)> {
        // Woken by its timer or by a cancellation (its entry is then stale).
        // SAFETY: runner; a started task has its runtime.
        unsafe {
            if cancelled(task) {
                (*(*(*task).sched.get())).timers.note_stale();
                Some((ERR_CANCELLED, 0))
            } else {
                Some((0, 0))
            }
        }
    }
}

/// `sleep(ms)`: a task of `NIL` completing after at least `ms` ms;
/// `ms <= 0` is `yield_now()`.
#[no_mangle]
pub extern "C" fn aria_sleep(ms: i64) -> *mut Task {
    if ms <= 0 {
        return aria_yield_now();
    }
    let shared = crate::sched::current();
    let t = new_task(Sleep, false, false);
    let deadline = shared.timers.deadline_after_ms(ms);
    // SAFETY: `t` is new.
    unsafe {
        start_waiting(shared, t);
        if shared
            .timers
            .insert(deadline, crate::task::TaskRef::from_raw(t))
        {
            shared.timer_added_earliest();
        }
    }
    t
}

/// `yield_now()`: the immortal yield task (awaiting it requeues the caller
/// behind the other runnable tasks).
#[no_mangle]
pub extern "C" fn aria_yield_now() -> *mut Task {
    yield_task()
}

// ---- waiting on several tasks ------------------------------------------------------------

/// A wait node on one argument task, owned by a built-in task.
#[repr(C)]
struct ArgNode {
    node: WaitNode,
    /// `join_all`: the built-in task's counter of arguments not complete.
    remaining: *const AtomicUsize,
}

/// The arguments of a multi-task built-in: retained tasks and their nodes.
struct Args {
    tasks: Vec<*mut Task>,
    nodes: Box<[ArgNode]>,
    remaining: Box<AtomicUsize>,
}

// SAFETY: the raw pointers are tasks (thread-safe objects) and nodes only
// touched under their argument's lock or by the owner's runner.
unsafe impl Send for Args {}

impl Args {
    /// Retains the element tasks of array `arr`.
    ///
    /// # Safety
    /// `arr` is null or a live array of tasks.
    unsafe fn from_array(arr: *const u8) -> Args {
        // SAFETY: caller contract.
        let (len, _, size, data) = unsafe { parts(arr) };
        let mut tasks = Vec::with_capacity(len);
        for i in 0..len {
            // SAFETY: elements are task pointers (8 bytes).
            unsafe {
                let t = crate::array::load(data, i, size, crate::layout::ELEM_TASK) as *mut Task;
                retain(t);
                tasks.push(t);
            }
        }
        Args::new(tasks)
    }

    fn new(tasks: Vec<*mut Task>) -> Args {
        let n = tasks.len();
        Args {
            tasks,
            nodes: (0..n)
                .map(|_| ArgNode {
                    node: WaitNode::new(NODE_NATIVE, std::ptr::null_mut(), notify_claim),
                    remaining: std::ptr::null(),
                })
                .collect(),
            remaining: Box::new(AtomicUsize::new(n)),
        }
    }

    /// Links a node into every argument (owner `owner`, notification
    /// `notify`); returns how many arguments were already complete.
    ///
    /// # Safety
    /// `owner` is the built-in task owning `self` (in its frame), waiting
    /// with `WAIT_NATIVE`.
    unsafe fn link_all(&mut self, owner: *mut Task, notify: wait::NotifyFn) -> usize {
        let mut done = 0;
        let remaining: *const AtomicUsize = &*self.remaining;
        for (i, &t) in self.tasks.iter().enumerate() {
            let n = &mut self.nodes[i];
            n.node.owner = owner;
            n.node.notify = Some(notify);
            n.remaining = remaining;
            // SAFETY: the node lives in a boxed slice that outlives its link.
            if !unsafe { wait::link(t, &mut n.node) } {
                done += 1;
            }
        }
        done
    }

    /// Unlinks every node still linked.
    ///
    /// # Safety
    /// The arguments are live (retained).
    unsafe fn unlink_all(&mut self) {
        for (i, &t) in self.tasks.iter().enumerate() {
            // SAFETY: caller contract.
            unsafe { wait::unlink(t, &mut self.nodes[i].node) };
        }
    }

    /// Cancels the arguments (all but `except`).
    unsafe fn cancel_all(&self, except: Option<usize>) {
        for (i, &t) in self.tasks.iter().enumerate() {
            if Some(i) != except {
                // SAFETY: retained arguments.
                unsafe { wait::cancel(t) };
            }
        }
    }
}

impl Drop for Args {
    fn drop(&mut self) {
        // SAFETY: every node is unlinked before the owner completes (module
        // invariant); the tasks were retained by `from_array`/`new`.
        unsafe {
            self.unlink_all();
            for &t in &self.tasks {
                release(t);
            }
        }
    }
}

/// Notification for `race` and `with_timeout`: the first event wins.
unsafe fn notify_claim(node: *mut WaitNode, _target: *mut Task) {
    // SAFETY: called under the argument's lock; the owner is alive while
    // its node is linked.
    unsafe {
        let owner = (*node).owner;
        if claim(owner, WAIT_NATIVE) {
            crate::sched::wake(owner);
        }
    }
}

/// Notification for `join_all`: the last completion wins.
unsafe fn notify_count(node: *mut WaitNode, _target: *mut Task) {
    // SAFETY: as `notify_claim`; `remaining` lives in the owner's frame.
    unsafe {
        let an = node.cast::<ArgNode>();
        if (*(*an).remaining).fetch_sub(1, AcqRel) == 1 {
            let owner = (*node).owner;
            if claim(owner, WAIT_NATIVE) {
                crate::sched::wake(owner);
            }
        }
    }
}

// ---- join_all ------------------------------------------------------------------------------

struct JoinAll {
    args: Args,
    elem_kind: u32,
    elem_size: u32,
}

impl Native for JoinAll {
    const NAME: &'static CStr = c"join_all";
    unsafe fn resume(this: *mut Self, task: *mut Task) -> Option<(i64, i64)> {
        // SAFETY: runner; woken by the last completion or a cancellation.
        unsafe {
            let args = &mut (*this).args;
            if cancelled(task) {
                args.unlink_all();
                args.cancel_all(None);
                return Some((ERR_CANCELLED, 0));
            }
            Some(join_results(
                &args.tasks,
                (*this).elem_kind,
                (*this).elem_size,
            ))
        }
    }
}

/// The result of a `join_all` whose arguments are all complete.
unsafe fn join_results(tasks: &[*mut Task], elem_kind: u32, elem_size: u32) -> (i64, i64) {
    // SAFETY: the arguments are complete (acquire through their state).
    unsafe {
        for &t in tasks {
            let (err, _) = result(t);
            if err != 0 {
                return (err, 0);
            }
        }
        let arr = new_array(elem_kind, elem_size, tasks.len());
        let (_, _, size, data) = parts(arr);
        for (i, &t) in tasks.iter().enumerate() {
            let (_, val) = result(t);
            if flags(t) & FLAG_RESULT_MANAGED != 0 {
                crate::object::aria_retain(val as *mut u8);
            }
            store(data, i, size, val);
        }
        (0, arr as i64)
    }
}

/// `join_all(tasks)`: a task of `T[]` with the values in array order, or the
/// failure of the lowest-index failed task, once **all** completed.
/// `elem_kind`/`elem_size` describe `T` (RUNTIME_ABI.md element kinds).
///
/// # Safety
/// `tasks` is null or a live array of tasks.
#[no_mangle]
pub unsafe extern "C" fn aria_join_all(
    tasks: *const u8,
    elem_kind: i32,
    elem_size: i32,
) -> *mut Task {
    // SAFETY: caller contract.
    let args = unsafe { Args::from_array(tasks) };
    // SAFETY: as above.
    unsafe { join_all_of(args, elem_kind as u32, elem_size as u32) }
}

unsafe fn join_all_of(args: Args, elem_kind: u32, elem_size: u32) -> *mut Task {
    // SAFETY: all tasks retained by `args`.
    unsafe {
        if args.tasks.iter().all(|&t| state(t).is_complete()) {
            let (err, val) = join_results(&args.tasks, elem_kind, elem_size);
            drop(args);
            return ready(err, val, true);
        }
        let t = new_task(
            JoinAll {
                args,
                elem_kind,
                elem_size,
            },
            false,
            true,
        );
        start_waiting(crate::sched::current(), t);
        let j = crate::task::frame(t).cast::<JoinAll>();
        let done = (*j).args.link_all(t, notify_count);
        // Arguments already complete will never notify: count them here.
        if done > 0 && (*j).args.remaining.fetch_sub(done, AcqRel) == done && claim(t, WAIT_NATIVE)
        {
            crate::sched::wake(t);
        }
        t
    }
}

// ---- race ------------------------------------------------------------------------------------

struct Race {
    args: Args,
}

impl Native for Race {
    const NAME: &'static CStr = c"race";
    unsafe fn resume(this: *mut Self, task: *mut Task) -> Option<(i64, i64)> {
        // SAFETY: runner; woken by the first completion or a cancellation.
        unsafe {
            let args = &mut (*this).args;
            args.unlink_all();
            if cancelled(task) {
                args.cancel_all(None);
                return Some((ERR_CANCELLED, 0));
            }
            let winner = args.tasks.iter().position(|&t| state(t).is_complete());
            let Some(w) = winner else {
                // Not reachable: only a completion or a cancellation wakes us.
                args.cancel_all(None);
                return Some((ERR_CANCELLED, 0));
            };
            args.cancel_all(Some(w));
            Some(owned_result(args.tasks[w]))
        }
    }
}

/// A complete task's result with its value retained when managed.
unsafe fn owned_result(t: *mut Task) -> (i64, i64) {
    // SAFETY: caller passes a complete live task.
    unsafe {
        let (err, val) = result(t);
        if err == 0 && flags(t) & FLAG_RESULT_MANAGED != 0 {
            crate::object::aria_retain(val as *mut u8);
        }
        (err, val)
    }
}

fn any_managed(tasks: &[*mut Task]) -> bool {
    // SAFETY: retained tasks.
    tasks
        .iter()
        .any(|&t| unsafe { flags(t) } & FLAG_RESULT_MANAGED != 0)
}

/// `race(tasks)`: a task of `T` with the result of the first to complete
/// (lowest index if several are), cancelling the rest; `[]` fails
/// `ERR_INVALID`.
///
/// # Safety
/// `tasks` is null or a live array of tasks.
#[no_mangle]
pub unsafe extern "C" fn aria_race(tasks: *const u8) -> *mut Task {
    // SAFETY: caller contract.
    let args = unsafe { Args::from_array(tasks) };
    // SAFETY: as above.
    unsafe { race_of(args) }
}

unsafe fn race_of(args: Args) -> *mut Task {
    if args.tasks.is_empty() {
        return ready(ERR_INVALID, 0, false);
    }
    let managed = any_managed(&args.tasks);
    // SAFETY: retained tasks.
    unsafe {
        if let Some(w) = args.tasks.iter().position(|&t| state(t).is_complete()) {
            args.cancel_all(Some(w));
            let (err, val) = owned_result(args.tasks[w]);
            drop(args);
            return ready(err, val, managed);
        }
        let t = new_task(Race { args }, false, managed);
        start_waiting(crate::sched::current(), t);
        let r = crate::task::frame(t).cast::<Race>();
        if (*r).args.link_all(t, notify_claim) > 0 && claim(t, WAIT_NATIVE) {
            crate::sched::wake(t);
        }
        t
    }
}

// ---- with_timeout ---------------------------------------------------------------------------

struct WithTimeout {
    args: Args,
}

impl Native for WithTimeout {
    const NAME: &'static CStr = c"with_timeout";
    unsafe fn resume(this: *mut Self, task: *mut Task) -> Option<(i64, i64)> {
        // SAFETY: runner; woken by the argument, the timer or a cancellation.
        unsafe {
            let args = &mut (*this).args;
            args.unlink_all();
            let t = args.tasks[0];
            if cancelled(task) {
                args.cancel_all(None);
                (*(*(*task).sched.get())).timers.note_stale();
                return Some((ERR_CANCELLED, 0));
            }
            if state(t).load() & COMPLETE != 0 {
                (*(*(*task).sched.get())).timers.note_stale();
                return Some(owned_result(t));
            }
            args.cancel_all(None);
            Some((ERR_TIMEOUT, 0))
        }
    }
}

/// `with_timeout(t, ms)`: a task of `T` with `t`'s result if it completes
/// within `ms` ms, else `t` is cancelled and the task fails `ERR_TIMEOUT`.
///
/// # Safety
/// `task` is a live task.
#[no_mangle]
pub unsafe extern "C" fn aria_with_timeout(task: *mut Task, ms: i64) -> *mut Task {
    // SAFETY: caller contract.
    unsafe {
        retain(task);
        let args = Args::new(vec![task]);
        let managed = any_managed(&args.tasks);
        if state(task).is_complete() {
            let (err, val) = owned_result(task);
            drop(args);
            return ready(err, val, managed);
        }
        let shared = crate::sched::current();
        let t = new_task(WithTimeout { args }, false, managed);
        start_waiting(shared, t);
        let w = crate::task::frame(t).cast::<WithTimeout>();
        if (*w).args.link_all(t, notify_claim) > 0 && claim(t, WAIT_NATIVE) {
            crate::sched::wake(t);
            return t;
        }
        let deadline = shared.timers.deadline_after_ms(ms);
        if shared
            .timers
            .insert(deadline, crate::task::TaskRef::from_raw(t))
        {
            shared.timer_added_earliest();
        }
        t
    }
}

// ---- rust-side constructors (tests, other modules) ------------------------------------------

/// `join_all` over task pointers (each retained here).
///
/// # Safety
/// Every task is live.
pub unsafe fn join_all_tasks(tasks: &[*mut Task], elem_kind: u32, elem_size: u32) -> *mut Task {
    for &t in tasks {
        // SAFETY: caller contract.
        unsafe { retain(t) };
    }
    // SAFETY: retained above.
    unsafe { join_all_of(Args::new(tasks.to_vec()), elem_kind, elem_size) }
}

/// `race` over task pointers (each retained here).
///
/// # Safety
/// Every task is live.
pub unsafe fn race_tasks(tasks: &[*mut Task]) -> *mut Task {
    for &t in tasks {
        // SAFETY: caller contract.
        unsafe { retain(t) };
    }
    // SAFETY: retained above.
    unsafe { race_of(Args::new(tasks.to_vec())) }
}

// ---- callback runner --------------------------------------------------------------------------

struct CallbackRunner {
    target: *mut Task,
}
// SAFETY: a retained task pointer.
unsafe impl Send for CallbackRunner {}

impl Native for CallbackRunner {
    const NAME: &'static CStr = c"then";
    unsafe fn resume(this: *mut Self, _task: *mut Task) -> Option<(i64, i64)> {
        // SAFETY: the runner was created holding a reference to `target`
        // and with the callback queue's `running` flag set for it.
        unsafe {
            let t = (*this).target;
            crate::task::callbacks::drain(t);
            release(t);
        }
        Some((0, 0))
    }
}

/// Runs `t`'s callbacks on a worker (a registration after completion from a
/// thread that is not a worker). Takes over the caller's reference to `t`.
///
/// # Safety
/// `t` is complete, retained for this call, with `running` set.
pub unsafe fn spawn_callback_runner(t: *mut Task) {
    let r = new_task(CallbackRunner { target: t }, false, false);
    // SAFETY: new task; spawn takes its own reference, then we drop ours.
    unsafe {
        crate::sched::spawn(r);
        release(r);
    }
}

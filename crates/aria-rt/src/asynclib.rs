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
//!   They are linked before the wait is published, so no notification can
//!   wake (and complete) the task while its creator still links them
//!   (`start_waiting_linked`).
//! - Cancelling a `join_all`, `race` or `with_timeout` task cancels its
//!   argument tasks (§7.6); `race` cancels the losers, `with_timeout` its
//!   argument on timeout.
//! - **Nothing taken is dropped** (docs/DECISIONS.md #30). A `with_timeout`
//!   whose timer fired, and a `race` or `with_timeout` that is cancelled,
//!   cancel their arguments and then *settle*: wait until every argument
//!   completed (`settle`; a cancelled task stops at its next await, a
//!   built-in operation at once). An argument that completed successfully
//!   all the same took effect (a send handed over, a task past its last
//!   await), so its result is passed on instead of `ERR_TIMEOUT` /
//!   `ERR_CANCELLED`; a cancelled recv gives back a value it was handed
//!   (chan.rs). A `race` decided by a completion does not settle: the first
//!   completion records itself and cancels the built-in losers from its
//!   notification (`notify_race`), before they can complete, so only
//!   losers that completed at the same time as the winner (or before the
//!   `race` call) keep a result nobody reads.

use std::ffi::CStr;
use std::sync::atomic::{AtomicUsize, Ordering::*};

use crate::array::{new_array, parts, store};
use crate::direct::{must_stop, try_op, TRY_CANCELLED, TRY_TASK, TRY_WAIT};
use crate::layout::{ERR_CANCELLED, ERR_INVALID, ERR_TIMEOUT};
use crate::task::abi::yield_task;
use crate::task::native::{complete_unspawned, new_task, start_waiting, Native};
use crate::task::state::CANCELLED;
use crate::task::wait::{self, claim, WaitNode, NODE_NATIVE, WAIT_NATIVE};
use crate::task::{
    flags, release, result, retain, state, Task, FLAG_C_FRAME, FLAG_NUMBERED, FLAG_RESULT_MANAGED,
};
use crate::AriaResult;

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

/// `await sleep(ms)` without a task (docs/RUNTIME_ABI.md, "Awaiting
/// without a task"): the awaiting task itself waits (`WAIT_NATIVE`) for a
/// timer entry holding a reference to it, and the result is `{TRY_WAIT,
/// 0}`; `{TRY_CANCELLED, 0}` when it must stop now; `{TRY_TASK, the task
/// of aria_sleep(ms)}` for `ms <= 0` (a yield) or when no task runs here.
/// A stale entry (the sleep was cancelled) only fails its claim when it
/// fires: a cancelled task never waits again.
#[no_mangle]
pub extern "C" fn aria_try_sleep(ms: i64) -> AriaResult {
    try_op(|cur| sleep_in(cur, ms), || aria_sleep(ms))
}

/// `aria_try_sleep` in running task `cur`, which waits itself unless
/// `ms <= 0` (a yield: the yield task).
fn sleep_in(cur: *mut Task, ms: i64) -> AriaResult {
    if ms <= 0 {
        return AriaResult {
            err: TRY_TASK,
            val: aria_yield_now() as i64,
        };
    }
    let shared = crate::sched::current();
    let deadline = shared.timers.deadline_after_ms(ms);
    // SAFETY: `cur` runs here; the timer entry takes its own reference.
    unsafe {
        if !wait::try_publish(cur, WAIT_NATIVE) {
            return AriaResult::err(TRY_CANCELLED);
        }
        if shared
            .timers
            .insert(deadline, crate::task::TaskRef::from_raw(cur))
        {
            shared.timer_added_earliest();
        }
    }
    AriaResult {
        err: TRY_WAIT,
        val: 0,
    }
}

/// Ends `task`'s sleep after its wake ([`aria_try_sleep`] returned
/// `TRY_WAIT`): `{0, 0}`, or `{TRY_CANCELLED, 0}` when it must stop
/// (woken by a cancellation: its timer entry is then stale).
///
/// # Safety
/// `task` runs here, woken from the wait of its `aria_try_sleep`.
#[no_mangle]
pub unsafe extern "C" fn aria_finish_sleep(_op: *mut u8, task: *mut Task) -> AriaResult {
    // SAFETY: caller contract; a started task has its runtime.
    unsafe {
        if !must_stop(task) {
            return AriaResult::ok(0);
        }
        if cancelled(task) {
            (*(*(*task).sched.get())).timers.note_stale();
        }
        AriaResult::err(TRY_CANCELLED)
    }
}

/// `yield_now()`: the immortal yield task (awaiting it requeues the caller
/// behind the other runnable tasks).
#[no_mangle]
pub extern "C" fn aria_yield_now() -> *mut Task {
    yield_task()
}

// ---- waiting on several tasks ------------------------------------------------------------

/// A wait node on one argument task, owned by a built-in task: a
/// `WaitNode` and two words (there may be one per argument of a large
/// `join_all`).
#[repr(C)]
struct ArgNode {
    node: WaitNode,
    /// What the nodes of the built-in task share (boxed in its `Args`).
    shared: *const ArgShared,
    /// This argument's index.
    index: usize,
}

/// The state shared by the nodes of one built-in task.
struct ArgShared {
    /// `join_all`: the number of linked nodes whose argument has not
    /// completed (arguments complete when `join_all` started have none).
    remaining: AtomicUsize,
    /// `race`: the first completion seen by a notification (index + 1; 0:
    /// none yet).
    first: AtomicUsize,
    /// `race`: every argument, for the first completion to cancel the
    /// losers (empty for `join_all` and `with_timeout`).
    peers: Box<[Peer]>,
}

/// An argument as a `race` notification sees it.
struct Peer {
    task: *mut Task,
    /// A runtime built-in (neither an Aria nor a C task): it only waits for
    /// built-in operations (`WAIT_NATIVE`), so cancelling it takes no task
    /// lock and may be done under the lock of the completing winner.
    builtin: bool,
}

/// The arguments of a multi-task built-in: retained tasks and their nodes.
/// `race` and `with_timeout` have one node per argument (`nodes[i]` on
/// `tasks[i]`); `join_all` one per argument not complete when it started
/// (each node's `index` names its argument).
struct Args {
    tasks: Vec<*mut Task>,
    nodes: Box<[ArgNode]>,
    shared: Box<ArgShared>,
}

// SAFETY: the raw pointers are tasks (thread-safe objects), nodes only
// touched under their argument's lock or by the owner's runner, and the
// shared atomics / immutable peers in a box owned by `Args`.
unsafe impl Send for Args {}

impl Args {
    /// Retains the element tasks of array `arr`.
    ///
    /// # Safety
    /// `arr` is null or a live array of tasks.
    unsafe fn from_array(arr: *const u8) -> Vec<*mut Task> {
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
        tasks
    }

    /// Arguments with a node each, `peers` for `race`.
    ///
    /// # Safety
    /// The tasks are live and retained (released by `drop`).
    unsafe fn new(tasks: Vec<*mut Task>, peers: bool) -> Args {
        let peers: Box<[Peer]> = if peers {
            tasks
                .iter()
                .map(|&t| Peer {
                    task: t,
                    // SAFETY: caller contract; a shared task's flags no longer change.
                    builtin: unsafe { flags(t) } & (FLAG_NUMBERED | FLAG_C_FRAME) == 0,
                })
                .collect()
        } else {
            Box::new([])
        };
        // SAFETY: caller contract.
        unsafe { Args::with_nodes(tasks, peers, |_| true) }
    }

    /// Arguments with a node for each task for which `wanted` holds
    /// (`remaining` counts them).
    ///
    /// # Safety
    /// As `new`.
    unsafe fn with_nodes(
        tasks: Vec<*mut Task>,
        peers: Box<[Peer]>,
        wanted: impl Fn(*mut Task) -> bool,
    ) -> Args {
        let shared = Box::new(ArgShared {
            remaining: AtomicUsize::new(0),
            first: AtomicUsize::new(0),
            peers,
        });
        let nodes: Box<[ArgNode]> = (0..tasks.len())
            .filter(|&i| wanted(tasks[i]))
            .map(|index| ArgNode {
                node: WaitNode::new(NODE_NATIVE, std::ptr::null_mut(), notify_claim),
                shared: &*shared,
                index,
            })
            .collect();
        shared.remaining.store(nodes.len(), Relaxed);
        Args {
            tasks,
            nodes,
            shared,
        }
    }

    /// Links every node into its argument (owner `owner`, notification
    /// `notify`); returns how many of them were already complete.
    ///
    /// # Safety
    /// `owner` is the built-in task owning `self` (in its frame), waiting
    /// with `WAIT_NATIVE`.
    unsafe fn link_all(&mut self, owner: *mut Task, notify: wait::NotifyFn) -> usize {
        let mut done = 0;
        for n in self.nodes.iter_mut() {
            n.node.owner = owner;
            n.node.notify = Some(notify);
            // SAFETY: the node lives in a boxed slice that outlives its link.
            if !unsafe { wait::link(self.tasks[n.index], &mut n.node) } {
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
        for n in self.nodes.iter_mut() {
            // SAFETY: caller contract.
            unsafe { wait::unlink(self.tasks[n.index], &mut n.node) };
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

/// Notification for `race`: the first event wins its wait. The first
/// completion also records itself and cancels the built-in losers at once
/// (a recv handed a value but not yet complete then gives it back), so
/// that only a loser completing at the same time keeps a result; the race
/// cancels the other losers when it runs.
unsafe fn notify_race(node: *mut WaitNode, target: *mut Task) {
    // SAFETY: as `notify_claim`; `first` and the peers live in the owner's
    // frame, which cannot complete before this claim's wake. Cancelling a
    // built-in peer takes no task lock (it waits only for `WAIT_NATIVE`).
    unsafe {
        let owner = (*node).owner;
        if !claim(owner, WAIT_NATIVE) {
            return;
        }
        let an = node.cast::<ArgNode>();
        let shared = &*(*an).shared;
        if shared
            .first
            .compare_exchange(0, (*an).index + 1, AcqRel, Acquire)
            .is_ok()
        {
            for p in shared.peers.iter() {
                if p.builtin && p.task != target {
                    wait::cancel(p.task);
                }
            }
        }
        crate::sched::wake(owner);
    }
}

/// Waits until every argument of built-in task `task` (running) is
/// complete: true when they all are (no wait left published); false when
/// `task` now waits (`WAIT_NATIVE` published, its node linked on an
/// incomplete argument) and must return pending. Works whether or not
/// `task` is cancelled; any wake (a stale timer, a late canceller) just
/// resumes it to call this again after unlinking its nodes.
///
/// # Safety
/// `args` belongs to `task` (in its frame) and has a node per argument
/// (`race`, `with_timeout`), all unlinked.
unsafe fn settle(args: &mut Args, task: *mut Task) -> bool {
    loop {
        // SAFETY: retained arguments; the node outlives its link (frame).
        unsafe {
            let Some(i) = args.tasks.iter().position(|&t| !state(t).is_complete()) else {
                return true;
            };
            wait::publish_even_if_cancelled(task, WAIT_NATIVE);
            if wait::link(args.tasks[i], &mut args.nodes[i].node) {
                return false;
            }
            // Complete meanwhile: take the wait back, unless another event
            // claimed it (it wakes us).
            if !claim(task, WAIT_NATIVE) {
                return false;
            }
        }
    }
}

/// Starts new built-in task `t` waiting (`WAIT_NATIVE`) once its nodes are
/// linked on its arguments, and wakes it if `ready()` already holds. True
/// when it was woken here.
///
/// Linking first matters: until the wait is published no notification can
/// claim and wake `t`, so `t` cannot run, complete and free its frame (the
/// nodes) while they are being linked. A notification lost that way is
/// made up by the check of `ready` after publishing, which must read only
/// the arguments as the caller holds them, not `t`'s frame (an argument's
/// completion may run `t` to completion meanwhile, releasing its own
/// references).
///
/// # Safety
/// `t` is new and unshared with its nodes linked; the caller holds
/// references to the arguments `ready` reads.
unsafe fn start_waiting_linked(t: *mut Task, ready: impl Fn() -> bool) -> bool {
    // SAFETY: caller contract.
    unsafe {
        start_waiting(crate::sched::current(), t);
        if ready() && claim(t, WAIT_NATIVE) {
            crate::sched::wake(t);
            return true;
        }
        false
    }
}

/// Notification for `join_all`: the last completion wins.
unsafe fn notify_count(node: *mut WaitNode, _target: *mut Task) {
    // SAFETY: as `notify_claim`; `remaining` lives in the owner's frame.
    unsafe {
        let an = node.cast::<ArgNode>();
        if (*(*an).shared).remaining.fetch_sub(1, AcqRel) == 1 {
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
            let ts = &args.tasks;
            Some(join_results(
                ts.len(),
                |i| ts[i],
                (*this).elem_kind,
                (*this).elem_size,
            ))
        }
    }
}

/// The result of a `join_all` whose `len` arguments (argument `i` is
/// `task(i)`) are all complete.
///
/// # Safety
/// Every `task(i)` is live and complete (seen so through its state).
unsafe fn join_results(
    len: usize,
    task: impl Fn(usize) -> *mut Task,
    elem_kind: u32,
    elem_size: u32,
) -> (i64, i64) {
    // SAFETY: the arguments are complete (acquire through their state).
    unsafe {
        for i in 0..len {
            let (err, _) = result(task(i));
            if err != 0 {
                return (err, 0);
            }
        }
        let arr = new_array(elem_kind, elem_size, len);
        let (_, _, size, data) = parts(arr);
        for i in 0..len {
            let t = task(i);
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
    let (elem_kind, elem_size) = (elem_kind as u32, elem_size as u32);
    // SAFETY: caller contract; the array holds a reference to each element
    // for this call (a write racing with this read of a shared array is
    // undefined behaviour, LANGUAGE.md), so the tasks need no retain of
    // ours to be read here.
    unsafe {
        let (len, _, size, data) = parts(tasks);
        let task =
            |i: usize| crate::array::load(data, i, size, crate::layout::ELEM_TASK) as *mut Task;
        // From the end: the last tasks spawned are the likeliest still to run.
        if (0..len).rev().all(|i| state(task(i)).is_complete()) {
            let (err, val) = join_results(len, task, elem_kind, elem_size);
            return ready(err, val, true);
        }
        join_all_of(Args::from_array(tasks), task, elem_kind, elem_size)
    }
}

/// `join_all` of retained `tasks`; `caller(i)` is `tasks[i]` as the
/// caller sees it (an array or slice it keeps alive for this call).
///
/// # Safety
/// The tasks are live and retained (the references pass to the result);
/// the caller holds references of its own to them for this call.
unsafe fn join_all_of(
    tasks: Vec<*mut Task>,
    caller: impl Fn(usize) -> *mut Task,
    elem_kind: u32,
    elem_size: u32,
) -> *mut Task {
    // SAFETY: all tasks retained.
    unsafe {
        let len = tasks.len();
        // Only arguments not complete yet get a node (and are waited for).
        // One that completes before its node is linked is counted when
        // linking; one complete now never notifies, so has none.
        let args = Args::with_nodes(tasks, Box::new([]), |a| !state(a).is_complete());
        if args.nodes.is_empty() {
            let (err, val) = join_results(len, |i| args.tasks[i], elem_kind, elem_size);
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
        let j = crate::task::frame(t).cast::<JoinAll>();
        // Arguments complete meanwhile will never notify: count them here.
        let done = (*j).args.link_all(t, notify_count);
        (*j).args.shared.remaining.fetch_sub(done, AcqRel);
        // Read through the caller's view: the frame (and `args`) may be
        // gone once the wait is published. From the end, as above.
        start_waiting_linked(t, || (0..len).rev().all(|i| state(caller(i)).is_complete()));
        t
    }
}

// ---- race ------------------------------------------------------------------------------------

struct Race {
    args: Args,
    /// Cancelled: the arguments were cancelled and the race settles.
    settling: bool,
    /// The first completion recorded when settling began (index + 1).
    first: usize,
}

impl Native for Race {
    const NAME: &'static CStr = c"race";
    unsafe fn resume(this: *mut Self, task: *mut Task) -> Option<(i64, i64)> {
        // SAFETY: runner; woken by the first completion, a cancellation, or
        // (settling) an argument's completion or a late canceller.
        unsafe {
            let args = &mut (*this).args;
            args.unlink_all();
            if !(*this).settling {
                if !cancelled(task) {
                    // The first completion's notification recorded itself
                    // (and cancelled the built-in losers); none recorded:
                    // arguments complete while the race was created.
                    let first = args.shared.first.load(Acquire);
                    let winner = if first > 0 {
                        Some(first - 1)
                    } else {
                        args.tasks.iter().position(|&t| state(t).is_complete())
                    };
                    if let Some(w) = winner {
                        args.cancel_all(Some(w));
                        return Some(owned_result(args.tasks[w]));
                    }
                    // Not reachable: only a completion or a cancellation
                    // wakes us; settle as if cancelled.
                }
                (*this).settling = true;
                (*this).first = args.shared.first.load(Acquire);
                args.cancel_all(None);
            }
            if !settle(args, task) {
                return None;
            }
            // An argument that took effect all the same is passed on: the
            // recorded first completion, else the lowest-index success.
            let f = (*this).first;
            let ok = |i: usize| result(args.tasks[i]).0 == 0;
            let pick = if f > 0 && ok(f - 1) {
                Some(f - 1)
            } else {
                (0..args.tasks.len()).find(|&i| ok(i))
            };
            Some(match pick {
                Some(i) => owned_result(args.tasks[i]),
                None => (ERR_CANCELLED, 0),
            })
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
/// (lowest index if several are when it is called), cancelling the rest;
/// `[]` fails `ERR_INVALID`. Cancelled, it settles: the result of an
/// argument that succeeded all the same, else `ERR_CANCELLED`.
///
/// # Safety
/// `tasks` is null or a live array of tasks.
#[no_mangle]
pub unsafe extern "C" fn aria_race(tasks: *const u8) -> *mut Task {
    // SAFETY: caller contract; the tasks are retained by `from_array`.
    let args = unsafe { Args::new(Args::from_array(tasks), true) };
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
        let tasks = args.tasks.clone();
        let t = new_task(
            Race {
                args,
                settling: false,
                first: 0,
            },
            false,
            managed,
        );
        let r = crate::task::frame(t).cast::<Race>();
        (*r).args.link_all(t, notify_race);
        start_waiting_linked(t, || tasks.iter().any(|&a| state(a).is_complete()));
        t
    }
}

// ---- with_timeout ---------------------------------------------------------------------------

struct WithTimeout {
    args: Args,
    /// The timer fired or the task is cancelled: the argument was
    /// cancelled and the task settles.
    settling: bool,
}

impl Native for WithTimeout {
    const NAME: &'static CStr = c"with_timeout";
    unsafe fn resume(this: *mut Self, task: *mut Task) -> Option<(i64, i64)> {
        // SAFETY: runner; woken by the argument, the timer or a
        // cancellation (settling: by the argument, a late canceller or the
        // stale timer).
        unsafe {
            let args = &mut (*this).args;
            args.unlink_all();
            let t = args.tasks[0];
            if !(*this).settling {
                if state(t).is_complete() && !cancelled(task) {
                    (*(*(*task).sched.get())).timers.note_stale();
                    return Some(owned_result(t));
                }
                if cancelled(task) {
                    (*(*(*task).sched.get())).timers.note_stale();
                }
                (*this).settling = true;
                wait::cancel(t);
            }
            if !settle(args, task) {
                return None;
            }
            // The argument succeeded all the same (it took effect): its
            // result. Else the timeout, or our own cancellation — also when
            // the argument ended with another failure after the request
            // (a panic in a defer it ran for the cancellation, say): it was
            // not done within the time (§7.11), and awaiting it tells.
            Some(if result(t).0 == 0 {
                owned_result(t)
            } else if cancelled(task) {
                (ERR_CANCELLED, 0)
            } else {
                (ERR_TIMEOUT, 0)
            })
        }
    }
}

/// `with_timeout(t, ms)`: a task of `T` with `t`'s result if it completes
/// within `ms` ms, else `t` is cancelled and, once `t` completed, the task
/// fails `ERR_TIMEOUT` — or has `t`'s result if `t` succeeded all the same
/// (it took effect: a value is never dropped).
///
/// # Safety
/// `task` is a live task.
#[no_mangle]
pub unsafe extern "C" fn aria_with_timeout(task: *mut Task, ms: i64) -> *mut Task {
    // SAFETY: caller contract.
    unsafe {
        retain(task);
        let args = Args::new(vec![task], false);
        let managed = any_managed(&args.tasks);
        if state(task).is_complete() {
            let (err, val) = owned_result(task);
            drop(args);
            return ready(err, val, managed);
        }
        let shared = crate::sched::current();
        let t = new_task(
            WithTimeout {
                args,
                settling: false,
            },
            false,
            managed,
        );
        let w = crate::task::frame(t).cast::<WithTimeout>();
        (*w).args.link_all(t, notify_claim);
        if start_waiting_linked(t, || state(task).is_complete()) {
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
    // SAFETY: retained above; the caller holds references of its own.
    unsafe { join_all_of(tasks.to_vec(), |i| tasks[i], elem_kind, elem_size) }
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
    unsafe { race_of(Args::new(tasks.to_vec(), true)) }
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

//! Waiting for a task: waiter lists, the wait claim, and cancellation wakes.
//!
//! A waiter is a [`WaitNode`] linked into the target task's list (under the
//! target's lock): the node embedded in an awaiting task's header, a node on
//! the stack of a thread blocked in `.await()`, or a node owned by a built-in
//! task (`join_all`, `race`, `with_timeout`). Completion takes the whole
//! list under the lock, sets `COMPLETE` in the same critical section, and
//! calls each node's `notify` there. So a node registered under the lock
//! while the target is incomplete is notified exactly once, or unlinked by
//! its owner first; a target seen complete under the lock never gets a node.
//!
//! **The wait claim.** A suspended task publishes what it waits for in its
//! `wait` word (the target's address, or [`WAIT_NATIVE`] for a built-in
//! operation: timer, pool job, several tasks). Whoever clears that token
//! from the word owns the one wake of that wait: the target's completion
//! or a timer ([`WaitClaim::claim`]), or a canceller
//! ([`WaitClaim::cancel_and_take`]). The word also carries a sticky cancel
//! bit, set by the canceller in the same RMW that reads the token, and a
//! task cannot publish once the bit is set ([`WaitClaim::try_publish`]
//! fails: it continues without suspending; the one exception is a built-in
//! task that already handled its cancellation and waits for the tasks it
//! cancelled to settle, [`publish_even_if_cancelled`]). All of it is one
//! word changed only by RMWs, so:
//! - no double wake and no stale wake: a wake that lost the claim does
//!   nothing, so a task is never resumed before what it awaits completed,
//!   unless it was cancelled;
//! - no lost cancellation: either the canceller's RMW sees the token (and
//!   wakes the task), or the task's publish sees the cancel bit (and does
//!   not suspend) (`loom_` test).
//!
//! Lifetimes: a task whose wait is unclaimed cannot run, so it cannot
//! complete or be freed while a claimer still needs it. The awaited target
//! is kept alive by the waiter (generated code keeps the awaited handle in
//! its frame until it has read the result; built-in tasks hold references).

use std::ptr;

use super::lock::Guard;
use super::state::{CANCELLED, COMPLETE};
use super::{state, Task};
use crate::sync::atomic::{AtomicUsize, Ordering::*};

/// `wait`: not waiting.
pub const WAIT_NONE: usize = 0;
/// `wait`: waiting for a built-in operation (timer, pool job, several tasks).
pub const WAIT_NATIVE: usize = 2;

/// What a node stands for (reports follow the chain of waiters).
pub const NODE_TASK: u8 = 0;
pub const NODE_THREAD: u8 = 1;
pub const NODE_NATIVE: u8 = 2;

/// Called under the target's lock when the target completes.
pub type NotifyFn = unsafe fn(node: *mut WaitNode, target: *mut Task);

/// An entry in a task's waiter list.
#[repr(C)]
pub struct WaitNode {
    pub next: *mut WaitNode,
    pub prev: *mut WaitNode,
    pub notify: Option<NotifyFn>,
    /// The waiting task (task and native nodes), or the task the blocked
    /// thread is running (thread nodes; null on a non-worker thread).
    pub owner: *mut Task,
    pub kind: u8,
    /// In a list (guarded by that list's task lock).
    pub linked: bool,
    /// Thread nodes: the thread is the program's main thread.
    pub is_main: bool,
}

impl WaitNode {
    pub const fn new(kind: u8, owner: *mut Task, notify: NotifyFn) -> WaitNode {
        WaitNode {
            next: ptr::null_mut(),
            prev: ptr::null_mut(),
            notify: Some(notify),
            owner,
            kind,
            linked: false,
            is_main: false,
        }
    }

    /// The node embedded in task `t`'s header.
    pub const fn for_task(t: *mut Task) -> WaitNode {
        WaitNode::new(NODE_TASK, t, notify_task)
    }
}

/// A doubly linked list of nodes, oldest first.
#[repr(C)]
pub struct WaitList {
    pub head: *mut WaitNode,
    pub tail: *mut WaitNode,
}

impl WaitList {
    /// # Safety
    /// `n` is a valid unlinked node; caller holds the list's lock.
    pub unsafe fn push_back(&mut self, n: *mut WaitNode) {
        // SAFETY: caller contract.
        unsafe {
            (*n).next = ptr::null_mut();
            (*n).prev = self.tail;
            if self.tail.is_null() {
                self.head = n;
            } else {
                (*self.tail).next = n;
            }
            self.tail = n;
            (*n).linked = true;
        }
    }

    /// # Safety
    /// `n` is linked in this list; caller holds the list's lock.
    pub unsafe fn remove(&mut self, n: *mut WaitNode) {
        // SAFETY: caller contract.
        unsafe {
            let (p, q) = ((*n).prev, (*n).next);
            if p.is_null() {
                self.head = q;
            } else {
                (*p).next = q;
            }
            if q.is_null() {
                self.tail = p;
            } else {
                (*q).prev = p;
            }
            (*n).linked = false;
            (*n).next = ptr::null_mut();
            (*n).prev = ptr::null_mut();
        }
    }

    /// Detaches every node, oldest first.
    pub fn take(&mut self) -> *mut WaitNode {
        let h = self.head;
        self.head = ptr::null_mut();
        self.tail = ptr::null_mut();
        h
    }
}

/// Links `node` into `target`'s waiter list unless `target` is complete.
/// Returns false (node not linked) when it is complete.
///
/// # Safety
/// `target` is live; `node` is valid, unlinked, and stays valid until it is
/// notified or unlinked.
pub unsafe fn link(target: *mut Task, node: *mut WaitNode) -> bool {
    // SAFETY: caller contract.
    unsafe {
        let _g = Guard::new(&(*target).lock);
        if state(target).load() & COMPLETE != 0 {
            return false;
        }
        (*(*target).waiters.get()).push_back(node);
        true
    }
}

/// Unlinks `node` from `target`'s list if it is still there (completion may
/// have taken it). True when this call unlinked it.
///
/// # Safety
/// `target` is live; `node` was linked into `target`'s list at some point.
pub unsafe fn unlink(target: *mut Task, node: *mut WaitNode) -> bool {
    // SAFETY: caller contract.
    unsafe {
        let _g = Guard::new(&(*target).lock);
        if !(*node).linked {
            return false;
        }
        (*(*target).waiters.get()).remove(node);
        true
    }
}

/// Notifies every node of a taken list (`target`'s lock held).
///
/// # Safety
/// Called by completion with `target`'s lock held, on the list it took.
pub unsafe fn notify_all(target: *mut Task, mut n: *mut WaitNode) {
    while !n.is_null() {
        // SAFETY: nodes in the list are valid until notified (module invariant);
        // `next` is read before `notify`, after which the node may be reused.
        unsafe {
            let next = (*n).next;
            (*n).linked = false;
            (*n).next = ptr::null_mut();
            (*n).prev = ptr::null_mut();
            if let Some(f) = (*n).notify {
                f(n, target);
            }
            n = next;
        }
    }
}

// ---- the claim ---------------------------------------------------------------------------

/// The sticky cancel bit of the wait word (tokens are 8-aligned addresses or 2).
const CANCEL_BIT: usize = 1;

/// The wait claim word of a task (see the module documentation).
#[repr(transparent)]
pub struct WaitClaim(AtomicUsize);

impl Default for WaitClaim {
    fn default() -> Self {
        WaitClaim::new()
    }
}

impl WaitClaim {
    pub fn new() -> WaitClaim {
        WaitClaim(AtomicUsize::new(WAIT_NONE))
    }

    /// The waiter (running, not waiting) publishes what it waits for.
    /// False when the task was cancelled: it must not suspend.
    #[inline]
    pub fn try_publish(&self, token: usize) -> bool {
        debug_assert!(token != WAIT_NONE && token & CANCEL_BIT == 0);
        match self.0.compare_exchange(WAIT_NONE, token, AcqRel, Acquire) {
            Ok(_) => true,
            Err(cur) => {
                debug_assert_eq!(cur, CANCEL_BIT, "published a wait while waiting");
                false
            }
        }
    }

    /// A built-in task that has already seen its cancellation publishes a
    /// new wait anyway, to let the tasks it cancelled settle
    /// ([`publish_even_if_cancelled`]). A canceller still between its
    /// `State::cancel` and its `cancel_and_take` may take this token and
    /// wake the task once more: such a task re-checks what it waits for
    /// whenever it resumes.
    #[inline]
    pub fn publish_even_if_cancelled(&self, token: usize) {
        debug_assert!(token != WAIT_NONE && token & CANCEL_BIT == 0);
        let prev = self.0.fetch_or(token, AcqRel);
        debug_assert_eq!(
            prev & !CANCEL_BIT,
            WAIT_NONE,
            "published a wait while waiting"
        );
    }

    /// An event the wait was for (completion, timer): claims the wake if
    /// the task still waits for `token`.
    #[inline]
    pub fn claim(&self, token: usize) -> bool {
        let mut cur = self.0.load(Acquire);
        loop {
            if cur & !CANCEL_BIT != token {
                return false;
            }
            match self
                .0
                .compare_exchange_weak(cur, cur & CANCEL_BIT, AcqRel, Acquire)
            {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }

    /// A canceller: sets the cancel bit and takes the token, if any (it then
    /// owns the wake); `WAIT_NONE` if the task waits for nothing (it will
    /// see the bit at its next publish) or someone else claimed first.
    #[inline]
    pub fn cancel_and_take(&self) -> usize {
        let mut cur = self.0.fetch_or(CANCEL_BIT, AcqRel) | CANCEL_BIT;
        loop {
            let token = cur & !CANCEL_BIT;
            if token == WAIT_NONE {
                return WAIT_NONE;
            }
            match self
                .0
                .compare_exchange_weak(cur, CANCEL_BIT, AcqRel, Acquire)
            {
                Ok(_) => return token,
                Err(actual) => cur = actual,
            }
        }
    }

    /// The task itself drops its wait token (after a cancellation wake).
    /// Only the task publishes a token, so a word seen without one stays
    /// without one: no RMW is needed then.
    #[inline]
    pub fn take(&self) -> usize {
        if self.0.load(Acquire) & !CANCEL_BIT == WAIT_NONE {
            return WAIT_NONE;
        }
        self.0.fetch_and(CANCEL_BIT, AcqRel) & !CANCEL_BIT
    }
}

/// Publishes that `t` (running) now waits for `token`; false if cancelled.
///
/// # Safety
/// `t` is live and running on this thread (or new and not yet shared).
#[inline]
pub unsafe fn try_publish(t: *mut Task, token: usize) -> bool {
    // SAFETY: caller contract.
    unsafe { (*t).wait.try_publish(token) }
}

/// Publishes that running built-in task `t` waits for `token`, even if it
/// is cancelled (see [`WaitClaim::publish_even_if_cancelled`]).
///
/// # Safety
/// `t` is live and running on this thread; it tolerates extra wakes.
#[inline]
pub unsafe fn publish_even_if_cancelled(t: *mut Task, token: usize) {
    // SAFETY: caller contract.
    unsafe { (*t).wait.publish_even_if_cancelled(token) }
}

/// Claims the wake of `t`'s wait on `token` (completion side).
///
/// # Safety
/// `t` is live (its wait on `token` is unclaimed, or the caller keeps it alive).
#[inline]
pub unsafe fn claim(t: *mut Task, token: usize) -> bool {
    // SAFETY: caller contract.
    unsafe { (*t).wait.claim(token) }
}

/// `notify` of a task's embedded node: claim the wait, then wake the task.
unsafe fn notify_task(node: *mut WaitNode, target: *mut Task) {
    // SAFETY: called under `target`'s lock on a linked node, whose owner is
    // alive (it cannot run before its wait is claimed).
    unsafe {
        let t = (*node).owner;
        if claim(t, target as usize) {
            crate::sched::wake(t);
        }
    }
}

/// Registers running task `cur` as a waiter of `target`. True: do not
/// suspend (`target` is complete, or `cur` is cancelled); false: `cur` must
/// return pending and will be woken exactly once.
///
/// # Safety
/// Both are live; `cur` is running on this thread and not waiting.
pub unsafe fn register(cur: *mut Task, target: *mut Task) -> bool {
    // SAFETY: caller contract.
    unsafe {
        if state(cur).load() & CANCELLED != 0 {
            return true;
        }
        let _g = Guard::new(&(*target).lock);
        if state(target).load() & COMPLETE != 0 {
            return true;
        }
        if !try_publish(cur, target as usize) {
            return true;
        }
        (*(*target).waiters.get()).push_back((*cur).node.get());
        false
    }
}

/// Requests cancellation of `t` and, if it is suspended on a wait, claims
/// that wait and wakes it (a task waiting on another is unlinked from it).
///
/// # Safety
/// `t` is live (the caller holds a reference).
pub unsafe fn cancel(t: *mut Task) {
    // SAFETY: caller contract.
    unsafe {
        let prev = state(t).cancel();
        if prev & (COMPLETE | CANCELLED) != 0 {
            return;
        }
        let w = (*t).wait.cancel_and_take();
        if w == WAIT_NONE {
            return;
        }
        if w != WAIT_NATIVE {
            unlink(w as *mut Task, (*t).node.get());
        }
        crate::sched::wake(t);
    }
}

/// Called by a task resumed after a cancellation wake to make sure its node
/// is out of any list (the canceller unlinked it; this is a no-op guard).
///
/// # Safety
/// `t` is live and running on this thread.
pub unsafe fn ensure_unlinked(t: *mut Task) {
    // SAFETY: caller contract; see `cancel`.
    unsafe {
        let w = (*t).wait.take();
        if w != WAIT_NONE && w != WAIT_NATIVE {
            unlink(w as *mut Task, (*t).node.get());
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::WaitClaim;
    use crate::sync::atomic::{AtomicUsize, Ordering::AcqRel};
    use crate::sync::{thread, Arc};
    use std::sync::atomic::Ordering::Acquire;

    const T: usize = 0x1000;

    /// A thread that counts in `wakes` the wake `take` claims from `wait`.
    fn claimer(
        wait: &Arc<WaitClaim>,
        wakes: &Arc<AtomicUsize>,
        take: fn(&WaitClaim) -> bool,
    ) -> thread::JoinHandle<()> {
        let (wait, wakes) = (wait.clone(), wakes.clone());
        thread::spawn(move || {
            if take(&wait) {
                wakes.fetch_add(1, AcqRel);
            }
        })
    }

    /// The claim handshake with the functions `register`, `cancel` and the
    /// completion use: whether the cancellation and the completion come
    /// before, during or after the waiter's publish, exactly one party owns
    /// the wake-up — the waiter itself when it saw the cancellation and did
    /// not suspend.
    #[test]
    fn loom_cancel_and_completion_claim_once() {
        loom::model(|| {
            let wait = Arc::new(WaitClaim::new());
            let wakes = Arc::new(AtomicUsize::new(0));
            let canceller = claimer(&wait, &wakes, |w| w.cancel_and_take() == T);
            let completer = claimer(&wait, &wakes, |w| w.claim(T));
            let did_not_suspend = usize::from(!wait.try_publish(T));
            canceller.join().unwrap();
            completer.join().unwrap();
            assert_eq!(
                wakes.load(Acquire) + did_not_suspend,
                1,
                "exactly one owner of the wake"
            );
            assert_eq!(wait.take(), 0, "no token left behind");
        });
    }

    /// `publish_even_if_cancelled`: a built-in task that saw its
    /// cancellation waits again (for the arguments it cancelled) while its
    /// canceller may still be between `State::cancel` and `cancel_and_take`;
    /// the awaited completion claims only after the publish (it needs the
    /// node linked after it). Exactly one of them owns the wake, and the
    /// word ends with the cancel bit and no token.
    #[test]
    fn loom_publish_after_cancel_is_claimed_once() {
        loom::model(|| {
            let wait = Arc::new(WaitClaim::new());
            let wakes = Arc::new(AtomicUsize::new(0));
            let canceller = claimer(&wait, &wakes, |w| w.cancel_and_take() == T);
            wait.publish_even_if_cancelled(T);
            let completer = claimer(&wait, &wakes, |w| w.claim(T));
            canceller.join().unwrap();
            completer.join().unwrap();
            assert_eq!(wakes.load(Acquire), 1, "exactly one owner of the wake");
            assert_eq!(wait.take(), 0, "no token left behind");
        });
    }

    /// `aria_task_start_inline` (task/run.rs): a new task goes idle →
    /// `RUNNING` by a plain store (no queue), publishes a wait during that first
    /// run, is marked `SPAWNED` and — when the runtime is closing —
    /// cancelled through its wait claim, then ends the run. Whether the
    /// completion of what it waits for claims the wake before, during or
    /// after those steps, the task is queued exactly once, never while it
    /// runs, and ends `SCHEDULED`.
    #[test]
    fn loom_inline_first_run_that_suspends_is_queued_once() {
        use crate::task::state::{State, NOTIFIED, RUNNING, SCHEDULED, SPAWNED};
        for closing in [false, true] {
            loom::model(move || {
                let s = Arc::new(State::new());
                let wait = Arc::new(WaitClaim::new());
                let pushes = Arc::new(AtomicUsize::new(0));
                s.start_unshared();
                assert!(wait.try_publish(T));
                let completer = {
                    let (s, wait, pushes) = (s.clone(), wait.clone(), pushes.clone());
                    thread::spawn(move || {
                        if wait.claim(T) && s.wake() {
                            pushes.fetch_add(1, AcqRel);
                        }
                    })
                };
                s.mark_spawned();
                if closing {
                    s.cancel();
                    if wait.cancel_and_take() == T && s.wake() {
                        pushes.fetch_add(1, AcqRel);
                    }
                }
                if s.end_run() {
                    pushes.fetch_add(1, AcqRel);
                }
                completer.join().unwrap();
                assert_eq!(pushes.load(Acquire), 1, "queued exactly once");
                assert_eq!(
                    s.load() & (SCHEDULED | RUNNING | NOTIFIED | SPAWNED),
                    SCHEDULED | SPAWNED
                );
            });
        }
    }

    /// Two waits in a row: a stale claim for the first never takes the second.
    #[test]
    fn loom_stale_claim_cannot_take_a_later_wait() {
        loom::model(|| {
            const U: usize = 0x2000;
            let wait = Arc::new(WaitClaim::new());
            assert!(wait.try_publish(T));
            assert!(wait.claim(T));
            let w2 = wait.clone();
            let stale = thread::spawn(move || w2.claim(T));
            assert!(wait.try_publish(U));
            assert!(!stale.join().unwrap(), "a claim for T took the wait on U");
            assert!(wait.claim(U));
        });
    }
}

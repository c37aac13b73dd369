//! Channels (LANGUAGE.md §7.12): `Chan<T>`, a multi-producer
//! multi-consumer FIFO with a capacity (0: rendezvous), as a managed object
//! of kind 7 whose `send` and `recv` return built-in tasks
//! (docs/RUNTIME_ABI.md, "Channels, TCP and files").
//!
//! A channel is a buffer of at most `capacity` values (as i64 bits) and two
//! FIFO queues of waiting operations, all under one mutex. A waiting send
//! or recv is a built-in task waiting with `WAIT_NATIVE` ([`crate::task::wait`])
//! whose queue node lives in its frame.
//!
//! Invariants (all under the channel's lock):
//! - Receivers wait only while the buffer is empty and no sender waits;
//!   senders wait only while the buffer holds `capacity` values or more
//!   (capacity 0: always) and no receiver waits. Buffered values precede
//!   the values of waiting senders, each in arrival order: that is the FIFO
//!   order of delivery.
//! - **The claim decides.** An operation completes another's wait only by
//!   winning that task's wait claim first ([`claim`]), under the lock, and
//!   only then moves the value (into the receiver's node, or out of the
//!   sender's node). A cancellation that claimed first leaves the waiter
//!   untouched: it is dropped from the queue and completes `ERR_CANCELLED`
//!   having taken / delivered nothing. So a value is never lost nor
//!   duplicated, whatever the races between delivery and cancellation.
//! - **A recv cancelled before it completes takes nothing.** A receiver
//!   handed a value whose task sees a cancellation request when it runs
//!   (the request came after the hand-over, before completion) gives the
//!   value back (`give_back`): to the first waiting receiver, else to the
//!   front of the buffer (which may then exceed the capacity by the values
//!   given back), and completes `ERR_CANCELLED`. So a value is never left
//!   in a recv task that completes after being cancelled (`race` losers,
//!   `with_timeout`, `await c.recv()` in a cancelled task: LANGUAGE.md
//!   §7.6). A send handed over cannot be undone: it completes successfully.
//! - A waiter's `outcome` is written after the claim and read by its task
//!   after its wake, both under the lock.
//! - Ownership of managed values: the channel retains a value when it
//!   takes it from `send` (into the buffer or a waiting sender's node); the
//!   reference moves buffer → receiver node → recv task result, or is
//!   released when a send fails (closed, cancelled) or the channel is freed.
//! - Every waiting operation holds a reference to the channel object, so
//!   the channel is freed only when no operation waits on it.
//!
//! `await c.send(v)` / `await c.recv()` call [`aria_chan_try_send`] /
//! [`aria_chan_try_recv`]: the same code as `aria_chan_send` /
//! `aria_chan_recv` ([`send_at_once`], [`recv_at_once`], [`wait_op`]), but
//! an operation that completes at once returns its result without a task
//! (taking a unit of the run's budget), and with a pending cancellation
//! request of the awaiting task nothing happens ([`TRY_CANCELLED`]).

use std::collections::VecDeque;
use std::ffi::CStr;
use std::ptr;
use std::sync::atomic::AtomicI64;
use std::sync::{Mutex, MutexGuard};

use crate::asynclib::ready;
use crate::layout::{ERR_CANCELLED, ERR_CLOSED, ERR_INVALID, KIND_CHAN};
use crate::object::{alloc_object, aria_release, aria_retain, free_object, PrivateDrop};
use crate::task::native::{new_task, start_waiting, Native};
use crate::task::wait::{claim, WAIT_NATIVE};
use crate::task::{frame, state, Task};
use crate::waitq::{Linked, Links, Queue};
use crate::AriaResult;

/// `outcome` of a waiter: still waiting (or cancelled).
const PENDING: u8 = 0;
/// The value was delivered (send) / received (recv).
const DONE: u8 = 1;
/// The channel closed first.
const CLOSED: u8 = 2;

/// A waiting send or recv (in its task's frame).
pub struct Waiter {
    links: Links<Waiter>,
    owner: *mut Task,
    /// Send: the value to deliver (owned). Recv: the value received (owned).
    value: i64,
    outcome: u8,
}

// SAFETY: returns the embedded links.
unsafe impl Linked for Waiter {
    unsafe fn links(p: *mut Self) -> *mut Links<Self> {
        // SAFETY: caller contract.
        unsafe { ptr::addr_of_mut!((*p).links) }
    }
}

impl Waiter {
    fn new(value: i64) -> Waiter {
        Waiter {
            links: Links::new(),
            owner: ptr::null_mut(),
            value,
            outcome: PENDING,
        }
    }
}

struct State {
    buf: VecDeque<i64>,
    closed: bool,
    senders: Queue<Waiter>,
    receivers: Queue<Waiter>,
}

struct Inner {
    state: Mutex<State>,
    capacity: usize,
    managed: bool,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The channel object (kind 7).
#[repr(C)]
struct ChanObj {
    rc: AtomicI64,
    kind: u32,
    pad: u32,
    destructor: usize,
    inner: *mut Inner,
}

const CHAN_SIZE: usize = std::mem::size_of::<ChanObj>();

/// # Safety
/// `ch` is a live channel object.
unsafe fn inner<'a>(ch: *mut u8) -> &'a Inner {
    // SAFETY: caller contract; `inner` is set at creation and freed with the object.
    unsafe { &*(*ch.cast::<ChanObj>()).inner }
}

unsafe fn destroy_chan(p: *mut u8) {
    // SAFETY: called once by `aria_release` with exclusive access.
    unsafe {
        let inner = Box::from_raw((*p.cast::<ChanObj>()).inner);
        let st = inner.state.into_inner().unwrap_or_else(|e| e.into_inner());
        debug_assert!(st.senders.is_empty() && st.receivers.is_empty());
        if inner.managed {
            for v in st.buf {
                aria_release(v as *mut u8);
            }
        }
        free_object(p, CHAN_SIZE);
    }
}

/// A new channel (+1).
pub fn new_chan(capacity: usize, managed: bool) -> *mut u8 {
    let p = alloc_object(CHAN_SIZE, KIND_CHAN, true);
    let inner = Box::new(Inner {
        state: Mutex::new(State {
            buf: VecDeque::with_capacity(capacity.min(64)),
            closed: false,
            senders: Queue::new(),
            receivers: Queue::new(),
        }),
        capacity,
        managed,
    });
    let d: PrivateDrop = destroy_chan;
    // SAFETY: fresh object of CHAN_SIZE bytes.
    unsafe {
        let c = p.cast::<ChanObj>();
        ptr::addr_of_mut!((*c).destructor).write(d as usize);
        ptr::addr_of_mut!((*c).inner).write(Box::into_raw(inner));
    }
    p
}

// ---- the operations ------------------------------------------------------------------------

/// The frame of a waiting send or recv: its node and a channel reference.
struct Op<const SEND: bool> {
    w: Waiter,
    ch: *mut u8,
    managed: bool,
}

// SAFETY: the channel is a thread-safe object; the node is touched under
// the channel's lock only.
unsafe impl<const SEND: bool> Send for Op<SEND> {}

impl<const SEND: bool> Native for Op<SEND> {
    const NAME: &'static CStr = if SEND { c"send" } else { c"recv" };
    unsafe fn resume(this: *mut Self, task: *mut Task) -> Option<(i64, i64)> {
        // SAFETY: runner; the node and the channel are live (module invariants).
        unsafe {
            let w = ptr::addr_of_mut!((*this).w);
            let inn = inner((*this).ch);
            let mut st = inn.lock();
            // Woken by a cancellation: nobody claimed us; leave the queue.
            if SEND {
                st.senders.remove(w);
            } else {
                st.receivers.remove(w);
            }
            let mut outcome = (*w).outcome;
            if !SEND && outcome == DONE && state(task).is_cancelled() {
                // Cancelled after the hand-over: the value goes back.
                give_back(&mut st, std::mem::replace(&mut (*w).value, 0));
                outcome = PENDING;
            }
            drop(st);
            match outcome {
                DONE if SEND => Some((0, 0)),
                DONE => {
                    let v = std::mem::replace(&mut (*w).value, 0);
                    Some((0, v))
                }
                CLOSED => Some((ERR_CLOSED, 0)),
                _ => Some((ERR_CANCELLED, 0)),
            }
            // A send that did not deliver releases its value in `drop`.
        }
    }
}

impl<const SEND: bool> Drop for Op<SEND> {
    fn drop(&mut self) {
        // SAFETY: the node is unlinked (its task completed, or was never
        // shared); the channel reference is ours.
        unsafe {
            if self.managed && self.w.value != 0 {
                aria_release(self.w.value as *mut u8);
            }
            aria_release(self.ch);
        }
    }
}

/// Creates the task of a waiting operation and queues its node.
///
/// # Safety
/// `ch` is live; `st` is its locked state.
unsafe fn wait_op<const SEND: bool>(
    ch: *mut u8,
    st: &mut State,
    managed: bool,
    value: i64,
) -> *mut Task {
    // SAFETY: caller contract; the new task's frame holds the node at a
    // stable address; it waits (WAIT_NATIVE) before the node is visible.
    unsafe {
        aria_retain(ch);
        let t = new_task(
            Op::<SEND> {
                w: Waiter::new(value),
                ch,
                managed,
            },
            false,
            managed && !SEND,
        );
        let w = ptr::addr_of_mut!((*frame(t).cast::<Op<SEND>>()).w);
        (*w).owner = t;
        start_waiting(crate::sched::current(), t);
        if SEND {
            st.senders.push_back(w);
        } else {
            st.receivers.push_back(w);
        }
        t
    }
}

/// Pops waiters of `q` until one is claimed (returned; its task is not yet
/// woken). Waiters whose claim fails were cancelled: dropped from the queue.
///
/// # Safety
/// Channel lock held.
unsafe fn claim_first(q: &mut Queue<Waiter>) -> *mut Waiter {
    loop {
        // SAFETY: caller contract; queued nodes are live.
        unsafe {
            let w = q.pop_front();
            if w.is_null() || claim((*w).owner, WAIT_NATIVE) {
                return w;
            }
        }
    }
}

/// Puts back value `v` (owned) that a cancelled receiver was handed: to the
/// first waiting receiver, else at the front of the buffer (it was the
/// oldest value offered; the buffer may exceed its capacity until
/// receivers drain it). Waiting receivers imply an empty buffer.
///
/// # Safety
/// Channel lock held (`st`).
unsafe fn give_back(st: &mut State, v: i64) {
    // SAFETY: caller contract.
    unsafe {
        let r = claim_first(&mut st.receivers);
        if r.is_null() {
            st.buf.push_front(v);
        } else {
            (*r).value = v;
            (*r).outcome = DONE;
            crate::sched::wake((*r).owner);
        }
    }
}

/// `aria_chan_new(capacity, elem_managed)`: a channel (+1), or
/// `ERR_INVALID` for a negative capacity.
#[no_mangle]
pub extern "C" fn aria_chan_new(capacity: i64, elem_managed: i32) -> AriaResult {
    if capacity < 0 {
        return AriaResult::err(ERR_INVALID);
    }
    AriaResult::ok(new_chan(capacity as usize, elem_managed != 0) as i64)
}

/// `err` of [`aria_chan_try_send`] / [`aria_chan_try_recv`]: the operation
/// did not complete here; `val` is its built-in task (owned), exactly what
/// `aria_chan_send` / `aria_chan_recv` would have returned: await it.
pub const TRY_TASK: i64 = i64::MIN;
/// `err` of [`aria_chan_try_send`] / [`aria_chan_try_recv`]: the awaiting
/// task has a pending cancellation request (or the runtime is closing for
/// exit); the operation did not happen and the `await` must stop now, as
/// when `aria_task_cancelled` returns 1 after it.
pub const TRY_CANCELLED: i64 = i64::MIN + 1;

/// The part of `send` that completes at once: `Some(err)` — the value is
/// taken by the first waiting receiver or buffered (retained when
/// managed), or `ERR_CLOSED` — else `None` (nothing done: it must wait).
/// Waiting receivers imply an empty buffer, and a non-full buffer implies
/// no waiting sender, so nobody is overtaken.
///
/// # Safety
/// Channel lock held (`st`); `bits` a live value of the element type.
unsafe fn send_at_once(inn: &Inner, st: &mut State, bits: i64) -> Option<i64> {
    // SAFETY: caller contract; queued nodes are live.
    unsafe {
        if st.closed {
            return Some(ERR_CLOSED);
        }
        let r = claim_first(&mut st.receivers);
        if !r.is_null() {
            if inn.managed {
                aria_retain(bits as *mut u8);
            }
            (*r).value = bits;
            (*r).outcome = DONE;
            crate::sched::wake((*r).owner);
            return Some(0);
        }
        if st.buf.len() < inn.capacity {
            if inn.managed {
                aria_retain(bits as *mut u8);
            }
            st.buf.push_back(bits);
            return Some(0);
        }
        None
    }
}

/// The part of `recv` that completes at once: `Some((err, val))` — the
/// first buffered value (a waiting sender then refills the buffer), else
/// the value of the first waiting sender, else `ERR_CLOSED` on a closed
/// channel; `val` owned — or `None` (nothing done: it must wait).
///
/// # Safety
/// Channel lock held (`st`).
unsafe fn recv_at_once(inn: &Inner, st: &mut State) -> Option<(i64, i64)> {
    // SAFETY: caller contract; queued nodes are live.
    unsafe {
        if let Some(v) = st.buf.pop_front() {
            // Room in the buffer: the first waiting sender delivers into it
            // (none while values given back keep it over capacity).
            if st.buf.len() < inn.capacity {
                let s = claim_first(&mut st.senders);
                if !s.is_null() {
                    st.buf.push_back(std::mem::replace(&mut (*s).value, 0));
                    (*s).outcome = DONE;
                    crate::sched::wake((*s).owner);
                }
            }
            return Some((0, v));
        }
        let s = claim_first(&mut st.senders);
        if !s.is_null() {
            let v = std::mem::replace(&mut (*s).value, 0);
            (*s).outcome = DONE;
            crate::sched::wake((*s).owner);
            return Some((0, v));
        }
        if st.closed {
            return Some((ERR_CLOSED, 0));
        }
        None
    }
}

/// `c.send(v)`: a task of `NIL`, done once `bits` is buffered or taken;
/// `ERR_CLOSED` if the channel is or becomes closed first. `bits` is
/// borrowed (retained by the channel when managed).
///
/// # Safety
/// `ch` is a live channel; `bits` a live value of its element type.
#[no_mangle]
pub unsafe extern "C" fn aria_chan_send(ch: *mut u8, bits: i64) -> *mut Task {
    // SAFETY: caller contract.
    unsafe { start_send(ch, bits).into_task(false) }
}

/// How an operation started: completed at once with `{err, val}`, or
/// waiting as the task returned.
enum Started {
    Done(i64, i64),
    Waiting(*mut Task),
}

impl Started {
    /// For `aria_chan_send` / `aria_chan_recv`: always a task.
    fn into_task(self, managed: bool) -> *mut Task {
        match self {
            Started::Done(err, val) => ready(err, val, managed),
            Started::Waiting(t) => t,
        }
    }

    /// For the `aria_chan_try_*` calls: done at once without a task (see
    /// [`at_once`]) when `fast` (no task runs here: always the task).
    fn into_try_if(self, fast: bool, managed: bool) -> AriaResult {
        match self {
            Started::Done(err, val) if fast => at_once(err, val, managed),
            Started::Done(err, val) => AriaResult {
                err: TRY_TASK,
                val: ready(err, val, managed) as i64,
            },
            Started::Waiting(t) => AriaResult {
                err: TRY_TASK,
                val: t as i64,
            },
        }
    }
}

/// Starts `c.send(bits)`: done at once, or a waiting task.
///
/// # Safety
/// As [`aria_chan_send`].
unsafe fn start_send(ch: *mut u8, bits: i64) -> Started {
    // SAFETY: caller contract.
    unsafe {
        let inn = inner(ch);
        let mut st = inn.lock();
        if let Some(err) = send_at_once(inn, &mut st, bits) {
            return Started::Done(err, 0);
        }
        if inn.managed {
            aria_retain(bits as *mut u8);
        }
        Started::Waiting(wait_op::<true>(ch, &mut st, inn.managed, bits))
    }
}

/// Starts `c.recv()`: done at once (the value owned), or a waiting task.
///
/// # Safety
/// As [`aria_chan_recv`].
unsafe fn start_recv(ch: *mut u8) -> Started {
    // SAFETY: caller contract.
    unsafe {
        let inn = inner(ch);
        let mut st = inn.lock();
        if let Some((err, v)) = recv_at_once(inn, &mut st) {
            return Started::Done(err, v);
        }
        Started::Waiting(wait_op::<false>(ch, &mut st, inn.managed, 0))
    }
}

/// `c.recv()`: a task of `T` with the next value; `ERR_CLOSED` when the
/// channel is closed and empty. The value is owned by the task.
///
/// # Safety
/// `ch` is a live channel.
#[no_mangle]
pub unsafe extern "C" fn aria_chan_recv(ch: *mut u8) -> *mut Task {
    // SAFETY: caller contract.
    unsafe { start_recv(ch).into_task(inner(ch).managed) }
}

/// Whether the `await` running in this thread's current task may complete
/// an operation without a task: `Err(TRY_CANCELLED)` on a pending
/// cancellation request or a runtime closing for exit (what
/// `aria_task_cancelled` honours after any await); `Ok(false)` when no
/// task runs here (take the task path).
pub(crate) fn try_gate() -> Result<bool, i64> {
    let cur = crate::sched::context::current_task();
    if cur.is_null() {
        return Ok(false);
    }
    // SAFETY: the current task is live while it runs; its runtime outlives it.
    unsafe {
        if state(cur).is_cancelled() {
            return Err(TRY_CANCELLED);
        }
        let shared = (*cur).sched.get().read();
        if !shared.is_null() && (*shared).closing.load(std::sync::atomic::Ordering::Acquire) {
            return Err(TRY_CANCELLED);
        }
    }
    Ok(true)
}

/// `{err, 0}` of an operation completed at once by an `await` that takes
/// one unit of cooperative budget for it, as `aria_task_await` does for a
/// complete task; out of budget: `{TRY_TASK, a complete task}`, whose
/// await then yields, exactly as on the task path.
pub(crate) fn at_once(err: i64, val: i64, managed: bool) -> AriaResult {
    if crate::sched::context::consume_budget() {
        AriaResult { err, val }
    } else {
        AriaResult {
            err: TRY_TASK,
            val: ready(err, val, managed) as i64,
        }
    }
}

/// `await c.send(v)` without a task when it can: a send that completes at
/// once (as `aria_chan_send` would, same code) returns `{0 or ERR_CLOSED,
/// 0}`, one unit of budget taken (see [`at_once`]); one that must wait
/// returns `{TRY_TASK, its waiting task}`; with a pending cancellation
/// nothing happens: `{TRY_CANCELLED, 0}` (LANGUAGE.md §7.6: a cancelled
/// send delivers nothing). `bits` is borrowed, as for `aria_chan_send`.
///
/// # Safety
/// `ch` is a live channel; `bits` a live value of its element type; called
/// by the running task at its `await`.
#[no_mangle]
pub unsafe extern "C" fn aria_chan_try_send(ch: *mut u8, bits: i64) -> AriaResult {
    match try_gate() {
        Err(e) => AriaResult::err(e),
        // SAFETY: caller contract.
        Ok(fast) => unsafe { start_send(ch, bits).into_try_if(fast, false) },
    }
}

/// `await c.recv()` without a task when it can: like
/// [`aria_chan_try_send`]; completed at once: `{0, value (owned)}` or
/// `{ERR_CLOSED, 0}` (a cancelled recv takes nothing).
///
/// # Safety
/// `ch` is a live channel; called by the running task at its `await`.
#[no_mangle]
pub unsafe extern "C" fn aria_chan_try_recv(ch: *mut u8) -> AriaResult {
    match try_gate() {
        Err(e) => AriaResult::err(e),
        // SAFETY: caller contract.
        Ok(fast) => unsafe { start_recv(ch).into_try_if(fast, inner(ch).managed) },
    }
}

/// `c.close()`: no more sends; buffered values stay receivable; waiting
/// senders and receivers fail `ERR_CLOSED`. Closing again does nothing.
///
/// # Safety
/// `ch` is a live channel.
#[no_mangle]
pub unsafe extern "C" fn aria_chan_close(ch: *mut u8) {
    // SAFETY: caller contract.
    unsafe {
        let inn = inner(ch);
        let mut st = inn.lock();
        if st.closed {
            return;
        }
        st.closed = true;
        let st = &mut *st;
        for q in [&mut st.senders, &mut st.receivers] {
            loop {
                let w = claim_first(q);
                if w.is_null() {
                    break;
                }
                (*w).outcome = CLOSED;
                crate::sched::wake((*w).owner);
            }
        }
    }
}

/// Values buffered in `ch` (tests and diagnostics).
///
/// # Safety
/// `ch` is a live channel.
pub unsafe fn buffered(ch: *mut u8) -> usize {
    // SAFETY: caller contract.
    unsafe { inner(ch).lock().buf.len() }
}

#[cfg(test)]
mod tests;

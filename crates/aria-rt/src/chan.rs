//! Channels (LANGUAGE.md §7.12): `Chan<T>`, a multi-producer
//! multi-consumer FIFO with a capacity (0: rendezvous), as a managed object
//! of kind 7 whose `send` and `recv` return built-in tasks
//! (docs/RUNTIME_ABI.md, "Channels, TCP and files").
//!
//! A channel is a buffer of at most `capacity` values (as i64 bits) and two
//! FIFO queues of waiting operations, all under one mutex. A waiting send
//! or recv is an [`Op`] whose queue node names the task that waits with
//! `WAIT_NATIVE` ([`crate::task::wait`]) for it: a built-in task with the
//! `Op` in its frame (`aria_chan_send` / `aria_chan_recv`), or — for
//! `await c.send(v)` / `await c.recv()` — the awaiting task itself, the
//! `Op` in a pool block (no task, one wake: Go's sudog).
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
//! (taking a unit of the run's budget), one that must wait is waited for
//! by the awaiting task ([`TRY_WAIT`], then [`finish`] after its wake),
//! and with a pending cancellation request of the awaiting task nothing
//! happens ([`TRY_CANCELLED`]). The cancellation rules are the same
//! either way: [`Op::end_wait`] is shared.

use std::collections::VecDeque;
use std::ffi::CStr;
use std::ptr;
use std::sync::atomic::AtomicI64;
use std::sync::{Mutex, MutexGuard};

use crate::asynclib::ready;
use crate::direct::{at_once, must_stop, try_op, TRY_CANCELLED, TRY_TASK, TRY_WAIT};
use crate::layout::{ERR_CANCELLED, ERR_CLOSED, ERR_INVALID, KIND_CHAN};
use crate::object::{alloc_object, aria_release, aria_retain, free_object, PrivateDrop};
use crate::task::native::{new_task, start_waiting, Native};
use crate::task::pool;
use crate::task::wait::{claim, try_publish, WAIT_NATIVE};
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
            // Woken by a cancellation: nobody claimed us; leave the queue.
            let outcome = Op::end_wait(this, state(task).is_cancelled());
            Some(Op::result(this, outcome).unwrap_or((ERR_CANCELLED, 0)))
            // A send that did not deliver releases its value in `drop`.
        }
    }
}

impl<const SEND: bool> Op<SEND> {
    /// Ends the wait of the operation after its wake: its node leaves the
    /// queue (if a cancellation woke it, nobody claimed it), and a recv
    /// handed a value gives it back when `cancelled`. The outcome: `DONE`,
    /// `CLOSED`, or `PENDING` (cancelled, nothing happened).
    ///
    /// # Safety
    /// `this` is live, its node queued or claimed, and its wait woken.
    unsafe fn end_wait(this: *mut Self, cancelled: bool) -> u8 {
        // SAFETY: caller contract; the node is touched under the lock.
        unsafe {
            let w = ptr::addr_of_mut!((*this).w);
            let mut st = inner((*this).ch).lock();
            if SEND {
                st.senders.remove(w);
            } else {
                st.receivers.remove(w);
            }
            let outcome = (*w).outcome;
            if !SEND && outcome == DONE && cancelled {
                give_back(&mut st, std::mem::replace(&mut (*w).value, 0));
                return PENDING;
            }
            outcome
        }
    }

    /// `{err, val}` of an ended wait (a received value moves out);
    /// `None` when it was cancelled.
    ///
    /// # Safety
    /// `this` is live and its wait ended ([`Op::end_wait`]).
    unsafe fn result(this: *mut Self, outcome: u8) -> Option<(i64, i64)> {
        // SAFETY: caller contract.
        unsafe {
            match outcome {
                DONE if SEND => Some((0, 0)),
                DONE => Some((0, std::mem::replace(&mut (*this).w.value, 0))),
                CLOSED => Some((ERR_CLOSED, 0)),
                _ => None,
            }
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

/// Who waits for an operation that cannot complete at once.
#[derive(Clone, Copy)]
enum Waiting {
    /// A new built-in task (`aria_chan_send` / `aria_chan_recv`, or no
    /// task runs on this thread).
    NewTask,
    /// The awaiting task itself (`await c.send(v)` / `await c.recv()`),
    /// running on this thread.
    Current(*mut Task),
}

/// Bytes of the block of an operation its awaiting task waits for directly.
const fn op_block_size<const SEND: bool>() -> usize {
    crate::task::pool::round(std::mem::size_of::<Op<SEND>>())
}

/// Queues a waiting operation, its node in the frame of a new built-in
/// task or in a block for the current task (which waits with
/// `WAIT_NATIVE` from now on: not when it is cancelled, then nothing
/// happens). A send's value is retained here (managed), once it waits.
///
/// # Safety
/// `ch` is live; `st` is its locked state.
unsafe fn wait_op<const SEND: bool>(
    ch: *mut u8,
    st: &mut State,
    managed: bool,
    value: i64,
    who: Waiting,
) -> Started {
    // SAFETY: caller contract; the node is at a stable address (a task's
    // frame or a pool block); its waiter waits (WAIT_NATIVE) before the
    // node is visible.
    unsafe {
        let op = Op::<SEND> {
            w: Waiter::new(value),
            ch,
            managed,
        };
        let (w, started) = match who {
            Waiting::NewTask => {
                let t = new_task(op, false, managed && !SEND);
                start_waiting(crate::sched::current(), t);
                let w = ptr::addr_of_mut!((*frame(t).cast::<Op<SEND>>()).w);
                (*w).owner = t;
                (w, Started::Waiting(t))
            }
            Waiting::Current(cur) => {
                if !try_publish(cur, WAIT_NATIVE) {
                    std::mem::forget(op);
                    return Started::Cancelled;
                }
                let block = pool::alloc_block(op_block_size::<SEND>()).cast::<Op<SEND>>();
                block.write(op);
                let w = ptr::addr_of_mut!((*block).w);
                (*w).owner = cur;
                (w, Started::Direct(block.cast()))
            }
        };
        aria_retain(ch);
        if SEND && managed {
            aria_retain(value as *mut u8);
        }
        if SEND {
            st.senders.push_back(w);
        } else {
            st.receivers.push_back(w);
        }
        started
    }
}

/// `aria_chan_finish_send(op, task)` / `aria_chan_finish_recv(op, task)`:
/// ends the wait of running task `task` on operation `op` (from
/// [`aria_chan_try_send`] / [`aria_chan_try_recv`] returning [`TRY_WAIT`]),
/// after its wake: `{err, val}` as the operation's task would have
/// completed (a received value owned), or `{TRY_CANCELLED, 0}` when
/// `task` must stop (cancelled, or the runtime closing for exit) and the
/// operation took / delivered nothing (a value handed to a recv goes back).
/// Frees `op`.
///
/// # Safety
/// `op` came from a `TRY_WAIT` of `task`, which was woken since and runs
/// here.
unsafe fn finish<const SEND: bool>(op: *mut u8, task: *mut Task) -> AriaResult {
    // SAFETY: caller contract: the block holds a live `Op`, claimed or
    // cancelled, that only this task uses now.
    unsafe {
        let this = op.cast::<Op<SEND>>();
        let stop = must_stop(task);
        let outcome = Op::end_wait(this, stop);
        let r = Op::result(this, outcome);
        ptr::drop_in_place(this);
        pool::free_block(op, op_block_size::<SEND>());
        match r {
            Some((0, v)) => AriaResult::ok(v),
            Some((err, v)) if !stop => AriaResult { err, val: v },
            _ => AriaResult::err(TRY_CANCELLED),
        }
    }
}

/// See [`finish`].
///
/// # Safety
/// As [`finish`].
#[no_mangle]
pub unsafe extern "C" fn aria_chan_finish_send(op: *mut u8, task: *mut Task) -> AriaResult {
    // SAFETY: caller contract.
    unsafe { finish::<true>(op, task) }
}

/// See [`finish`].
///
/// # Safety
/// As [`finish`].
#[no_mangle]
pub unsafe extern "C" fn aria_chan_finish_recv(op: *mut u8, task: *mut Task) -> AriaResult {
    // SAFETY: caller contract.
    unsafe { finish::<false>(op, task) }
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
    unsafe { start_send(ch, bits, Waiting::NewTask).into_task(false) }
}

/// How an operation started.
enum Started {
    /// Completed at once with `{err, val}`.
    Done(i64, i64),
    /// Waiting as this built-in task.
    Waiting(*mut Task),
    /// The current task waits for it: the operation's block.
    Direct(*mut u8),
    /// Not started: the current task is cancelled.
    Cancelled,
}

impl Started {
    /// For `aria_chan_send` / `aria_chan_recv`: always a task.
    fn into_task(self, managed: bool) -> *mut Task {
        match self {
            Started::Done(err, val) => ready(err, val, managed),
            Started::Waiting(t) => t,
            Started::Direct(_) | Started::Cancelled => {
                unreachable!("only the try_ calls wait in the current task")
            }
        }
    }

    /// For the `aria_chan_try_*` calls: done at once without a task (see
    /// [`at_once`]), or how it waits.
    fn into_try(self, managed: bool) -> AriaResult {
        match self {
            Started::Done(err, val) => at_once(err, val, managed),
            Started::Waiting(t) => AriaResult {
                err: TRY_TASK,
                val: t as i64,
            },
            Started::Direct(op) => AriaResult {
                err: TRY_WAIT,
                val: op as i64,
            },
            Started::Cancelled => AriaResult::err(TRY_CANCELLED),
        }
    }
}

/// Starts `c.send(bits)`: done at once, or a waiting task.
///
/// # Safety
/// As [`aria_chan_send`].
unsafe fn start_send(ch: *mut u8, bits: i64, who: Waiting) -> Started {
    // SAFETY: caller contract.
    unsafe {
        let inn = inner(ch);
        let mut st = inn.lock();
        if let Some(err) = send_at_once(inn, &mut st, bits) {
            return Started::Done(err, 0);
        }
        wait_op::<true>(ch, &mut st, inn.managed, bits, who)
    }
}

/// Starts `c.recv()`: done at once (the value owned), or a waiting task.
///
/// # Safety
/// As [`aria_chan_recv`].
unsafe fn start_recv(ch: *mut u8, who: Waiting) -> Started {
    // SAFETY: caller contract.
    unsafe {
        let inn = inner(ch);
        let mut st = inn.lock();
        if let Some((err, v)) = recv_at_once(inn, &mut st) {
            return Started::Done(err, v);
        }
        wait_op::<false>(ch, &mut st, inn.managed, 0, who)
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
    unsafe { start_recv(ch, Waiting::NewTask).into_task(inner(ch).managed) }
}

/// `await c.send(v)` without a task when it can: a send that completes at
/// once (as `aria_chan_send` would, same code) returns `{0 or ERR_CLOSED,
/// 0}`, one unit of budget taken (see [`at_once`]); one that must wait
/// makes the awaiting task wait for it and returns `{TRY_WAIT, its
/// block}`: the task suspends, and `aria_chan_finish_send` ends the wait
/// (`{TRY_TASK, a waiting task}` when no task runs on this thread); with
/// a pending cancellation nothing happens: `{TRY_CANCELLED, 0}`
/// (LANGUAGE.md §7.6: a cancelled send delivers nothing). `bits` is
/// borrowed, as for `aria_chan_send`.
///
/// # Safety
/// `ch` is a live channel; `bits` a live value of its element type; called
/// by the running task at its `await`.
#[no_mangle]
pub unsafe extern "C" fn aria_chan_try_send(ch: *mut u8, bits: i64) -> AriaResult {
    try_op(
        // SAFETY: caller contract.
        |cur| unsafe { start_send(ch, bits, Waiting::Current(cur)).into_try(false) },
        // SAFETY: caller contract.
        || unsafe { aria_chan_send(ch, bits) },
    )
}

/// `await c.recv()` without a task when it can: like
/// [`aria_chan_try_send`]; completed at once: `{0, value (owned)}` or
/// `{ERR_CLOSED, 0}` (a cancelled recv takes nothing); waiting:
/// `aria_chan_finish_recv` ends it.
///
/// # Safety
/// `ch` is a live channel; called by the running task at its `await`.
#[no_mangle]
pub unsafe extern "C" fn aria_chan_try_recv(ch: *mut u8) -> AriaResult {
    try_op(
        // SAFETY: caller contract.
        |cur| unsafe { start_recv(ch, Waiting::Current(cur)).into_try(inner(ch).managed) },
        // SAFETY: caller contract.
        || unsafe { aria_chan_recv(ch) },
    )
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

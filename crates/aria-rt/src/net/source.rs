//! A registered socket and the FIFO queues of the operations waiting on it.
//!
//! A [`Source`] owns one non-blocking mio socket, registered with the
//! runtime's reactor ([`crate::sched::io`]) for edge-triggered readiness,
//! and two queues of waiting operations: readers (`read`, `accept`) and
//! writers (`write`, `connect`). Each waiting operation is a built-in task
//! waiting with `WAIT_NATIVE`; its [`IoWaiter`] node lives in its frame.
//!
//! Invariants (all under the source's lock):
//! - **Only the head of a queue does I/O.** A new operation tries its
//!   syscall at once only when its queue is empty; otherwise it queues
//!   behind. So reads, writes and accepts of one socket are served in call
//!   order and two writes never interleave their bytes.
//! - Syscalls are made under the lock, and a readiness event is dispatched
//!   under it too ([`Readiness::on_ready`] wakes the head). An operation
//!   waits only after its syscall returned `WouldBlock`; new readiness after
//!   that syscall produces an edge whose dispatch comes after the lock is
//!   released, and wakes the head: no wake-up is lost.
//! - `woken`: the head's wait was claimed for readiness (its task is
//!   queued to retry); dispatch then does nothing more. A head whose claim
//!   fails was cancelled: its task leaves the queue itself. Whenever the
//!   head leaves (done, failed, cancelled) the next head is woken to try
//!   its syscall (the readiness it waits for may already be there).
//! - **Read readiness is cached** (Tokio's scheme for edge-triggered
//!   polling): `read_ready` is set by every readable edge and cleared by a
//!   read or accept that found the socket drained (`WouldBlock`, or a read
//!   returning fewer bytes than asked: the kernel's queue was empty then).
//!   Both happen under the lock, and data arriving after a drain produces a
//!   later edge, so a clear flag means "no data since the last drain" and a
//!   read may wait for the edge without a syscall ([`SourceState::may_try`]).
//!   End of stream and errors give no further edge: `read_closed` (from the
//!   event, or a read of 0 bytes) is sticky and makes reads always try.
//! - `waiting` counts the linked nodes (deadlock detection asks it:
//!   [`crate::sched::io::socket_waiters`]).
//! - Close: every waiter is unlinked and its wait claimed (it then sees
//!   `closed` and fails `ERR_CLOSED`); the socket is deregistered and
//!   dropped (the descriptor closed). Every function that may close holds
//!   an `Arc` of the source, because deregistering drops the reactor's.

use std::ptr;
use std::sync::{Arc, Mutex, MutexGuard};

use mio::net::{TcpListener, TcpStream};
use mio::Interest;

use crate::sched::io::{reactor, Readiness};
use crate::sched::Shared;
use crate::task::wait::{claim, WAIT_NATIVE};
use crate::task::Task;
use crate::waitq::{Linked, Links, Queue};

/// The socket of a source.
pub enum Sock {
    Closed,
    Listener(TcpListener),
    Stream(TcpStream),
}

/// Which queue an operation waits in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dir {
    Read,
    Write,
}

/// A waiting operation (in its task's frame).
pub struct IoWaiter {
    links: Links<IoWaiter>,
    pub owner: *mut Task,
    /// Claimed for readiness: the task is (being) woken to retry.
    pub woken: bool,
}

// SAFETY: returns the embedded links.
unsafe impl Linked for IoWaiter {
    unsafe fn links(p: *mut Self) -> *mut Links<Self> {
        // SAFETY: caller contract.
        unsafe { ptr::addr_of_mut!((*p).links) }
    }
}

impl IoWaiter {
    pub const fn new() -> IoWaiter {
        IoWaiter {
            links: Links::new(),
            owner: ptr::null_mut(),
            woken: false,
        }
    }
}

impl Default for IoWaiter {
    fn default() -> Self {
        IoWaiter::new()
    }
}

pub struct SourceState {
    pub sock: Sock,
    pub closed: bool,
    token: usize,
    readers: Queue<IoWaiter>,
    writers: Queue<IoWaiter>,
    shared: &'static Shared,
    /// Data may be waiting to be read (see the module's invariants).
    read_ready: bool,
    /// The read side hit end of stream or an error (sticky).
    read_closed: bool,
    /// Nodes in `readers` and `writers`.
    waiting: usize,
    /// Bytes read from the socket ahead of the reads asking for them
    /// (see `ReadOp`): served first, in order. Empty: no allocation.
    pub ahead: std::collections::VecDeque<u8>,
    /// The other end of this connection is a socket of this process
    /// ([`super::local_pairs`]).
    local_peer: bool,
    /// This socket's entry in [`super::local_pairs`], removed on close.
    pair_entry: Option<super::local_pairs::Registered>,
}

pub struct Source {
    state: Mutex<SourceState>,
    pub shared: &'static Shared,
}

impl Source {
    /// A source owning `sock`, registered with `shared`'s reactor for
    /// reading (listeners) or reading and writing (streams). Errors:
    /// `ERR_IO`.
    pub fn register(shared: &'static Shared, sock: Sock) -> Result<Arc<Source>, i64> {
        let r = reactor(shared)?;
        let src = Arc::new(Source {
            state: Mutex::new(SourceState {
                sock,
                closed: false,
                token: 0,
                readers: Queue::new(),
                writers: Queue::new(),
                shared,
                read_ready: true,
                read_closed: false,
                waiting: 0,
                ahead: std::collections::VecDeque::new(),
                local_peer: false,
                pair_entry: None,
            }),
            shared,
        });
        let target: Arc<dyn Readiness> = src.clone();
        let mut st = src.lock();
        let token = match &mut st.sock {
            Sock::Listener(l) => r.register(l, Interest::READABLE, target),
            Sock::Stream(s) => r.register(s, Interest::READABLE | Interest::WRITABLE, target),
            Sock::Closed => return Err(crate::layout::ERR_IO),
        };
        match token {
            Ok(t) => st.token = t,
            Err(_) => {
                st.closed = true;
                st.sock = Sock::Closed;
                return Err(crate::layout::ERR_IO);
            }
        }
        drop(st);
        Ok(src)
    }

    pub fn lock(&self) -> MutexGuard<'_, SourceState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Closes the socket (idempotent). The caller holds an `Arc` of `self`.
    pub fn close(&self) {
        self.lock().close();
    }
}

impl Readiness for Source {
    fn waiters(&self) -> usize {
        self.lock().waiting
    }

    fn on_ready(&self, readable: bool, writable: bool, read_closed: bool) {
        let mut st = self.lock();
        if st.closed {
            return;
        }
        st.read_ready |= readable;
        st.read_closed |= read_closed;
        // SAFETY: lock held.
        unsafe {
            if readable {
                wake_head(&mut st.readers);
            }
            if writable {
                wake_head(&mut st.writers);
            }
        }
    }
}

/// Claims and wakes the head of `q` unless it is already woken.
///
/// # Safety
/// The source's lock is held.
unsafe fn wake_head(q: &mut Queue<IoWaiter>) {
    let h = q.head();
    // SAFETY: caller contract; linked nodes are live.
    unsafe {
        if !h.is_null() && !(*h).woken && claim((*h).owner, WAIT_NATIVE) {
            (*h).woken = true;
            crate::sched::wake((*h).owner);
        }
    }
}

impl SourceState {
    fn queue(&mut self, dir: Dir) -> &mut Queue<IoWaiter> {
        match dir {
            Dir::Read => &mut self.readers,
            Dir::Write => &mut self.writers,
        }
    }

    /// Is no operation waiting in `dir`'s queue (a new one may try at once)?
    pub fn idle(&mut self, dir: Dir) -> bool {
        self.queue(dir).is_empty()
    }

    /// May a syscall in `dir` find something (else wait for the edge)?
    pub fn may_try(&self, dir: Dir) -> bool {
        dir == Dir::Write || self.read_ready || self.read_closed || !self.ahead.is_empty()
    }

    /// A read or accept found the socket drained: wait for the next edge.
    pub fn drained(&mut self) {
        self.read_ready = false;
    }

    /// A read hit end of stream: reads always try from now on.
    pub fn read_hit_end(&mut self) {
        self.read_closed = true;
    }

    /// Queues `w` (its task waits with `WAIT_NATIVE`) to wait for readiness.
    ///
    /// # Safety
    /// `w` is live, unlinked, and stays valid until unlinked.
    pub unsafe fn enqueue(&mut self, dir: Dir, w: *mut IoWaiter) {
        // SAFETY: caller contract.
        unsafe {
            (*w).woken = false;
            self.queue(dir).push_back(w);
        }
        self.waiting += 1;
    }

    /// `w` leaves its queue (if still linked); a new head is woken.
    ///
    /// # Safety
    /// `w` is live and, if linked, in `dir`'s queue of this source.
    pub unsafe fn leave(&mut self, dir: Dir, w: *mut IoWaiter) {
        let q = self.queue(dir);
        let was_head = q.head() == w;
        // SAFETY: caller contract.
        unsafe {
            if q.remove(w) {
                if was_head {
                    wake_head(q);
                }
                self.waiting -= 1;
            }
        }
    }

    /// Marks `w` (the head, woken) as waiting again after `WouldBlock`.
    ///
    /// # Safety
    /// `w` is live.
    pub unsafe fn rearm(&mut self, w: *mut IoWaiter) {
        // SAFETY: caller contract.
        unsafe { (*w).woken = false };
    }

    /// Records this socket's entry in [`super::local_pairs`].
    pub fn set_pair_entry(&mut self, e: super::local_pairs::Registered) {
        self.pair_entry = Some(e);
    }

    /// The peer of this connection is a socket of this process.
    pub fn mark_local_peer(&mut self) {
        self.local_peer = true;
    }

    pub fn local_peer(&self) -> bool {
        self.local_peer
    }

    /// Closes the socket: waiters are woken (they fail `ERR_CLOSED`), the
    /// socket deregistered and dropped. Idempotent.
    pub fn close(&mut self) {
        if self.closed {
            return;
        }
        self.closed = true;
        self.pair_entry = None;
        let shared = self.shared;
        for dir in [Dir::Read, Dir::Write] {
            let q = self.queue(dir);
            loop {
                // SAFETY: lock held (we are inside it); linked nodes are live.
                unsafe {
                    let w = q.pop_front();
                    if w.is_null() {
                        break;
                    }
                    if claim((*w).owner, WAIT_NATIVE) {
                        crate::sched::wake((*w).owner);
                    }
                }
            }
        }
        self.waiting = 0;
        let sock = std::mem::replace(&mut self.sock, Sock::Closed);
        if let Some(r) = shared.io.get() {
            match sock {
                Sock::Listener(mut l) => r.deregister(&mut l, self.token),
                Sock::Stream(mut s) => r.deregister(&mut s, self.token),
                Sock::Closed => {}
            }
        }
    }
}

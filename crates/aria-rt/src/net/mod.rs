//! TCP (LANGUAGE.md §7.13): `TcpListener` (kind 8) and `TcpConn` (kind 9)
//! handles, and their operations as built-in tasks (docs/RUNTIME_ABI.md,
//! "Channels, TCP and files").
//!
//! Sockets are non-blocking mio sockets registered with the runtime's
//! reactor ([`crate::sched::io`]); [`source`] holds the waiting protocol.
//! An operation first tries its syscall on the calling thread; only after
//! `WouldBlock` does it become a waiting task, woken by readiness to retry.
//!
//! Invariants:
//! - A handle object owns an `Arc` of its source; its destructor closes the
//!   socket. Every pending operation holds a reference to its handle, so a
//!   socket is closed when its last handle and pending operation are gone,
//!   or by an explicit `close`.
//! - An operation task's resume always leaves its queue before completing
//!   (its node lives in its frame).
//! - A cancelled read or accept consumed nothing: the syscall runs only in
//!   an uncancelled run. A cancelled write may have sent a prefix.
//! - Broken connections are failures (`ERR_IO`), never signals: Rust's
//!   sockets send with `MSG_NOSIGNAL`, and the program entry ignores
//!   `SIGPIPE` ([`ignore_sigpipe`]).

pub mod local_pairs;
pub mod source;

#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::ffi::CStr;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, ToSocketAddrs};
use std::ptr;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex};

use mio::net::{TcpListener, TcpStream};

use crate::asynclib::ready;
use crate::direct::{at_once, must_stop, try_op, TRY_CANCELLED, TRY_WAIT};
use crate::layout::*;
use crate::object::{alloc_object, aria_release, aria_retain, free_object, PrivateDrop};
use crate::sched::Shared;
use crate::string::{new_str, str_bytes};
use crate::task::native::{new_task, start_waiting, Native};
use crate::task::wait::{claim, try_publish, WAIT_NATIVE};
use crate::task::{frame, release, state, Task, TaskRef};
use crate::AriaResult;
use source::{Dir, IoWaiter, Sock, Source, SourceState};

/// The listen backlog (capped by the system's `somaxconn`).
pub const LISTEN_BACKLOG: i32 = 1024;

/// Most bytes one `read` returns.
pub const MAX_READ: usize = 64 * 1024;

/// A read asks the kernel for at least this many bytes; what comes beyond
/// the read's `n` waits in the source for the next reads. So a small read
/// that empties the socket sees a short read — the socket drained, the
/// next read waits for the readiness edge without a `WouldBlock` probe
/// (`source`'s readiness cache) — where an exact-size read could not tell.
const READ_AHEAD: usize = 4096;

// ---- handles ----------------------------------------------------------------------------------

/// A listener (kind 8) or connection (kind 9) object.
#[repr(C)]
struct HandleObj {
    rc: AtomicI64,
    kind: u32,
    pad: u32,
    destructor: usize,
    src: Arc<Source>,
    /// Listeners: the bound port.
    port: i64,
}

const HANDLE_SIZE: usize = std::mem::size_of::<HandleObj>();

unsafe fn destroy_handle(p: *mut u8) {
    // SAFETY: called once by `aria_release` with exclusive access.
    unsafe {
        let src = ptr::read(ptr::addr_of!((*p.cast::<HandleObj>()).src));
        src.close();
        drop(src);
        free_object(p, HANDLE_SIZE);
    }
}

fn new_handle(kind: u32, src: Arc<Source>, port: i64) -> *mut u8 {
    let p = alloc_object(HANDLE_SIZE, kind, true);
    let d: PrivateDrop = destroy_handle;
    // SAFETY: fresh object of HANDLE_SIZE bytes.
    unsafe {
        let h = p.cast::<HandleObj>();
        ptr::addr_of_mut!((*h).destructor).write(d as usize);
        ptr::addr_of_mut!((*h).src).write(src);
        ptr::addr_of_mut!((*h).port).write(port);
    }
    p
}

/// # Safety
/// `h` is a live listener or connection.
unsafe fn source_of<'a>(h: *mut u8) -> &'a Arc<Source> {
    // SAFETY: caller contract.
    unsafe { &(*h.cast::<HandleObj>()).src }
}

// ---- addresses and errors -------------------------------------------------------------------

/// The port as `u16`, if in `lo..=65535`.
fn port_of(port: i64, lo: i64) -> Result<u16, i64> {
    if (lo..=65535).contains(&port) {
        Ok(port as u16)
    } else {
        Err(ERR_INVALID)
    }
}

/// The addresses of `host` when no resolver is needed: `localhost`, or an
/// IPv4 / IPv6 literal (with or without brackets).
fn literal_addrs(host: &str, port: u16) -> Option<Vec<SocketAddr>> {
    if host.eq_ignore_ascii_case("localhost") {
        return Some(vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)]);
    }
    let h = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    h.parse::<IpAddr>()
        .ok()
        .map(|ip| vec![SocketAddr::new(ip, port)])
}

/// Resolves `host` (blocking: the system resolver); `ERR_NOT_FOUND`.
fn resolve_blocking(host: &str, port: u16) -> Result<Vec<SocketAddr>, i64> {
    if let Some(a) = literal_addrs(host, port) {
        return Ok(a);
    }
    if host.is_empty() {
        return Err(ERR_NOT_FOUND);
    }
    match (host, port).to_socket_addrs() {
        Ok(it) => {
            let v: Vec<SocketAddr> = it.collect();
            if v.is_empty() {
                Err(ERR_NOT_FOUND)
            } else {
                Ok(v)
            }
        }
        Err(_) => Err(ERR_NOT_FOUND),
    }
}

/// A host string argument (`ERR_NOT_FOUND` if it is not UTF-8).
///
/// # Safety
/// `s` is null or a live string.
unsafe fn host_arg(s: *const u8) -> Result<String, i64> {
    // SAFETY: caller contract.
    let b = unsafe { str_bytes(s) };
    std::str::from_utf8(b)
        .map(str::to_owned)
        .map_err(|_| ERR_NOT_FOUND)
}

fn connect_error(e: &io::Error) -> i64 {
    match e.kind() {
        ErrorKind::ConnectionRefused => ERR_REFUSED,
        _ => ERR_IO,
    }
}

/// Ignores `SIGPIPE` for the whole process (a write to a broken connection
/// must fail, not kill the program). Called by the program entry.
pub fn ignore_sigpipe() {
    // SAFETY: setting a signal's disposition to SIG_IGN is async-signal-safe
    // and affects no Rust invariant.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

// ---- the generic socket operation ----------------------------------------------------------

/// What a syscall attempt gave.
enum Attempt {
    Done(i64, i64),
    WouldBlock,
}

/// A reference to a managed object (a socket handle, a string), taken when
/// made and released when dropped.
struct Retained(*mut u8);

impl Retained {
    /// # Safety
    /// `p` is null or a live managed object.
    unsafe fn new(p: *mut u8) -> Retained {
        // SAFETY: caller contract.
        unsafe { aria_retain(p) };
        Retained(p)
    }
}

impl Drop for Retained {
    fn drop(&mut self) {
        // SAFETY: our reference (dropping the last handle closes the socket).
        unsafe { aria_release(self.0) }
    }
}

/// One kind of socket operation (accept, read, write): what it needs beyond
/// its handle and its queue node, which [`OpTask`] holds for every kind.
trait IoOp: Send + Sized + 'static {
    const NAME: &'static CStr;
    const DIR: Dir;
    /// The result value is a managed pointer.
    const MANAGED: bool;
    /// Tries the syscall on handle `h` (source lock held, socket open).
    fn attempt(&mut self, h: *mut u8, st: &mut SourceState) -> Attempt;
}

/// A socket operation in flight: its queue node, its handle, the op.
struct OpTask<O: IoOp> {
    w: IoWaiter,
    h: Retained,
    op: O,
}
// SAFETY: `h` is a retained handle (a thread-safe object); the node is
// touched under the source lock; the op is Send.
unsafe impl<O: IoOp> Send for OpTask<O> {}

impl<O: IoOp> Native for OpTask<O> {
    const NAME: &'static CStr = O::NAME;
    unsafe fn resume(this: *mut Self, task: *mut Task) -> Option<(i64, i64)> {
        // SAFETY: runner; `task` waits for the operation.
        unsafe { OpTask::step(this, task, state(task).is_cancelled()) }
    }
}

impl<O: IoOp> OpTask<O> {
    /// The operation's turn after its waiter `task` was woken (by
    /// readiness — it is the head —, a close, or a cancellation):
    /// `Some((err, val))` when it is over (it left its queue), `None` when
    /// the syscall would block again (rearmed; `task` waits again, unless
    /// it was cancelled meanwhile: then it is over, `ERR_CANCELLED`).
    ///
    /// # Safety
    /// `this` is live and queued, `task` is its waiter, running here.
    unsafe fn step(this: *mut Self, task: *mut Task, cancelled: bool) -> Option<(i64, i64)> {
        // SAFETY: the handle (and its source) is kept alive by the
        // operation's reference; the node is touched under the source lock.
        unsafe {
            let w = ptr::addr_of_mut!((*this).w);
            let h = (*this).h.0;
            // No `Arc` clone (a contended count): nothing here closes the
            // socket, and the op's handle outlives the lock.
            let mut st = source_of(h).lock();
            if cancelled {
                st.leave(O::DIR, w);
                return Some((ERR_CANCELLED, 0));
            }
            if st.closed {
                st.leave(O::DIR, w);
                return Some((ERR_CLOSED, 0));
            }
            let tried = if st.may_try(O::DIR) {
                (*this).op.attempt(h, &mut st)
            } else {
                // Woken as the new head, no data since the last drain.
                Attempt::WouldBlock
            };
            match tried {
                Attempt::Done(err, val) => {
                    st.leave(O::DIR, w);
                    Some((err, val))
                }
                Attempt::WouldBlock => {
                    st.rearm(w);
                    if try_publish(task, WAIT_NATIVE) {
                        None
                    } else {
                        st.leave(O::DIR, w);
                        Some((ERR_CANCELLED, 0))
                    }
                }
            }
        }
    }

    /// Bytes of the block of an operation its awaiting task waits for.
    const BLOCK: usize = crate::task::pool::round(std::mem::size_of::<Self>());
}

/// `aria_conn_finish_read(op, task)` / `aria_conn_finish_write(op, task)`:
/// the turn of operation `op` (from a `TRY_WAIT` of [`start_try`]) after
/// its waiter `task` was woken: `{TRY_WAIT, op}` when it must wait again,
/// `{TRY_CANCELLED, 0}` when `task` must stop (the operation is over: a
/// read consumed nothing, a write may have sent a prefix), else the
/// operation's `{err, val}` (a read string owned). Frees `op` when over.
///
/// # Safety
/// `op` came from a `TRY_WAIT` of `task`, which was woken since and runs
/// here.
unsafe fn finish<O: IoOp>(op: *mut u8, task: *mut Task) -> AriaResult {
    // SAFETY: caller contract: the block holds a live `OpTask<O>` whose
    // waiter is `task`.
    unsafe {
        let this = op.cast::<OpTask<O>>();
        let stop = must_stop(task);
        let Some((err, val)) = OpTask::step(this, task, stop) else {
            return AriaResult {
                err: TRY_WAIT,
                val: op as i64,
            };
        };
        ptr::drop_in_place(this);
        crate::task::pool::free_block(op, OpTask::<O>::BLOCK);
        if stop && err != 0 {
            return AriaResult::err(TRY_CANCELLED);
        }
        AriaResult { err, val }
    }
}

/// See [`finish`].
///
/// # Safety
/// As [`finish`].
#[no_mangle]
pub unsafe extern "C" fn aria_conn_finish_read(op: *mut u8, task: *mut Task) -> AriaResult {
    // SAFETY: caller contract.
    unsafe { finish::<ReadOp>(op, task) }
}

/// See [`finish`].
///
/// # Safety
/// As [`finish`].
#[no_mangle]
pub unsafe extern "C" fn aria_conn_finish_write(op: *mut u8, task: *mut Task) -> AriaResult {
    // SAFETY: caller contract.
    unsafe { finish::<WriteOp>(op, task) }
}

/// Starts operation `op` on the socket of handle `h`: done at once if its
/// queue is empty and the syscall does not block, else a waiting task.
///
/// # Safety
/// `h` is a live socket handle.
unsafe fn start<O: IoOp>(h: *mut u8, op: O) -> *mut Task {
    // SAFETY: caller contract.
    match unsafe { begin(h, op, ptr::null_mut()) } {
        Begun::Done(e, v) => ready(e, v, O::MANAGED),
        Begun::Task(t) => t,
        Begun::Direct(_) | Begun::Cancelled => unreachable!("no awaiting task was given"),
    }
}

/// `await` of operation `op` on handle `h` without a task when it can (see
/// `aria_chan_try_send` and docs/RUNTIME_ABI.md, "Awaiting without a
/// task"): `{err, val}` when done at once, `{TRY_WAIT, block}` when the
/// awaiting task now waits for it (then `aria_conn_finish_*`), `{TRY_TASK,
/// task}` when not in a task (a waiting task, or a complete one) or out of
/// budget (a complete task), or `{TRY_CANCELLED, 0}` with no syscall made
/// when the awaiting task has a pending cancellation request.
///
/// # Safety
/// `h` is a live socket handle; called by the running task at its `await`.
unsafe fn start_try<O: IoOp>(h: *mut u8, op: O) -> AriaResult {
    // Exactly one of the two closures runs, so `op` moves once.
    let op = std::cell::Cell::new(Some(op));
    let take = || op.take().expect("one start");
    try_op(
        // SAFETY: caller contract.
        |cur| match unsafe { begin(h, take(), cur) } {
            Begun::Done(e, v) => at_once(e, v, O::MANAGED),
            Begun::Direct(block) => AriaResult {
                err: TRY_WAIT,
                val: block as i64,
            },
            Begun::Task(_) => unreachable!("the awaiting task waits"),
            Begun::Cancelled => AriaResult::err(TRY_CANCELLED),
        },
        // SAFETY: caller contract.
        || unsafe { start(h, take()) },
    )
}

/// How [`begin`] started an operation.
enum Begun {
    /// Done at once: `{err, val}` (`val` owned).
    Done(i64, i64),
    /// Waiting as this built-in task.
    Task(*mut Task),
    /// The awaiting task waits for it: the operation's block.
    Direct(*mut u8),
    /// Not started: the awaiting task is cancelled.
    Cancelled,
}

/// The shared start of an operation: done at once, else waiting — as a
/// new built-in task, or (`cur` not null) with running task `cur` as its
/// waiter, the operation in a pool block.
///
/// # Safety
/// `h` is a live socket handle; `cur` null or the task running here.
unsafe fn begin<O: IoOp>(h: *mut u8, mut op: O, cur: *mut Task) -> Begun {
    // SAFETY: caller contract; the retained reference keeps `h` alive.
    let h = unsafe { Retained::new(h) };
    // SAFETY: as above; the lock is released before `h` is dropped (which
    // may close the socket), so no `Arc` clone is needed.
    let src: &Source = unsafe { source_of(h.0) };
    let mut st = src.lock();
    let early = if st.closed {
        Some((ERR_CLOSED, 0))
    } else if st.idle(O::DIR) && st.may_try(O::DIR) {
        match op.attempt(h.0, &mut st) {
            Attempt::Done(e, v) => Some((e, v)),
            Attempt::WouldBlock => None,
        }
    } else {
        None
    };
    // SAFETY: `cur` runs here (it publishes its own wait).
    if early.is_none() && !cur.is_null() && !unsafe { try_publish(cur, WAIT_NATIVE) } {
        // Cancelled since the gate: nothing consumed (a read that would
        // block read nothing).
        drop(st);
        drop((h, op));
        return Begun::Cancelled;
    }
    if let Some((e, v)) = early {
        drop(st);
        // Dropping `h` may release the last handle (which closes the socket).
        drop((h, op));
        return Begun::Done(e, v);
    }
    let w = IoWaiter::new();
    let state = OpTask { w, h, op };
    // SAFETY: the frame or block holds the op (stable address); its waiter
    // waits (WAIT_NATIVE) before the node is queued, under the source lock.
    unsafe {
        let (this, owner, begun) = if cur.is_null() {
            let t = new_task(state, false, O::MANAGED);
            start_waiting(src.shared, t);
            (frame(t).cast::<OpTask<O>>(), t, Begun::Task(t))
        } else {
            let block = crate::task::pool::alloc_block(OpTask::<O>::BLOCK);
            block.cast::<OpTask<O>>().write(state);
            (block.cast::<OpTask<O>>(), cur, Begun::Direct(block))
        };
        let w = ptr::addr_of_mut!((*this).w);
        (*w).owner = owner;
        st.enqueue(O::DIR, w);
        begun
    }
}

// ---- accept -------------------------------------------------------------------------------------

struct AcceptOp;

impl IoOp for AcceptOp {
    const NAME: &'static CStr = c"accept";
    const DIR: Dir = Dir::Read;
    const MANAGED: bool = true;
    fn attempt(&mut self, h: *mut u8, st: &mut SourceState) -> Attempt {
        let Sock::Listener(l) = &st.sock else {
            return Attempt::Done(ERR_CLOSED, 0);
        };
        // SAFETY: the op's live handle.
        let shared = unsafe { source_of(h) }.shared;
        loop {
            match l.accept() {
                Ok((s, peer)) => {
                    let _ = s.set_nodelay(true);
                    return match Source::register(shared, Sock::Stream(s)) {
                        Ok(src) => {
                            if local_pairs::accepted_from(peer) {
                                src.lock().mark_local_peer();
                            }
                            Attempt::Done(0, new_handle(KIND_CONN, src, 0) as i64)
                        }
                        Err(e) => Attempt::Done(e, 0),
                    };
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    st.drained();
                    return Attempt::WouldBlock;
                }
                // The peer gave up before we accepted: take the next one.
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::Interrupted | ErrorKind::ConnectionAborted
                    ) => {}
                Err(_) => return Attempt::Done(ERR_IO, 0),
            }
        }
    }
}

// ---- read / write ---------------------------------------------------------------------------------

thread_local! {
    static READ_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

struct ReadOp {
    /// At most this many bytes.
    n: usize,
}

impl IoOp for ReadOp {
    const NAME: &'static CStr = c"read";
    const DIR: Dir = Dir::Read;
    const MANAGED: bool = true;
    fn attempt(&mut self, _h: *mut u8, st: &mut SourceState) -> Attempt {
        let n = self.n;
        if !st.ahead.is_empty() {
            // Bytes read ahead come first, without a syscall.
            let k = n.min(st.ahead.len());
            let s = new_str(&st.ahead.make_contiguous()[..k]);
            st.ahead.drain(..k);
            if st.ahead.is_empty() {
                st.ahead = std::collections::VecDeque::new();
            }
            return Attempt::Done(0, s as i64);
        }
        let Sock::Stream(s) = &st.sock else {
            return Attempt::Done(ERR_CLOSED, 0);
        };
        let want = n.max(READ_AHEAD);
        let got = READ_BUF.with(|b| {
            let mut buf = b.borrow_mut();
            if buf.len() < want {
                buf.resize(want, 0);
            }
            loop {
                match (&*s).read(&mut buf[..want]) {
                    Ok(k) => {
                        let mine = k.min(n);
                        st.ahead.extend(&buf[mine..k]);
                        return Ok((k, new_str(&buf[..mine]) as i64));
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        });
        match got {
            Ok((0, s)) => {
                st.read_hit_end();
                Attempt::Done(0, s)
            }
            Ok((k, s)) => {
                if k < want {
                    st.drained();
                }
                Attempt::Done(0, s)
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                st.drained();
                Attempt::WouldBlock
            }
            Err(_) => Attempt::Done(ERR_IO, 0),
        }
    }
}

struct WriteOp {
    /// The string being written.
    s: Retained,
    /// Bytes of it written so far.
    off: usize,
}
// SAFETY: `s` is an immutable string (its count is atomic).
unsafe impl Send for WriteOp {}

impl IoOp for WriteOp {
    const NAME: &'static CStr = c"write";
    const DIR: Dir = Dir::Write;
    const MANAGED: bool = false;
    fn attempt(&mut self, _h: *mut u8, st: &mut SourceState) -> Attempt {
        let Sock::Stream(s) = &st.sock else {
            return Attempt::Done(ERR_CLOSED, 0);
        };
        // SAFETY: a retained string.
        let bytes = unsafe { str_bytes(self.s.0) };
        while self.off < bytes.len() {
            match (&*s).write(&bytes[self.off..]) {
                Ok(0) => return Attempt::Done(ERR_IO, 0),
                Ok(k) => {
                    self.off += k;
                    if st.local_peer() {
                        crate::sched::io::note_sent_to_local_peer();
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Attempt::WouldBlock,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Attempt::Done(ERR_IO, 0),
            }
        }
        Attempt::Done(0, bytes.len() as i64)
    }
}

// ---- connect ---------------------------------------------------------------------------------------

type Resolved = Arc<Mutex<Option<Result<Vec<SocketAddr>, i64>>>>;

enum Phase {
    /// Waiting for the resolver job on the blocking pool.
    Resolving(Resolved),
    /// Waiting for the socket to become writable (connected or failed).
    Connecting(Arc<Source>),
    Finished,
}

struct ConnectOp {
    w: IoWaiter,
    phase: Phase,
    addrs: Vec<SocketAddr>,
    next: usize,
    shared: &'static Shared,
}
// SAFETY: the node is touched under the source lock; the rest by the runner.
unsafe impl Send for ConnectOp {}

impl Drop for ConnectOp {
    fn drop(&mut self) {
        if let Phase::Connecting(src) = std::mem::replace(&mut self.phase, Phase::Finished) {
            src.close();
        }
    }
}

/// Starts connecting to `addrs[*next..]` in order: the first socket whose
/// connect is in progress (or done), registered; or the last error.
fn connect_first(
    shared: &'static Shared,
    addrs: &[SocketAddr],
    next: &mut usize,
) -> Result<Arc<Source>, i64> {
    let mut err = ERR_IO;
    while *next < addrs.len() {
        let a = addrs[*next];
        *next += 1;
        match TcpStream::connect(a) {
            Ok(s) => {
                let local = s.local_addr().ok();
                match Source::register(shared, Sock::Stream(s)) {
                    Ok(src) => {
                        if let Some(local) = local {
                            let (entry, ours) = local_pairs::connecting(local, a);
                            let mut st = src.lock();
                            st.set_pair_entry(entry);
                            if ours {
                                st.mark_local_peer();
                            }
                        }
                        return Ok(src);
                    }
                    Err(e) => err = e,
                }
            }
            Err(e) => err = connect_error(&e),
        }
    }
    Err(err)
}

/// Is the connect of `s` done (`Ok(true)`), in progress (`Ok(false)`), or failed?
fn connect_status(s: &TcpStream) -> Result<bool, i64> {
    match s.take_error() {
        Ok(Some(e)) | Err(e) => return Err(connect_error(&e)),
        Ok(None) => {}
    }
    match s.peer_addr() {
        Ok(_) => Ok(true),
        Err(e)
            if e.kind() == ErrorKind::NotConnected
                || e.raw_os_error() == Some(libc::EINPROGRESS) =>
        {
            Ok(false)
        }
        Err(e) => Err(connect_error(&e)),
    }
}

impl ConnectOp {
    /// Queues the node on its source (locked by the caller as `st`); the
    /// task already waits with `WAIT_NATIVE`.
    unsafe fn wait_on(this: *mut Self, task: *mut Task, st: &mut SourceState) {
        // SAFETY: caller contract (runner or creator, lock held).
        unsafe {
            let w = ptr::addr_of_mut!((*this).w);
            (*w).owner = task;
            st.enqueue(Dir::Write, w);
        }
    }

    /// Runner: tries the next addresses after a failure (or resolution).
    unsafe fn try_next(this: *mut Self, task: *mut Task, mut err: i64) -> Option<(i64, i64)> {
        // SAFETY: runner.
        unsafe {
            let shared = (*this).shared;
            while (*this).next < (*this).addrs.len() {
                let src = match connect_first(shared, &(*this).addrs, &mut (*this).next) {
                    Ok(src) => src,
                    Err(e) => {
                        err = e;
                        continue;
                    }
                };
                let mut st = src.lock();
                // The socket may have connected (or failed) before it was
                // registered: its readiness edge came with nobody waiting.
                match sock_status(&st) {
                    Ok(true) => {
                        drop(st);
                        return Some((0, new_handle(KIND_CONN, src, 0) as i64));
                    }
                    Err(e) => {
                        st.close();
                        err = e;
                    }
                    Ok(false) => {
                        if !try_publish(task, WAIT_NATIVE) {
                            st.close();
                            return Some((ERR_CANCELLED, 0));
                        }
                        Self::wait_on(this, task, &mut st);
                        drop(st);
                        (*this).phase = Phase::Connecting(src);
                        return None;
                    }
                }
            }
            Some((err, 0))
        }
    }
}

/// The connect status of a source's socket (see [`connect_status`]);
/// sets `TCP_NODELAY` once connected.
fn sock_status(st: &SourceState) -> Result<bool, i64> {
    match &st.sock {
        Sock::Stream(s) => {
            let r = connect_status(s);
            if r == Ok(true) {
                let _ = s.set_nodelay(true);
            }
            r
        }
        _ => Err(ERR_IO),
    }
}

impl Native for ConnectOp {
    const NAME: &'static CStr = c"tcp_connect";
    unsafe fn resume(this: *mut Self, task: *mut Task) -> Option<(i64, i64)> {
        // SAFETY: runner; see the type's invariants.
        unsafe {
            match &(*this).phase {
                Phase::Resolving(slot) => {
                    let r = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
                    if state(task).is_cancelled() {
                        return Some((ERR_CANCELLED, 0));
                    }
                    match r {
                        Some(Ok(addrs)) => {
                            (*this).addrs = addrs;
                            (*this).next = 0;
                            (*this).phase = Phase::Finished;
                            Self::try_next(this, task, ERR_NOT_FOUND)
                        }
                        Some(Err(e)) => Some((e, 0)),
                        None => Some((ERR_CANCELLED, 0)),
                    }
                }
                Phase::Connecting(src) => {
                    let src = src.clone();
                    let w = ptr::addr_of_mut!((*this).w);
                    let mut st = src.lock();
                    if state(task).is_cancelled() {
                        st.leave(Dir::Write, w);
                        st.close();
                        (*this).phase = Phase::Finished;
                        return Some((ERR_CANCELLED, 0));
                    }
                    let status = sock_status(&st);
                    match status {
                        Ok(false) => {
                            st.rearm(w);
                            if try_publish(task, WAIT_NATIVE) {
                                return None;
                            }
                            st.leave(Dir::Write, w);
                            st.close();
                            (*this).phase = Phase::Finished;
                            Some((ERR_CANCELLED, 0))
                        }
                        Ok(true) => {
                            st.leave(Dir::Write, w);
                            drop(st);
                            (*this).phase = Phase::Finished;
                            Some((0, new_handle(KIND_CONN, src, 0) as i64))
                        }
                        Err(e) => {
                            st.leave(Dir::Write, w);
                            st.close();
                            drop(st);
                            (*this).phase = Phase::Finished;
                            Self::try_next(this, task, e)
                        }
                    }
                }
                Phase::Finished => Some((ERR_CANCELLED, 0)),
            }
        }
    }
}

// ---- the ABI ---------------------------------------------------------------------------------------

/// `tcp_listen(host, port)`: a bound, listening socket (+1), or
/// `ERR_ADDR_IN_USE` / `ERR_NOT_FOUND` / `ERR_INVALID` / `ERR_IO`.
///
/// # Safety
/// `host` is null or a live string.
#[no_mangle]
pub unsafe extern "C" fn aria_tcp_listen(host: *const u8, port: i64) -> AriaResult {
    let port = match port_of(port, 0) {
        Ok(p) => p,
        Err(e) => return AriaResult::err(e),
    };
    // SAFETY: caller contract.
    let host = match unsafe { host_arg(host) } {
        Ok(h) => h,
        Err(e) => return AriaResult::err(e),
    };
    let addrs = match resolve_blocking(&host, port) {
        Ok(a) => a,
        Err(e) => return AriaResult::err(e),
    };
    let mut err = ERR_IO;
    for a in addrs {
        match TcpListener::bind(a) {
            Ok(l) => {
                // mio listens with std's backlog (128); a server under load
                // wants more. Linux lets `listen` raise it on a listening socket.
                // SAFETY: `l` owns a valid listening descriptor.
                unsafe {
                    libc::listen(std::os::fd::AsRawFd::as_raw_fd(&l), LISTEN_BACKLOG);
                }
                let local = l.local_addr().ok();
                let bound = local.map_or(i64::from(port), |a| i64::from(a.port()));
                return match Source::register(crate::sched::current(), Sock::Listener(l)) {
                    Ok(src) => {
                        if let Some(a) = local {
                            src.lock().set_pair_entry(local_pairs::listening(a));
                        }
                        AriaResult::ok(new_handle(KIND_LISTENER, src, bound) as i64)
                    }
                    Err(e) => AriaResult::err(e),
                };
            }
            Err(e) if e.kind() == ErrorKind::AddrInUse => err = ERR_ADDR_IN_USE,
            Err(_) => err = ERR_IO,
        }
    }
    AriaResult::err(err)
}

/// `l.port()`: the bound port (also after `close`).
///
/// # Safety
/// `l` is a live listener.
#[no_mangle]
pub unsafe extern "C" fn aria_listener_port(l: *mut u8) -> i64 {
    // SAFETY: caller contract.
    unsafe { (*l.cast::<HandleObj>()).port }
}

/// `l.accept()`: a task of `TcpConn` (the next connection, in call order);
/// `ERR_CLOSED` once the listener is closed.
///
/// # Safety
/// `l` is a live listener.
#[no_mangle]
pub unsafe extern "C" fn aria_listener_accept(l: *mut u8) -> *mut Task {
    // SAFETY: caller contract (`start` takes its own reference).
    unsafe { start(l, AcceptOp) }
}

/// `l.close()`: closes the listener; waiting accepts fail `ERR_CLOSED`.
///
/// # Safety
/// `l` is a live listener.
#[no_mangle]
pub unsafe extern "C" fn aria_listener_close(l: *mut u8) {
    // SAFETY: caller contract (the handle's Arc outlives the call).
    unsafe { source_of(l).close() }
}

/// `tcp_connect(host, port)`: a task of `TcpConn`; `ERR_REFUSED`,
/// `ERR_NOT_FOUND` (unknown host), `ERR_INVALID` (bad port), `ERR_IO`.
///
/// # Safety
/// `host` is null or a live string.
#[no_mangle]
pub unsafe extern "C" fn aria_tcp_connect(host: *const u8, port: i64) -> *mut Task {
    let port = match port_of(port, 1) {
        Ok(p) => p,
        Err(e) => return ready(e, 0, true),
    };
    // SAFETY: caller contract.
    let host = match unsafe { host_arg(host) } {
        Ok(h) => h,
        Err(e) => return ready(e, 0, true),
    };
    let shared = crate::sched::current();
    let op = |phase| ConnectOp {
        w: IoWaiter::new(),
        phase,
        addrs: Vec::new(),
        next: 0,
        shared,
    };
    if let Some(addrs) = literal_addrs(&host, port) {
        let mut next = 0;
        loop {
            let src = match connect_first(shared, &addrs, &mut next) {
                Ok(s) => s,
                Err(e) => return ready(e, 0, true),
            };
            let mut st = src.lock();
            // Connected (or failed) already: its readiness edge came before
            // anybody waited.
            match sock_status(&st) {
                Ok(true) => {
                    drop(st);
                    return ready(0, new_handle(KIND_CONN, src, 0) as i64, true);
                }
                Err(e) => {
                    st.close();
                    if next >= addrs.len() {
                        return ready(e, 0, true);
                    }
                    continue;
                }
                Ok(false) => {}
            }
            let mut c = op(Phase::Connecting(src.clone()));
            c.addrs = addrs;
            c.next = next;
            let t = new_task(c, false, true);
            // SAFETY: the frame holds the op (its phase set before the task
            // is shared); it waits before its node is queued, under the
            // source lock, which its runner takes before touching the node.
            unsafe {
                start_waiting(shared, t);
                ConnectOp::wait_on(frame(t).cast::<ConnectOp>(), t, &mut st);
            }
            return t;
        }
    }
    // A name: resolve on the blocking pool, then connect.
    let slot: Resolved = Arc::new(Mutex::new(None));
    let t = new_task(op(Phase::Resolving(slot.clone())), false, true);
    // SAFETY: `t` is new; the job keeps a reference until it woke it.
    let tr = unsafe {
        start_waiting(shared, t);
        crate::task::retain(t);
        TaskRef::from_raw(t)
    };
    shared.blocking.submit(move || {
        let t = tr.as_ptr();
        // SAFETY: the job's reference keeps `t` alive.
        unsafe {
            if !state(t).is_cancelled() {
                let r = resolve_blocking(&host, port);
                *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
            }
            if claim(t, WAIT_NATIVE) {
                crate::sched::wake(t);
            }
            release(t);
        }
    });
    t
}

/// `c.read(n)`: a task of `string` with 1..n bytes (at most [`MAX_READ`])
/// once available, `""` (null) at end of stream; `n <= 0`: `ERR_INVALID`.
///
/// # Safety
/// `c` is a live connection.
#[no_mangle]
pub unsafe extern "C" fn aria_conn_read(c: *mut u8, n: i64) -> *mut Task {
    if n <= 0 {
        return ready(ERR_INVALID, 0, true);
    }
    let n = (n as u64).min(MAX_READ as u64) as usize;
    // SAFETY: caller contract (`start` takes its own reference).
    unsafe { start(c, ReadOp { n }) }
}

/// `c.write(s)`: a task of `int64` (the length of `s`) once all of `s` is
/// written; `ERR_CLOSED` / `ERR_IO`.
///
/// # Safety
/// `c` is a live connection, `s` null or a live string.
#[no_mangle]
pub unsafe extern "C" fn aria_conn_write(c: *mut u8, s: *mut u8) -> *mut Task {
    // SAFETY: caller contract (the op and `start` take their own references).
    unsafe {
        let s = Retained::new(s);
        start(c, WriteOp { s, off: 0 })
    }
}

/// `await c.read(n)` without a task when it can: see [`start_try`];
/// `n <= 0` fails `ERR_INVALID` at once.
///
/// # Safety
/// `c` is a live connection; called by the running task at its `await`.
#[no_mangle]
pub unsafe extern "C" fn aria_conn_try_read(c: *mut u8, n: i64) -> AriaResult {
    if n <= 0 {
        return try_op(
            |_| at_once(ERR_INVALID, 0, true),
            || ready(ERR_INVALID, 0, true),
        );
    }
    let n = (n as u64).min(MAX_READ as u64) as usize;
    // SAFETY: caller contract (`start_try` takes its own reference).
    unsafe { start_try(c, ReadOp { n }) }
}

/// `await c.write(s)` without a task when it can: see [`start_try`].
///
/// # Safety
/// `c` is a live connection, `s` null or a live string; called by the
/// running task at its `await`.
#[no_mangle]
pub unsafe extern "C" fn aria_conn_try_write(c: *mut u8, s: *mut u8) -> AriaResult {
    // SAFETY: caller contract (the op and `start_try` take their own references).
    unsafe {
        let s = Retained::new(s);
        start_try(c, WriteOp { s, off: 0 })
    }
}

/// `c.shutdown()`: closes the sending side (the peer reads `""`).
///
/// # Safety
/// `c` is a live connection.
#[no_mangle]
pub unsafe extern "C" fn aria_conn_shutdown(c: *mut u8) {
    // SAFETY: caller contract.
    let st = unsafe { source_of(c) }.lock();
    if let Sock::Stream(s) = &st.sock {
        let _ = s.shutdown(Shutdown::Write);
    }
}

/// `c.close()`: closes the connection; pending operations fail `ERR_CLOSED`.
///
/// # Safety
/// `c` is a live connection.
#[no_mangle]
pub unsafe extern "C" fn aria_conn_close(c: *mut u8) {
    // SAFETY: caller contract (the handle's Arc outlives the call).
    unsafe { source_of(c).close() }
}

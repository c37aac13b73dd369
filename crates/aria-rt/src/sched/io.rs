//! The I/O driver: one mio `Poll` per runtime (ARCHITECTURE.md §6, "I/O").
//!
//! Sockets are registered non-blocking and edge-triggered; readiness events
//! are dispatched to the registered [`Readiness`] target, which wakes the
//! tasks waiting on that socket. There is no I/O thread: the worker that
//! parks holding the driver token sleeps in [`Reactor::poll`] (with the next
//! timer deadline as timeout) instead of on its condvar, and busy workers
//! poll without blocking during maintenance while tasks wait on sockets.
//!
//! Invariants:
//! - The reactor is created on first use ([`reactor`]); before it is
//!   published every worker's parker gets the driver waker (the
//!   `mio::Waker`), so a worker parked in the poll is always woken by an
//!   unpark. After publishing, the current driver (parked on its condvar
//!   without a reactor) is unparked so it re-parks on the poll; `SeqCst`
//!   fences on both sides (here and in `worker::park_once`) make sure one
//!   of the two sees the other.
//! - Tokens are slab keys with a generation: an event for a source removed
//!   meanwhile (closed while the event was in flight) finds no entry, or an
//!   entry of another generation, and is ignored.
//! - A registered source stays in the slab (holding it alive) until its
//!   owner deregisters it; dispatch takes the slab lock only to clone the
//!   target, and calls it without that lock.
//! - A driver wake (the `mio::Waker`, edge-triggered) is never lost: a
//!   non-blocking poll that consumes it posts it again, since the driver
//!   may be about to block in the poll after waiting for its lock.
//! - No counter is touched per operation (it would be one cache line
//!   fought over by every worker): while any source is registered busy
//!   workers poll, and the deadlock detector, which runs only when every
//!   worker is parked, asks each source for its waiters
//!   ([`socket_waiters`]).

use std::io;
use std::sync::atomic::{fence, AtomicUsize, Ordering::*};
use std::sync::{Arc, Mutex, TryLockError};
use std::time::Duration;

use mio::{Events, Interest, Poll, Registry, Token, Waker};

use super::{lock, Shared};
use crate::layout::ERR_IO;

/// Something registered with the reactor: told about readiness edges.
pub trait Readiness: Send + Sync {
    /// The socket became readable (or hit end of stream / an error) and/or
    /// writable (or the write side closed / an error); `read_closed`: the
    /// read side hit end of stream or an error (for good).
    fn on_ready(&self, readable: bool, writable: bool, read_closed: bool);
    /// Operations waiting on it now (deadlock detection, tests).
    fn waiters(&self) -> usize;
}

const WAKER_TOKEN: usize = usize::MAX;
const EVENTS_CAPACITY: usize = 1024;

struct PollState {
    poll: Poll,
    events: Events,
}

struct Entry {
    generation: u32,
    target: Option<Arc<dyn Readiness>>,
}

#[derive(Default)]
struct Slab {
    entries: Vec<Entry>,
    free: Vec<u32>,
}

/// One runtime's I/O driver.
pub struct Reactor {
    poll: Mutex<PollState>,
    registry: Registry,
    waker: Arc<Waker>,
    slab: Mutex<Slab>,
    /// Targets in the slab.
    registered: AtomicUsize,
}

impl Reactor {
    fn new() -> io::Result<Reactor> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = Arc::new(Waker::new(poll.registry(), Token(WAKER_TOKEN))?);
        Ok(Reactor {
            poll: Mutex::new(PollState {
                poll,
                events: Events::with_capacity(EVENTS_CAPACITY),
            }),
            registry,
            waker,
            slab: Mutex::new(Slab::default()),
            registered: AtomicUsize::new(0),
        })
    }

    /// Registers `source` with `interest`, readiness going to `target`;
    /// returns its token (for [`Reactor::deregister`]).
    pub fn register<S: mio::event::Source + ?Sized>(
        &self,
        source: &mut S,
        interest: Interest,
        target: Arc<dyn Readiness>,
    ) -> io::Result<usize> {
        let token = {
            let mut slab = lock(&self.slab);
            let idx = match slab.free.pop() {
                Some(i) => i,
                None => {
                    slab.entries.push(Entry {
                        generation: 0,
                        target: None,
                    });
                    (slab.entries.len() - 1) as u32
                }
            };
            let e = &mut slab.entries[idx as usize];
            e.target = Some(target);
            self.registered.fetch_add(1, SeqCst);
            ((e.generation as usize) << 32) | idx as usize
        };
        if let Err(err) = self.registry.register(source, Token(token), interest) {
            self.remove(token);
            return Err(err);
        }
        Ok(token)
    }

    /// Deregisters `source` (registered with `token`) and forgets its target.
    pub fn deregister<S: mio::event::Source + ?Sized>(&self, source: &mut S, token: usize) {
        let _ = self.registry.deregister(source);
        self.remove(token);
    }

    fn remove(&self, token: usize) {
        let target = {
            let mut slab = lock(&self.slab);
            let idx = token & 0xFFFF_FFFF;
            let Some(e) = slab.entries.get_mut(idx) else {
                return;
            };
            if e.generation as usize != token >> 32 || e.target.is_none() {
                return;
            }
            // Skip the generation that would make a token equal WAKER_TOKEN.
            e.generation = e.generation.wrapping_add(1) % (u32::MAX - 1);
            let t = e.target.take();
            slab.free.push(idx as u32);
            self.registered.fetch_sub(1, SeqCst);
            t
        };
        // Dropped outside the slab lock (it may free the source).
        drop(target);
    }

    /// Operations waiting on any registered source (asked outside the
    /// slab lock: a source's lock comes before the slab's).
    fn waiters(&self) -> usize {
        let targets: Vec<Arc<dyn Readiness>> = lock(&self.slab)
            .entries
            .iter()
            .filter_map(|e| e.target.clone())
            .collect();
        targets.iter().map(|t| t.waiters()).sum()
    }

    fn lookup(&self, token: usize) -> Option<Arc<dyn Readiness>> {
        let slab = lock(&self.slab);
        let e = slab.entries.get(token & 0xFFFF_FFFF)?;
        if e.generation as usize != token >> 32 {
            return None;
        }
        e.target.clone()
    }

    /// Waits for readiness at most `timeout` (`None`: until an event or a
    /// wake) and dispatches the events. `block`: wait for the poll lock
    /// (the driver); otherwise return at once if another thread polls.
    /// Returns how many socket events were dispatched.
    pub fn poll(&self, timeout: Option<Duration>, block: bool) -> usize {
        let mut g = if block {
            lock(&self.poll)
        } else {
            match self.poll.try_lock() {
                Ok(g) => g,
                Err(TryLockError::WouldBlock) => return 0,
                Err(TryLockError::Poisoned(e)) => e.into_inner(),
            }
        };
        let PollState { poll, events } = &mut *g;
        if poll.poll(events, timeout).is_err() {
            // EINTR or a transient failure: the caller's loop polls again.
            return 0;
        }
        let mut n = 0;
        for ev in events.iter() {
            let token = ev.token().0;
            if token == WAKER_TOKEN {
                // A wake meant for the driver, consumed by a non-blocking
                // poll while the driver waited for the poll lock: post it
                // again so the driver's poll still returns.
                if !block {
                    self.wake();
                }
                continue;
            }
            let Some(target) = self.lookup(token) else {
                continue;
            };
            let err = ev.is_error();
            let readable = ev.is_readable() || ev.is_read_closed() || err;
            let writable = ev.is_writable() || ev.is_write_closed() || err;
            target.on_ready(readable, writable, ev.is_read_closed() || err);
            n += 1;
        }
        n
    }

    /// Interrupts a blocking [`Reactor::poll`].
    pub fn wake(&self) {
        let _ = self.waker.wake();
    }
}

/// The reactor of runtime `shared`, started on first use; `ERR_IO` if the
/// system refuses (out of file descriptors).
pub fn reactor(shared: &Shared) -> Result<&Reactor, i64> {
    if let Some(r) = shared.io.get() {
        return Ok(r);
    }
    let _g = lock(&shared.io_init);
    if let Some(r) = shared.io.get() {
        return Ok(r);
    }
    let r = Reactor::new().map_err(|_| ERR_IO)?;
    for remote in shared.remotes.iter() {
        let w = r.waker.clone();
        remote.parker.set_driver_waker(Box::new(move || {
            let _ = w.wake();
        }));
    }
    let _ = shared.io.set(r);
    fence(SeqCst);
    // A driver parked on its condvar before the reactor existed re-parks on it.
    let d = shared.driver.load(SeqCst);
    if d != 0 {
        shared.remotes[d - 1].parker.unpark();
    }
    shared.io.get().ok_or(ERR_IO)
}

/// Is any socket registered with `shared`'s reactor?
pub fn sockets_registered(shared: &Shared) -> bool {
    shared
        .io
        .get()
        .is_some_and(|r| r.registered.load(Relaxed) > 0)
}

/// Operations waiting on sockets of `shared` now (takes every source's
/// lock in turn: for the deadlock detector and tests).
pub fn socket_waiters(shared: &Shared) -> usize {
    shared.io.get().map_or(0, Reactor::waiters)
}

thread_local! {
    /// This thread sent to a socket whose peer is in this process since it
    /// last polled ([`poll_after_send`]).
    static SENT_LOCAL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A send succeeded on a socket whose peer is in this process
/// (`net::local_pairs`).
#[inline]
pub fn note_sent_to_local_peer() {
    SENT_LOCAL.with(|s| s.set(true));
}

/// After a run that sent to a socket whose peer is in this process:
/// dispatch ready events now, on this worker. A send on loopback makes the
/// peer readable before it returns, so the peer's task is woken here, on
/// the sender's core, rather than by whichever worker polls next: both
/// ends of the connection stay on one core, and the kernel's socket state
/// with them (about half the CPU per message: PERFORMANCE.md, "What
/// bounds echo"). Every poll a tick later lost that race in measurements,
/// hence right after the run.
pub fn poll_after_send(shared: &Shared) {
    if SENT_LOCAL.with(|s| s.replace(false)) {
        poll_if_pending(shared);
    }
}

/// Maintenance on a busy worker: dispatch ready events without blocking
/// while sockets are registered.
pub fn poll_if_pending(shared: &Shared) {
    if !sockets_registered(shared) {
        return;
    }
    if let Some(r) = shared.io.get() {
        r.poll(Some(Duration::ZERO), false);
    }
}

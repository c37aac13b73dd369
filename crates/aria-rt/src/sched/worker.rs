//! A worker: the loop that runs tasks on one thread.
//!
//! Each turn: maintenance every [`EVENT_INTERVAL`] ticks (fire expired
//! timers; dispatch ready I/O without blocking while tasks wait on
//! sockets), then a task from — in order — the global injector every
//! [`GLOBAL_INTERVAL`] ticks (fairness), the pinned inbox, the LIFO slot,
//! the local deque, the injector; else steal (as a searcher: random victim
//! order, batches of half); else park. A run that sent to a socket whose
//! peer is in this process is followed by an I/O poll at once
//! (`io::poll_after_send`).
//!
//! Invariants:
//! - The core is reached only through `context::core()` and dereferenced
//!   for short accesses (never across a task's run): a task's wake or spawn
//!   pushes to the same core from inside the run, and `.await()` in a
//!   task's synchronous code may hand the core to a substitute thread, after
//!   which this thread finishes the run and exits.
//! - A worker parks only after its LIFO slot and deque are empty; while it
//!   is parked (also while, as the timer driver, it fires timers) woken
//!   tasks go to the back of its deque, never to the unstealable LIFO slot.
//! - After a park, a worker still listed as a sleeper goes back to sleep
//!   unless it has work (a timer timeout or a direct unpark is not a notify).
//! - The driver (the one parked worker holding `Shared::driver`) sleeps in
//!   the reactor's poll once the reactor exists, else on its condvar with
//!   the next deadline as timeout. A driver that wakes up to run tasks
//!   while timers or socket waits are pending hands the role to another
//!   sleeper.

use std::sync::atomic::Ordering::*;
use std::sync::Arc;

use super::queue::{pop_injector, LocalQueue, MAX_LIFO_POLLS};
use super::{context, Shared};
use crate::task::run::run;
use crate::task::TaskRef;

/// Ticks between maintenance (timers) turns.
pub const EVENT_INTERVAL: u32 = 61;
/// Ticks between looks at the global injector before the local queue.
pub const GLOBAL_INTERVAL: u32 = 61;

/// A worker's private state; owned by one thread at a time.
pub struct Core {
    pub index: usize,
    pub queue: LocalQueue,
    tick: u32,
    rng: u32,
    is_searching: bool,
    /// Inside `park` (woken tasks must go to the stealable deque).
    parked: bool,
}

impl Core {
    pub fn new(index: usize) -> Core {
        Core {
            index,
            queue: LocalQueue::new(),
            tick: 0,
            rng: 0x9E37_79B9 ^ (index as u32).wrapping_mul(0x85EB_CA6B) | 1,
            is_searching: false,
            parked: false,
        }
    }

    fn next_rand(&mut self) -> u32 {
        // xorshift32
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        x
    }
}

/// The body of a worker thread.
pub(crate) fn run_worker(shared: Arc<Shared>, core: Box<Core>) {
    context::set_shared(Arc::as_ptr(&shared));
    context::set_core(Box::into_raw(core));
    loop {
        let core = context::core();
        if core.is_null() || shared.stop.load(Acquire) {
            break;
        }
        // SAFETY: `core` belongs to this thread (context invariant); every
        // access below is a short raw-pointer access.
        unsafe {
            (*core).tick = (*core).tick.wrapping_add(1);
            if (*core).tick.is_multiple_of(EVENT_INTERVAL) {
                shared.timers.fire_expired();
                super::io::poll_if_pending(&shared);
            }
            match next_task(&shared, core).or_else(|| steal_work(&shared, core)) {
                Some(t) => {
                    run_task(&shared, core, t);
                    super::io::poll_after_send(&shared);
                }
                None => park(&shared, core),
            }
        }
    }
    let core = context::take_core();
    if core.is_null() {
        // A former worker that gave its core away in `.await()` has finished
        // its task: it no longer counts as running; let watchers look again.
        shared.coreless.fetch_sub(1, SeqCst);
        shared.on_all_parked();
    } else {
        // SAFETY: this thread owned the core; no task runs any more.
        drop(unsafe { Box::from_raw(core) });
    }
    context::set_shared(std::ptr::null());
    shared.thread_exited();
}

/// Where [`schedule_local`] puts a task.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// A new task: the LIFO slot, as in Tokio and Go (`runnext`): the task
    /// just spawned runs next on this worker (its creator usually awaits it
    /// soon), which keeps a recursive fan-out depth-first — few tasks alive
    /// at once, their memory reused at once — rather than breadth-first.
    Spawn,
    /// A woken task: the LIFO slot.
    Lifo,
    /// A task requeued after its run (yield): behind everything runnable,
    /// including what waits in the injector, which is pulled in first.
    Yield,
}

/// Queues `t` on this thread's core (a woken task goes to the deque
/// instead of the LIFO slot while the worker is parked). Wakes a parked
/// worker when stealable work appeared.
///
/// # Safety
/// `core` is this thread's core of runtime `shared`.
pub(crate) unsafe fn schedule_local(shared: &Shared, core: *mut Core, t: TaskRef, place: Place) {
    // SAFETY: caller contract (short access).
    let notify = unsafe {
        if (*core).parked {
            (*core).queue.push_back(t);
            false
        } else {
            match place {
                Place::Lifo | Place::Spawn => (*core).queue.push_lifo(t),
                Place::Yield => {
                    if !shared.injector.is_empty() {
                        if let Some(first) = (*core).queue.steal_from_injector(&shared.injector) {
                            (*core).queue.push_back(first);
                        }
                    }
                    (*core).queue.push_back(t);
                    true
                }
            }
        }
    };
    if notify {
        shared.notify_parked_local();
    }
}

unsafe fn next_task(shared: &Shared, core: *mut Core) -> Option<TaskRef> {
    // SAFETY: caller contract (this thread's core).
    unsafe {
        if (*core).tick.is_multiple_of(GLOBAL_INTERVAL) {
            if let Some(t) = pop_injector(&shared.injector) {
                return Some(t);
            }
        }
        let inbox = &shared.remotes[(*core).index].inbox;
        if !inbox.is_empty() {
            if let Some(t) = pop_injector(inbox) {
                return Some(t);
            }
        }
        if let Some(t) = (*core).queue.take_lifo() {
            return Some(t);
        }
        if let Some(t) = (*core).queue.pop() {
            return Some(t);
        }
        if shared.injector.is_empty() {
            return None;
        }
        (*core).queue.steal_from_injector(&shared.injector)
    }
}

unsafe fn steal_work(shared: &Shared, core: *mut Core) -> Option<TaskRef> {
    // SAFETY: caller contract (this thread's core).
    unsafe {
        if !(*core).is_searching {
            if !shared.idle.transition_worker_to_searching() {
                return None;
            }
            (*core).is_searching = true;
        }
        let n = shared.remotes.len();
        let start = (*core).next_rand() as usize % n;
        for i in 0..n {
            let v = (start + i) % n;
            if v == (*core).index {
                continue;
            }
            if let Some(t) = (*core).queue.steal_from(&shared.remotes[v].stealer) {
                return Some(t);
            }
        }
        (*core).queue.steal_from_injector(&shared.injector)
    }
}

/// Runs `t`, then up to [`MAX_LIFO_POLLS`] tasks it woke into the LIFO slot.
unsafe fn run_task(shared: &Shared, core: *mut Core, t: TaskRef) {
    // SAFETY: caller contract; the core is re-read after each run because a
    // run may hand it away.
    unsafe {
        if (*core).is_searching {
            (*core).is_searching = false;
            if shared.idle.transition_worker_from_searching() {
                shared.notify_parked();
            }
        }
        run(t.as_ptr());
        let mut polls = 0;
        loop {
            let core = context::core();
            if core.is_null() {
                return;
            }
            let Some(next) = (*core).queue.take_lifo() else {
                return;
            };
            if polls >= MAX_LIFO_POLLS {
                // This worker runs it after what is queued (as Tokio does,
                // no wake-up of a parked worker: two tasks waking each
                // other would otherwise wake it about every third run,
                // only for it to find nothing to steal).
                (*core).queue.push_back(next);
                return;
            }
            polls += 1;
            run(next.as_ptr());
        }
    }
}

unsafe fn park(shared: &Shared, core: *mut Core) {
    // SAFETY: caller contract (this thread's core, short accesses).
    unsafe {
        let index = (*core).index;
        let was_searching = std::mem::replace(&mut (*core).is_searching, false);
        let (last_searcher, all_parked) = shared
            .idle
            .transition_worker_to_parked(index, was_searching);
        if last_searcher {
            shared.notify_if_work_pending();
        }
        if all_parked {
            shared.on_all_parked();
        }
        (*core).parked = true;
        loop {
            park_once(shared, index);
            if shared.stop.load(Acquire) {
                break;
            }
            if transition_from_parked(shared, core) {
                break;
            }
        }
        (*core).parked = false;
        if (*core).queue.len() > 1 {
            shared.notify_parked();
        }
    }
}

/// Sleeps once: as the driver (timeout = next deadline, then fire; in the
/// I/O poll once the reactor exists) if nobody else drives, else until
/// unparked.
fn park_once(shared: &Shared, index: usize) {
    let parker = &shared.remotes[index].parker;
    if shared
        .driver
        .compare_exchange(0, index + 1, SeqCst, SeqCst)
        .is_ok()
    {
        // Pairs with the fence in `io::reactor`: either we see the reactor,
        // or its creator sees us as the driver and unparks us.
        std::sync::atomic::fence(SeqCst);
        let timeout = shared.timers.next_timeout();
        match shared.io.get() {
            Some(io) => parker.park_driver(|| {
                io.poll(timeout, true);
            }),
            None => match timeout {
                Some(d) => parker.park_timeout(d),
                None => parker.park(),
            },
        }
        shared.driver.store(0, SeqCst);
        shared.timers.fire_expired();
    } else {
        parker.park();
    }
}

unsafe fn transition_from_parked(shared: &Shared, core: *mut Core) -> bool {
    // SAFETY: caller contract.
    unsafe {
        let index = (*core).index;
        let has_work = (*core).queue.has_tasks() || !shared.remotes[index].inbox.is_empty();
        if has_work {
            (*core).is_searching = !shared.idle.unpark_worker_by_id(index);
            if !(*core).is_searching
                && (!shared.timers.is_empty() || super::io::sockets_registered(shared))
            {
                // We were the driver and now run tasks: hand the timers
                // and the I/O poll to another sleeper.
                shared.timer_added_earliest();
            }
            return true;
        }
        if shared.idle.is_parked(index) {
            return false;
        }
        (*core).is_searching = true;
        true
    }
}

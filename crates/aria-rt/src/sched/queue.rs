//! Run queues: each worker's local deque plus its LIFO slot, the global
//! injector, and each worker's private inbox for pinned tasks.
//!
//! Invariants:
//! - A task is in at most one of all these places at once, and only while
//!   its state is `SCHEDULED` (a queue entry is the task's run reference in
//!   transit; entries are plain pointers).
//! - The local deque is FIFO for its owner (`crossbeam_deque::Worker::new_fifo`):
//!   yields go to the back and run after what is already queued; thieves
//!   take batches from the front (oldest first).
//! - The LIFO slot holds the task most recently spawned or woken by this
//!   worker (it runs next, on a warm cache: the receiver of a message, the
//!   child its parent is about to await); a task it displaces goes to the
//!   back of the deque. The slot is never stolen, so it is
//!   emptied into the deque before parking and its use is capped per tick
//!   ([`MAX_LIFO_POLLS`]) so two tasks waking each other cannot starve the rest.
//! - An inbox is written by anyone and read only by its worker (thieves
//!   never touch it): wild affinity.

use crossbeam_deque::{Injector, Steal, Stealer, Worker};

use crate::task::TaskRef;

/// Consecutive LIFO-slot runs before the slot yields to the deque.
pub const MAX_LIFO_POLLS: u32 = 3;

/// A worker's own queue.
pub struct LocalQueue {
    deque: Worker<TaskRef>,
    lifo: Option<TaskRef>,
}

impl Default for LocalQueue {
    fn default() -> Self {
        LocalQueue::new()
    }
}

impl LocalQueue {
    pub fn new() -> LocalQueue {
        LocalQueue {
            deque: Worker::new_fifo(),
            lifo: None,
        }
    }

    pub fn stealer(&self) -> Stealer<TaskRef> {
        self.deque.stealer()
    }

    /// Queues at the back (spawn, yield, requeue).
    #[inline]
    pub fn push_back(&mut self, t: TaskRef) {
        self.deque.push(t);
    }

    /// Puts a woken task in the LIFO slot; true if it displaced one into the
    /// deque (there is then stealable work).
    #[inline]
    pub fn push_lifo(&mut self, t: TaskRef) -> bool {
        match self.lifo.replace(t) {
            Some(prev) => {
                self.deque.push(prev);
                true
            }
            None => false,
        }
    }

    #[inline]
    pub fn take_lifo(&mut self) -> Option<TaskRef> {
        self.lifo.take()
    }

    /// Moves the LIFO task (if any) to the back of the deque.
    pub fn flush_lifo(&mut self) {
        if let Some(t) = self.lifo.take() {
            self.deque.push(t);
        }
    }

    #[inline]
    pub fn pop(&mut self) -> Option<TaskRef> {
        self.deque.pop()
    }

    pub fn has_tasks(&self) -> bool {
        self.lifo.is_some() || !self.deque.is_empty()
    }

    pub fn len(&self) -> usize {
        self.deque.len() + usize::from(self.lifo.is_some())
    }

    pub fn is_empty(&self) -> bool {
        !self.has_tasks()
    }

    /// Steals a batch (about half) from `victim` into this queue, returning one.
    pub fn steal_from(&self, victim: &Stealer<TaskRef>) -> Option<TaskRef> {
        retry(|| victim.steal_batch_and_pop(&self.deque))
    }

    /// Takes a batch from the injector into this queue, returning one.
    pub fn steal_from_injector(&self, injector: &Injector<TaskRef>) -> Option<TaskRef> {
        retry(|| injector.steal_batch_and_pop(&self.deque))
    }
}

/// Pops one task from an injector or inbox.
pub fn pop_injector(injector: &Injector<TaskRef>) -> Option<TaskRef> {
    retry(|| injector.steal())
}

fn retry(mut f: impl FnMut() -> Steal<TaskRef>) -> Option<TaskRef> {
    loop {
        match f() {
            Steal::Success(t) => return Some(t),
            Steal::Empty => return None,
            Steal::Retry => std::hint::spin_loop(),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::ptr::NonNull;

    fn fake(i: usize) -> TaskRef {
        TaskRef(NonNull::new((i * 64) as *mut crate::task::Task).unwrap())
    }

    #[test]
    fn fifo_lifo_and_steal() {
        let mut q = LocalQueue::new();
        q.push_back(fake(1));
        q.push_back(fake(2));
        assert!(!q.push_lifo(fake(3)));
        assert!(q.push_lifo(fake(4)), "displaces 3 into the deque");
        assert_eq!(q.len(), 4);
        assert_eq!(q.take_lifo(), Some(fake(4)));
        assert_eq!(q.pop(), Some(fake(1)), "FIFO for the owner");
        let thief = LocalQueue::new();
        let got = thief.steal_from(&q.stealer()).unwrap();
        assert_eq!(got, fake(2), "thieves take the oldest");
        assert_eq!(q.len() + thief.len(), 1);
        let inj = Injector::new();
        inj.push(fake(7));
        assert_eq!(pop_injector(&inj), Some(fake(7)));
        assert_eq!(pop_injector(&inj), None);
    }
}

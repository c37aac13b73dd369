//! Intrusive FIFO queues of waiting operations (channel senders and
//! receivers, socket readers and writers).
//!
//! A node lives inside the frame of the built-in task that waits (a stable
//! address for the task's whole life), so queueing allocates nothing.
//!
//! Invariants: a queue and the links of every node in it are only touched
//! under the lock of the object owning the queue (a channel, a socket);
//! `linked` is true exactly while the node is in a queue; a node is
//! unlinked before its task completes (so a queue never points into a
//! freed frame).

use std::ptr;

/// The links of a node (embedded in it).
pub struct Links<T> {
    next: *mut T,
    prev: *mut T,
    linked: bool,
}

impl<T> Links<T> {
    pub const fn new() -> Links<T> {
        Links {
            next: ptr::null_mut(),
            prev: ptr::null_mut(),
            linked: false,
        }
    }
}

impl<T> Default for Links<T> {
    fn default() -> Self {
        Links::new()
    }
}

/// A type with embedded [`Links`].
///
/// # Safety
/// `links` must return a pointer to links embedded in the node `p` points to.
pub unsafe trait Linked: Sized {
    /// # Safety
    /// `p` points to a live node.
    unsafe fn links(p: *mut Self) -> *mut Links<Self>;
}

/// A FIFO of nodes, oldest first.
pub struct Queue<T: Linked> {
    head: *mut T,
    tail: *mut T,
}

// SAFETY: the queue holds pointers to nodes guarded by the owner's lock
// (module invariant).
unsafe impl<T: Linked> Send for Queue<T> {}

impl<T: Linked> Default for Queue<T> {
    fn default() -> Self {
        Queue::new()
    }
}

impl<T: Linked> Queue<T> {
    pub const fn new() -> Queue<T> {
        Queue {
            head: ptr::null_mut(),
            tail: ptr::null_mut(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.head.is_null()
    }

    /// The oldest node (null if empty).
    pub fn head(&self) -> *mut T {
        self.head
    }

    /// Is node `n` in a queue?
    ///
    /// # Safety
    /// `n` is a live node; the caller holds the owner's lock.
    pub unsafe fn is_linked(n: *mut T) -> bool {
        // SAFETY: caller contract.
        unsafe { (*T::links(n)).linked }
    }

    /// Appends unlinked node `n`.
    ///
    /// # Safety
    /// `n` is live, unlinked, and stays valid until unlinked; owner's lock held.
    pub unsafe fn push_back(&mut self, n: *mut T) {
        // SAFETY: caller contract; linked nodes are live.
        unsafe {
            let l = T::links(n);
            debug_assert!(!(*l).linked);
            (*l).next = ptr::null_mut();
            (*l).prev = self.tail;
            if self.tail.is_null() {
                self.head = n;
            } else {
                (*T::links(self.tail)).next = n;
            }
            self.tail = n;
            (*l).linked = true;
        }
    }

    /// Unlinks `n` if it is linked (in this queue); true if it was.
    ///
    /// # Safety
    /// `n` is live and, if linked, linked in this queue; owner's lock held.
    pub unsafe fn remove(&mut self, n: *mut T) -> bool {
        // SAFETY: caller contract.
        unsafe {
            let l = T::links(n);
            if !(*l).linked {
                return false;
            }
            let (p, q) = ((*l).prev, (*l).next);
            if p.is_null() {
                self.head = q;
            } else {
                (*T::links(p)).next = q;
            }
            if q.is_null() {
                self.tail = p;
            } else {
                (*T::links(q)).prev = p;
            }
            (*l).next = ptr::null_mut();
            (*l).prev = ptr::null_mut();
            (*l).linked = false;
            true
        }
    }

    /// Unlinks and returns the oldest node (null if empty).
    ///
    /// # Safety
    /// Owner's lock held.
    pub unsafe fn pop_front(&mut self) -> *mut T {
        let h = self.head;
        if !h.is_null() {
            // SAFETY: the head is linked here.
            unsafe { self.remove(h) };
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct N {
        links: Links<N>,
        v: u32,
    }
    // SAFETY: returns the embedded links.
    unsafe impl Linked for N {
        unsafe fn links(p: *mut Self) -> *mut Links<Self> {
            // SAFETY: caller contract.
            unsafe { ptr::addr_of_mut!((*p).links) }
        }
    }

    #[test]
    fn fifo_and_removal() {
        let mut nodes: Vec<N> = (0..4)
            .map(|v| N {
                links: Links::new(),
                v,
            })
            .collect();
        let p: Vec<*mut N> = nodes.iter_mut().map(|n| n as *mut N).collect();
        let mut q = Queue::<N>::new();
        // SAFETY: the nodes outlive the queue operations.
        unsafe {
            for &n in &p {
                q.push_back(n);
            }
            assert!(q.remove(p[2]));
            assert!(!q.remove(p[2]));
            assert!(q.remove(p[0]));
            let order: Vec<u32> = std::iter::from_fn(|| {
                let n = q.pop_front();
                (!n.is_null()).then(|| (*n).v)
            })
            .collect();
            assert_eq!(order, vec![1, 3]);
            assert!(q.is_empty() && !Queue::is_linked(p[1]));
        }
    }
}

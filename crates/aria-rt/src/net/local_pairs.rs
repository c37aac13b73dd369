//! TCP connections whose two ends are both sockets of this process (a
//! client and a server in one program, as in bench/echo).
//!
//! Why: a message that leaves its core costs the kernel about twice the
//! CPU of one that stays (bench/experiments/loopback_echo; PERFORMANCE.md,
//! "What bounds echo"). On loopback a send makes the peer socket readable
//! before it returns, so after a run that sent on such a connection the
//! worker polls at once ([`crate::sched::io::poll_after_send`]): the peer's
//! task is woken on this worker, and both ends of the connection stay on
//! one core. For other sockets that poll would be a wasted syscall, so only
//! sockets known to have their peer here are marked.
//!
//! How: the local addresses of our listeners and of our connecting sockets
//! are kept in two sets. A connect to the address of one of our listeners,
//! and an accept whose peer address is one of our connecting sockets, mark
//! their source ([`super::source::SourceState::mark_local_peer`]). A miss
//! (an accept that runs before the client recorded its address) only loses
//! the optimisation. An entry lives as long as its socket: it is a
//! [`Registered`] value kept in the socket's source, removed when the
//! source closes or is dropped.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};

/// The two sets of local addresses.
#[derive(Default)]
struct Ends {
    listeners: HashSet<SocketAddr>,
    clients: HashSet<SocketAddr>,
}

static ENDS: Mutex<Option<Ends>> = Mutex::new(None);

fn with_ends<R>(f: impl FnOnce(&mut Ends) -> R) -> R {
    let mut g = ENDS.lock().unwrap_or_else(PoisonError::into_inner);
    f(g.get_or_insert_with(Ends::default))
}

/// Which set an entry is in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Listener,
    Client,
}

/// A socket's entry in one of the sets; dropping it removes the entry.
#[derive(Debug)]
pub struct Registered {
    kind: Kind,
    addr: SocketAddr,
}

impl Drop for Registered {
    fn drop(&mut self) {
        with_ends(|e| match self.kind {
            Kind::Listener => e.listeners.remove(&self.addr),
            Kind::Client => e.clients.remove(&self.addr),
        });
    }
}

/// A listener bound to `addr` opened.
pub fn listening(addr: SocketAddr) -> Registered {
    with_ends(|e| e.listeners.insert(addr));
    Registered {
        kind: Kind::Listener,
        addr,
    }
}

/// A socket at local address `local` connects to `remote`: its entry, and
/// whether `remote` is one of our listeners (the peer is ours).
pub fn connecting(local: SocketAddr, remote: SocketAddr) -> (Registered, bool) {
    let ours = with_ends(|e| {
        e.clients.insert(local);
        e.listeners.contains(&remote)
    });
    let entry = Registered {
        kind: Kind::Client,
        addr: local,
    };
    (entry, ours)
}

/// An accepted connection from `peer`: is that one of our sockets?
pub fn accepted_from(peer: SocketAddr) -> bool {
    with_ends(|e| e.clients.contains(&peer))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_pair_is_recognised_from_both_ends_and_forgotten_with_its_sockets() {
        // Addresses no real socket of the other tests has (port 1 and 2 on
        // a loopback address of their own).
        let server: SocketAddr = "127.8.9.10:1".parse().unwrap();
        let client: SocketAddr = "127.8.9.10:2".parse().unwrap();
        let elsewhere: SocketAddr = "127.8.9.11:1".parse().unwrap();
        let l = listening(server);
        let (c, ours) = connecting(client, server);
        assert!(ours, "a connect to our listener");
        assert!(accepted_from(client), "an accept from our client");
        let (other, ours) = connecting("127.8.9.10:3".parse().unwrap(), elsewhere);
        assert!(!ours, "a connect elsewhere");
        assert!(!accepted_from(elsewhere), "an accept from elsewhere");
        drop(c);
        assert!(!accepted_from(client), "the client closed");
        drop(l);
        let (again, ours) = connecting(client, server);
        assert!(!ours, "the listener closed");
        drop((other, again));
    }
}

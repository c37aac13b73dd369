//! Loopback TCP echo with no runtime at all: the client and the server ends
//! of N connections in one process, each client doing T round trips of 64
//! bytes (bench/echo's shape). It measures what the kernel costs, and what
//! would lower it (docs/PERFORMANCE.md, "What bounds echo"):
//!
//! - `epoll`, `uring`: one thread owns every socket. `epoll` is
//!   level-triggered: one `recv` and one `send` per message, the least a
//!   readiness design can do. `uring` keeps one `Recv` in flight per
//!   socket and submits sends in batches: one `io_uring_enter` per loop.
//! - `epoll2-local`, `uring2-local`: two threads; each owns half of the
//!   connections, both of their ends. A message never leaves its core.
//! - `epoll2-split`, `uring2-split`: two threads; one owns every client
//!   end, the other every server end. Every message crosses cores, which is
//!   what a work-stealing runtime (Aria's, Tokio's) does to this program.
//!
//! Usage: `loopback-echo MODE [CONNS=100] [TRIPS=10000]`; prints round
//! trips per second of wall time and per CPU-second (user + sys).
//!
//! The raw `libc` and io_uring calls are unsafe only in the usual way:
//! every fd is a live socket owned by `main`, and every buffer handed to
//! the kernel outlives the operation (the loops end only after each
//! socket's last operation completed or the socket was shut down).
use std::net::{TcpListener, TcpStream};
use std::os::unix::io::AsRawFd;
use std::time::Instant;

const SIZE: usize = 64;
const BUF: usize = 4096;

/// `n` connected pairs `(client, server)` on 127.0.0.1, TCP_NODELAY.
fn pairs(n: usize) -> Vec<(TcpStream, TcpStream)> {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let a = l.local_addr().unwrap();
    (0..n)
        .map(|_| {
            let c = TcpStream::connect(a).unwrap();
            let (s, _) = l.accept().unwrap();
            for t in [&c, &s] {
                t.set_nodelay(true).unwrap();
                t.set_nonblocking(true).unwrap();
            }
            (c, s)
        })
        .collect()
}

/// CPU seconds (user + system) of the whole process so far.
fn cpu() -> f64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

/// The sockets one thread owns: `server[k]` says whether `fds[k]` echoes
/// (server end) or counts replies and sends the next message (client end).
struct Share {
    fds: Vec<i32>,
    server: Vec<bool>,
}

/// What a loop does with `got` bytes received on socket `k`: the bytes to
/// send back (`Some`), or nothing; counts round trips and finished clients.
struct Roles {
    left: Vec<u64>,
    clients: usize,
    servers: usize,
    done: u64,
}

enum Next {
    /// Echo the bytes received (server end).
    Echo,
    /// Send the next message (client end with trips left).
    Message,
    /// This socket is finished.
    Stop,
}

impl Roles {
    fn new(share: &Share, trips: u64) -> Roles {
        let servers = share.server.iter().filter(|s| **s).count();
        Roles {
            left: vec![trips; share.fds.len()],
            clients: share.fds.len() - servers,
            servers,
            done: 0,
        }
    }

    fn running(&self) -> bool {
        self.clients > 0 || self.servers > 0
    }

    fn on_recv(&mut self, share: &Share, k: usize, got: isize) -> Next {
        if share.server[k] {
            if got == 0 {
                self.servers -= 1;
                return Next::Stop;
            }
            return Next::Echo;
        }
        self.done += 1;
        self.left[k] -= 1;
        if self.left[k] > 0 {
            return Next::Message;
        }
        self.clients -= 1;
        // The server end reads end of stream and stops too.
        unsafe { libc::shutdown(share.fds[k], libc::SHUT_WR) };
        Next::Stop
    }
}

fn epoll_loop(share: Share, trips: u64) -> u64 {
    let ep = unsafe { libc::epoll_create1(0) };
    for (k, &fd) in share.fds.iter().enumerate() {
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: k as u64,
        };
        unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, fd, &mut ev) };
    }
    let msg = [b'x'; SIZE];
    let mut roles = Roles::new(&share, trips);
    for (k, &fd) in share.fds.iter().enumerate() {
        if !share.server[k] {
            unsafe { libc::send(fd, msg.as_ptr().cast(), SIZE, 0) };
        }
    }
    let mut buf = [0u8; BUF];
    let mut evs = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
    while roles.running() {
        let n = unsafe { libc::epoll_wait(ep, evs.as_mut_ptr(), 256, -1) };
        for e in &evs[..n.max(0) as usize] {
            let k = e.u64 as usize;
            let fd = share.fds[k];
            let got = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), BUF, 0) };
            if got < 0 {
                continue;
            }
            // SAFETY (module doc): live socket, buffers on this stack.
            unsafe {
                match roles.on_recv(&share, k, got) {
                    Next::Echo => libc::send(fd, buf.as_ptr().cast(), got as usize, 0),
                    Next::Message => libc::send(fd, msg.as_ptr().cast(), SIZE, 0),
                    Next::Stop => {
                        libc::epoll_ctl(ep, libc::EPOLL_CTL_DEL, fd, std::ptr::null_mut()) as isize
                    }
                };
            }
        }
    }
    unsafe { libc::close(ep) };
    roles.done
}

fn uring_loop(share: Share, trips: u64) -> u64 {
    use io_uring::{opcode, squeue, types, IoUring};
    const SEND: u64 = 1 << 32;
    let mut ring = IoUring::new(1024).unwrap();
    let n = share.fds.len();
    let mut bufs = vec![[0u8; BUF]; n];
    let msg = [b'x'; SIZE];
    let fd = |k: usize| types::Fd(share.fds[k]);
    let recv = |k: usize, b: *mut u8| {
        opcode::Recv::new(fd(k), b, BUF as u32)
            .build()
            .user_data(k as u64)
    };
    let send = |k: usize, b: *const u8, len: u32| {
        opcode::Send::new(fd(k), b, len)
            .build()
            .user_data(SEND | k as u64)
    };
    let mut roles = Roles::new(&share, trips);
    let mut pending: Vec<squeue::Entry> = vec![];
    for (k, b) in bufs.iter_mut().enumerate() {
        pending.push(recv(k, b.as_mut_ptr()));
        if !share.server[k] {
            pending.push(send(k, msg.as_ptr(), SIZE as u32));
        }
    }
    while roles.running() {
        {
            let mut sq = ring.submission();
            for e in pending.drain(..) {
                unsafe { sq.push(&e).expect("submission queue full") };
            }
        }
        ring.submit_and_wait(1).unwrap();
        let cqes: Vec<(u64, i32)> = ring
            .completion()
            .map(|c| (c.user_data(), c.result()))
            .collect();
        for (ud, res) in cqes {
            if ud & SEND != 0 || res < 0 {
                continue;
            }
            let k = ud as usize;
            let b = bufs[k].as_mut_ptr();
            match roles.on_recv(&share, k, res as isize) {
                Next::Echo => pending.push(send(k, b, res as u32)),
                Next::Message => pending.push(send(k, msg.as_ptr(), SIZE as u32)),
                Next::Stop => continue,
            }
            pending.push(recv(k, b));
        }
    }
    roles.done
}

/// Splits the sockets between `threads` (1 or 2) threads and runs `run` on
/// each: `local` keeps both ends of a connection on one thread; otherwise
/// thread 0 gets the client ends and thread 1 the server ends.
fn run(
    ps: &[(TcpStream, TcpStream)],
    threads: usize,
    local: bool,
    trips: u64,
    run: fn(Share, u64) -> u64,
) -> u64 {
    let mut shares: Vec<Share> = (0..threads)
        .map(|_| Share {
            fds: vec![],
            server: vec![],
        })
        .collect();
    for (i, (c, s)) in ps.iter().enumerate() {
        let (tc, ts) = match (threads, local) {
            (1, _) => (0, 0),
            (_, true) => (i % 2, i % 2),
            _ => (0, 1),
        };
        shares[tc].fds.push(c.as_raw_fd());
        shares[tc].server.push(false);
        shares[ts].fds.push(s.as_raw_fd());
        shares[ts].server.push(true);
    }
    let hs: Vec<_> = shares
        .into_iter()
        .map(|sh| std::thread::spawn(move || run(sh, trips)))
        .collect();
    hs.into_iter().map(|h| h.join().unwrap()).sum()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let conns: usize = args.next().map_or(100, |s| s.parse().unwrap());
    let trips: u64 = args.next().map_or(10_000, |s| s.parse().unwrap());
    let (threads, local, f): (usize, bool, fn(Share, u64) -> u64) = match mode.as_str() {
        "epoll" => (1, true, epoll_loop),
        "uring" => (1, true, uring_loop),
        "epoll2-local" => (2, true, epoll_loop),
        "epoll2-split" => (2, false, epoll_loop),
        "uring2-local" => (2, true, uring_loop),
        "uring2-split" => (2, false, uring_loop),
        _ => {
            eprintln!("usage: loopback-echo epoll|uring|epoll2-local|epoll2-split|uring2-local|uring2-split [CONNS] [TRIPS]");
            std::process::exit(2)
        }
    };
    let ps = pairs(conns);
    let (c0, t0) = (cpu(), Instant::now());
    let done = run(&ps, threads, local, trips, f);
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu() - c0);
    assert_eq!(done, conns as u64 * trips, "every round trip came back");
    println!(
        "{mode}: {done} rt, {:.0} rt/s, {:.0} rt per CPU-second (CPU {:.2} s)",
        done as f64 / wall,
        done as f64 / cpu,
        cpu
    );
}

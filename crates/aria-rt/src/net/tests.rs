//! TCP tests over loopback (127.0.0.1 only): tasks written as Rust futures
//! drive the socket ABI the way generated code does.

use super::*;
use crate::sched::Runtime;
use crate::string::text;
use crate::task::abi::{aria_task_cancel, aria_task_done};
use crate::testutil::{aw, awu, block, spawn_here};

const OK0: AriaResult = AriaResult::ok(0);

fn st(s: &[u8]) -> usize {
    new_str(s) as usize
}
fn rel(p: usize) {
    // SAFETY: the caller owns a reference.
    unsafe { aria_release(p as *mut u8) }
}
fn listen(host: &str, port: i64) -> AriaResult {
    let h = st(host.as_bytes());
    // SAFETY: live string.
    let r = unsafe { aria_tcp_listen(h as *const u8, port) };
    rel(h);
    r
}
fn port(l: usize) -> i64 {
    // SAFETY: live listener.
    unsafe { aria_listener_port(l as *mut u8) }
}
fn accept(l: usize) -> usize {
    // SAFETY: live listener.
    unsafe { aria_listener_accept(l as *mut u8) as usize }
}
fn connect(host: &str, port: i64) -> usize {
    let h = st(host.as_bytes());
    // SAFETY: live string.
    let t = unsafe { aria_tcp_connect(h as *const u8, port) as usize };
    rel(h);
    t
}
fn read(c: usize, n: i64) -> usize {
    // SAFETY: live connection.
    unsafe { aria_conn_read(c as *mut u8, n) as usize }
}
fn write(c: usize, data: &[u8]) -> usize {
    let s = st(data);
    // SAFETY: live connection and string.
    let t = unsafe { aria_conn_write(c as *mut u8, s as *mut u8) as usize };
    rel(s);
    t
}
fn done(t: usize) -> bool {
    // SAFETY: tests hold their tasks.
    unsafe { aria_task_done(t as *mut Task) != 0 }
}
fn cancel(t: usize) {
    // SAFETY: as above.
    unsafe { aria_task_cancel(t as *mut Task) }
}
fn close_conn(c: usize) {
    // SAFETY: live connection.
    unsafe { aria_conn_close(c as *mut u8) }
}
fn close_listener(l: usize) {
    // SAFETY: live listener.
    unsafe { aria_listener_close(l as *mut u8) }
}
fn bytes_of(s: i64) -> Vec<u8> {
    // SAFETY: a live string (or null).
    unsafe { str_bytes(s as *const u8) }.to_vec()
}
async fn yield_now() {
    aw(crate::asynclib::aria_yield_now()).await;
}
async fn sleep(ms: i64) {
    aw(crate::asynclib::aria_sleep(ms)).await;
}

/// Reads until `n` bytes arrived (or end of stream / failure).
async fn read_exact(c: usize, n: usize) -> Result<Vec<u8>, i64> {
    let mut got = Vec::with_capacity(n);
    while got.len() < n {
        let r = awu(read(c, (n - got.len()) as i64)).await;
        if r.err != 0 {
            return Err(r.err);
        }
        if r.val == 0 {
            break;
        }
        got.extend_from_slice(&bytes_of(r.val));
        rel(r.val as usize);
    }
    Ok(got)
}

/// Echoes until end of stream, then closes.
async fn echo(c: usize) -> (i64, i64) {
    loop {
        let r = awu(read(c, 1024)).await;
        if r.err != 0 {
            rel(c);
            return (r.err, 1);
        }
        if r.val == 0 {
            close_conn(c);
            rel(c);
            return (0, 0);
        }
        let s = r.val as usize;
        // SAFETY: live connection and string.
        let w = unsafe { awu(aria_conn_write(c as *mut u8, s as *mut u8) as usize) }.await;
        let len = bytes_of(s as i64).len() as i64;
        rel(s);
        if w != AriaResult::ok(len) {
            rel(c);
            return (w.err, 2);
        }
    }
}

#[test]
fn echo_100_connections_100_messages() {
    const CLIENTS: i64 = 100;
    const MESSAGES: usize = 100;
    let rt = Runtime::new(4);
    let r = block(&rt, async {
        let l = listen("127.0.0.1", 0);
        assert_eq!(l.err, 0);
        let l = l.val as usize;
        let p = port(l);
        assert!(p > 0);
        let server = spawn_here(async move {
            let mut handlers = Vec::new();
            for _ in 0..CLIENTS {
                let c = awu(accept(l)).await;
                if c.err != 0 {
                    return (c.err, 10);
                }
                handlers.push(spawn_here(echo(c.val as usize)));
            }
            for h in handlers {
                let r = awu(h).await;
                if r.err != 0 {
                    return (r.err, r.val);
                }
            }
            (0, 0)
        });
        let clients: Vec<usize> = (0..CLIENTS)
            .map(|k| {
                spawn_here(async move {
                    let c = awu(connect("127.0.0.1", p)).await;
                    if c.err != 0 {
                        return (c.err, 20);
                    }
                    let c = c.val as usize;
                    for i in 0..MESSAGES {
                        let msg = format!("client {k} message {i} {}\n", "x".repeat(i * 7 % 300));
                        let w = awu(write(c, msg.as_bytes())).await;
                        if w != AriaResult::ok(msg.len() as i64) {
                            return (w.err, 21);
                        }
                        match read_exact(c, msg.len()).await {
                            Ok(got) if got == msg.as_bytes() => {}
                            Ok(_) => return (-1000, 22),
                            Err(e) => return (e, 23),
                        }
                    }
                    // SAFETY: live connection.
                    unsafe { aria_conn_shutdown(c as *mut u8) };
                    let eof = awu(read(c, 10)).await;
                    close_conn(c);
                    rel(c);
                    if eof != OK0 {
                        return (eof.err, 24);
                    }
                    (0, 0)
                })
            })
            .collect();
        for c in clients {
            let r = awu(c).await;
            if r.err != 0 {
                return (r.err, r.val);
            }
        }
        let r = awu(server).await;
        close_listener(l);
        rel(l);
        (r.err, r.val)
    });
    assert_eq!(r, OK0);
    assert_eq!(crate::sched::io::socket_waiters(rt.shared()), 0);
    rt.shutdown();
}

#[test]
fn accept_after_close_and_waiting_accepts_fail_closed() {
    let rt = Runtime::new(2);
    let r = block(&rt, async {
        let l = listen("localhost", 0).val as usize;
        let waiting = [accept(l), accept(l)];
        yield_now().await;
        assert!(waiting.iter().all(|&a| !done(a)));
        assert_eq!(rt_pending(), 2, "waiting accepts count as I/O");
        close_listener(l);
        close_listener(l);
        for a in waiting {
            assert_eq!(awu(a).await, AriaResult::err(ERR_CLOSED));
        }
        assert_eq!(awu(accept(l)).await, AriaResult::err(ERR_CLOSED));
        assert!(port(l) > 0, "the port stays readable");
        assert_eq!(rt_pending(), 0);
        rel(l);
        (0, 0)
    });
    assert_eq!(r, OK0);
    rt.shutdown();
}

/// `io_pending` of the runtime running the calling task.
fn rt_pending() -> usize {
    crate::sched::io::socket_waiters(crate::sched::current())
}

#[test]
fn listen_and_connect_failures() {
    let rt = Runtime::new(2);
    let r = block(&rt, async {
        // A port nobody listens on: bind one, then close it.
        let l = listen("127.0.0.1", 0).val as usize;
        let p = port(l);
        let again = listen("127.0.0.1", p);
        assert_eq!(again.err, ERR_ADDR_IN_USE);
        close_listener(l);
        rel(l);
        assert_eq!(
            awu(connect("127.0.0.1", p)).await,
            AriaResult::err(ERR_REFUSED)
        );
        assert_eq!(
            awu(connect("localhost", p)).await,
            AriaResult::err(ERR_REFUSED)
        );
        assert_eq!(
            awu(connect("127.0.0.1", 0)).await,
            AriaResult::err(ERR_INVALID)
        );
        assert_eq!(
            awu(connect("127.0.0.1", 70000)).await,
            AriaResult::err(ERR_INVALID)
        );
        assert_eq!(listen("127.0.0.1", -1).err, ERR_INVALID);
        // Unknown hosts (the ".invalid" domain never resolves), through the
        // resolver on the blocking pool.
        assert_eq!(
            awu(connect("no-such-host.invalid", 80)).await,
            AriaResult::err(ERR_NOT_FOUND)
        );
        assert_eq!(listen("no-such-host.invalid", 0).err, ERR_NOT_FOUND);
        (0, 0)
    });
    assert_eq!(r, OK0);
    rt.shutdown();
}

#[test]
fn connect_through_the_resolver() {
    // The machine's own name, when it resolves to loopback.
    let mut buf = [0u8; 256];
    // SAFETY: `buf` is writable for its length.
    if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } != 0 {
        return;
    }
    let name = std::ffi::CStr::from_bytes_until_nul(&buf)
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let loopback = (name.as_str(), 1u16)
        .to_socket_addrs()
        .is_ok_and(|mut a| a.all(|a| a.ip().is_loopback()));
    if name.is_empty() || !loopback {
        eprintln!("skipped: host name {name:?} does not resolve to loopback");
        return;
    }
    let rt = Runtime::new(2);
    let r = block(&rt, async move {
        let l = listen("127.0.0.1", 0).val as usize;
        let a = accept(l);
        let c = awu(connect(&name, port(l))).await;
        assert_eq!(c.err, 0);
        let s = awu(a).await;
        assert_eq!(s.err, 0);
        assert_eq!(awu(write(c.val as usize, b"hi")).await, AriaResult::ok(2));
        assert_eq!(read_exact(s.val as usize, 2).await, Ok(b"hi".to_vec()));
        for h in [c.val as usize, s.val as usize, l] {
            rel(h);
        }
        (0, 0)
    });
    assert_eq!(r, OK0);
    rt.shutdown();
}

/// A connected pair (client, server side) on a fresh listener.
async fn pair() -> (usize, usize) {
    let l = listen("127.0.0.1", 0).val as usize;
    let a = accept(l);
    let c = awu(connect("127.0.0.1", port(l))).await;
    assert_eq!(c.err, 0);
    let s = awu(a).await;
    assert_eq!(s.err, 0);
    rel(l);
    (c.val as usize, s.val as usize)
}

#[test]
fn read_rules_close_and_cancel() {
    let rt = Runtime::new(2);
    let r = block(&rt, async {
        let (c, s) = pair().await;
        assert_eq!(awu(read(c, 0)).await, AriaResult::err(ERR_INVALID));
        assert_eq!(awu(read(c, -5)).await, AriaResult::err(ERR_INVALID));
        // A cancelled read consumes nothing.
        let r = read(c, 100);
        yield_now().await;
        assert!(!done(r));
        cancel(r);
        assert_eq!(awu(r).await, AriaResult::err(ERR_CANCELLED));
        assert_eq!(awu(write(s, b"abc")).await, AriaResult::ok(3));
        assert_eq!(read_exact(c, 3).await, Ok(b"abc".to_vec()));
        // Reads return at most n bytes.
        assert_eq!(awu(write(s, b"0123456789")).await, AriaResult::ok(10));
        sleep(20).await;
        let r = awu(read(c, 4)).await;
        assert_eq!(text(r.val as *const u8), "0123");
        rel(r.val as usize);
        assert_eq!(read_exact(c, 6).await, Ok(b"456789".to_vec()));
        // Close fails the pending operations and every later one.
        let pending = read(c, 10);
        yield_now().await;
        assert_eq!(rt_pending(), 1);
        close_conn(c);
        assert_eq!(rt_pending(), 0);
        assert_eq!(awu(pending).await, AriaResult::err(ERR_CLOSED));
        assert_eq!(awu(read(c, 10)).await, AriaResult::err(ERR_CLOSED));
        assert_eq!(awu(write(c, b"x")).await, AriaResult::err(ERR_CLOSED));
        close_conn(c);
        // The peer sees the end of the stream.
        assert_eq!(awu(read(s, 10)).await, OK0);
        rel(c);
        rel(s);
        (0, 0)
    });
    assert_eq!(r, OK0);
    rt.shutdown();
}

#[test]
fn large_writes_are_whole_and_in_order() {
    const N: usize = 4 << 20;
    let rt = Runtime::new(2);
    let r = block(&rt, async {
        let (c, s) = pair().await;
        // Two big writes issued back to back: the second waits for the first.
        let w1 = write(c, &vec![b'a'; N]);
        let w2 = write(c, &vec![b'b'; N]);
        yield_now().await;
        assert!(!done(w1) && !done(w2), "the socket buffer is far smaller");
        let got = read_exact(s, 2 * N).await.unwrap();
        assert!(got[..N].iter().all(|&b| b == b'a'));
        assert!(got[N..].iter().all(|&b| b == b'b'));
        assert_eq!(awu(w1).await, AriaResult::ok(N as i64));
        assert_eq!(awu(w2).await, AriaResult::ok(N as i64));
        assert_eq!(awu(write(c, b"")).await, OK0);
        rel(c);
        rel(s);
        (0, 0)
    });
    assert_eq!(r, OK0);
    rt.shutdown();
}

#[test]
fn broken_connection_is_a_failure() {
    let rt = Runtime::new(2);
    let r = block(&rt, async {
        let (c, s) = pair().await;
        // The peer closes with unread data: its kernel resets the connection.
        assert_eq!(awu(write(c, b"unread")).await, AriaResult::ok(6));
        sleep(20).await;
        close_conn(s);
        rel(s);
        sleep(20).await;
        let mut err = 0;
        for _ in 0..100 {
            let w = awu(write(c, &[b'z'; 4096])).await;
            if w.err != 0 {
                err = w.err;
                break;
            }
            sleep(1).await;
        }
        assert_eq!(err, ERR_IO, "EPIPE / ECONNRESET is ERR_IO, not a signal");
        let r = awu(read(c, 10)).await;
        assert!(r == OK0 || r.err == ERR_IO, "read after reset: {r:?}");
        rel(c);
        (0, 0)
    });
    assert_eq!(r, OK0);
    rt.shutdown();
}

#[test]
fn cancelled_connect_and_dropped_handles_close_sockets() {
    let rt = Runtime::new(2);
    let r = block(&rt, async {
        let l = listen("127.0.0.1", 0).val as usize;
        // Dropping every handle of a connection closes it: the peer reads "".
        let a = accept(l);
        let c = awu(connect("127.0.0.1", port(l))).await.val as usize;
        let s = awu(a).await.val as usize;
        let r = read(s, 10);
        rel(c);
        assert_eq!(awu(r).await, OK0);
        rel(s);
        // A pending read keeps its connection open until it completes.
        let a = accept(l);
        let c = awu(connect("127.0.0.1", port(l))).await.val as usize;
        let s = awu(a).await.val as usize;
        let r = read(c, 10);
        rel(c);
        yield_now().await;
        assert!(!done(r));
        assert_eq!(awu(write(s, b"late")).await, AriaResult::ok(4));
        let got = awu(r).await;
        assert_eq!(text(got.val as *const u8), "late");
        rel(got.val as usize);
        // The read's task held the last reference: the connection is closed now.
        assert_eq!(awu(read(s, 10)).await, OK0);
        rel(s);
        // A connect cancelled at once completes ERR_CANCELLED (or connected
        // first); its socket is not leaked either way.
        let t = connect("127.0.0.1", port(l));
        cancel(t);
        let r = awu(t).await;
        if r.err == 0 {
            rel(r.val as usize);
        } else {
            assert_eq!(r.err, ERR_CANCELLED);
        }
        close_listener(l);
        rel(l);
        (0, 0)
    });
    assert_eq!(r, OK0);
    assert_eq!(crate::sched::io::socket_waiters(rt.shared()), 0);
    rt.shutdown();
}

#[test]
fn socket_waits_are_progress_channel_waits_are_not() {
    use crate::chan::{aria_chan_close, aria_chan_new, aria_chan_recv};
    use crate::sched::deadlock;
    use crate::testutil::fut_task;
    use std::time::Duration;
    let rt = Runtime::new(2);
    let settle = || std::thread::sleep(Duration::from_millis(30));
    // A task receiving from a channel nobody sends to cannot progress.
    let ch = aria_chan_new(0, 0).val as usize;
    let stuck = fut_task(async move {
        // SAFETY: live channel.
        let r = unsafe { aria_chan_recv(ch as *mut u8) } as usize;
        (awu(r).await.err, 0)
    });
    let l = block(&rt, async { (0, listen("127.0.0.1", 0).val) }).val as usize;
    let acc = fut_task(async move { (awu(accept(l)).await.err, 0) });
    // SAFETY: test references to new tasks.
    unsafe {
        rt.spawn(stuck);
        settle();
        assert!(deadlock::detect(rt.shared(), stuck));
        // A task waiting for a connection can.
        rt.spawn(acc);
        settle();
        assert_eq!(crate::sched::io::socket_waiters(rt.shared()), 1);
        assert!(!deadlock::detect(rt.shared(), stuck));
        close_listener(l);
        assert_eq!(rt.block_on(acc), AriaResult::err(ERR_CLOSED));
        settle();
        assert!(deadlock::detect(rt.shared(), stuck));
        aria_chan_close(ch as *mut u8);
        assert_eq!(rt.block_on(stuck), AriaResult::err(ERR_CLOSED));
        release(stuck);
        release(acc);
    }
    rel(l);
    rel(ch);
    rt.shutdown();
}

/// Does connection `c`'s source know that its peer is in this process?
fn has_local_peer(c: usize) -> bool {
    // SAFETY: live connection.
    unsafe { source_of(c as *mut u8) }.lock().local_peer()
}

/// The local address of connection `c`.
fn local_addr(c: usize) -> std::net::SocketAddr {
    // SAFETY: live connection.
    let st = unsafe { source_of(c as *mut u8) }.lock();
    match &st.sock {
        Sock::Stream(s) => s.local_addr().unwrap(),
        _ => panic!("not a stream"),
    }
}

#[test]
fn both_ends_of_an_in_process_connection_know_it_and_no_other_does() {
    // A listener that is not ours (a plain std socket, accepted by hand).
    let foreign = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let foreign_port = i64::from(foreign.local_addr().unwrap().port());
    let rt = Runtime::new(2);
    let r = block(&rt, async move {
        let l = listen("127.0.0.1", 0).val as usize;
        let c = awu(connect("127.0.0.1", port(l))).await.val as usize;
        let s = awu(accept(l)).await.val as usize;
        assert!(has_local_peer(c), "the client end");
        assert!(has_local_peer(s), "the server end");
        // Bytes still flow both ways.
        assert_eq!(awu(write(c, b"ping")).await, AriaResult::ok(4));
        assert_eq!(read_exact(s, 4).await, Ok(b"ping".to_vec()));
        assert_eq!(awu(write(s, b"pong")).await, AriaResult::ok(4));
        assert_eq!(read_exact(c, 4).await, Ok(b"pong".to_vec()));
        let out = awu(connect("127.0.0.1", foreign_port)).await.val as usize;
        assert!(!has_local_peer(out), "a connection to a foreign listener");
        let client_addr = local_addr(c);
        assert!(local_pairs::accepted_from(client_addr));
        for x in [c, s, out] {
            close_conn(x);
            rel(x);
        }
        assert!(
            !local_pairs::accepted_from(client_addr),
            "a closed socket leaves the registry"
        );
        close_listener(l);
        rel(l);
        (0, 0)
    });
    assert_eq!(r, OK0);
    // A foreign client of our listener is not marked either.
    let r = block(&rt, async {
        let l = listen("127.0.0.1", 0).val as usize;
        let p = port(l) as u16;
        let client = std::thread::spawn(move || std::net::TcpStream::connect(("127.0.0.1", p)));
        let s = awu(accept(l)).await.val as usize;
        assert!(!has_local_peer(s), "accepted from a foreign client");
        drop(client.join());
        close_conn(s);
        rel(s);
        close_listener(l);
        rel(l);
        (0, 0)
    });
    assert_eq!(r, OK0);
    drop(foreign);
    rt.shutdown();
}

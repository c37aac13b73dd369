//! Channel tests: tasks written as Rust futures drive the channel ABI the
//! way generated code does.

use std::sync::atomic::Ordering::*;
use std::sync::{Arc, Mutex};

use super::*;
use crate::asynclib::aria_yield_now;
use crate::layout::ERR_TIMEOUT;
use crate::object::header;
use crate::sched::Runtime;
use crate::string::{new_str, str_bytes};
use crate::task::abi::{aria_task_cancel, aria_task_done};
use crate::testutil::{aw, awu, block, finish, spawn_here, Rng};

const OK0: AriaResult = AriaResult::ok(0);

fn chan(cap: i64, managed: bool) -> usize {
    let r = aria_chan_new(cap, i32::from(managed));
    assert_eq!(r.err, 0);
    r.val as usize
}
fn send(ch: usize, v: i64) -> usize {
    // SAFETY: tests pass live channels.
    unsafe { aria_chan_send(ch as *mut u8, v) as usize }
}
fn recv(ch: usize) -> usize {
    // SAFETY: as above.
    unsafe { aria_chan_recv(ch as *mut u8) as usize }
}
fn close(ch: usize) {
    // SAFETY: as above.
    unsafe { aria_chan_close(ch as *mut u8) }
}
fn done(t: usize) -> bool {
    // SAFETY: tests hold their tasks.
    unsafe { aria_task_done(t as *mut Task) != 0 }
}
fn cancel(t: usize) {
    // SAFETY: as above.
    unsafe { aria_task_cancel(t as *mut Task) }
}
fn rel(p: usize) {
    // SAFETY: the caller owns a reference.
    unsafe { aria_release(p as *mut u8) }
}
async fn yield_now() {
    aw(aria_yield_now()).await;
}

#[test]
fn negative_capacity_is_invalid() {
    assert_eq!(aria_chan_new(-1, 0), AriaResult::err(ERR_INVALID));
    rel(chan(0, false));
}

#[test]
fn buffered_send_recv_and_close() {
    let rt = Runtime::new(2);
    let r = block(&rt, async {
        let ch = chan(2, false);
        let (s1, s2) = (send(ch, 1), send(ch, 2));
        assert!(done(s1) && done(s2), "room in the buffer: done at once");
        let s3 = send(ch, 3);
        yield_now().await;
        assert!(!done(s3), "buffer full: the send waits");
        assert_eq!(awu(recv(ch)).await, AriaResult::ok(1));
        assert_eq!(awu(s3).await, OK0, "the waiting send moved into the buffer");
        assert_eq!(awu(s1).await, OK0);
        assert_eq!(awu(s2).await, OK0);
        // SAFETY: live channel.
        assert_eq!(unsafe { buffered(ch as *mut u8) }, 2);
        let s4 = send(ch, 4);
        close(ch);
        close(ch);
        assert_eq!(
            awu(s4).await,
            AriaResult::err(ERR_CLOSED),
            "waiting sender fails"
        );
        assert_eq!(awu(send(ch, 5)).await, AriaResult::err(ERR_CLOSED));
        assert_eq!(
            awu(recv(ch)).await,
            AriaResult::ok(2),
            "buffered values stay"
        );
        assert_eq!(awu(recv(ch)).await, AriaResult::ok(3));
        assert_eq!(awu(recv(ch)).await, AriaResult::err(ERR_CLOSED));
        rel(ch);
        (0, 0)
    });
    assert_eq!(r, OK0);
    rt.shutdown();
}

#[test]
fn rendezvous_and_fifo_waiters() {
    let rt = Runtime::new(2);
    let r = block(&rt, async {
        let ch = chan(0, false);
        let s = send(ch, 7);
        yield_now().await;
        assert!(!done(s), "capacity 0: waits for a receiver");
        assert_eq!(awu(recv(ch)).await, AriaResult::ok(7));
        assert_eq!(awu(s).await, OK0);
        // Receivers served in arrival order.
        let rs: Vec<usize> = (0..3).map(|_| recv(ch)).collect();
        yield_now().await;
        assert!(rs.iter().all(|&r| !done(r)));
        for v in [10, 20, 30] {
            let s = send(ch, v);
            assert!(done(s), "a receiver waits: delivered at once");
            assert_eq!(awu(s).await, OK0);
        }
        for (r, v) in rs.into_iter().zip([10, 20, 30]) {
            assert_eq!(awu(r).await, AriaResult::ok(v));
        }
        // Senders served in arrival order.
        let ss: Vec<usize> = [1, 2, 3].iter().map(|&v| send(ch, v)).collect();
        for v in [1, 2, 3] {
            assert_eq!(awu(recv(ch)).await, AriaResult::ok(v));
        }
        for s in ss {
            assert_eq!(awu(s).await, OK0);
        }
        // A receiver waiting on an empty channel fails when it closes.
        let r = recv(ch);
        yield_now().await;
        close(ch);
        assert_eq!(awu(r).await, AriaResult::err(ERR_CLOSED));
        rel(ch);
        (0, 0)
    });
    assert_eq!(r, OK0);
    rt.shutdown();
}

#[test]
fn cancelled_operations_have_no_effect() {
    let rt = Runtime::new(2);
    let r = block(&rt, async {
        let ch = chan(0, false);
        let r = recv(ch);
        yield_now().await;
        cancel(r);
        assert_eq!(awu(r).await, AriaResult::err(ERR_CANCELLED));
        let s = send(ch, 5);
        yield_now().await;
        assert!(!done(s), "the cancelled receiver took nothing");
        assert_eq!(awu(recv(ch)).await, AriaResult::ok(5));
        assert_eq!(awu(s).await, OK0);
        let s = send(ch, 6);
        yield_now().await;
        cancel(s);
        assert_eq!(awu(s).await, AriaResult::err(ERR_CANCELLED));
        let r = recv(ch);
        yield_now().await;
        assert!(!done(r), "the cancelled sender delivered nothing");
        assert_eq!(awu(send(ch, 7)).await, OK0);
        assert_eq!(awu(r).await, AriaResult::ok(7));
        // Cancelling a completed operation changes nothing.
        let s = send(ch, 8);
        let r = recv(ch);
        cancel(s);
        cancel(r);
        assert_eq!(awu(r).await, AriaResult::ok(8));
        assert_eq!(awu(s).await, OK0);
        rel(ch);
        (0, 0)
    });
    assert_eq!(r, OK0);
    rt.shutdown();
}

#[test]
fn a_recv_cancelled_after_the_hand_over_gives_the_value_back() {
    // One worker: a receiver woken by a delivery cannot run before this
    // task suspends, so the cancellation comes between hand-over and run.
    let rt = Runtime::new(1);
    let r = block(&rt, async {
        // Back to the front of the buffer, ahead of a waiting sender, even
        // beyond the capacity (0); FIFO order is kept.
        let ch = chan(0, false);
        let r = recv(ch);
        yield_now().await;
        assert_eq!(awu(send(ch, 5)).await, OK0, "handed over");
        let s6 = send(ch, 6);
        cancel(r);
        assert_eq!(awu(r).await, AriaResult::err(ERR_CANCELLED));
        // SAFETY: live channel.
        assert_eq!(unsafe { buffered(ch as *mut u8) }, 1, "given back");
        assert_eq!(awu(recv(ch)).await, AriaResult::ok(5));
        assert!(!done(s6), "capacity 0: the sender still waits");
        assert_eq!(awu(recv(ch)).await, AriaResult::ok(6));
        assert_eq!(awu(s6).await, OK0);
        // To the next waiting receiver.
        let (r1, r2) = (recv(ch), recv(ch));
        yield_now().await;
        assert_eq!(awu(send(ch, 7)).await, OK0);
        cancel(r1);
        assert_eq!(awu(r1).await, AriaResult::err(ERR_CANCELLED));
        assert_eq!(awu(r2).await, AriaResult::ok(7));
        // A closed channel keeps a value given back receivable.
        let r = recv(ch);
        yield_now().await;
        assert_eq!(awu(send(ch, 8)).await, OK0);
        close(ch);
        cancel(r);
        assert_eq!(awu(r).await, AriaResult::err(ERR_CANCELLED));
        assert_eq!(awu(recv(ch)).await, AriaResult::ok(8));
        assert_eq!(awu(recv(ch)).await, AriaResult::err(ERR_CLOSED));
        // A send handed over is done: cancelling it changes nothing.
        let ch2 = chan(0, false);
        let s = send(ch2, 9);
        yield_now().await;
        let got = recv(ch2);
        cancel(s);
        assert_eq!(awu(s).await, OK0);
        assert_eq!(awu(got).await, AriaResult::ok(9));
        rel(ch);
        rel(ch2);
        (0, 0)
    });
    assert_eq!(r, OK0);
    rt.shutdown();
}

#[test]
fn race_losers_handed_a_value_give_it_back() {
    let rt = Runtime::new(1);
    let r = block(&rt, async {
        let (c, d) = (chan(0, false), chan(0, false));
        let (a, b) = (recv(c), recv(d));
        // SAFETY: live tasks.
        let race =
            unsafe { crate::asynclib::race_tasks(&[a as *mut Task, b as *mut Task]) as usize };
        yield_now().await;
        // Both recvs are handed a value before either runs: the first to
        // complete wins and cancels the other at once, which gives its
        // value back.
        assert_eq!(awu(send(c, 1)).await, OK0);
        assert_eq!(awu(send(d, 2)).await, OK0);
        let won = awu(race).await;
        assert_eq!(won.err, 0);
        let (ra, rb) = (awu(a).await, awu(b).await);
        let (winner, loser, back) = if won.val == 1 {
            (ra, rb, d)
        } else {
            (rb, ra, c)
        };
        assert_eq!(winner, won);
        assert_eq!(loser, AriaResult::err(ERR_CANCELLED));
        assert_eq!(awu(recv(back)).await, AriaResult::ok(3 - won.val));
        // Inside with_timeout: the timeout cancels the race, which settles.
        let (a, b) = (recv(c), recv(d));
        // SAFETY: live tasks.
        let w = unsafe {
            let race = crate::asynclib::race_tasks(&[a as *mut Task, b as *mut Task]);
            let w = crate::asynclib::aria_with_timeout(race, 1);
            crate::task::release(race);
            w as usize
        };
        assert_eq!(awu(w).await, AriaResult::err(ERR_TIMEOUT));
        assert_eq!(awu(a).await, AriaResult::err(ERR_CANCELLED));
        assert_eq!(awu(b).await, AriaResult::err(ERR_CANCELLED));
        rel(c);
        rel(d);
        (0, 0)
    });
    assert_eq!(r, OK0);
    rt.shutdown();
}

#[test]
fn managed_values_are_owned_by_the_buffer() {
    let rt = Runtime::new(1);
    let s = new_str(b"hello channel") as usize;
    let rc = |p: usize| {
        // SAFETY: `s` is live until released below.
        unsafe { header(p as *const u8).rc.load(Relaxed) }
    };
    let r = block(&rt, async move {
        let ch = chan(4, true);
        assert_eq!(awu(send(ch, s as i64)).await, OK0);
        assert_eq!(awu(send(ch, s as i64)).await, OK0);
        assert_eq!(rc(s), 3, "the buffer holds two references");
        let got = awu(recv(ch)).await;
        assert_eq!(got, AriaResult::ok(s as i64));
        assert_eq!(rc(s), 3, "moved to the receiver");
        rel(got.val as usize);
        let pending = send(ch, s as i64);
        cancel(pending);
        let _ = awu(pending).await;
        // Freeing the channel releases what it still buffers.
        rel(ch);
        (0, 0)
    });
    assert_eq!(r, OK0);
    assert_eq!(rc(s), 1);
    rel(s);
    rt.shutdown();
}

/// `senders` × `receivers` tasks move `n` managed values through a channel
/// of capacity `cap` while cancelling operations at random, racing the
/// deliveries. Every value must be received exactly once if its send
/// succeeded, and never if its send was cancelled; reference counts must
/// balance.
fn stress(cap: i64, n: usize, senders: usize, receivers: usize, seed: u64) {
    let rt = Runtime::new(4);
    let values: Arc<Vec<usize>> = Arc::new(
        (0..n)
            .map(|i| new_str(format!("value {i}").as_bytes()) as usize)
            .collect(),
    );
    // 0: not sent yet, 1: delivered, 2: cancelled.
    let status = Arc::new(Mutex::new(vec![0u8; n]));
    let received = Arc::new(Mutex::new(Vec::<usize>::new()));
    let r = {
        let (values, status, received) = (values.clone(), status.clone(), received.clone());
        block(&rt, async move {
            let ch = chan(cap, true);
            let left = Arc::new(std::sync::atomic::AtomicUsize::new(senders));
            let mut tasks = Vec::new();
            for k in 0..senders {
                let (values, status, left) = (values.clone(), status.clone(), left.clone());
                tasks.push(spawn_here(async move {
                    let mut rng = Rng(seed ^ (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                    for i in (k..values.len()).step_by(senders) {
                        let t = send(ch, values[i] as i64);
                        match rng.below(6) {
                            0 => cancel(t),
                            1 => {
                                yield_now().await;
                                cancel(t);
                            }
                            _ => {}
                        }
                        let r = awu(t).await;
                        let st = match r.err {
                            0 => 1,
                            ERR_CANCELLED => 2,
                            e => return (e, i as i64),
                        };
                        status.lock().unwrap()[i] = st;
                    }
                    if left.fetch_sub(1, SeqCst) == 1 {
                        close(ch);
                    }
                    (0, 0)
                }));
            }
            for k in 0..receivers {
                let received = received.clone();
                tasks.push(spawn_here(async move {
                    let mut rng = Rng(!seed ^ (k as u64 + 7).wrapping_mul(0xD1B5_4A32_D192_ED03));
                    loop {
                        let t = recv(ch);
                        match rng.below(5) {
                            0 => cancel(t),
                            1 => {
                                yield_now().await;
                                cancel(t);
                            }
                            _ => {}
                        }
                        let r = awu(t).await;
                        match r.err {
                            0 => received.lock().unwrap().push(r.val as usize),
                            ERR_CANCELLED => {}
                            ERR_CLOSED => return (0, 0),
                            e => return (e, 0),
                        }
                    }
                }));
            }
            for t in tasks {
                let r = awu(t).await;
                if r.err != 0 {
                    return (r.err, r.val);
                }
            }
            rel(ch);
            (0, 0)
        })
    };
    assert_eq!(r, OK0);
    let status = status.lock().unwrap();
    let received = received.lock().unwrap();
    let index = |p: usize| {
        // SAFETY: received values are live strings.
        let b = unsafe { str_bytes(p as *const u8) };
        std::str::from_utf8(&b[6..])
            .unwrap()
            .parse::<usize>()
            .unwrap()
    };
    let mut times = vec![0u32; n];
    for &p in received.iter() {
        times[index(p)] += 1;
    }
    let mut cancelled = 0;
    for i in 0..n {
        match status[i] {
            1 => assert_eq!(
                times[i], 1,
                "value {i} delivered, received {} times",
                times[i]
            ),
            2 => {
                cancelled += 1;
                assert_eq!(times[i], 0, "value {i} cancelled but received");
            }
            s => panic!("value {i} has status {s}"),
        }
        // SAFETY: we still hold our reference.
        let rc = unsafe { header(values[i] as *const u8).rc.load(Relaxed) };
        assert_eq!(
            rc,
            1 + i64::from(times[i] > 0),
            "reference count of value {i}"
        );
    }
    eprintln!(
        "stress cap {cap}: {cancelled} of {n} sends cancelled, {} received",
        received.len()
    );
    assert!(
        cancelled > 0 && cancelled < n,
        "cancellations raced ({cancelled})"
    );
    for &p in received.iter() {
        rel(p);
    }
    for &p in values.iter() {
        rel(p);
    }
    rt.shutdown();
}

#[test]
fn stress_buffered_with_cancellations() {
    stress(4, 10_000, 4, 4, 0x1234_5678);
}

#[test]
fn stress_rendezvous_with_cancellations() {
    stress(0, 10_000, 4, 4, 0xDEAD_BEEF);
}

fn try_send(ch: usize, v: i64) -> AriaResult {
    // SAFETY: tests pass live channels, from a running task or not.
    unsafe { aria_chan_try_send(ch as *mut u8, v) }
}
fn try_recv(ch: usize) -> AriaResult {
    // SAFETY: as above.
    unsafe { aria_chan_try_recv(ch as *mut u8) }
}

#[test]
fn try_operations_complete_at_once_or_wait_in_the_awaiting_task() {
    let rt = Runtime::new(1);
    let r = block(&rt, async {
        let ch = chan(1, false);
        assert_eq!(try_send(ch, 5), OK0, "room: done without a task");
        let s = try_send(ch, 6);
        assert_eq!(s.err, TRY_WAIT, "full: this task waits for the send");
        // This task's own recv takes 5 and moves the waiting 6 into the
        // buffer, which completes (wakes) the send.
        assert_eq!(try_recv(ch), AriaResult::ok(5));
        assert_eq!(finish(s.val, aria_chan_finish_send).await, OK0);
        assert_eq!(try_recv(ch), AriaResult::ok(6));
        let r = try_recv(ch);
        assert_eq!(r.err, TRY_WAIT, "empty: this task waits for the recv");
        assert_eq!(try_send(ch, 7), OK0, "handed to the waiting receiver");
        assert_eq!(
            finish(r.val, aria_chan_finish_recv).await,
            AriaResult::ok(7)
        );
        close(ch);
        assert_eq!(try_send(ch, 8), AriaResult::err(ERR_CLOSED));
        assert_eq!(try_recv(ch), AriaResult::err(ERR_CLOSED));
        rel(ch);
        (0, 0)
    });
    assert_eq!(r, OK0);
    // Outside a task: always the task path (here complete at once).
    let ch = chan(1, false);
    let s = try_send(ch, 1);
    assert_eq!(s.err, TRY_TASK);
    assert!(done(s.val as usize));
    rel(s.val as usize);
    rel(ch);
}

/// A task `A` waiting in `try_recv(ch)` (`TRY_WAIT`), its finish's result
/// as A's `{err, val}`.
fn direct_receiver(ch: usize) -> usize {
    spawn_here(async move {
        let r = try_recv(ch);
        assert_eq!(r.err, TRY_WAIT);
        let f = finish(r.val, aria_chan_finish_recv).await;
        (f.err, f.val)
    })
}

#[test]
fn a_cancelled_direct_recv_takes_nothing() {
    let rt = Runtime::new(1);
    let r = block(&rt, async {
        let ch = chan(1, false);
        // Cancelled while it waits: woken, it leaves the queue.
        let a = direct_receiver(ch);
        // A runs and waits.
        awu(aria_yield_now() as usize).await;
        // SAFETY: our handle of A.
        unsafe { aria_task_cancel(a as *mut Task) };
        assert_eq!(awu(a).await, AriaResult::err(TRY_CANCELLED));
        assert_eq!(try_send(ch, 3), OK0);
        // SAFETY: live channel.
        let held = unsafe { buffered(ch as *mut u8) };
        assert_eq!(held, 1, "buffered: no receiver");
        assert_eq!(try_recv(ch), AriaResult::ok(3));
        // Handed a value, then cancelled before it ran: the value goes back.
        let b = direct_receiver(ch);
        awu(aria_yield_now() as usize).await;
        assert_eq!(try_send(ch, 9), OK0, "handed to B");
        // SAFETY: our handle of B.
        unsafe { aria_task_cancel(b as *mut Task) };
        assert_eq!(awu(b).await, AriaResult::err(TRY_CANCELLED));
        assert_eq!(try_recv(ch), AriaResult::ok(9), "given back");
        rel(ch);
        (0, 0)
    });
    assert_eq!(r, OK0);
}

#[test]
fn try_operations_take_budget_and_honour_a_pending_cancellation() {
    let rt = Runtime::new(1);
    let r = block(&rt, async {
        let ch = chan(1, true);
        yield_now().await; // a fresh run: a full budget
        let mut at_once = 0;
        let last = loop {
            let s = new_str(b"x");
            let r = try_send(ch, s as i64);
            rel(s as usize);
            if r.err == TRY_TASK {
                break r;
            }
            assert_eq!(r, OK0);
            let v = try_recv(ch);
            assert_eq!(v.err, 0);
            // SAFETY: the received string, owned.
            assert_eq!(unsafe { str_bytes(v.val as *mut u8) }, b"x");
            rel(v.val as usize);
            at_once += 2;
        };
        // The budget ran out on a send that still completed, in a task.
        assert_eq!(at_once, crate::sched::context::BUDGET as usize);
        assert!(done(last.val as usize));
        assert_eq!(awu(last.val as usize).await, OK0, "yields, then its result");
        assert_eq!(try_recv(ch).err, 0, "the value was buffered");
        // A pending cancellation request: nothing happens.
        let me = crate::sched::context::current_task();
        // SAFETY: our own task.
        unsafe { aria_task_cancel(me) };
        let y = new_str(b"a string of some length");
        assert_eq!(try_send(ch, y as i64).err, TRY_CANCELLED);
        assert_eq!(try_recv(ch).err, TRY_CANCELLED);
        // SAFETY: our string: only ours (the channel did not retain it).
        assert_eq!(unsafe { header(y).rc.load(Relaxed) }, 1);
        rel(y as usize);
        // SAFETY: live channel.
        assert_eq!(unsafe { buffered(ch as *mut u8) }, 0, "nothing delivered");
        rel(ch);
        (0, 0)
    });
    assert_eq!(r.err, 0);
}

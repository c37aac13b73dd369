//! Seeded generator of random async Aria programs, and the model of their
//! output (used by `tests/stress.rs`, see there and `scripts/stress.sh`).
//!
//! A program is a tree of *nodes*, each an async function (top-level, or a
//! local async lambda / local `async func` capturing its parent's running
//! accumulator by value) with one task per call. Three kinds of node:
//!
//! - **normal** nodes terminate on their own: they register defers (also in
//!   nested blocks and loops), sleep 0-20 ms or yield, spawn children (stored
//!   handles, arrays, replicated in `till` loops), observe them (`await h`,
//!   awaiting twice, after a `done()` poll or after a no-op `cancel()`,
//!   `await f(x)`, `join_all`, `race` of finished tasks, `with_timeout` that
//!   cannot fire, `? d`, `?`, implicit unwrap, `.await()` in a sync helper,
//!   `then` callbacks (blocking ones, panicking ones, on detached tasks)),
//!   run channel pipelines (`int64` or `string` values, 1-3 producers, 0-3
//!   consumers, capacity 0-64, then `ERR_CLOSED` after `close`), check
//!   `chan(-1)`, cancel tasks before they start, own blocked subtrees (below),
//!   and end by passing a value computed from everything they observed,
//!   failing with a code naming the node, or panicking (five ways, one
//!   through a sync helper with a defer, one in a defer);
//! - **blocked** nodes never terminate on their own: after registering their
//!   defers and creating their children they report *ready* on a channel,
//!   then wait forever (60 s sleep, a 1 ms sleep or `yield_now` loop,
//!   `recv`/`send` on a channel of their own or on the subtree's shared
//!   *gate* channel, a blocked child awaited directly, `join_all`/`race`/
//!   `with_timeout` of blocked children, or a stored handle of another
//!   blocked node). Their first defer sends an *unwound* token on the ready
//!   channel. A normal node that owns a blocked subtree waits for all its
//!   ready signals, then ends it by `cancel` (maybe with a `then` callback
//!   on the root), by a firing `with_timeout` (1-10 ms), by losing a `race`
//!   against a normal node, or checks that cancelling a task awaiting a
//!   stored handle does not spread; then it awaits the root, collects one
//!   unwound token per node of the subtree, and checks that the cancelled
//!   `recv`s took nothing (a value sent to the gate comes back) or that the
//!   cancelled `send`s delivered nothing (the closed gate is empty). So every
//!   cancellation is exact: the targets are provably waiting, and their
//!   defers provably ran before the owner goes on. `main` also leaves a few
//!   blocked subtrees running: the shutdown cancels them (LANGUAGE.md 7.9)
//!   and their defers must run.
//! - **cancel-before-start** nodes: spawned and cancelled at once; whether
//!   they ran before the request is timing-dependent, so their defer lines
//!   form an all-or-none group; their result is `ERR_CANCELLED` either way.
//!
//! Every line printed is unique (node id, plus `x`, the instance number
//! derived from the parent's: `x * 64 + slot`), so the model's expected
//! output is a multiset of required lines plus the all-or-none groups; the
//! model also counts the panicking tasks (one `panic (code` report each).
//! The model is exact for any schedule: sleeps only change interleavings,
//! and the one timing assumption is that a task of a few hundred
//! milliseconds finishes within a 60 s `with_timeout`.

use std::collections::HashMap;
use std::fmt::Write as _;

/// splitmix64.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
    /// Inclusive range.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

pub type Id = usize;

#[derive(Clone, Copy, Debug)]
pub enum Pause {
    Sleep(u32),
    Yield,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PanicKind {
    DivZero,
    Index,
    Explicit,
    Assert,
    HelperDiv,
}

impl PanicKind {
    fn code(self) -> i64 {
        match self {
            PanicKind::DivZero | PanicKind::HelperDiv => -101,
            PanicKind::Index => -102,
            PanicKind::Explicit => -104,
            PanicKind::Assert => -109,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub enum End {
    Pass,
    Fail,
    Panic(PanicKind),
}

/// How a parent observes a child it awaits on the call that creates it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    Result,
    Default,
    Timeout,
    SyncBlock,
    Propagate,
    Unwrap,
}

/// How a normal node ends blocked subtrees it owns.
#[derive(Clone, Debug)]
pub enum Construct {
    /// `then`: a callback registered on the root reports its result.
    Cancel {
        root: Id,
        again: bool,
        then: bool,
    },
    Timeout {
        root: Id,
        ms: u32,
    },
    /// `race` of the blocked roots with one normal node at `fast_pos`.
    Race {
        fast: Id,
        roots: Vec<Id>,
        fast_pos: usize,
    },
    /// `holder` (blocked, waits on a stored handle of `held`) is cancelled;
    /// `held` is not, until the owner cancels it too.
    NoSpread {
        held: Id,
        holder: Id,
    },
}

#[derive(Clone, Debug)]
pub enum Stmt {
    Defer {
        k: u32,
        panic: Option<PanicKind>,
    },
    Pause(Pause),
    Block {
        k: u32,
        body: Vec<Stmt>,
    },
    LoopDefer {
        k: u32,
        n: u32,
    },
    Spawn {
        slot: u32,
        child: Id,
    },
    /// Members get slots `slot..slot+len`; all the same node: a `till` loop.
    SpawnGroup {
        slot: u32,
        members: Vec<Id>,
    },
    /// `poll`: wait for `done()` with 1 ms sleeps first.
    AwaitH {
        slot: u32,
        again: bool,
        cancel_after: bool,
        poll: bool,
    },
    AwaitG {
        slot: u32,
        join: bool,
        race_done: bool,
    },
    Direct {
        slot: u32,
        child: Id,
        mode: Mode,
    },
    JoinInline {
        slot: u32,
        members: Vec<Id>,
    },
    /// `panicky`: a first callback that panics (reported, no effect).
    Then {
        slot: u32,
        child: Id,
        blocking: bool,
        panicky: bool,
    },
    /// `then` callback reporting on a channel, then `detach()`.
    Detach {
        slot: u32,
        child: Id,
    },
    Cbs {
        slot: u32,
        child: Id,
        pause: Option<Pause>,
    },
    /// `cap`: of the ready channel; `recv_gate`: direction of the subtree's
    /// shared channel operations (the gate has capacity `gate_cap`).
    Blocked {
        slot: u32,
        cons: Construct,
        cap: u32,
        recv_gate: bool,
        gate_cap: u32,
    },
    /// Producers (`counts` values each) and `consumers` consumer tasks
    /// (0: the node receives itself) on one channel of capacity `cap`, of
    /// `string` values when `strings`.
    Pipe {
        slot: u32,
        counts: Vec<u32>,
        consumers: u32,
        cap: u32,
        strings: bool,
    },
    BadChan {
        slot: u32,
    },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Form {
    TopLevel,
    /// `func:nID = async int64(int64:x) { ... };` in the parent.
    Lambda,
    /// `async func:nID = int64(int64:x) { ... };` in the parent.
    LocalFunc,
}

#[derive(Clone, Debug)]
pub enum Wait {
    Sleep,
    GateRecv(u32),
    GateSend,
    Direct(Id),
    JoinAll(Vec<Id>),
    Race(Vec<Id>),
    Timeout(Id),
    /// `await h` on the stored handle parameter `h`.
    Held,
    /// `recv` (true) or `send` on the owner's channel `gate`, shared by the
    /// subtree (one direction per subtree).
    Shared(bool),
    /// `while (true) { await sleep(1); }` (or `yield_now()` when true): the
    /// cancellation finds the task running or queued, not waiting.
    Poll(bool),
}

#[derive(Clone, Debug)]
pub enum Node {
    Normal {
        form: Form,
        body: Vec<Stmt>,
        end: End,
    },
    Blocked {
        defers: u32,
        defer_panic: Option<PanicKind>,
        pre: Vec<Pause>,
        wait: Wait,
    },
    Cbs {
        defers: u32,
    },
}

pub struct Program {
    pub seed: u64,
    pub nodes: Vec<Node>,
    pub sync_main: bool,
    /// Blocked subtrees main starts and leaves running: the shutdown
    /// cancels them (their defers run, LANGUAGE.md 7.9).
    pub lingering: Vec<Id>,
}

/// Generation limits.
const MAX_SLOTS: u32 = 60;

struct Gen {
    rng: Rng,
    nodes: Vec<Node>,
    budget: i64,
    max_depth: u32,
    channels: bool,
    sync_await: bool,
}

/// Per-node counters.
#[derive(Default)]
struct Counters {
    slot: u32,
    k: u32,
}

impl Counters {
    fn slots(&mut self, n: u32) -> Option<u32> {
        if self.slot + n > MAX_SLOTS {
            return None;
        }
        let s = self.slot;
        self.slot += n;
        Some(s)
    }
    fn k(&mut self) -> u32 {
        self.k += 1;
        self.k - 1
    }
}

impl Gen {
    fn pause(&mut self) -> Pause {
        if self.rng.chance(45) {
            Pause::Yield
        } else {
            // mostly short, sometimes up to 20 ms
            let ms = if self.rng.chance(75) {
                self.rng.range(0, 3)
            } else {
                self.rng.range(4, 20)
            };
            Pause::Sleep(ms as u32)
        }
    }

    fn placeholder(&mut self) -> Id {
        self.nodes.push(Node::Cbs { defers: 0 });
        self.nodes.len() - 1
    }

    fn normal(&mut self, depth: u32, mult: i64, lambda_ok: bool) -> Id {
        let id = self.placeholder();
        self.budget -= mult;
        let form = if lambda_ok && self.rng.chance(20) {
            if self.rng.chance(50) {
                Form::Lambda
            } else {
                Form::LocalFunc
            }
        } else {
            Form::TopLevel
        };
        let mut c = Counters::default();
        let mut body = Vec::new();
        let end = match self.rng.below(100) {
            0..=64 => End::Pass,
            65..=79 => End::Fail,
            _ => End::Panic(self.rng.pick(&[
                PanicKind::DivZero,
                PanicKind::Index,
                PanicKind::Explicit,
                PanicKind::Assert,
                PanicKind::HelperDiv,
            ])),
        };
        let defer_panic = matches!(end, End::Pass) && self.rng.chance(5);
        for _ in 0..self.rng.range(1, 2) {
            body.push(Stmt::Defer {
                k: c.k(),
                panic: None,
            });
        }
        if defer_panic {
            let kind = if self.rng.chance(50) {
                PanicKind::DivZero
            } else {
                PanicKind::Explicit
            };
            body.push(Stmt::Defer {
                k: c.k(),
                panic: Some(kind),
            });
        }
        if self.rng.chance(40) {
            let p = self.pause();
            body.push(Stmt::Pause(p));
        }
        let leaf = depth >= self.max_depth || self.budget <= 0;
        if leaf {
            if self.rng.chance(10) {
                body.push(Stmt::LoopDefer {
                    k: c.k(),
                    n: self.rng.range(1, 3) as u32,
                });
            }
            if self.rng.chance(3) {
                if let Some(slot) = c.slots(1) {
                    body.push(Stmt::BadChan { slot });
                }
            }
        } else {
            let mut pending: Vec<Stmt> = Vec::new();
            let ops = self.rng.range(1, 5);
            for _ in 0..ops {
                if !pending.is_empty() && self.rng.chance(35) {
                    let i = self.rng.below(pending.len() as u64) as usize;
                    body.push(pending.swap_remove(i));
                    continue;
                }
                if let Some(s) = self.middle(depth, mult, &mut c, &mut pending, true) {
                    body.push(s);
                }
                if self.rng.chance(25) {
                    let p = self.pause();
                    body.push(Stmt::Pause(p));
                }
            }
            while !pending.is_empty() {
                let i = self.rng.below(pending.len() as u64) as usize;
                body.push(pending.swap_remove(i));
            }
            if !defer_panic {
                for _ in 0..self.rng.range(0, 2) {
                    if self.budget <= 0 {
                        break;
                    }
                    let Some(slot) = c.slots(1) else { break };
                    let mode = if self.rng.chance(50) {
                        Mode::Propagate
                    } else {
                        Mode::Unwrap
                    };
                    let child = self.normal(depth + 1, mult, true);
                    let s = Stmt::Direct { slot, child, mode };
                    if self.rng.chance(30) {
                        body.push(Stmt::Block {
                            k: c.k(),
                            body: vec![s],
                        });
                    } else {
                        body.push(s);
                    }
                }
            }
        }
        self.nodes[id] = Node::Normal { form, body, end };
        id
    }

    /// One statement of a normal node's middle part; spawns push the
    /// matching await onto `pending` (only when `spawns`).
    fn middle(
        &mut self,
        depth: u32,
        mult: i64,
        c: &mut Counters,
        pending: &mut Vec<Stmt>,
        spawns: bool,
    ) -> Option<Stmt> {
        for _ in 0..50 {
            let roll = self.rng.below(100);
            let allowed = match roll {
                0..=29 => spawns,
                58..=62 | 68..=88 => self.channels,
                _ => true,
            };
            if allowed {
                return self.middle_op(roll, depth, mult, c, pending);
            }
        }
        None
    }

    fn middle_op(
        &mut self,
        roll: u64,
        depth: u32,
        mult: i64,
        c: &mut Counters,
        pending: &mut Vec<Stmt>,
    ) -> Option<Stmt> {
        let d = depth + 1;
        Some(match roll {
            0..=17 => {
                let slot = c.slots(1)?;
                let child = self.normal(d, mult, true);
                pending.push(Stmt::AwaitH {
                    slot,
                    again: self.rng.chance(15),
                    cancel_after: self.rng.chance(15),
                    poll: self.rng.chance(10),
                });
                Stmt::Spawn { slot, child }
            }
            18..=29 => {
                let replicate = mult <= 64 && self.rng.chance(50);
                let most = if mult <= 4 { 24 } else { 8 };
                let len = if replicate {
                    self.rng.range(2, most)
                } else {
                    self.rng.range(1, 4)
                } as u32;
                let slot = c.slots(len)?;
                let members = if replicate {
                    let child = self.normal(d, mult * len as i64, true);
                    vec![child; len as usize]
                } else {
                    (0..len).map(|_| self.normal(d, mult, true)).collect()
                };
                pending.push(Stmt::AwaitG {
                    slot,
                    join: self.rng.chance(60),
                    race_done: self.rng.chance(30),
                });
                Stmt::SpawnGroup { slot, members }
            }
            30..=51 => {
                let slot = c.slots(1)?;
                let mode = match self.rng.below(10) {
                    0..=4 => Mode::Result,
                    5..=6 => Mode::Default,
                    7..=8 => Mode::Timeout,
                    _ if self.sync_await => Mode::SyncBlock,
                    _ => Mode::Result,
                };
                let child = self.normal(d, mult, true);
                Stmt::Direct { slot, child, mode }
            }
            52..=57 => {
                let len = self.rng.range(1, 4) as u32;
                let slot = c.slots(len)?;
                let members = (0..len).map(|_| self.normal(d, mult, true)).collect();
                Stmt::JoinInline { slot, members }
            }
            58..=62 => {
                let slot = c.slots(1)?;
                let child = self.normal(d, mult, true);
                if self.rng.chance(40) {
                    Stmt::Detach { slot, child }
                } else {
                    Stmt::Then {
                        slot,
                        child,
                        blocking: self.sync_await && self.rng.chance(30),
                        panicky: self.rng.chance(20),
                    }
                }
            }
            63..=67 => {
                let slot = c.slots(1)?;
                let child = self.placeholder();
                self.budget -= mult;
                self.nodes[child] = Node::Cbs {
                    defers: self.rng.range(1, 2) as u32,
                };
                let pause = if self.rng.chance(30) {
                    Some(self.pause())
                } else {
                    None
                };
                Stmt::Cbs { slot, child, pause }
            }
            68..=81 => self.blocked_construct(d, mult, c)?,
            82..=88 => {
                let np = self.rng.range(1, 3) as u32;
                let consumers = self.rng.range(0, 3) as u32;
                let slot = c.slots(np + consumers)?;
                let counts = (0..np).map(|_| self.rng.range(0, 12) as u32).collect();
                self.budget -= mult * (np + consumers) as i64;
                let cap = self.rng.pick(&[0, 0, 1, 2, 5, 64]);
                Stmt::Pipe {
                    slot,
                    counts,
                    consumers,
                    cap,
                    strings: self.rng.chance(35),
                }
            }
            89..=95 => {
                let k = c.k();
                let mut body = Vec::new();
                let mut none = Vec::new();
                for _ in 0..self.rng.range(1, 2) {
                    if let Some(s) = self.middle(depth, mult, c, &mut none, false) {
                        body.push(s);
                    }
                }
                if self.rng.chance(40) {
                    let p = self.pause();
                    body.push(Stmt::Pause(p));
                }
                Stmt::Block { k, body }
            }
            96..=98 => Stmt::LoopDefer {
                k: c.k(),
                n: self.rng.range(1, 3) as u32,
            },
            _ => Stmt::BadChan { slot: c.slots(1)? },
        })
    }

    fn blocked_construct(&mut self, d: u32, mult: i64, c: &mut Counters) -> Option<Stmt> {
        let cap = self.rng.pick(&[0, 1, 3, 100]);
        let recv = self.rng.chance(50);
        let gate_cap = if recv { self.rng.pick(&[0, 1, 2]) } else { 0 };
        let (slot, cons) = match self.rng.below(10) {
            0..=3 => {
                let slot = c.slots(1)?;
                let mut size = self.rng.range(1, 6);
                let root = self.blocked(mult, &mut size, 3, false, recv);
                (
                    slot,
                    Construct::Cancel {
                        root,
                        again: self.rng.chance(25),
                        then: self.rng.chance(30),
                    },
                )
            }
            4..=5 => {
                let slot = c.slots(1)?;
                let mut size = self.rng.range(1, 4);
                let root = self.blocked(mult, &mut size, 2, false, recv);
                let ms = self.rng.range(1, 10) as u32;
                (slot, Construct::Timeout { root, ms })
            }
            6..=7 => {
                let n = self.rng.range(1, 3) as u32;
                let slot = c.slots(n + 1)?;
                let fast_pos = self.rng.below(n as u64 + 1) as usize;
                let fast = self.normal(d, mult, true);
                let mut roots = Vec::new();
                for _ in 0..n {
                    let mut size = self.rng.range(1, 3);
                    roots.push(self.blocked(mult, &mut size, 2, false, recv));
                }
                (
                    slot,
                    Construct::Race {
                        fast,
                        roots,
                        fast_pos,
                    },
                )
            }
            _ => {
                let slot = c.slots(2)?;
                let mut size = self.rng.range(1, 3);
                let held = self.blocked(mult, &mut size, 2, false, recv);
                let holder = self.blocked(mult, &mut 1, 0, true, recv);
                (slot, Construct::NoSpread { held, holder })
            }
        };
        Some(Stmt::Blocked {
            slot,
            cons,
            cap,
            recv_gate: recv,
            gate_cap,
        })
    }

    /// A blocked subtree of at most `size` more nodes and `depth` more
    /// levels; `recv`: the direction of its operations on the shared gate.
    fn blocked(&mut self, mult: i64, size: &mut u64, depth: u32, held: bool, recv: bool) -> Id {
        let id = self.placeholder();
        self.budget -= mult;
        *size = size.saturating_sub(1);
        let defers = self.rng.range(0, 2) as u32;
        let defer_panic = if self.rng.chance(4) {
            Some(if self.rng.chance(50) {
                PanicKind::DivZero
            } else {
                PanicKind::Explicit
            })
        } else {
            None
        };
        let pre = (0..self.rng.range(0, 2)).map(|_| self.pause()).collect();
        let wait = if held {
            Wait::Held
        } else if depth == 0 || *size == 0 || self.rng.chance(30) {
            match self.rng.below(10) {
                0..=1 => Wait::Sleep,
                2 => Wait::GateRecv(self.rng.pick(&[0, 1, 4])),
                3 => Wait::GateSend,
                4..=7 => Wait::Shared(recv),
                8 => Wait::Poll(self.rng.chance(30)),
                _ => Wait::Sleep,
            }
        } else {
            match self.rng.below(4) {
                0 => Wait::Direct(self.blocked(mult, size, depth - 1, false, recv)),
                1 => Wait::Timeout(self.blocked(mult, size, depth - 1, false, recv)),
                r => {
                    let n = self.rng.range(1, 3).min((*size).max(1));
                    let kids = (0..n)
                        .map(|_| self.blocked(mult, size, depth - 1, false, recv))
                        .collect();
                    if r == 2 {
                        Wait::JoinAll(kids)
                    } else {
                        Wait::Race(kids)
                    }
                }
            }
        };
        self.nodes[id] = Node::Blocked {
            defers,
            defer_panic,
            pre,
            wait,
        };
        id
    }
}

/// What the generated programs may use.
#[derive(Clone, Copy)]
pub struct Features {
    /// Channel operations (pipelines, `then` and every blocked subtree,
    /// whose readiness protocol uses channels).
    pub channels: bool,
    /// `.await()` in synchronous code running on a worker (a sync helper,
    /// a `then` callback).
    pub sync_await: bool,
    /// Blocked tasks left running when `main` ends (cancelled by the
    /// shutdown, LANGUAGE.md 7.9); needs `channels`.
    pub shutdown: bool,
}

/// The program for `seed`: a few hundred to a few thousand tasks.
pub fn generate(seed: u64, features: Features) -> Program {
    // A tree that happened to stay tiny is replaced (deterministically).
    let mut p = generate_once(seed, 0, features);
    for attempt in 1..8 {
        if model(&p).tasks >= 100 {
            break;
        }
        p = generate_once(seed, attempt, features);
    }
    p
}

fn generate_once(seed: u64, attempt: u64, features: Features) -> Program {
    let mut rng = Rng::new(seed.wrapping_add(attempt.wrapping_mul(0x1000_0000_0000)));
    let budget = rng.range(250, 2500) as i64;
    let max_depth = rng.range(3, 6) as u32;
    let sync_main = rng.chance(25);
    let mut g = Gen {
        rng,
        nodes: Vec::new(),
        budget,
        max_depth,
        channels: features.channels,
        sync_await: features.sync_await,
    };
    let root = g.normal(0, 1, false);
    assert_eq!(root, 0);
    let mut lingering = Vec::new();
    if features.channels && features.shutdown {
        // one direction: they share main's gate
        let recv = g.rng.chance(50);
        for _ in 0..g.rng.range(0, 3) {
            let mut size = g.rng.range(1, 4);
            lingering.push(g.blocked(1, &mut size, 2, false, recv));
        }
    }
    let mut p = Program {
        seed,
        nodes: g.nodes,
        sync_main,
        lingering,
    };
    // Bound the run time: halve every sleep until the critical path of the
    // program's sleeps is short.
    for _ in 0..12 {
        if model(&p).est_ms <= 400 {
            break;
        }
        halve_sleeps(&mut p);
    }
    p
}

fn halve_sleeps(p: &mut Program) {
    fn pause(x: &mut Pause) {
        if let Pause::Sleep(ms) = x {
            *ms /= 2;
        }
    }
    fn stmts(v: &mut [Stmt]) {
        for s in v {
            match s {
                Stmt::Pause(x) => pause(x),
                Stmt::Block { body, .. } => stmts(body),
                Stmt::Cbs { pause: Some(x), .. } => pause(x),
                Stmt::Blocked {
                    cons: Construct::Timeout { ms, .. },
                    ..
                } => *ms = (*ms / 2).max(1),
                _ => {}
            }
        }
    }
    for n in &mut p.nodes {
        match n {
            Node::Normal { body, .. } => stmts(body),
            Node::Blocked { pre, .. } => pre.iter_mut().for_each(pause),
            Node::Cbs { .. } => {}
        }
    }
}

// ---------------------------------------------------------------- emission

const HELPERS: &str = r#"// Sync helper: blocks its worker thread on a task (LANGUAGE.md 7.4).
func:blk = int64(string:tag, Task<int64>:t) {
    result:r = t.await();
    println(`sb:&{tag}:&{r.err}:&{r.val}`);
    pass(r.err + r.val);
};

// Sync helper that panics with a defer pending.
func:hdiv = int64(string:tag, int64:a, int64:b) {
    defer { println(`hd:&{tag}`); }
    pass(a / b);
};

async func:prod = int64(Chan<int64>:ch, int64:tag, int64:n) {
    defer { println(`pd:&{tag}`); }
    till(n, 1) {
        await ch.send((tag % 1000) * 100 + $);
        if ($ % 4 == 1) { await yield_now(); }
    }
    pass(n);
};

async func:prods = int64(Chan<string>:ch, int64:tag, int64:n) {
    defer { println(`pd:&{tag}`); }
    till(n, 1) {
        await ch.send(`&{(tag % 1000) * 100 + $}`);
        if ($ % 3 == 2) { await yield_now(); }
    }
    pass(n);
};

async func:conss = int64(Chan<string>:ch, int64:tag) {
    defer { println(`cd:&{tag}`); }
    int64:s = 0;
    int64:c = 0;
    while (true) {
        result:r = await ch.recv();
        if (r.err == ERR_CLOSED) { pass(s * 10000 + c); }
        if (r.err != 0) { println(`X:conss:&{tag}:&{r.err}`); }
        s += parse_int(r.val);
        c++;
        if (c % 4 == 0) { await yield_now(); }
    }
};

async func:cons = int64(Chan<int64>:ch, int64:tag) {
    defer { println(`cd:&{tag}`); }
    int64:s = 0;
    int64:c = 0;
    while (true) {
        result:r = await ch.recv();
        if (r.err == ERR_CLOSED) { pass(s * 10000 + c); }
        if (r.err != 0) { println(`X:cons:&{tag}:&{r.err}`); }
        s += r.val;
        c++;
        if (c % 3 == 0) { await yield_now(); }
    }
};
"#;

struct Emitter<'a> {
    p: &'a Program,
    out: String,
}

fn pause_code(p: Pause) -> String {
    match p {
        Pause::Sleep(ms) => format!("await sleep({ms});"),
        Pause::Yield => "await yield_now();".to_string(),
    }
}

fn panic_code(kind: PanicKind, id: Id) -> String {
    match kind {
        PanicKind::DivZero => format!("int64:z = x - x; pass(a{id} / z);"),
        PanicKind::Index => {
            "int64[]:arr = [1, 2, 3]; int64:i = x - x + 3; pass(arr[i]);".to_string()
        }
        PanicKind::Explicit => format!("panic(`boom {id}.&{{x}}`);"),
        PanicKind::Assert => format!("assert(x == x + 1, \"n{id}\"); pass(0);"),
        PanicKind::HelperDiv => format!("pass(hdiv(`{id}.&{{x}}`, a{id}, 0));"),
    }
}

fn defer_panic_code(kind: PanicKind) -> &'static str {
    match kind {
        PanicKind::Explicit => "panic(\"in defer\");",
        _ => "int64:z = x - x; println(1 / z);",
    }
}

impl<'a> Emitter<'a> {
    fn line(&mut self, ind: usize, s: &str) {
        for _ in 0..ind {
            self.out.push_str("    ");
        }
        self.out.push_str(s);
        self.out.push('\n');
    }

    fn normal_parts(&self, id: Id) -> (Form, &'a [Stmt], End) {
        let p: &'a Program = self.p;
        match &p.nodes[id] {
            Node::Normal { form, body, end } => (*form, body, *end),
            _ => unreachable!("node {id} is not normal"),
        }
    }

    /// The definition of normal node `id` (top level or local).
    fn normal_def(&mut self, id: Id, ind: usize) {
        let (form, body, end) = self.normal_parts(id);
        match form {
            Form::TopLevel => {
                self.line(ind, &format!("async func:n{id} = int64(int64:x) {{"));
                self.line(ind + 1, &format!("int64:a{id} = 0;"));
            }
            Form::Lambda => self.line(ind, &format!("func:n{id} = async int64(int64:x) {{")),
            Form::LocalFunc => self.line(ind, &format!("async func:n{id} = int64(int64:x) {{")),
        }
        for s in body {
            self.stmt(id, s, ind + 1);
        }
        match end {
            End::Pass => self.line(
                ind + 1,
                &format!("pass((x % 1009) * 31 + a{id} % 1000003 + {});", id * 1000),
            ),
            End::Fail => self.line(ind + 1, &format!("fail({});", 100_000 + id)),
            End::Panic(kind) => self.line(ind + 1, &panic_code(kind, id)),
        }
        self.line(ind, "};");
    }

    /// Local definitions needed before a statement of `parent` uses `kids`.
    fn kid_defs(&mut self, parent: Id, kids: &[Id], ind: usize) {
        let mut done: Vec<Id> = Vec::new();
        for &k in kids {
            if done.contains(&k) {
                continue;
            }
            done.push(k);
            if let Node::Normal { form, .. } = &self.p.nodes[k] {
                if *form != Form::TopLevel {
                    self.line(ind, &format!("int64:a{k} = a{parent};"));
                    self.normal_def(k, ind);
                }
            }
        }
    }

    fn stmt(&mut self, id: Id, s: &Stmt, ind: usize) {
        let t = format!("{id}.&{{x}}");
        let a = format!("a{id}");
        match s {
            Stmt::Defer { k, panic } => {
                let extra = panic.map(defer_panic_code).unwrap_or("");
                self.line(ind, &format!("defer {{ println(`d:{t}:{k}`); {extra}}}"));
            }
            Stmt::Pause(p) => self.line(ind, &pause_code(*p)),
            Stmt::Block { k, body } => {
                self.line(ind, "{");
                self.line(ind + 1, &format!("defer {{ println(`d:{t}:{k}`); }}"));
                for s in body {
                    self.stmt(id, s, ind + 1);
                }
                self.line(ind, "}");
            }
            Stmt::LoopDefer { k, n } => self.line(
                ind,
                &format!("till({n}, 1) {{ defer {{ println(`d:{t}:{k}:&{{$}}`); }} await yield_now(); }}"),
            ),
            Stmt::Spawn { slot, child } => {
                self.kid_defs(id, &[*child], ind);
                self.line(ind, &format!("Task<int64>:h{slot} = n{child}(x * 64 + {slot});"));
            }
            Stmt::SpawnGroup { slot, members } => {
                self.kid_defs(id, members, ind);
                if members.len() >= 2 && members.iter().all(|m| *m == members[0]) {
                    self.line(ind, &format!("Task<int64>[]:g{slot} = [];"));
                    self.line(
                        ind,
                        &format!(
                            "till({}, 1) {{ g{slot}.push(n{}(x * 64 + {slot} + $)); }}",
                            members.len(),
                            members[0]
                        ),
                    );
                } else {
                    let calls: Vec<String> = members
                        .iter()
                        .enumerate()
                        .map(|(i, m)| format!("n{m}(x * 64 + {})", *slot as usize + i))
                        .collect();
                    self.line(ind, &format!("Task<int64>[]:g{slot} = [{}];", calls.join(", ")));
                }
            }
            Stmt::AwaitH { slot, again, cancel_after, poll } => {
                self.line(ind, "{");
                let i = ind + 1;
                if *poll {
                    self.line(i, &format!("while (!h{slot}.done()) {{ await sleep(1); }}"));
                }
                self.line(i, &format!("result:r = await h{slot};"));
                self.line(i, &format!("println(`r:{t}:{slot}:&{{r.err}}:&{{r.val}}`);"));
                self.line(i, &format!("{a} += r.err + r.val;"));
                self.line(i, &format!("if (!h{slot}.done()) {{ println(`X:{t}:{slot}:notdone`); }}"));
                if *cancel_after {
                    self.line(i, &format!("h{slot}.cancel();"));
                }
                if *again || *cancel_after {
                    self.line(i, &format!("result:r2 = await h{slot};"));
                    self.line(
                        i,
                        &format!("if (r2.err != r.err || r2.val != r.val) {{ println(`X:{t}:{slot}:again`); }}"),
                    );
                }
                self.line(ind, "}");
            }
            Stmt::AwaitG { slot, join, race_done } => {
                self.line(ind, "{");
                let i = ind + 1;
                if *join {
                    self.line(i, &format!("result:j = await join_all(g{slot});"));
                    self.line(i, &format!("println(`j:{t}:{slot}:&{{j.err}}:&{{j.val}}`);"));
                    self.line(i, &format!("{a} += j.err;"));
                }
                self.line(i, &format!("till(g{slot}.length, 1) {{"));
                self.line(i + 1, &format!("result:r = await g{slot}[$];"));
                self.line(i + 1, &format!("println(`r:{t}:&{{{slot} + $}}:&{{r.err}}:&{{r.val}}`);"));
                self.line(i + 1, &format!("{a} += r.err + r.val;"));
                self.line(i, "}");
                if *race_done {
                    self.line(i, &format!("result:q = await race(g{slot});"));
                    self.line(i, &format!("println(`rd:{t}:{slot}:&{{q.err}}:&{{q.val}}`);"));
                    self.line(i, &format!("{a} += q.err;"));
                }
                self.line(ind, "}");
            }
            Stmt::Direct { slot, child, mode } => {
                self.kid_defs(id, &[*child], ind);
                let call = format!("n{child}(x * 64 + {slot})");
                let code = match mode {
                    Mode::Result => format!(
                        "{{ result:r = await {call}; println(`r:{t}:{slot}:&{{r.err}}:&{{r.val}}`); {a} += r.err + r.val; }}"
                    ),
                    Mode::Default => format!(
                        "{{ int64:v = await {call} ? -7; println(`df:{t}:{slot}:&{{v}}`); {a} += v; }}"
                    ),
                    Mode::Timeout => format!(
                        "{{ result:r = await with_timeout({call}, 60000); println(`tm:{t}:{slot}:&{{r.err}}:&{{r.val}}`); {a} += r.err + r.val; }}"
                    ),
                    Mode::SyncBlock => format!("{a} += blk(`{t}:{slot}`, {call});"),
                    Mode::Propagate => format!(
                        "{{ int64:v = await {call}?; println(`pp:{t}:{slot}:&{{v}}`); {a} += v; }}"
                    ),
                    Mode::Unwrap => format!(
                        "{{ int64:v = await {call}; println(`uw:{t}:{slot}:&{{v}}`); {a} += v; }}"
                    ),
                };
                self.line(ind, &code);
            }
            Stmt::JoinInline { slot, members } => {
                self.kid_defs(id, members, ind);
                let calls: Vec<String> = members
                    .iter()
                    .enumerate()
                    .map(|(i, m)| format!("n{m}(x * 64 + {})", *slot as usize + i))
                    .collect();
                self.line(
                    ind,
                    &format!(
                        "{{ result:j = await join_all([{}]); println(`ji:{t}:{slot}:&{{j.err}}:&{{j.val}}`); {a} += j.err; }}",
                        calls.join(", ")
                    ),
                );
            }
            Stmt::Then { slot, child, blocking, panicky } => {
                self.kid_defs(id, &[*child], ind);
                self.line(ind, "{");
                let i = ind + 1;
                self.line(i, "Chan<int64>:cb = chan<int64>(1);");
                self.line(i, &format!("Task<int64>:h = n{child}(x * 64 + {slot});"));
                if *panicky {
                    self.line(
                        i,
                        &format!(
                            "h.then(NIL(result<int64>:r) {{ println(`tp:{t}:{slot}:&{{r.err}}`); int64:z = r.err - r.err; println(1 / z); }});"
                        ),
                    );
                }
                let send = if *blocking { "cb.send(1).await();" } else { "Task<NIL>:u = cb.send(1);" };
                self.line(
                    i,
                    &format!(
                        "h.then(NIL(result<int64>:r) {{ println(`th:{t}:{slot}:&{{r.err}}:&{{r.val}}`); {send} }});"
                    ),
                );
                self.line(i, "await cb.recv();");
                self.line(i, "result:r = await h;");
                self.line(i, &format!("println(`r:{t}:{slot}:&{{r.err}}:&{{r.val}}`);"));
                self.line(i, &format!("{a} += r.err + r.val;"));
                self.line(ind, "}");
            }
            Stmt::Detach { slot, child } => {
                self.kid_defs(id, &[*child], ind);
                self.line(ind, "{");
                let i = ind + 1;
                self.line(i, "Chan<int64>:dc = chan<int64>(1);");
                self.line(i, &format!("Task<int64>:h = n{child}(x * 64 + {slot});"));
                self.line(
                    i,
                    &format!(
                        "h.then(NIL(result<int64>:r) {{ println(`dt:{t}:{slot}:&{{r.err}}:&{{r.val}}`); Task<NIL>:u = dc.send(r.err + r.val); }});"
                    ),
                );
                self.line(i, "h.detach();");
                self.line(i, &format!("{a} += await dc.recv();"));
                self.line(ind, "}");
            }
            Stmt::Cbs { slot, child, pause } => {
                self.line(ind, "{");
                let i = ind + 1;
                self.line(i, &format!("Task<int64>:c = n{child}(x * 64 + {slot});"));
                self.line(i, "c.cancel();");
                if let Some(p) = pause {
                    self.line(i, &pause_code(*p));
                }
                self.line(i, "result:r = await c;");
                self.line(i, &format!("println(`cb:{t}:{slot}:&{{r.err}}`);"));
                self.line(i, &format!("{a} += r.err;"));
                self.line(ind, "}");
            }
            Stmt::Blocked { slot, cons, cap, recv_gate, gate_cap } => {
                self.blocked_construct(id, *slot, cons, *cap, *recv_gate, *gate_cap, ind)
            }
            Stmt::Pipe { slot, counts, consumers, cap, strings } => {
                self.line(ind, "{");
                let i = ind + 1;
                let np = counts.len() as u32;
                let (ty, sfx) = if *strings { ("string", "s") } else { ("int64", "") };
                self.line(i, &format!("Chan<{ty}>:ch = chan<{ty}>({cap});"));
                let prods: Vec<String> = counts
                    .iter()
                    .enumerate()
                    .map(|(k, n)| format!("prod{sfx}(ch, x * 64 + {}, {n})", slot + k as u32))
                    .collect();
                self.line(i, &format!("Task<int64>[]:ps = [{}];", prods.join(", ")));
                self.line(i, "int64:tot = 0;");
                if *consumers == 0 {
                    let total: u32 = counts.iter().sum();
                    let got = if *strings { "parse_int(await ch.recv())" } else { "(await ch.recv())" };
                    self.line(i, &format!("till({total}, 1) {{ tot += {got} * 10000 + 1; }}"));
                } else {
                    self.line(i, "Task<int64>[]:cs = [];");
                    self.line(
                        i,
                        &format!("till({consumers}, 1) {{ cs.push(cons{sfx}(ch, x * 64 + {} + $)); }}", slot + np),
                    );
                }
                self.line(i, "till(ps.length, 1) {");
                self.line(i + 1, "result:r = await ps[$];");
                self.line(i + 1, &format!("println(`pr:{t}:&{{{slot} + $}}:&{{r.err}}:&{{r.val}}`);"));
                self.line(i, "}");
                self.line(i, "ch.close();");
                if *consumers > 0 {
                    self.line(i, "till(cs.length, 1) { tot += await cs[$]; }");
                }
                self.line(i, &format!("println(`p:{t}:{slot}:&{{tot}}`);"));
                self.line(i, if *strings { "result:sc = await ch.send(\"1\");" } else { "result:sc = await ch.send(1);" });
                self.line(i, "result:rc = await ch.recv();");
                self.line(i, &format!("println(`pc:{t}:{slot}:&{{sc.err}}:&{{rc.err}}`);"));
                self.line(i, &format!("{a} += tot % 1000;"));
                self.line(ind, "}");
            }
            Stmt::BadChan { slot } => self.line(
                ind,
                &format!("{{ result:bc = chan<int64>(-1); println(`bc:{t}:{slot}:&{{bc.err}}`); }}"),
            ),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn blocked_construct(
        &mut self,
        id: Id,
        slot: u32,
        cons: &Construct,
        cap: u32,
        recv_gate: bool,
        gate_cap: u32,
        ind: usize,
    ) {
        let t = format!("{id}.&{{x}}");
        let a = format!("a{id}");
        self.line(ind, "{");
        let i = ind + 1;
        self.line(i, &format!("Chan<int64>:rd = chan<int64>({cap});"));
        self.line(i, &format!("Chan<int64>:gate = chan<int64>({gate_cap});"));
        let p = self.p;
        match cons {
            Construct::Cancel { root, again, then } => {
                let n = subtree_size(p, *root);
                self.line(
                    i,
                    &format!("Task<int64>:b = n{root}(rd, gate, x * 64 + {slot});"),
                );
                if *then {
                    self.line(i, "Chan<int64>:bc = chan<int64>(1);");
                    self.line(
                        i,
                        "b.then(NIL(result<int64>:r) { Task<NIL>:u = bc.send(r.err); });",
                    );
                }
                self.line(i, &format!("till({n}, 1) {{ await rd.recv(); }}"));
                self.line(i, "b.cancel();");
                self.line(i, "result:r = await b;");
                self.line(i, &format!("println(`b:{t}:{slot}:&{{r.err}}`);"));
                if *then {
                    self.line(i, "int64:be = await bc.recv();");
                    self.line(i, &format!("println(`bt:{t}:{slot}:&{{be}}`);"));
                }
                self.line(i, &format!("till({n}, 1) {{ await rd.recv(); }}"));
                self.line(i, &format!("{a} += r.err;"));
                if *again {
                    self.line(i, "b.cancel();");
                    self.line(i, "result:r2 = await b;");
                    self.line(
                        i,
                        &format!("if (r2.err != r.err) {{ println(`X:{t}:{slot}:again`); }}"),
                    );
                }
            }
            Construct::Timeout { root, ms } => {
                let n = subtree_size(p, *root);
                self.line(
                    i,
                    &format!("Task<int64>:b = n{root}(rd, gate, x * 64 + {slot});"),
                );
                self.line(i, &format!("till({n}, 1) {{ await rd.recv(); }}"));
                self.line(i, &format!("result:w = await with_timeout(b, {ms});"));
                self.line(i, &format!("println(`to:{t}:{slot}:&{{w.err}}`);"));
                self.line(i, "result:r = await b;");
                self.line(i, &format!("println(`b:{t}:{slot}:&{{r.err}}`);"));
                self.line(i, &format!("till({n}, 1) {{ await rd.recv(); }}"));
                self.line(i, &format!("{a} += w.err + r.err;"));
            }
            Construct::Race {
                fast,
                roots,
                fast_pos,
            } => {
                self.kid_defs(id, &[*fast], i);
                let mut names = Vec::new();
                let mut n = 0;
                let mut ri = roots.iter();
                for pos in 0..=roots.len() {
                    let s = slot + pos as u32;
                    if pos == *fast_pos {
                        self.line(i, &format!("Task<int64>:f = n{fast}(x * 64 + {s});"));
                        names.push("f".to_string());
                    } else {
                        let r = *ri.next().expect("root");
                        n += subtree_size(p, r);
                        self.line(
                            i,
                            &format!("Task<int64>:b{pos} = n{r}(rd, gate, x * 64 + {s});"),
                        );
                        names.push(format!("b{pos}"));
                    }
                }
                self.line(i, &format!("till({n}, 1) {{ await rd.recv(); }}"));
                self.line(
                    i,
                    &format!("result:w = await race([{}]);", names.join(", ")),
                );
                self.line(
                    i,
                    &format!("println(`ra:{t}:{slot}:&{{w.err}}:&{{w.val}}`);"),
                );
                self.line(i, &format!("{a} += w.err + w.val;"));
                for (pos, name) in names.iter().enumerate() {
                    let s = slot + pos as u32;
                    self.line(i, &format!("result:r{pos} = await {name};"));
                    if pos == *fast_pos {
                        self.line(
                            i,
                            &format!("println(`r:{t}:{s}:&{{r{pos}.err}}:&{{r{pos}.val}}`);"),
                        );
                    } else {
                        self.line(i, &format!("println(`b:{t}:{s}:&{{r{pos}.err}}`);"));
                    }
                    self.line(i, &format!("{a} += r{pos}.err;"));
                }
                self.line(i, &format!("till({n}, 1) {{ await rd.recv(); }}"));
            }
            Construct::NoSpread { held, holder } => {
                let n = subtree_size(p, *held);
                let s1 = slot + 1;
                self.line(
                    i,
                    &format!("Task<int64>:c = n{held}(rd, gate, x * 64 + {slot});"),
                );
                self.line(
                    i,
                    &format!("Task<int64>:h = n{holder}(rd, gate, x * 64 + {s1}, c);"),
                );
                self.line(i, &format!("till({}, 1) {{ await rd.recv(); }}", n + 1));
                self.line(i, "h.cancel();");
                self.line(i, "result:rh = await h;");
                self.line(i, &format!("println(`b:{t}:{s1}:&{{rh.err}}`);"));
                self.line(i, "await rd.recv();");
                self.line(i, &format!("println(`ns:{t}:{slot}:&{{c.done()}}`);"));
                self.line(i, "c.cancel();");
                self.line(i, "result:rc = await c;");
                self.line(i, &format!("println(`b:{t}:{slot}:&{{rc.err}}`);"));
                self.line(i, &format!("till({n}, 1) {{ await rd.recv(); }}"));
                self.line(i, &format!("{a} += rh.err + rc.err;"));
            }
        }
        // Cancelled channel operations took or delivered nothing.
        if recv_gate {
            self.line(i, "Task<NIL>:gs = gate.send(41);");
            self.line(i, "int64:back = await gate.recv();");
            self.line(i, "await gs;");
            self.line(i, &format!("println(`gr:{t}:{slot}:&{{back}}`);"));
        } else {
            self.line(i, "gate.close();");
            self.line(i, "result:gr = await gate.recv();");
            self.line(i, &format!("println(`gs:{t}:{slot}:&{{gr.err}}`);"));
        }
        self.line(ind, "}");
    }

    fn blocked_def(&mut self, id: Id) {
        let Node::Blocked {
            defers,
            defer_panic,
            pre,
            wait,
        } = &self.p.nodes[id]
        else {
            unreachable!()
        };
        let t = format!("{id}.&{{x}}");
        let held = matches!(wait, Wait::Held);
        let extra = if held { ", Task<int64>:h" } else { "" };
        self.line(
            0,
            &format!(
                "async func:n{id} = int64(Chan<int64>:rdy, Chan<int64>:gate, int64:x{extra}) {{"
            ),
        );
        self.line(
            1,
            &format!("defer {{ println(`d:{t}:0`); Task<NIL>:u = rdy.send(0); }}"),
        );
        for k in 1..=*defers {
            self.line(1, &format!("defer {{ println(`d:{t}:{k}`); }}"));
        }
        if let Some(kind) = defer_panic {
            let k = defers + 1;
            self.line(
                1,
                &format!(
                    "defer {{ println(`d:{t}:{k}`); {}}}",
                    defer_panic_code(*kind)
                ),
            );
        }
        for p in pre {
            self.line(1, &pause_code(*p));
        }
        self.line(1, "await rdy.send(1);");
        let kids = |ks: &[Id]| -> String {
            ks.iter()
                .enumerate()
                .map(|(j, k)| format!("n{k}(rdy, gate, x * 4 + {j})"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let code = match wait {
            Wait::Sleep => "await sleep(60000);".to_string(),
            Wait::GateRecv(cap) => {
                format!("Chan<int64>:own = chan<int64>({cap}); await own.recv();")
            }
            Wait::GateSend => "Chan<int64>:own = chan<int64>(0); await own.send(7);".to_string(),
            Wait::Shared(true) => "await gate.recv();".to_string(),
            Wait::Shared(false) => "await gate.send(x);".to_string(),
            Wait::Poll(false) => "while (true) { await sleep(1); }".to_string(),
            Wait::Poll(true) => "while (true) { await yield_now(); }".to_string(),
            Wait::Direct(k) => format!("await n{k}(rdy, gate, x * 4);"),
            Wait::Timeout(k) => format!("await with_timeout(n{k}(rdy, gate, x * 4), 600000);"),
            Wait::JoinAll(ks) => format!("await join_all([{}]);", kids(ks)),
            Wait::Race(ks) => format!("await race([{}]);", kids(ks)),
            Wait::Held => "await h;".to_string(),
        };
        self.line(1, &code);
        if !matches!(wait, Wait::Poll(_)) {
            self.line(1, &format!("println(`X:{t}:woke`);"));
            self.line(1, "pass(0);");
        }
        self.line(0, "};");
    }

    fn cbs_def(&mut self, id: Id, defers: u32) {
        let t = format!("{id}.&{{x}}");
        self.line(0, &format!("async func:n{id} = int64(int64:x) {{"));
        for k in 0..defers {
            self.line(1, &format!("defer {{ println(`d:{t}:{k}`); }}"));
        }
        self.line(1, "await sleep(60000);");
        self.line(1, &format!("println(`X:{t}:cbs`);"));
        self.line(1, "pass(0);");
        self.line(0, "};");
    }
}

/// The Aria source of a program.
pub fn emit(p: &Program) -> String {
    let mut e = Emitter {
        p,
        out: String::new(),
    };
    let _ = writeln!(
        e.out,
        "// Generated by crates/aria/tests/stress.rs, seed {} (scripts/stress.sh {}).",
        p.seed, p.seed
    );
    e.out.push('\n');
    e.out.push_str(HELPERS);
    for id in 0..p.nodes.len() {
        match &p.nodes[id] {
            Node::Normal {
                form: Form::TopLevel,
                ..
            } => {
                e.out.push('\n');
                e.normal_def(id, 0);
            }
            Node::Normal { .. } => {}
            Node::Blocked { .. } => {
                e.out.push('\n');
                e.blocked_def(id);
            }
            Node::Cbs { defers } => {
                e.out.push('\n');
                e.cbs_def(id, *defers);
            }
        }
    }
    e.out.push('\n');
    let aw = |t: &str| {
        if p.sync_main {
            format!("{t}.await()")
        } else {
            format!("await {t}")
        }
    };
    if p.sync_main {
        e.line(0, "func:main = int32() {");
    } else {
        e.line(0, "async func:main = int32() {");
    }
    if !p.lingering.is_empty() {
        let n: usize = p.lingering.iter().map(|r| subtree_size(p, *r)).sum();
        e.line(1, "// left running: cancelled by the shutdown");
        e.line(1, &format!("Chan<int64>:lr = chan<int64>({});", 2 * n));
        e.line(1, "Chan<int64>:lg = chan<int64>(0);");
        for (i, r) in p.lingering.iter().enumerate() {
            e.line(1, &format!("Task<int64>:l{i} = n{r}(lr, lg, {i});"));
        }
        e.line(1, &format!("till({n}, 1) {{ {}; }}", aw("lr.recv()")));
    }
    e.line(1, &format!("result:r = {};", aw("n0(1)")));
    e.line(1, "println(`root:&{r.err}:&{r.val}`);");
    e.line(1, "pass(0);");
    e.line(0, "};");
    e.out
}

// ---------------------------------------------------------------- model

/// What a run must print.
#[derive(Default)]
pub struct Expect {
    /// Lines that must appear (a multiset).
    pub lines: Vec<String>,
    /// All-or-none groups (the defers of tasks cancelled before they may
    /// have started); disjoint from `lines`.
    pub optional: Vec<Vec<String>>,
    /// Tasks that panic (one `panic (code` report each).
    pub panics: usize,
    /// Tasks created by calls of async functions (not built-in operations).
    pub tasks: usize,
    /// Critical path of the program's sleeps, roughly.
    pub est_ms: u64,
}

#[derive(Clone, Copy, PartialEq, Debug)]
struct Outcome {
    err: i64,
    val: i64,
}

const fn ok(val: i64) -> Outcome {
    Outcome { err: 0, val }
}

const fn failed(err: i64) -> Outcome {
    Outcome { err, val: 0 }
}

/// How a block was left.
enum Flow {
    Go,
    Exit { out: Outcome, panicked: bool },
}

struct Frame {
    x: i64,
    tag: String,
    acc: i64,
    t: u64,
    handles: HashMap<u32, (Outcome, u64)>,
    groups: HashMap<u32, Vec<(Outcome, u64)>>,
    /// Code of the first panic in a defer.
    defer_panic: Option<i64>,
}

struct Model<'a> {
    p: &'a Program,
    e: Expect,
}

fn subtree_size(p: &Program, id: Id) -> usize {
    match &p.nodes[id] {
        Node::Blocked { wait, .. } => {
            1 + match wait {
                Wait::Direct(k) | Wait::Timeout(k) => subtree_size(p, *k),
                Wait::JoinAll(ks) | Wait::Race(ks) => ks.iter().map(|k| subtree_size(p, *k)).sum(),
                _ => 0,
            }
        }
        _ => unreachable!("not a blocked node"),
    }
}

fn pause_ms(p: Pause) -> u64 {
    match p {
        Pause::Sleep(ms) => ms as u64,
        Pause::Yield => 0,
    }
}

fn fmt_vals(v: &[i64]) -> String {
    let s: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    format!("[{}]", s.join(", "))
}

impl Model<'_> {
    fn line(&mut self, s: String) {
        self.e.lines.push(s);
    }

    /// Runs normal node `id` as instance `x` with initial accumulator
    /// `acc`: its outcome and its duration.
    fn normal(&mut self, id: Id, x: i64, acc: i64) -> (Outcome, u64) {
        self.e.tasks += 1;
        let p = self.p;
        let Node::Normal { form, body, end } = &p.nodes[id] else {
            unreachable!()
        };
        let acc = if *form == Form::TopLevel { 0 } else { acc };
        let mut f = Frame {
            x,
            tag: format!("{id}.{x}"),
            acc,
            t: 0,
            handles: HashMap::new(),
            groups: HashMap::new(),
            defer_panic: None,
        };
        let mut defers = Vec::new();
        let flow = self.block(&mut f, body, &mut defers);
        let (out, panicked) = match flow {
            Flow::Exit { out, panicked } => (out, panicked),
            Flow::Go => match end {
                End::Pass => (
                    ok((x % 1009)
                        .wrapping_mul(31)
                        .wrapping_add(f.acc % 1_000_003)
                        .wrapping_add(id as i64 * 1000)),
                    false,
                ),
                End::Fail => (failed(100_000 + id as i64), false),
                End::Panic(kind) => {
                    if *kind == PanicKind::HelperDiv {
                        self.line(format!("hd:{}", f.tag));
                    }
                    (failed(kind.code()), true)
                }
            },
        };
        self.run_defers(&mut f, defers);
        let (out, panicked) = match (f.defer_panic, panicked) {
            (Some(code), false) => (failed(code), true),
            _ => (out, panicked),
        };
        if panicked {
            self.e.panics += 1;
        }
        (out, f.t)
    }

    fn run_defers(&mut self, f: &mut Frame, defers: Vec<(String, Option<PanicKind>)>) {
        for (line, panic) in defers.into_iter().rev() {
            self.line(line);
            if let Some(kind) = panic {
                f.defer_panic.get_or_insert(kind.code());
            }
        }
    }

    fn block(
        &mut self,
        f: &mut Frame,
        body: &[Stmt],
        defers: &mut Vec<(String, Option<PanicKind>)>,
    ) -> Flow {
        for s in body {
            let flow = self.stmt(f, s, defers);
            if let Flow::Exit { .. } = flow {
                return flow;
            }
        }
        Flow::Go
    }

    fn kid(&mut self, f: &Frame, child: Id, x: i64) -> (Outcome, u64) {
        self.normal(child, x, f.acc)
    }

    fn stmt(
        &mut self,
        f: &mut Frame,
        s: &Stmt,
        defers: &mut Vec<(String, Option<PanicKind>)>,
    ) -> Flow {
        let tag = f.tag.clone();
        let xs = |slot: u32| f.x.wrapping_mul(64).wrapping_add(slot as i64);
        match s {
            Stmt::Defer { k, panic } => defers.push((format!("d:{tag}:{k}"), *panic)),
            Stmt::Pause(p) => f.t += pause_ms(*p),
            Stmt::Block { k, body } => {
                let mut inner = vec![(format!("d:{tag}:{k}"), None)];
                let flow = self.block(f, body, &mut inner);
                self.run_defers(f, inner);
                return flow;
            }
            Stmt::LoopDefer { k, n } => {
                for i in 0..*n {
                    self.line(format!("d:{tag}:{k}:{i}"));
                }
            }
            Stmt::Spawn { slot, child } => {
                let (o, d) = self.kid(f, *child, xs(*slot));
                f.handles.insert(*slot, (o, f.t + d));
            }
            Stmt::SpawnGroup { slot, members } => {
                let mut v = Vec::new();
                for (i, m) in members.iter().enumerate() {
                    let (o, d) = self.kid(f, *m, xs(slot + i as u32));
                    v.push((o, f.t + d));
                }
                f.groups.insert(*slot, v);
            }
            Stmt::AwaitH { slot, .. } => {
                let (o, done) = f.handles[slot];
                self.line(format!("r:{tag}:{slot}:{}:{}", o.err, o.val));
                f.acc += o.err + o.val;
                f.t = f.t.max(done);
            }
            Stmt::AwaitG {
                slot,
                join,
                race_done,
            } => {
                let v = f.groups[slot].clone();
                let done = v.iter().map(|(_, d)| *d).max().unwrap_or(0);
                f.t = f.t.max(done);
                if *join {
                    let (err, vals) = join_of(v.iter().map(|(o, _)| *o));
                    self.line(format!("j:{tag}:{slot}:{err}:{vals}"));
                    f.acc += err;
                }
                for (i, (o, _)) in v.iter().enumerate() {
                    self.line(format!(
                        "r:{tag}:{}:{}:{}",
                        *slot as usize + i,
                        o.err,
                        o.val
                    ));
                    f.acc += o.err + o.val;
                }
                if *race_done {
                    let o = v[0].0;
                    self.line(format!("rd:{tag}:{slot}:{}:{}", o.err, o.val));
                    f.acc += o.err;
                }
            }
            Stmt::Direct { slot, child, mode } => {
                let (o, d) = self.kid(f, *child, xs(*slot));
                f.t += d;
                match mode {
                    Mode::Result => {
                        self.line(format!("r:{tag}:{slot}:{}:{}", o.err, o.val));
                        f.acc += o.err + o.val;
                    }
                    Mode::Timeout => {
                        self.line(format!("tm:{tag}:{slot}:{}:{}", o.err, o.val));
                        f.acc += o.err + o.val;
                    }
                    Mode::SyncBlock => {
                        self.line(format!("sb:{tag}:{slot}:{}:{}", o.err, o.val));
                        f.acc += o.err + o.val;
                    }
                    Mode::Default => {
                        let v = if o.err == 0 { o.val } else { -7 };
                        self.line(format!("df:{tag}:{slot}:{v}"));
                        f.acc += v;
                    }
                    Mode::Propagate => {
                        if o.err != 0 {
                            return Flow::Exit {
                                out: failed(o.err),
                                panicked: false,
                            };
                        }
                        self.line(format!("pp:{tag}:{slot}:{}", o.val));
                        f.acc += o.val;
                    }
                    Mode::Unwrap => {
                        if o.err != 0 {
                            return Flow::Exit {
                                out: failed(-103),
                                panicked: true,
                            };
                        }
                        self.line(format!("uw:{tag}:{slot}:{}", o.val));
                        f.acc += o.val;
                    }
                }
            }
            Stmt::JoinInline { slot, members } => {
                let mut outs = Vec::new();
                let mut dmax = 0;
                for (i, m) in members.iter().enumerate() {
                    let (o, d) = self.kid(f, *m, xs(slot + i as u32));
                    outs.push(o);
                    dmax = dmax.max(d);
                }
                f.t += dmax;
                let (err, vals) = join_of(outs.into_iter());
                self.line(format!("ji:{tag}:{slot}:{err}:{vals}"));
                f.acc += err;
            }
            Stmt::Then {
                slot,
                child,
                panicky,
                ..
            } => {
                let (o, d) = self.kid(f, *child, xs(*slot));
                f.t += d;
                if *panicky {
                    self.line(format!("tp:{tag}:{slot}:{}", o.err));
                    self.e.panics += 1;
                }
                self.line(format!("th:{tag}:{slot}:{}:{}", o.err, o.val));
                self.line(format!("r:{tag}:{slot}:{}:{}", o.err, o.val));
                f.acc += o.err + o.val;
            }
            Stmt::Detach { slot, child } => {
                let (o, d) = self.kid(f, *child, xs(*slot));
                f.t += d;
                self.line(format!("dt:{tag}:{slot}:{}:{}", o.err, o.val));
                f.acc += o.err + o.val;
            }
            Stmt::Cbs { slot, child, pause } => {
                self.e.tasks += 1;
                let Node::Cbs { defers: n } = &self.p.nodes[*child] else {
                    unreachable!()
                };
                let cx = xs(*slot);
                let group: Vec<String> = (0..*n).map(|k| format!("d:{child}.{cx}:{k}")).collect();
                if !group.is_empty() {
                    self.e.optional.push(group);
                }
                if let Some(p) = pause {
                    f.t += pause_ms(*p);
                }
                self.line(format!("cb:{tag}:{slot}:-1"));
                f.acc += -1;
            }
            Stmt::Blocked {
                slot,
                cons,
                recv_gate,
                ..
            } => {
                self.blocked_construct(f, *slot, cons);
                if *recv_gate {
                    self.line(format!("gr:{tag}:{slot}:41"));
                } else {
                    self.line(format!("gs:{tag}:{slot}:-3"));
                }
            }
            Stmt::Pipe {
                slot,
                counts,
                consumers,
                ..
            } => {
                let np = counts.len() as u32;
                let mut sum = 0i64;
                let mut count = 0i64;
                for (k, n) in counts.iter().enumerate() {
                    self.e.tasks += 1;
                    let ptag = xs(slot + k as u32);
                    for j in 0..*n as i64 {
                        sum += (ptag % 1000) * 100 + j;
                    }
                    count += *n as i64;
                    self.line(format!("pd:{ptag}"));
                    self.line(format!("pr:{tag}:{}:0:{n}", slot + k as u32));
                }
                for c in 0..*consumers {
                    self.e.tasks += 1;
                    self.line(format!("cd:{}", xs(slot + np + c)));
                }
                let tot = sum * 10000 + count;
                self.line(format!("p:{tag}:{slot}:{tot}"));
                self.line(format!("pc:{tag}:{slot}:-3:-3"));
                f.acc += tot % 1000;
            }
            Stmt::BadChan { slot } => self.line(format!("bc:{tag}:{slot}:-9")),
        }
        Flow::Go
    }

    /// The lines of blocked subtree `id` (instance `x`) once cancelled; its
    /// result and the time until it is ready.
    fn blocked(&mut self, id: Id, x: i64) -> (Outcome, u64) {
        self.e.tasks += 1;
        let p = self.p;
        let Node::Blocked {
            defers,
            defer_panic,
            pre,
            wait,
        } = &p.nodes[id]
        else {
            unreachable!()
        };
        let tag = format!("{id}.{x}");
        for k in 0..=*defers {
            self.line(format!("d:{tag}:{k}"));
        }
        let mut out = failed(-1);
        if let Some(kind) = defer_panic {
            self.line(format!("d:{tag}:{}", defers + 1));
            self.e.panics += 1;
            out = failed(kind.code());
        }
        let mut t: u64 = pre.iter().map(|p| pause_ms(*p)).sum();
        let kids: Vec<Id> = match wait {
            Wait::Direct(k) | Wait::Timeout(k) => vec![*k],
            Wait::JoinAll(ks) | Wait::Race(ks) => ks.clone(),
            _ => Vec::new(),
        };
        let mut dmax = 0;
        for (j, k) in kids.iter().enumerate() {
            let (_, d) = self.blocked(*k, x.wrapping_mul(4).wrapping_add(j as i64));
            dmax = dmax.max(d);
        }
        t += dmax;
        (out, t)
    }

    fn blocked_construct(&mut self, f: &mut Frame, slot: u32, cons: &Construct) {
        let tag = f.tag.clone();
        let xs = |s: u32| f.x.wrapping_mul(64).wrapping_add(s as i64);
        match cons {
            Construct::Cancel { root, then, .. } => {
                let (o, d) = self.blocked(*root, xs(slot));
                f.t += d;
                self.line(format!("b:{tag}:{slot}:{}", o.err));
                if *then {
                    self.line(format!("bt:{tag}:{slot}:{}", o.err));
                }
                f.acc += o.err;
            }
            Construct::Timeout { root, ms } => {
                let (o, d) = self.blocked(*root, xs(slot));
                f.t += d + *ms as u64;
                self.line(format!("to:{tag}:{slot}:-2"));
                self.line(format!("b:{tag}:{slot}:{}", o.err));
                f.acc += -2 + o.err;
            }
            Construct::Race {
                fast,
                roots,
                fast_pos,
            } => {
                let mut ri = roots.iter();
                let mut errs = Vec::new();
                let mut win = ok(0);
                let mut dmax = 0;
                for pos in 0..=roots.len() {
                    let s = slot + pos as u32;
                    if pos == *fast_pos {
                        let (o, d) = self.kid(f, *fast, xs(s));
                        dmax = dmax.max(d);
                        self.line(format!("r:{tag}:{s}:{}:{}", o.err, o.val));
                        win = o;
                        errs.push(o.err);
                    } else {
                        let r = *ri.next().expect("root");
                        let (o, d) = self.blocked(r, xs(s));
                        dmax = dmax.max(d);
                        self.line(format!("b:{tag}:{s}:{}", o.err));
                        errs.push(o.err);
                    }
                }
                f.t += dmax;
                self.line(format!("ra:{tag}:{slot}:{}:{}", win.err, win.val));
                f.acc += win.err + win.val + errs.iter().sum::<i64>();
            }
            Construct::NoSpread { held, holder } => {
                let (oh, dh) = self.blocked(*holder, xs(slot + 1));
                let (oc, dc) = self.blocked(*held, xs(slot));
                f.t += dh.max(dc);
                self.line(format!("b:{tag}:{}:{}", slot + 1, oh.err));
                self.line(format!("ns:{tag}:{slot}:false"));
                self.line(format!("b:{tag}:{slot}:{}", oc.err));
                f.acc += oh.err + oc.err;
            }
        }
    }
}

fn join_of(outs: impl Iterator<Item = Outcome>) -> (i64, String) {
    let outs: Vec<Outcome> = outs.collect();
    match outs.iter().find(|o| o.err != 0) {
        Some(o) => (o.err, "[]".to_string()),
        None => (0, fmt_vals(&outs.iter().map(|o| o.val).collect::<Vec<_>>())),
    }
}

/// The expected output of a program.
pub fn model(p: &Program) -> Expect {
    let mut m = Model {
        p,
        e: Expect::default(),
    };
    for (i, r) in p.lingering.iter().enumerate() {
        m.blocked(*r, i as i64);
    }
    let (o, d) = m.normal(0, 1, 0);
    m.line(format!("root:{}:{}", o.err, o.val));
    m.e.est_ms = d;
    m.e
}

/// Compares a run's stdout with the expectation; the discrepancies, at most
/// `limit` of them.
pub fn check(e: &Expect, stdout: &str, limit: usize) -> Vec<String> {
    let mut seen: HashMap<&str, i64> = HashMap::new();
    for l in stdout.lines() {
        *seen.entry(l).or_default() += 1;
    }
    let mut bad = Vec::new();
    for l in &e.lines {
        match seen.get_mut(l.as_str()) {
            Some(n) if *n > 0 => *n -= 1,
            _ => bad.push(format!("missing: {l}")),
        }
    }
    for g in &e.optional {
        let present = g
            .iter()
            .filter(|l| seen.get(l.as_str()).is_some_and(|n| *n > 0))
            .count();
        if present != 0 && present != g.len() {
            bad.push(format!(
                "partial all-or-none group ({present} of {}): {}",
                g.len(),
                g.join(" ")
            ));
        }
        for l in g {
            if let Some(n) = seen.get_mut(l.as_str()) {
                *n -= 1;
            }
        }
    }
    let mut extra: Vec<(&str, i64)> = seen.into_iter().filter(|(_, n)| *n > 0).collect();
    extra.sort();
    for (l, n) in extra {
        if n == 1 {
            bad.push(format!("unexpected: {l}"));
        } else {
            bad.push(format!("unexpected ({n} extra): {l}"));
        }
    }
    let total = bad.len();
    bad.truncate(limit);
    if total > limit {
        bad.push(format!("... {} more", total - limit));
    }
    bad
}

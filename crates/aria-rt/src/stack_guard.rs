//! Stack overflow reports for executables made by `aria build`.
//!
//! Under `aria run` the program runs inside a Rust `main`, whose runtime
//! turns a fault on a thread's stack guard into `thread 'NAME' (TID) has
//! overflowed its stack` and an abort (status 134). A built executable has
//! a C `main`: without this module the same overflow is a bare `SIGSEGV`
//! (status 139, no message). [`install`] gives it the same report.
//!
//! Invariants:
//! - The handler is installed only where nobody handles `SIGSEGV`/`SIGBUS`
//!   yet (not under `aria run`, whose Rust runtime has its own, nor in a C
//!   program using the C API, which never calls [`install`]).
//! - A thread reports an overflow only after [`enter_thread`] recorded its
//!   guard range and name and gave it an alternate signal stack (the
//!   handler cannot run on the stack that overflowed). Any other fault, or
//!   a fault on a thread that did not enter, restores the default action
//!   and returns: the instruction faults again and the process dies of the
//!   signal as before.
//! - The handler touches only const-initialised thread-locals without
//!   destructors, `write`, `gettid` and `abort`: async-signal-safe.

use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering::*};

/// Set once [`install`] put the handler in place.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Bytes of a thread name kept for the report (longer names are cut).
const NAME_MAX: usize = 48;
/// Bytes of an alternate signal stack (the handler formats one line).
const ALT_STACK: usize = 64 << 10;
/// How far below the lowest address of the main thread's stack a fault
/// still counts as an overflow (the kernel's stack guard gap, 256 pages).
const MAIN_GUARD_GAP: usize = 1 << 20;

thread_local! {
    /// This thread's guard range `[lo, hi)`; empty until [`enter_thread`].
    static GUARD: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
    /// This thread's name for the report, and its length.
    static NAME: Cell<([u8; NAME_MAX], usize)> = const { Cell::new(([0; NAME_MAX], 0)) };
}

/// Installs the overflow handler (unless `SIGSEGV` or `SIGBUS` already has
/// one) and enters the calling thread, the program's main thread. The
/// main thread's alternate stack lives as long as the process.
pub fn install() {
    // SAFETY: sigaction with valid pointers; a zeroed `sigaction` is a
    // valid value to fill in.
    unsafe {
        for sig in [libc::SIGSEGV, libc::SIGBUS] {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, ptr::null(), &mut old) != 0 || old.sa_sigaction != libc::SIG_DFL
            {
                return;
            }
        }
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = on_fault as *const () as usize;
        act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        libc::sigemptyset(&mut act.sa_mask);
        for sig in [libc::SIGSEGV, libc::SIGBUS] {
            libc::sigaction(sig, &act, ptr::null_mut());
        }
    }
    INSTALLED.store(true, Release);
    std::mem::forget(enter(Some("main"), true));
}

/// The alternate signal stack of a thread that entered; dropping it (when
/// the thread ends) turns it off and frees it.
pub struct AltStack {
    base: *mut libc::c_void,
    len: usize,
}

impl Drop for AltStack {
    fn drop(&mut self) {
        GUARD.with(|g| g.set((0, 0)));
        // SAFETY: this thread's own alternate stack, mapped by
        // `enter_thread`; it is switched off before it is unmapped.
        unsafe {
            let off = libc::stack_t {
                ss_sp: ptr::null_mut(),
                ss_flags: libc::SS_DISABLE,
                ss_size: ALT_STACK,
            };
            libc::sigaltstack(&off, ptr::null_mut());
            libc::munmap(self.base, self.len);
        }
    }
}

/// Prepares the calling thread, one the runtime started, for overflow
/// reports if the handler is installed: records its guard range and its
/// Rust name and gives it an alternate signal stack, which the caller
/// keeps until the thread ends. `None` when there is no handler or a step
/// failed (the thread then dies of the plain signal, as without this
/// module).
pub fn enter_thread() -> Option<AltStack> {
    enter(None, false)
}

/// [`enter_thread`] for a thread named `name` (else its Rust name); `main`:
/// the process's main thread, whose stack grows on demand.
fn enter(name: Option<&str>, main: bool) -> Option<AltStack> {
    if !INSTALLED.load(Acquire) {
        return None;
    }
    let guard = guard_range(main)?;
    let alt = alt_stack()?;
    let cur = std::thread::current();
    let name = name.or(cur.name()).unwrap_or("<unnamed>").as_bytes();
    let mut buf = [0u8; NAME_MAX];
    let n = name.len().min(NAME_MAX);
    buf[..n].copy_from_slice(&name[..n]);
    NAME.with(|c| c.set((buf, n)));
    GUARD.with(|g| g.set(guard));
    Some(alt)
}

/// Maps and switches to an alternate signal stack, with a guard page below.
fn alt_stack() -> Option<AltStack> {
    // SAFETY: an anonymous mapping, then mprotect of its first page and
    // sigaltstack on the rest, all with valid arguments.
    unsafe {
        let page = page_size();
        let len = ALT_STACK + page;
        let base = libc::mmap(
            ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
            -1,
            0,
        );
        if base == libc::MAP_FAILED {
            return None;
        }
        let stack = AltStack { base, len };
        libc::mprotect(base, page, libc::PROT_NONE);
        let ss = libc::stack_t {
            ss_sp: base.cast::<u8>().add(page).cast(),
            ss_flags: 0,
            ss_size: ALT_STACK,
        };
        if libc::sigaltstack(&ss, ptr::null_mut()) != 0 {
            return None;
        }
        Some(stack)
    }
}

/// The addresses whose fault means the calling thread overflowed its
/// stack, as Rust's runtime reckons them: around the bottom of the stack,
/// one guard size either way (glibc before 2.27 counted the guard inside
/// the stack); for the main thread, whose stack grows on demand, the
/// kernel's guard gap below its lowest possible address.
fn guard_range(main: bool) -> Option<(usize, usize)> {
    // SAFETY: pthread attribute calls on a zeroed attribute object that
    // `pthread_getattr_np` initialises (and we destroy).
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = ptr::null_mut();
        let mut size = 0usize;
        let mut guard = 0usize;
        let ok = libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0
            && libc::pthread_attr_getguardsize(&attr, &mut guard) == 0;
        libc::pthread_attr_destroy(&mut attr);
        if !ok {
            return None;
        }
        let bottom = addr as usize;
        let page = page_size();
        Some(if main {
            (bottom.saturating_sub(MAIN_GUARD_GAP), bottom + page)
        } else {
            let g = guard.max(page);
            (bottom.saturating_sub(g), bottom + g)
        })
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(p).unwrap_or(4096)
}

/// The `SIGSEGV`/`SIGBUS` handler (see the module invariants).
extern "C" fn on_fault(sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let addr = unsafe { (*info).si_addr() } as usize;
    let (lo, hi) = GUARD.with(|g| g.get());
    if lo <= addr && addr < hi {
        report_overflow();
    }
    // Not an overflow: fault again with the default action.
    // SAFETY: restoring the default disposition of this signal.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(sig, &act, ptr::null_mut());
    }
}

/// Writes Rust's report for this thread and aborts.
fn report_overflow() -> ! {
    let (name, n) = NAME.with(|c| c.get());
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() };
    let mut line = Line::default();
    line.push(b"\nthread '");
    line.push(&name[..n]);
    line.push(b"' (");
    line.push_int(i64::from(tid));
    line.push(b") has overflowed its stack\nfatal runtime error: stack overflow, aborting\n");
    // SAFETY: write of an initialised buffer to stderr, then abort; both
    // async-signal-safe.
    unsafe {
        libc::write(2, line.buf.as_ptr().cast(), line.len);
        libc::abort()
    }
}

/// A fixed buffer to format the report without allocating.
struct Line {
    buf: [u8; 256],
    len: usize,
}

impl Default for Line {
    fn default() -> Self {
        Line {
            buf: [0; 256],
            len: 0,
        }
    }
}

impl Line {
    fn push(&mut self, s: &[u8]) {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s[..n]);
        self.len += n;
    }

    fn push_int(&mut self, v: i64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut v = v.unsigned_abs();
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.push(&digits[i..]);
    }
}

//! Panic reports of tasks (LANGUAGE.md §7.7, §10.4).
//!
//! ```text
//! panic (code -101): division by zero
//!   at prog.aria:12:5 in crasher
//!   in task #3 crasher
//!   awaited by task #1 main
//!   awaited by main
//! ```
//! The async backtrace follows the first waiter of each task: a task
//! awaiting it (`awaited by task #ID NAME`), the main thread blocked in
//! `.await()` (`awaited by main`, the end), a worker thread blocked in
//! `.await()` inside a task's synchronous code (that task), or a built-in
//! task such as `join_all` (no line of its own; its waiters follow).
//!
//! A task running inline (`aria_task_start_inline`) has no waiter yet: its
//! `inline_parent`, the task running it (and awaiting it next), stands for
//! its first waiter (alive: the link is cleared under the child's lock
//! before the parent's run can go on).
//!
//! Invariants: [`chain_locked`] runs with the panicking task's lock held.
//! Each further task's lock is taken with `try_lock` (so lock order cannot
//! deadlock; a busy lock ends the chain early) and held while its first
//! waiter is read and the next lock taken, which keeps the next task alive:
//! a linked waiter cannot complete before it is unlinked under that lock.

use super::lock::SpinLock;
use super::wait::{NODE_NATIVE, NODE_TASK, NODE_THREAD};
use super::{describe, inline_parent, Task};
use crate::output::{flush_stdout, write_stderr};
use crate::panic::PanicInfo;

/// Longest chain printed (a cycle of tasks awaiting each other is a deadlock
/// of those tasks, not of the walk).
const MAX_DEPTH: usize = 64;

/// The `awaited by` lines for task `t`.
///
/// # Safety
/// `t` is live and its lock is held by the caller.
pub unsafe fn chain_locked(t: *mut Task) -> Vec<String> {
    let mut lines = Vec::new();
    let mut held: Vec<&SpinLock> = Vec::new();
    let mut cur = t;
    // SAFETY: see the module invariants.
    unsafe {
        for _ in 0..MAX_DEPTH {
            let n = (*(*cur).waiters.get()).head;
            if n.is_null() {
                // A task running inline is awaited by the task that runs
                // it, not yet registered as its waiter.
                let parent = inline_parent(cur);
                if parent.is_null() {
                    break;
                }
                lines.push(format!("  awaited by task {}", describe(parent)));
                if parent == t || !(*parent).lock.try_lock() {
                    break;
                }
                if let Some(prev) = held.pop() {
                    prev.unlock();
                }
                held.push(&(*parent).lock);
                cur = parent;
                continue;
            }
            let next = match (*n).kind {
                NODE_TASK => {
                    lines.push(format!("  awaited by task {}", describe((*n).owner)));
                    (*n).owner
                }
                NODE_NATIVE => (*n).owner,
                NODE_THREAD => {
                    if (*n).is_main {
                        lines.push("  awaited by main".to_string());
                        break;
                    }
                    if (*n).owner.is_null() {
                        break;
                    }
                    lines.push(format!("  awaited by task {}", describe((*n).owner)));
                    (*n).owner
                }
                _ => break,
            };
            if next.is_null() || next == t || !(*next).lock.try_lock() {
                break;
            }
            if let Some(prev) = held.pop() {
                prev.unlock();
            }
            held.push(&(*next).lock);
            cur = next;
        }
        for l in held {
            l.unlock();
        }
    }
    lines
}

/// Prints the report of a panic that ended task `t`.
///
/// # Safety
/// `t` is live.
pub unsafe fn print_task_panic(info: &PanicInfo, t: *mut Task, chain: &[String]) {
    let mut lines = Vec::with_capacity(chain.len() + 1);
    // SAFETY: caller contract.
    lines.push(format!("  in task {}", unsafe { describe(t) }));
    lines.extend_from_slice(chain);
    print_lines(info, &lines);
}

/// Prints `info`'s report followed by `lines`, in one write to stderr (after
/// flushing stdout, so the report follows what the program printed before).
pub fn print_lines(info: &PanicInfo, lines: &[String]) {
    let mut out = info.report();
    for l in lines {
        out.extend_from_slice(l.as_bytes());
        out.push(b'\n');
    }
    flush_stdout();
    write_stderr(&out, false);
}

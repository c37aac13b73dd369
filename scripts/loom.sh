#!/usr/bin/env bash
# Model-checks the scheduler's protocols with loom (ARCHITECTURE.md §10):
# the task wake/schedule state word, the wait claim (cancel vs completion)
# and the worker parker. Builds aria-rt with `--cfg loom` in its own target
# directory (so the normal build cache is untouched) and runs the `loom_`
# tests. Extra arguments go to the test binary.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export RUSTFLAGS="${RUSTFLAGS:-} --cfg loom"
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-3}"
export CARGO_TARGET_DIR="${LOOM_TARGET_DIR:-$root/target/loom}"
exec cargo test -p aria-rt --release --lib loom_ -- --test-threads=1 "$@"

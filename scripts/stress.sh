#!/usr/bin/env bash
# Runs the seeded async stress suite (crates/aria/tests/stress.rs) on any
# seeds: each seed is a random program of spawn / await / cancel / panic /
# sleep / channel operations, run at several ARIA_THREADS values and checked
# against the model of its output (crates/aria/tests/stress/gen.rs).
#
#   scripts/stress.sh                    the 10 fixed seeds (as `cargo test`)
#   scripts/stress.sh 17 42 100-150      these seeds (ranges allowed)
#   scripts/stress.sh --count 500        500 seeds from a random start
#   scripts/stress.sh --count 500 --start 1000
#
# Options: --threads 1,2,8 (ARIA_THREADS values), --timeout SECS (per run,
# default 30), --jobs N (seeds in parallel), --no-channels, --no-sync-await,
# --no-shutdown (no tasks left running when main ends),
# --run (`aria run FILE` per run instead of one `aria build` per seed),
# --keep DIR (where programs and failing outputs go; default
# target/.../tmp/stress, printed at the start).
#
# Prints one line per seed (tasks, lines, panics, build and run times) and a
# summary; exits 1 if any seed failed. A failing seed's program, expected
# lines and actual stdout/stderr stay in the directory; rerun it alone with
# `scripts/stress.sh SEED`. Extra cargo options: CARGO_FLAGS; the build uses
# CARGO_TARGET_DIR as usual.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

seeds=()
count=""
start=""
while [ $# -gt 0 ]; do
    case "$1" in
        --count) count="$2"; shift 2 ;;
        --start) start="$2"; shift 2 ;;
        --threads) export ARIA_STRESS_THREADS="$2"; shift 2 ;;
        --timeout) export ARIA_STRESS_TIMEOUT="$2"; shift 2 ;;
        --jobs) export ARIA_STRESS_JOBS="$2"; shift 2 ;;
        --no-channels) export ARIA_STRESS_CHANNELS=0; shift ;;
        --no-sync-await) export ARIA_STRESS_SYNC_AWAIT=0; shift ;;
        --no-shutdown) export ARIA_STRESS_SHUTDOWN=0; shift ;;
        --run) export ARIA_STRESS_MODE=run; shift ;;
        --keep) export ARIA_STRESS_DIR="$(mkdir -p "$2" && cd "$2" && pwd)"; shift 2 ;;
        -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        [0-9]*) seeds+=("$1"); shift ;;
        *) echo "stress.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

if [ -n "$count" ]; then
    if [ -z "$start" ]; then
        start=$(( ($(date +%s%N) / 1000) % 1000000000 ))
    fi
    seeds+=("$start-$((start + count - 1))")
    echo "stress.sh: seeds $start..$((start + count - 1))"
fi
if [ ${#seeds[@]} -gt 0 ]; then
    ARIA_STRESS_SEEDS="$(IFS=,; echo "${seeds[*]}")"
    export ARIA_STRESS_SEEDS
fi

# shellcheck disable=SC2086
exec cargo test --release -p aria --test stress ${CARGO_FLAGS:-} -- --nocapture

#!/usr/bin/env bash
# The runtime's own tests under valgrind memcheck (ARCHITECTURE.md §10): no
# invalid read or write, no use of uninitialised memory, no definite leak.
#
# Builds the aria-rt test binaries (`cargo test -p aria-rt --release
# --no-run --message-format=json` names them; release, so a run under
# `cargo test --release` reuses what it built) and runs each of
#   - the unit tests (src/**: objects, strings, arrays, formatting, the
#     scheduler, tasks, timers, channels, ...);
#   - tests/process.rs (exit statuses; re-executes itself, so children are
#     traced too)
# under `valgrind --error-exitcode=1 --leak-check=full
# --errors-for-leak-kinds=definite`, with the suppressions of
# scripts/suppressions/valgrind.supp (runtimes are leaked by design; see there).
# "Possibly lost" blocks (thread-pool globals, thread-locals of exited
# workers) are shown but are not errors. tests/capi.rs is not run here: it
# builds and runs a C program, checked under AddressSanitizer by
# scripts/asan-capi.sh.
#
# Skipped unit tests (SKIP below), too slow or meaningless under valgrind:
#   - string::tests::many_short_strings_are_freed: 10,000,000 strings, 45 s
#     under valgrind (0.5 s natively), and it asserts RSS < 100 MiB, which
#     valgrind's own shadow memory and freed-block queue exceed;
#   - sched::tests::yield_now_interleaves_and_budget_yields: asserts two
#     tasks on a one-worker runtime alternate, which assumes the second is
#     spawned before the worker finishes the first; valgrind runs one
#     thread at a time and lets the worker run the first task to its end.
# VALGRIND_SKIP="name ..." skips more unit tests. Extra arguments go to
# every test binary (e.g. a filter: `sched::`).
# Exits 1 on a valgrind error, 101 on a failing test, 2 on a setup problem.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

SKIP=(
    string::tests::many_short_strings_are_freed
    sched::tests::yield_now_interleaves_and_budget_yields
)

if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2
    exit 2
fi

echo "valgrind.sh: building the aria-rt tests" >&2
json="$(cargo test -p aria-rt --release --no-run --message-format=json)"
# One JSON object per line; the first "name" of an artifact line is its
# target's, and only test binaries have an "executable".
exe_of() {
    printf '%s\n' "$json" | grep "\"target\":{[^}]*\"name\":\"$1\"" \
        | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1 || true
}
unit="$(exe_of aria_rt)"
process="$(exe_of process)"
if [ -z "$unit" ] || [ -z "$process" ]; then
    echo "valgrind.sh: test executables not found in cargo's output" >&2
    exit 2
fi

# VALGRIND_SKIP: more unit tests to skip (space-separated names).
read -r -a extra <<<"${VALGRIND_SKIP:-}"
skips=()
for s in "${SKIP[@]}" "${extra[@]}"; do skips+=(--skip "$s"); done

log_dir="$(mktemp -d "${TMPDIR:-/tmp}/aria-valgrind.XXXXXX")"
trap 'rm -rf "$log_dir"' EXIT
status=0
# run NAME yes|no COMMAND...: COMMAND under memcheck, its children traced or not.
run() {
    local name="$1" trace="$2"
    shift 2
    local log="$log_dir/$name.log"
    local start rc=0
    start=$(date +%s)
    # ARIA_THREADS=2: the default worker count of a 2-core machine, fixed so
    # that the run is the same everywhere.
    ARIA_THREADS=2 valgrind --error-exitcode=1 --leak-check=full \
        --errors-for-leak-kinds=definite --show-leak-kinds=definite \
        --suppressions="$root/scripts/suppressions/valgrind.supp" \
        --trace-children="$trace" --log-file="$log_dir/$name.%p.vg" \
        "$@" >"$log" 2>&1 || rc=$?
    local secs=$(($(date +%s) - start))
    local errors definite possible
    errors="$(cat "$log_dir/$name".*.vg | sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' | awk '{s+=$1} END {print s+0}')"
    definite="$(cat "$log_dir/$name".*.vg | sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' | tr -d , | awk '{s+=$1} END {print s+0}')"
    possible="$(cat "$log_dir/$name".*.vg | sed -n 's/.*possibly lost: \([0-9,]*\) bytes.*/\1/p' | tr -d , | awk '{s+=$1} END {print s+0}')"
    local tests
    tests="$(sed -n 's/^test result: .*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 passed, \2 failed/p' "$log" | tail -1)"
    echo "valgrind $name: ${tests:-no test result}; $errors errors, $definite bytes definitely lost (unsuppressed), $possible bytes possibly lost; ${secs} s"
    if [ "$rc" -ne 0 ]; then
        status=$rc
        echo "---- valgrind $name: FAILED (status $rc) ----"
        grep -v '^\.*$' "$log" | tail -40
        for vg in "$log_dir/$name".*.vg; do
            if grep -q 'ERROR SUMMARY: [1-9]' "$vg"; then
                echo "---- $(basename "$vg") ----"
                grep -v '^==[0-9]*== *$' "$vg" | head -150
            fi
        done
        echo "----"
    fi
}

run unit no "$unit" "${skips[@]}" "$@"
run process yes "$process" "$@"
exit "$status"

#!/usr/bin/env bash
# Bounded libFuzzer run of the front-end fuzz targets (ARCHITECTURE.md §10):
# lex, parse, sema and check (fuzz/fuzz_targets/*.rs).
#
# - installs cargo-fuzz (`cargo install cargo-fuzz --locked`) if missing;
# - builds every target (release, debug assertions and overflow checks on,
#   no sanitizer by default: the front end has no `unsafe`, and without ASan
#   libFuzzer runs about twice as many inputs); RUSTC_BOOTSTRAP=1 lets the
#   stable toolchain take cargo-fuzz's nightly-only flags;
# - seeds a fresh temporary corpus per target from tests/programs/**/*.aria
#   (deleted afterwards; the corpus is never committed);
# - runs each target for FUZZ_SECONDS (default 60) with -max_total_time and a
#   per-input timeout of FUZZ_TIMEOUT seconds (default 10: a hang is a crash);
# - prints one line per target: `fuzz TARGET: N executions in S s ...`;
# - exits 1 if any target crashed, timed out or ran out of memory, keeping
#   the input libFuzzer saved under fuzz/artifacts/TARGET/ (git-ignored), and
#   printing the end of the log. Reproduce with
#   `RUSTC_BOOTSTRAP=1 cargo fuzz run -O -a -s none TARGET fuzz/artifacts/TARGET/crash-...`,
#   then fix the bug and add the input as a conformance program
#   (tests/programs/errors/ or tests/programs/lexical/).
#
# Environment: FUZZ_SECONDS, FUZZ_TIMEOUT, FUZZ_TARGETS (default
# "lex parse sema check"), FUZZ_SANITIZER (default none; `address` for ASan),
# FUZZ_TARGET_DIR (default fuzz/target). Extra arguments go to libFuzzer.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

seconds="${FUZZ_SECONDS:-60}"
timeout="${FUZZ_TIMEOUT:-10}"
targets="${FUZZ_TARGETS:-lex parse sema check}"
sanitizer="${FUZZ_SANITIZER:-none}"
target_dir="${FUZZ_TARGET_DIR:-$root/fuzz/target}"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz-smoke: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

triple="$(rustc -vV | sed -n 's/^host: //p')"
echo "fuzz-smoke: building targets ($targets; sanitizer $sanitizer)" >&2
# `cargo fuzz build` builds every target; `--target-dir` keeps the
# instrumented build out of the main target directory even when
# CARGO_TARGET_DIR is set.
(cd fuzz && cargo fuzz build -O -a -s "$sanitizer" --target-dir "$target_dir" >&2)
bin_dir="$target_dir/$triple/release"

work="$(mktemp -d "${TMPDIR:-/tmp}/aria-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# One seed file per conformance program, named after its path.
seeds="$work/seeds"
mkdir -p "$seeds"
count=0
while IFS= read -r -d '' f; do
    rel="${f#tests/programs/}"
    cp "$f" "$seeds/${rel//\//__}"
    count=$((count + 1))
done < <(find tests/programs -name '*.aria' -print0)
if [ "$count" -eq 0 ]; then
    echo "fuzz-smoke: no seeds found under tests/programs" >&2
    exit 2
fi

failed=0
summary=""
for t in $targets; do
    corpus="$work/corpus-$t"
    cp -r "$seeds" "$corpus"
    artifacts="$root/fuzz/artifacts/$t"
    mkdir -p "$artifacts"
    log="$work/$t.log"
    start=$(date +%s)
    status=0
    "$bin_dir/$t" "$corpus" \
        -max_total_time="$seconds" \
        -timeout="$timeout" \
        -rss_limit_mb=2048 \
        -dict="$root/fuzz/aria.dict" \
        -artifact_prefix="$artifacts/" \
        -print_final_stats=1 \
        "$@" >"$log" 2>&1 || status=$?
    elapsed=$(($(date +%s) - start))
    # libFuzzer's final statistics; older builds only print `Done N runs` or `#N DONE`.
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    [ -n "$execs" ] || execs="$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)"
    [ -n "$execs" ] || execs="$(sed -n 's/^#\([0-9]*\)[[:space:]]*DONE.*/\1/p' "$log" | tail -1)"
    [ -n "$execs" ] || execs="?"
    units="$(find "$corpus" -type f | wc -l)"
    rate="?"
    if [ "$execs" != "?" ] && [ "$elapsed" -gt 0 ]; then rate=$((execs / elapsed)); fi
    line="fuzz $t: $execs executions in ${elapsed} s ($rate/s), corpus $count seeds -> $units inputs"
    if [ "$status" -ne 0 ]; then
        failed=1
        line="$line: FAILED (libFuzzer status $status)"
        echo "---- fuzz $t: end of libFuzzer log ----"
        grep -v '^#[0-9]' "$log" | tail -60
        kept="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)"
        [ -n "$kept" ] && echo "fuzz $t: failing input kept at $kept"
        echo "----"
    fi
    echo "$line"
    summary="$summary$line"$'\n'
done

echo "---- fuzz summary ----"
printf '%s' "$summary"
exit "$failed"

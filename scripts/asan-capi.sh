#!/usr/bin/env bash
# The C API test (crates/aria-rt/tests/capi/test_capi.c) under gcc's
# AddressSanitizer (ARCHITECTURE.md §10): builds the aria-rt staticlib in
# release (`cargo build -p aria-rt --lib --release`), compiles the C test
# with `-fsanitize=address -g` against it and runs it with leak detection
# on. Only the C code is instrumented; the Rust staticlib is not, but ASan
# replaces malloc/free for the whole process, so the runtime's heap is
# checked too (double and invalid frees, mismatched frees, leaks) and so is
# every access the C side makes to runtime memory (coroutine frames).
# The global runtime is leaked by design once shut down: LeakSanitizer is
# told so by scripts/suppressions/lsan.supp (see there); any other leak fails.
# Exits non-zero on any ASan report, a wrong output or a failed run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
crate="$root/crates/aria-rt"
cc="${ASAN_CC:-gcc}"

echo "asan-capi: building the aria-rt staticlib (release)" >&2
# The staticlib's path comes from cargo (any target directory configured).
lib="$(cargo build -p aria-rt --lib --release --message-format=json \
    | grep -o '"[^"]*/libaria_rt\.a"' | tr -d '"' | tail -1 || true)"
[ -n "$lib" ] && [ -f "$lib" ] || { echo "asan-capi: libaria_rt.a not built" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/aria-asan.XXXXXX")"
trap 'rm -rf "$work"' EXIT
exe="$work/test_capi_asan"
"$cc" -std=c11 -O1 -g -fsanitize=address -fno-omit-frame-pointer \
    -Wall -Wextra -Werror \
    -I "$crate/include" -o "$exe" "$crate/tests/capi/test_capi.c" "$lib" \
    -lpthread -ldl -lm -lrt

# halt_on_error: the first report fails the run; exitcode 23 tells an ASan
# failure from the program's own exit 1.
status=0
ARIA_THREADS=2 \
    ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=23:detect_stack_use_after_return=1:strict_string_checks=1" \
    LSAN_OPTIONS="suppressions=$root/scripts/suppressions/lsan.supp:print_suppressions=0" \
    "$exe" >"$work/out" 2>"$work/err" || status=$?
expected="capi ok: 1000 coroutines x 5 steps, 100 parents, sum 500500"
out="$(cat "$work/out")"
if [ "$status" -eq 0 ] && [ "$out" = "$expected" ] && [ ! -s "$work/err" ]; then
    echo "asan-capi: ok, no AddressSanitizer or LeakSanitizer report ($out)"
    exit 0
fi
echo "asan-capi: FAILED (status $status)"
echo "---- stdout ----"
cat "$work/out"
echo "---- stderr ----"
head -200 "$work/err"
exit 1

#!/usr/bin/env bash
# Regenerates crates/aria-rt/include/aria_rt.h (the scheduler's C API) with
# cbindgen from crates/aria-rt/src/capi.rs. Installs cbindgen from crates.io
# (`cargo install cbindgen`) when it is not on PATH.
#   scripts/gen-header.sh          write the header
#   scripts/gen-header.sh --check  fail if the committed header is out of date
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
crate="$root/crates/aria-rt"
header="$crate/include/aria_rt.h"

if ! command -v cbindgen >/dev/null 2>&1; then
    if [ -x "$HOME/.cargo/bin/cbindgen" ]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    else
        echo "gen-header: installing cbindgen (cargo install cbindgen)" >&2
        cargo install --locked cbindgen >&2
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
fi

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
(cd "$crate" && cbindgen --quiet --config cbindgen.toml -o "$out" src/capi.rs)

if [ "${1:-}" = "--check" ]; then
    if ! diff -u "$header" "$out"; then
        echo "gen-header: $header is out of date; run scripts/gen-header.sh" >&2
        exit 1
    fi
    echo "gen-header: $header is up to date"
else
    mkdir -p "$(dirname "$header")"
    cp "$out" "$header"
    echo "gen-header: wrote $header"
fi

#!/usr/bin/env bash
# Measures the CPU an idle Aria program burns: one task sleeping 3 s.
# ARCHITECTURE.md §6: idle workers park; target < 3% of one core.
set -euo pipefail
aria="${ARIA:-$(dirname "$0")/../target/release/aria}"
prog=$(mktemp --suffix=.aria)
trap 'rm -f "$prog"' EXIT
cat > "$prog" <<'ARIA'
async func:main = int32() {
    await sleep(3000);
    pass(0);
};
ARIA
/usr/bin/time -f '%U %S %e' "$aria" run "$prog" 2>&1 | tail -1 |
  awk '{ cpu = $1 + $2; printf "idle: user+sys %.2f s over %.2f s wall = %.1f%% of one core\n", cpu, $3, 100 * cpu / $3 }'

#!/usr/bin/env bash
# Resident size of examples/http_hello.aria after 10,000 and after 1,000,000
# requests (issue 4: the second within 1.5x the first).
#
#   scripts/http-rss.sh
#
# Starts the server, then drives it with `wrk -t2 -c100` (keep-alive) up to
# each checkpoint in turn: a wrk Lua script (response()) stops each wrk
# thread once it has received its share of the requests, and wrk is then
# interrupted (it prints its statistics on SIGINT). After each run the
# clients have closed; the script waits for the server's connections to be
# gone (its fd count back to the count before any load) and reads VmRSS from
# /proc/PID/status. Prints one line per checkpoint and the ratio; exits 1
# when a request failed (wrk socket errors or non-2xx), the server died, or
# the last RSS exceeds RSS_RATIO_MAX (1.5) times the first.
#
# ARIA: the aria binary (default target/release/aria); ARIA_MODE=build runs
# the `aria build` executable instead of `aria run`. CHECKPOINTS: cumulative
# request counts (default "10000 100000 1000000"); the ratio is last/first.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ARIA=${ARIA:-$ROOT/target/release/aria}
# shellcheck source=../examples/tests/lib.sh
source "$ROOT/examples/tests/lib.sh"

CHECKPOINTS=${CHECKPOINTS:-10000 100000 1000000}
RSS_RATIO_MAX=${RSS_RATIO_MAX:-1.5}
THREADS=2
CONNS=100

[ -x "$ARIA" ] || fail "no aria binary at $ARIA (build it, or set ARIA)"
need wrk wrk

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }
fds() {
    local f=("/proc/$SERVER_PID/fd/"*)
    echo "${#f[@]}"
}

# Each wrk thread counts the responses it receives and, at WRK_LIMIT, stops
# and creates the file WRK_DONE/ID. (The count can overshoot by a few:
# responses that arrive in the same event-loop pass as the last one are
# still counted.)
cat >"$WORK/limit.lua" <<'LUA'
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("id", threads)
end

local limit = tonumber(os.getenv("WRK_LIMIT"))
local n = 0
function response(status, headers, body)
    n = n + 1
    if n == limit then
        wrk.thread:stop()
        io.open(os.getenv("WRK_DONE") .. "/" .. id, "w"):close()
    end
end
LUA

start_server "$ROOT/examples/http_hello.aria"
URL="http://127.0.0.1:$PORT/"
fds0=$(fds)
echo "start: RSS $(rss) kB, $fds0 fds"

# drive N: about N more requests (N / THREADS per wrk thread); adds the
# number wrk completed to DONE.
DONE=0
drive() {
    local per=$((($1 + THREADS - 1) / THREADS)) pid files got
    rm -rf "$WORK/done" && mkdir "$WORK/done"
    WRK_LIMIT=$per WRK_DONE=$WORK/done \
        wrk -t"$THREADS" -c"$CONNS" -d600s -s "$WORK/limit.lua" "$URL" >"$WORK/wrk" 2>&1 &
    pid=$!
    # wrk's main thread sleeps for -d (the bound), or until SIGINT, then
    # prints the statistics: interrupt it once every thread has stopped.
    for _ in $(seq 1 6000); do
        files=("$WORK/done/"*)
        [ -e "${files[0]}" ] && [ "${#files[@]}" -ge "$THREADS" ] && break
        kill -0 "$pid" 2>/dev/null || break
        kill -0 "$SERVER_PID" 2>/dev/null || fail "the server died under load"
        sleep 0.1
    done
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" || fail "wrk failed: $(cat "$WORK/wrk")"
    if grep -q "Socket errors" "$WORK/wrk"; then fail "wrk: $(grep 'Socket errors' "$WORK/wrk")"; fi
    if grep -q "Non-2xx" "$WORK/wrk"; then fail "wrk: $(grep 'Non-2xx' "$WORK/wrk")"; fi
    got=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$WORK/wrk")
    [ -n "$got" ] && [ "$got" -ge "$((per * THREADS))" ] \
        || fail "wrk completed ${got:-no} requests of $((per * THREADS)): $(cat "$WORK/wrk")"
    DONE=$((DONE + got))
    RATE=$(sed -n 's/^Requests\/sec: *//p' "$WORK/wrk")
}

# settle: waits (at most 15 s) until the server has closed the connections.
settle() {
    for _ in $(seq 1 150); do
        [ "$(fds)" -le "$fds0" ] && return 0
        sleep 0.1
    done
    fail "the server still has $(fds) fds ($fds0 before the load) 15 s after the clients closed"
}

first= last=
for target in $CHECKPOINTS; do
    [ "$target" -gt "$DONE" ] || continue
    drive $((target - DONE))
    server_alive
    settle
    r=$(rss)
    printf 'after %9d requests: RSS %6d kB  (%s fds; last wrk run %s req/s)\n' "$DONE" "$r" "$(fds)" "$RATE"
    [ -n "$first" ] || first=$r
    last=$r
done
ratio=$(awk -v a="$last" -v b="$first" 'BEGIN { printf "%.3f", a / b }')
echo "RSS ratio last/first: $ratio (limit $RSS_RATIO_MAX); 0 socket errors, 0 non-2xx"
awk -v r="$ratio" -v m="$RSS_RATIO_MAX" 'BEGIN { exit !(r <= m) }' \
    || fail "RSS after $DONE requests is $ratio x the first checkpoint's"
echo "http-rss: ok"

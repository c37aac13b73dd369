#!/usr/bin/env bash
# Soak test of the example servers (docs/SOAK.md):
#  1. examples/http_hello.aria under `wrk -t2 -c100` for SOAK_SECS (300);
#  2. examples/echo_server.aria with 1,000 concurrent connections doing
#     64-byte round trips, every byte checked (scripts/echo_soak.py), for
#     ECHO_SECS (300).
# For each: zero errors, the server alive at the end, its resident size
# (VmRSS) sampled every 10 s into $SOAK_LOG/{http,echo}.csv, and no file
# descriptor leak: once every client has closed, /proc/PID/fd has as many
# entries as before the load (measured after a warm-up, see below).
#
#   scripts/soak.sh                          the full run (about 11 minutes)
#   SOAK_SECS=20 ECHO_SECS=20 scripts/soak.sh   a quick one
#
# ARIA: the aria binary (default target/release/aria). ARIA_MODE: `run`
# (default, `aria run FILE`, what users do) or `build` (`aria build` each
# server, then run the executable). SOAK_LOG: where the CSV files go
# (default target/soak). ECHO_CONNS: echo connections (1000). RSS_RATIO_MAX:
# the largest allowed ratio of the last RSS sample under load to the one
# taken 10 s into the load (1.5). Exits 1 on the first failure.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ARIA=${ARIA:-$ROOT/target/release/aria}
# shellcheck source=../examples/tests/lib.sh
source "$ROOT/examples/tests/lib.sh"

ARIA_MODE=${ARIA_MODE:-run}
SOAK_SECS=${SOAK_SECS:-300}
ECHO_SECS=${ECHO_SECS:-300}
ECHO_CONNS=${ECHO_CONNS:-1000}
SOAK_LOG=${SOAK_LOG:-$ROOT/target/soak}
RSS_RATIO_MAX=${RSS_RATIO_MAX:-1.5}
INTERVAL=10           # seconds between RSS samples
SETTLE=15             # seconds allowed for the fd count to come back after the load

[ -x "$ARIA" ] || fail "no aria binary at $ARIA (build it, or set ARIA)"
case "$ARIA_MODE" in run | build) ;; *) fail "ARIA_MODE must be run or build" ;; esac
need wrk wrk
need curl curl
need python3 python3
mkdir -p "$SOAK_LOG"

# 1,000 connections need 1,000 descriptors in the server and as many in the
# client (both inherit this limit): raise the soft limit as far as allowed.
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -ge 65536 ]; then ulimit -n 65536; else ulimit -n "$hard"; fi
[ "$(ulimit -n)" -ge $((ECHO_CONNS + 256)) ] \
    || fail "the fd limit ($(ulimit -n), hard $hard) is too low for $ECHO_CONNS connections"

echo "soak: $("$ARIA" --version 2>/dev/null || echo aria), mode $ARIA_MODE, fd limit $(ulimit -n)"
echo "soak: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), Linux $(uname -r)"

stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status"; }
fds() {
    local f=("/proc/$SERVER_PID/fd/"*)
    echo "${#f[@]}"
}

# watch LOADPID CSV SECS: while the load client LOADPID runs, checks the
# server every second and appends a sample (seconds since the start, unix
# time, VmRSS in kB, open fds) to CSV every INTERVAL seconds. Kills the
# client and fails if it is still running SECS + 90 s after the start.
# Sets PEAK_RSS (largest sample) and the samples REF_RSS (first taken at
# least INTERVAL s into the load) and LAST_RSS (last one under load).
watch() {
    local pid=$1 csv=$2 limit=$(($3 + 90)) t0=$SECONDS next=0 now r f
    echo "t_s,unix_time,rss_kb,fds" >"$csv"
    PEAK_RSS=0 REF_RSS= LAST_RSS=
    while kill -0 "$pid" 2>/dev/null; do
        kill -0 "$SERVER_PID" 2>/dev/null || { kill "$pid" 2>/dev/null || true; fail "the server died under load"; }
        now=$((SECONDS - t0))
        if [ "$now" -ge "$next" ]; then
            r=$(rss) f=$(fds)
            echo "$now,$(date +%s),$r,$f" >>"$csv"
            [ "$r" -gt "$PEAK_RSS" ] && PEAK_RSS=$r
            if [ "$now" -ge "$INTERVAL" ]; then
                [ -n "$REF_RSS" ] || REF_RSS=$r
                LAST_RSS=$r
            fi
            next=$((next + INTERVAL))
        fi
        if [ "$now" -gt "$limit" ]; then
            kill "$pid" 2>/dev/null || true
            fail "the load client was still running after ${limit}s"
        fi
        sleep 1
    done
}

# settle BEFORE [SECS]: waits (at most SECS, default SETTLE) for the server's
# fd count to come back to BEFORE once every client has closed; sets FDS_AFTER.
settle() {
    for _ in $(seq 1 $((${2:-$SETTLE} * 10))); do
        FDS_AFTER=$(fds)
        [ "$FDS_AFTER" -le "$1" ] && return 0
        sleep 0.1
    done
}

# check_rss NAME: the last RSS sample under load is at most RSS_RATIO_MAX
# times the one taken INTERVAL s into the load (a short run has none: skipped).
check_rss() {
    [ -n "$REF_RSS" ] && [ "$LAST_RSS" != "$REF_RSS" ] || return 0
    awk -v a="$LAST_RSS" -v b="$REF_RSS" -v m="$RSS_RATIO_MAX" 'BEGIN { exit !(a <= b * m) }' \
        || fail "$1: RSS grew from $REF_RSS kB (${INTERVAL} s into the load) to $LAST_RSS kB (> ${RSS_RATIO_MAX}x)"
}

# fd_list: what the server's descriptors are, counted by kind (for a failure).
fd_list() { find "/proc/$SERVER_PID/fd/" -mindepth 1 -printf '%l\n' | sed 's/:\[.*//' | sort | uniq -c; }

summary=()

# --- Phase 1: http_hello under wrk --------------------------------------
echo
echo "== phase 1: http_hello, wrk -t2 -c100 -d${SOAK_SECS}s"
start_server "$ROOT/examples/http_hello.aria"
URL="http://127.0.0.1:$PORT/"
fds_start=$(fds) rss_start0=$(rss)
# Warm-up: a few requests on fresh connections, so that descriptors the
# runtime creates once, on first use, are counted in "before".
for _ in 1 2 3 4 5; do
    [ "$(timeout 10 curl -s "$URL")" = "Hello, World!" ] || fail "warm-up request failed"
done
settle "$fds_start" 3
fds_before=$FDS_AFTER rss_before=$(rss)
echo "after start: $fds_start fds, RSS $rss_start0 kB; after warm-up: $fds_before fds, RSS $rss_before kB"

wrk -t2 -c100 -d"${SOAK_SECS}s" "$URL" >"$WORK/wrk" 2>&1 &
wrk_pid=$!
watch "$wrk_pid" "$SOAK_LOG/http.csv" "$SOAK_SECS"
wait "$wrk_pid" || fail "wrk failed: $(cat "$WORK/wrk")"
cat "$WORK/wrk"
server_alive
rss_load_end=$(rss)
settle "$fds_before"
rss_end=$(rss) hwm=$(hwm)
echo "end,$(date +%s),$rss_end,$FDS_AFTER" >>"$SOAK_LOG/http.csv"
requests=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$WORK/wrk")
rate=$(sed -n 's/^Requests\/sec: *//p' "$WORK/wrk")
[ -n "$requests" ] && [ "$requests" -gt 0 ] || fail "wrk completed no request"
# wrk prints these lines only when there is something to report.
if grep -q "Socket errors" "$WORK/wrk"; then fail "http: wrk: $(grep 'Socket errors' "$WORK/wrk")"; fi
if grep -q "Non-2xx" "$WORK/wrk"; then fail "http: wrk: $(grep 'Non-2xx' "$WORK/wrk")"; fi
[ "$FDS_AFTER" -le "$fds_before" ] \
    || fail "http: fd leak: $fds_before fds before the load, $FDS_AFTER ${SETTLE}s after it; now:
$(fd_list)"
check_rss http
summary+=("http_hello: $requests requests in ${SOAK_SECS}s ($rate req/s), 0 socket errors, 0 non-2xx;"
    "  RSS kB: start $rss_before, 10 s into the load ${REF_RSS:--}, peak sample $PEAK_RSS (VmHWM $hwm), last under load ${LAST_RSS:--}, after $rss_end;"
    "  fds: $fds_before before, $FDS_AFTER after (samples: $SOAK_LOG/http.csv)")
stop_server

# --- Phase 2: echo_server with ECHO_CONNS connections ---------------------
echo
echo "== phase 2: echo_server, $ECHO_CONNS connections x 64-byte round trips for ${ECHO_SECS}s"
start_server "$ROOT/examples/echo_server.aria"
fds_start=$(fds) rss_start0=$(rss)
timeout 20 python3 "$ROOT/scripts/echo_soak.py" "$PORT" 5 1 64 >/dev/null || fail "echo warm-up failed"
settle "$fds_start" 3
fds_before=$FDS_AFTER rss_before=$(rss)
echo "after start: $fds_start fds, RSS $rss_start0 kB; after warm-up: $fds_before fds, RSS $rss_before kB"

python3 "$ROOT/scripts/echo_soak.py" "$PORT" "$ECHO_CONNS" "$ECHO_SECS" 64 >"$WORK/echo" 2>&1 &
echo_pid=$!
watch "$echo_pid" "$SOAK_LOG/echo.csv" "$ECHO_SECS"
echo_rc=0
wait "$echo_pid" || echo_rc=$?
cat "$WORK/echo"
[ "$echo_rc" = 0 ] || fail "echo: the client reported errors (exit $echo_rc)"
server_alive
settle "$fds_before"
rss_end=$(rss) hwm=$(hwm)
echo "end,$(date +%s),$rss_end,$FDS_AFTER" >>"$SOAK_LOG/echo.csv"
peak_fds=$(awk -F, 'NR > 1 && $4 > m { m = $4 } END { print m + 0 }' "$SOAK_LOG/echo.csv")
[ "$peak_fds" -ge "$ECHO_CONNS" ] || fail "echo: at most $peak_fds server fds in the samples: the $ECHO_CONNS connections were not all open"
[ "$FDS_AFTER" -le "$fds_before" ] \
    || fail "echo: fd leak: $fds_before fds before the load, $FDS_AFTER ${SETTLE}s after it; now:
$(fd_list)"
check_rss echo
summary+=("echo_server: $(sed -n 's/^echo_soak: [0-9]* connections x 64-byte messages for \([0-9.]*s\): \(.*\)$/\1: \2/p' "$WORK/echo")"
    "  RSS kB: start $rss_before, 10 s into the load ${REF_RSS:--}, peak sample $PEAK_RSS (VmHWM $hwm), last under load ${LAST_RSS:--}, after $rss_end;"
    "  fds: $fds_before before, up to $peak_fds under load, $FDS_AFTER after (samples: $SOAK_LOG/echo.csv)")
stop_server

echo
echo "== soak: ok ($(date -u +%Y-%m-%dT%H:%MZ))"
printf '%s\n' "${summary[@]}"

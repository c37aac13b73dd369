#!/usr/bin/env bash
# Drives examples/echo_server.aria with real clients:
#  1. 8 concurrent nc clients, each sending 256 KiB of random bytes: every
#     byte comes back, in order;
#  2. 100 connections x 1,000 messages of 64 bytes (echo_load.py), every
#     message checked before the next is sent.
# Usage: ARIA=path/to/aria examples/tests/echo_server.sh
source "$(dirname "$0")/lib.sh"
need nc netcat-openbsd
need python3 python3

start_server "$EXAMPLES/echo_server.aria"

pids=()
for i in $(seq 1 8); do
    head -c 262144 /dev/urandom >"$WORK/in.$i"
    # -N: shut down the sending side at end of input; nc exits when the
    # server has echoed everything and closed.
    timeout 30 nc -N 127.0.0.1 "$PORT" <"$WORK/in.$i" >"$WORK/out.$i" &
    pids+=($!)
done
for i in $(seq 1 8); do
    wait "${pids[$((i - 1))]}" || fail "nc client $i failed or timed out"
    cmp -s "$WORK/in.$i" "$WORK/out.$i" \
        || fail "nc client $i: echoed bytes differ ($(stat -c %s "$WORK/out.$i") of 262144 bytes back)"
done
echo "nc: 8 concurrent clients, 8 x 262144 bytes echoed exactly"
server_alive

timeout 120 python3 "$(dirname "$0")/echo_load.py" "$PORT" 100 1000 64 60 \
    || fail "echo_load.py failed"
server_alive
echo "echo_server: ok"

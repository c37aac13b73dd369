#!/usr/bin/env bash
# Drives examples/chat.aria with 3 nc clients: each is welcomed, then a line
# from each one reaches all three (itself included), in the same order for
# all; after a client leaves, the others still chat.
# Usage: ARIA=path/to/aria examples/tests/chat.sh
source "$(dirname "$0")/lib.sh"
need nc netcat-openbsd

start_server "$EXAMPLES/chat.aria"

# wait_for FILE LINE: waits (at most 10 s) until FILE has the line LINE.
wait_for() {
    local i
    for i in $(seq 1 200); do
        grep -qFx -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    fail "$(basename "$1") never got '$2'; it has: $(cat "$1")"
}

pids=()
for i in 1 2 3; do
    mkfifo "$WORK/in.$i"
    # -N: at end of input shut down the sending side (the server sees the
    # client leave) and exit once the server closed the connection.
    timeout 60 nc -N 127.0.0.1 "$PORT" <"$WORK/in.$i" >"$WORK/out.$i" &
    pids+=($!)
    exec {fd}>"$WORK/in.$i"                     # keeps nc's input open
    eval "fd$i=$fd"
    # Joining is asynchronous: wait for the welcome before the next client.
    wait_for "$WORK/out.$i" "* welcome, you are client $i; $i online"
done
echo "3 clients connected and welcomed"

for i in 1 2 3; do
    eval "echo 'hello from client $i' >&\$fd$i"
    for j in 1 2 3; do wait_for "$WORK/out.$j" "[$i] hello from client $i"; done
done
echo "a line from each client reached all 3"
# Same order everywhere: the chat lines (without the welcome) are identical.
for j in 1 2 3; do grep -v '^\* welcome' "$WORK/out.$j" >"$WORK/lines.$j"; done
cmp -s "$WORK/lines.1" "$WORK/lines.2" && cmp -s "$WORK/lines.1" "$WORK/lines.3" \
    || fail "clients saw different lines: $(head "$WORK"/lines.*)"

# Client 3 leaves; 1 and 2 go on.
exec {fd3}>&-
wait "${pids[2]}" || fail "nc client 3 did not end after leaving"
echo "two left" >&"$fd1"
for j in 1 2; do wait_for "$WORK/out.$j" "[1] two left"; done
if grep -qF "two left" "$WORK/out.3"; then fail "a client that left still got lines"; fi
echo "client 3 left; the others still chat"
exec {fd1}>&- {fd2}>&-
wait "${pids[0]}" || fail "nc client 1 did not end"
wait "${pids[1]}" || fail "nc client 2 did not end"
server_alive
echo "chat: ok"

#!/usr/bin/env bash
# Drives examples/http_hello.aria with real clients:
#  1. curl, keep-alive: three requests on one connection, three bodies;
#  2. three pipelined requests (one with a body) in a single write: three
#     responses, in order;
#  3. wrk -t2 -c100 -d10s (issue 4's figure): no socket errors, no non-2xx responses.
# Usage: ARIA=path/to/aria examples/tests/http_hello.sh
source "$(dirname "$0")/lib.sh"
need curl curl
need nc netcat-openbsd
need wrk wrk

start_server "$EXAMPLES/http_hello.aria"
URL="http://127.0.0.1:$PORT"

body=$(timeout 20 curl -s --http1.1 "$URL/" "$URL/a" "$URL/b") || fail "curl failed"
[ "$body" = "Hello, World!Hello, World!Hello, World!" ] || fail "curl bodies: '$body'"
connects=$(timeout 20 curl -s --http1.1 -o /dev/null -o /dev/null -o /dev/null \
    -w '%{http_code}:%{num_connects} ' "$URL/" "$URL/a" "$URL/b") || fail "curl failed"
[ "$connects" = "200:1 200:0 200:0 " ] || fail "curl status:new-connections per request: '$connects'"
headers=$(timeout 20 curl -s --http1.1 -D - -o /dev/null "$URL/") || fail "curl failed"
grep -q $'^HTTP/1.1 200 OK\r$' <<<"$headers" || fail "status line: $headers"
grep -q $'^Content-Length: 13\r$' <<<"$headers" || fail "Content-Length: $headers"
echo "curl: 3 requests on 1 connection, 3 bodies 'Hello, World!'"

printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\nPOST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /z HTTP/1.1\r\nHost: x\r\n\r\n' \
    | timeout 20 nc -N 127.0.0.1 "$PORT" >"$WORK/pipelined" || fail "nc failed"
# A body has no line end: the next status line follows it on the same line.
n=$(grep -o $'HTTP/1.1 200 OK\r$' "$WORK/pipelined" | wc -l)
[ "$n" = 3 ] || fail "pipelined: $n status lines of 3: $(cat -A "$WORK/pipelined")"
[ "$(grep -o 'Hello, World!' "$WORK/pipelined" | wc -l)" = 3 ] || fail "pipelined: bodies"
echo "pipelining: 3 requests in one write, 3 responses"
server_alive

timeout 60 wrk -t2 -c100 -d10s "$URL/" >"$WORK/wrk" 2>&1 || fail "wrk failed: $(cat "$WORK/wrk")"
cat "$WORK/wrk"
requests=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$WORK/wrk")
[ -n "$requests" ] && [ "$requests" -gt 0 ] || fail "wrk completed no request"
# wrk prints these lines only when there is something to report.
if grep -q "Socket errors" "$WORK/wrk"; then fail "wrk: $(grep 'Socket errors' "$WORK/wrk")"; fi
if grep -q "Non-2xx" "$WORK/wrk"; then fail "wrk: $(grep 'Non-2xx' "$WORK/wrk")"; fi
echo "wrk: $requests requests, 0 socket errors, 0 non-2xx responses"
server_alive
echo "http_hello: ok"

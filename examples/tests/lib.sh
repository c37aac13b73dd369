# Shared by the example test scripts (sourced, not run).
#
# ARIA: the aria binary (default: `aria` on PATH). start_server FILE runs
# `$ARIA run FILE` in the background (with ARIA_MODE=build: `$ARIA build`s
# it, then runs the executable) and sets SERVER_PID and PORT (the first
# line the server prints); the server is killed when the script exits.

set -euo pipefail

ARIA=${ARIA:-aria}
EXAMPLES=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/aria-example.XXXXXX")
SERVER_PID=
PORT=

cleanup() {
    # This script's own background clients (nc...), then the server.
    local j
    for j in $(jobs -p); do
        [ "$j" = "$SERVER_PID" ] || kill "$j" 2>/dev/null || true
    done
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "FAIL: $*" >&2
    if [ -s "$WORK/server.err" ]; then
        echo "--- server stderr:" >&2
        head -n 40 "$WORK/server.err" >&2
    fi
    exit 1
}

# need COMMAND PACKAGE: installs the Debian package when the command is missing.
need() {
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "installing $2 (for $1)" >&2
    local sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    if [ -z "${APT_UPDATED:-}" ]; then
        timeout 300 $sudo apt-get update -qq >&2 || true
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive timeout 300 $sudo apt-get install -y -qq "$2" >&2 \
        || fail "cannot install $2"
    command -v "$1" >/dev/null 2>&1 || fail "$1 is still missing after installing $2"
}

start_server() {
    if [ "${ARIA_MODE:-run}" = build ]; then
        local exe
        exe="$WORK/$(basename "$1" .aria)"
        "$ARIA" build -o "$exe" "$1" >"$WORK/build.log" 2>&1 \
            || fail "aria build $1: $(cat "$WORK/build.log")"
        "$exe" >"$WORK/server.out" 2>"$WORK/server.err" &
    else
        "$ARIA" run "$1" >"$WORK/server.out" 2>"$WORK/server.err" &
    fi
    SERVER_PID=$!
    local i
    for i in $(seq 1 200); do
        if [ -s "$WORK/server.out" ] && PORT=$(head -n 1 "$WORK/server.out") \
            && [[ "$PORT" =~ ^[0-9]+$ ]]; then
            echo "$(basename "$1"): listening on 127.0.0.1:$PORT (${ARIA_MODE:-run})"
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || fail "$1 exited before printing its port"
        sleep 0.05
    done
    fail "$1 printed no port within 10 s"
}

server_alive() {
    kill -0 "$SERVER_PID" 2>/dev/null || fail "the server died"
}

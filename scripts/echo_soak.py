#!/usr/bin/env python3
"""Soak client for examples/echo_server.aria (used by scripts/soak.sh).

    echo_soak.py PORT [CONNECTIONS [SECONDS [SIZE]]]

Opens CONNECTIONS connections to 127.0.0.1:PORT (default 1000) and waits
until all of them are established, so they are open at the same time. Then,
for SECONDS (default 300), each connection does round trips: send SIZE
random bytes (default 64), read exactly SIZE bytes back and check they are
the same bytes, then the next one. At the end every connection shuts down
its sending side and must read end of stream (nothing extra) before it
closes.

Prints one line: connections, round trips, rate, min/max round trips per
connection. Exits 0 when every connection was established, every message
came back exactly and every connection ended cleanly; 1 otherwise (the first
errors are printed). Bounded: a stalled read fails after STALL seconds (10)
and the whole run is cancelled SECONDS + 60 s after it started.
"""
import asyncio
import os
import resource
import socket
import sys
import time

STALL = 10.0          # seconds one read may wait before it counts as an error
CONNECT_TIMEOUT = 30.0


async def connect(port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return reader, writer


async def run_one(index, conn, size, deadline, counts):
    reader, writer = conn
    n = 0
    try:
        while time.monotonic() < deadline:
            msg = os.urandom(size)
            writer.write(msg)
            got = await asyncio.wait_for(reader.readexactly(size), STALL)
            if got != msg:
                raise ValueError(f"round trip {n}: echoed bytes differ")
            n += 1
            counts[index] = n
        writer.write_eof()
        rest = await asyncio.wait_for(reader.read(1), STALL)
        if rest != b"":
            raise ValueError(f"extra bytes after the last round trip: {rest!r}")
        return None
    except Exception as e:  # noqa: BLE001 - reported by main
        return f"connection {index}: {type(e).__name__}: {e} (after {n} round trips)"
    finally:
        writer.close()


async def amain(port, conns, seconds, size):
    start = time.monotonic()
    results = await asyncio.wait_for(
        asyncio.gather(*(connect(port) for _ in range(conns)), return_exceptions=True),
        CONNECT_TIMEOUT,
    )
    errors = [f"connect {i}: {type(r).__name__}: {r}" for i, r in enumerate(results)
              if isinstance(r, BaseException)]
    opened = [r for r in results if not isinstance(r, BaseException)]
    if errors:
        for _, w in opened:
            w.close()
        return errors, 0, [], time.monotonic() - start, 0.0
    t_open = time.monotonic() - start
    print(f"echo_soak: {conns} connections open at once after {t_open:.2f}s", flush=True)
    begin = time.monotonic()
    deadline = begin + seconds
    counts = [0] * conns
    outcomes = await asyncio.wait_for(
        asyncio.gather(*(run_one(i, c, size, deadline, counts) for i, c in enumerate(opened))),
        seconds + 60,
    )
    elapsed = time.monotonic() - begin
    errors = [o for o in outcomes if o is not None]
    return errors, sum(counts), counts, elapsed, t_open


def main():
    args = [int(a) for a in sys.argv[1:]]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    port = args[0]
    conns, seconds, size = (args[1:] + [1000, 300, 64][len(args) - 1:])[:3]
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < conns + 64:
        print(f"echo_soak: the fd limit ({soft}) is too low for {conns} connections",
              file=sys.stderr)
        return 1
    try:
        errors, total, counts, elapsed, _ = asyncio.run(amain(port, conns, seconds, size))
    except asyncio.TimeoutError:
        print("echo_soak: FAIL: the run did not finish in time", file=sys.stderr)
        return 1
    if not errors and counts and min(counts) == 0:
        errors = [f"{counts.count(0)} connection(s) completed no round trip"]
    rate = total / elapsed if elapsed > 0 else 0.0
    per = f", per connection min {min(counts)} max {max(counts)}" if counts else ""
    print(f"echo_soak: {conns} connections x {size}-byte messages for {elapsed:.1f}s: "
          f"{total} round trips verified ({rate:.0f}/s){per}; {len(errors)} error(s)")
    for e in errors[:10]:
        print("  " + e)
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())

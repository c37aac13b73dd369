#!/usr/bin/env python3
"""Load client for examples/echo_server.aria.

    echo_load.py PORT [CONNECTIONS [MESSAGES [SIZE [SECONDS]]]]

Opens CONNECTIONS connections to 127.0.0.1:PORT at once (default 100); on
each, sends MESSAGES messages (default 1000) of SIZE random bytes (default
64), one at a time, and checks that exactly the same bytes come back before
sending the next. Everything must be done within SECONDS (default 60).
Exits 0 when every byte of every message was echoed, 1 otherwise.
"""
import os
import socket
import sys
import threading
import time


def client(port, messages, size, deadline, results, index):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for m in range(messages):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"deadline passed at message {m}")
                s.settimeout(left)
                msg = os.urandom(size)
                s.sendall(msg)
                got = b""
                while len(got) < size:
                    chunk = s.recv(size - len(got))
                    if not chunk:
                        raise ConnectionError(f"server closed at message {m}")
                    got += chunk
                if got != msg:
                    raise ValueError(f"message {m}: echoed bytes differ")
            s.shutdown(socket.SHUT_WR)
            if s.recv(1) != b"":
                raise ValueError("extra bytes after the last message")
        results[index] = None
    except Exception as e:  # noqa: BLE001 - reported below
        results[index] = f"connection {index}: {type(e).__name__}: {e}"


def main():
    args = [int(a) for a in sys.argv[1:]]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    port = args[0]
    conns, messages, size, seconds = (args[1:] + [100, 1000, 64, 60][len(args) - 1:])[:4]
    start = time.monotonic()
    deadline = start + seconds
    results = [f"connection {i}: did not finish" for i in range(conns)]
    threads = [
        threading.Thread(target=client, args=(port, messages, size, deadline, results, i))
        for i in range(conns)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()) + 15)
    elapsed = time.monotonic() - start
    errors = [r for r in results if r is not None]
    total = conns * messages
    ok = total if not errors else None
    print(
        f"echo_load: {conns} connections x {messages} messages x {size} bytes: "
        f"{'all ' + str(total) + ' verified' if ok else str(len(errors)) + ' connection(s) failed'} "
        f"in {elapsed:.2f}s"
    )
    for e in errors[:10]:
        print("  " + e)
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())

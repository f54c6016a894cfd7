#!/usr/bin/env python3
"""A loopback TCP proxy for tests of downloads that go wrong.

tcp_proxy.py UPSTREAM_HOST:PORT --port-file FILE [--rate BYTES_PER_S] [--cut-after BYTES] [--log FILE]

Listens on a free 127.0.0.1 port and writes its number to --port-file (then
prints "ready"). Every
connection is forwarded to UPSTREAM; what flows back to the client is sent at
most --rate bytes per second, and the first connection whose answer reaches
--cut-after bytes is closed there, once (a broken download). When a
connection ends, a line "down BYTES" is appended to --log, so a test can tell
how much was fetched.
"""
import argparse
import os
import socket
import sys
import threading
import time

cut_done = threading.Event()
log_lock = threading.Lock()


def pump_up(client, upstream):
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            upstream.sendall(data)
    except OSError:
        pass
    finally:
        try:
            upstream.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(client, args):
    host, port = args.upstream.rsplit(":", 1)
    upstream = socket.create_connection((host, int(port)))
    threading.Thread(target=pump_up, args=(client, upstream), daemon=True).start()
    sent = 0
    start = time.monotonic()
    try:
        while True:
            data = upstream.recv(16384)
            if not data:
                break
            if args.cut_after and not cut_done.is_set() and sent + len(data) >= args.cut_after:
                cut_done.set()
                client.sendall(data[: max(0, args.cut_after - sent)])
                sent = args.cut_after
                break
            client.sendall(data)
            sent += len(data)
            if args.rate:
                ahead = sent / args.rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
    except OSError:
        pass
    finally:
        # shutdown() sends the FIN at once (and wakes the other thread's
        # recv); close() alone would wait for that thread.
        for s in (client, upstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        if args.log:
            with log_lock, open(args.log, "a") as f:
                f.write(f"down {sent}\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("upstream")
    p.add_argument("--rate", type=int, default=0)
    p.add_argument("--cut-after", type=int, default=0)
    p.add_argument("--log", default="")
    p.add_argument("--port-file", required=True)
    args = p.parse_args()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    print("ready", flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client, args), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())

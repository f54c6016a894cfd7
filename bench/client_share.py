#!/usr/bin/env python3
"""How much of each timed client command was spent outside berthd.

Usage: client_share.py BERTHD_LOG RUNS_FILE

BERTHD_LOG is a berthd log written at debug level, where every gRPC call is
logged when its status is sent: "<ISO time> debug grpc <method> -> <code> in
<N> us". RUNS_FILE holds one "<start> <end>" line (epoch seconds) per timed
command. For each command, the server was busy over the union of its calls'
intervals [sent - N us, sent]; the rest of the command's wall time was the
client's own: process start-up, its work between calls, the socket. Prints
the per-run client times in seconds, space-separated.

A call in flight while another runs (ctr's Wait during Start) counts once.
"""
import datetime
import re
import sys

LINE = re.compile(r"^(\S+) debug grpc (\S+) -> (\d+) in (\d+) us")


def calls(log_path):
    out = []
    with open(log_path, "rb") as f:
        for raw in f:
            m = LINE.match(raw.decode("utf-8", "replace").strip("\0"))
            if not m:
                continue
            end = datetime.datetime.fromisoformat(m.group(1)).timestamp()
            out.append((end - int(m.group(4)) / 1e6, end))
    return out


def busy(intervals, lo, hi):
    spans = sorted((max(a, lo), min(b, hi)) for a, b in intervals if b > lo and a < hi)
    total, cur_a, cur_b = 0.0, None, None
    for a, b in spans:
        if cur_b is None or a > cur_b:
            if cur_b is not None:
                total += cur_b - cur_a
            cur_a, cur_b = a, b
        else:
            cur_b = max(cur_b, b)
    if cur_b is not None:
        total += cur_b - cur_a
    return total


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    intervals = calls(sys.argv[1])
    if not intervals:
        sys.exit("client_share.py: no debug-level grpc call lines in " + sys.argv[1])
    shares = []
    with open(sys.argv[2]) as f:
        for line in f:
            t0, t1 = (float(x) for x in line.split())
            shares.append((t1 - t0) - busy(intervals, t0, t1))
    print(" ".join("%.4f" % s for s in shares))


if __name__ == "__main__":
    main()

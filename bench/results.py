#!/usr/bin/env python3
"""bench/RESULTS.md from the JSON files the benchmarks write (bench/results/).

One table row a figure: berthd, containerd and the floor where there is one,
the ratio the goal is set on, the goal, and whether it is met. A goal below a
floor measured in the same run says so: no daemon can meet it there.

  bench/results.py [RESULTS_DIR] [OUT]   (defaults: bench/results, bench/RESULTS.md)

Each benchmark is read on its own; one that did not run (no JSON, or JSON
older than the run that bench/all started, which it passes in BENCH_SINCE)
shows as not run rather than with stale figures.
"""
import datetime
import json
import os
import platform
import sys


class Row:
    def __init__(self, figure, unit, berthd=None, containerd=None, floor=None, ratio=None, basis="",
                 goal=None, goal_text="", lower_is_better=True, floor_ratio=None, runs=None):
        self.figure = figure
        self.unit = unit
        self.berthd = berthd
        self.containerd = containerd
        self.floor = floor
        self.ratio = ratio            # the number the goal is set on
        self.basis = basis            # what the ratio is: "berthd / containerd"
        self.goal = goal              # the bound on the ratio
        self.goal_text = goal_text
        self.lower_is_better = lower_is_better
        self.floor_ratio = floor_ratio  # the floor on the same scale as the ratio
        self.runs = runs

    def verdict(self):
        if self.goal is None:
            return ""
        if self.ratio is None:
            return "not measured"
        met = self.ratio <= self.goal if self.lower_is_better else self.ratio >= self.goal
        if met:
            return "**met**"
        if self.floor_ratio is not None:
            capped = self.floor_ratio > self.goal if self.lower_is_better else self.floor_ratio < self.goal
            if capped:
                return f"not met: below the floor ({fmt(self.floor_ratio)}), out of reach in this run"
        return "**not met**"


def fmt(v):
    if v is None:
        return "–"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:#.3g}"  # 3 significant digits, trailing zeros kept: 1.00, 0.0729


def div(a, b):
    return a / b if a is not None and b else None


# ---- one reader a benchmark ------------------------------------------------------

def startup(d):
    daemons = d.get("daemons", {})
    b, c, f = daemons.get("berthd", {}), daemons.get("ctrd", {}), daemons.get("floor_all", {})
    runs = d.get("config", {}).get("runs")

    def m(daemon, key):
        return (daemon.get(key) or {}).get("median")

    # The floor: a program that only dlopen()s the shared objects an idle
    # berthd maps and listens (bench/startup_floor.c).
    rows = []
    for key, what in (("cold_listen", "start on an empty root: exec to the socket accepting"),
                      ("warm_listen", "restart on an existing root: exec to the socket accepting")):
        bv, cv, fv = m(b, key), m(c, key), m(f, key)
        rows.append(Row(what, "ms", bv, cv, fv, ratio=div(bv, cv), basis="berthd / containerd", goal=0.5,
                        goal_text="≤ 0.5", floor_ratio=div(fv, cv), runs=runs))
    bv, cv = m(b, "cold_answer"), m(c, "cold_answer")
    rows.append(Row("start on an empty root: exec to the first `ctr version` answer", "ms", bv, cv,
                    ratio=div(bv, cv), basis="berthd / containerd", runs=runs))
    bv, cv, fv = m(b, "cold_rss"), m(c, "cold_rss"), m(f, "cold_rss")
    rows.append(Row("idle RSS", "kB", bv, cv, fv, ratio=div(bv, cv), basis="berthd / containerd", goal=0.5,
                    goal_text="≤ 0.5", floor_ratio=div(fv, cv), runs=runs))
    for key, what in (("cold_pss", "idle PSS"), ("cold_priv", "idle private memory")):
        bv, cv = m(b, key), m(c, key)
        rows.append(Row(what, "kB", bv, cv, ratio=div(bv, cv), basis="berthd / containerd", runs=runs))
    return rows


def ingest(d):
    steps = d.get("steps", {})
    runs = d.get("config", {}).get("runs")
    size = d.get("config", {}).get("size_bytes")

    def s(name):
        return (steps.get(name) or {}).get("median_s")

    def cpu(name):  # the daemon's CPU seconds per GiB
        step = steps.get(name) or {}
        return step.get("daemon_cpu_s_per_gib")

    floor = max(v for v in (s("dd"), s("openssl"), 0) if v is not None) or None
    null = s("null")
    # The goal is on the transport floor. What caps a store is the hashing
    # floor: the null server answering at once and hashing a copy of each
    # message behind its answers, as berthd does (every store must hash every
    # byte, and on two CPUs the hash competes with ctr and gRPC). The answer
    # floor (hashing before each answer, as containerd's server does) is shown.
    answer = s("nullhash")
    behind = s("nullbehind")
    rows = [Row("`ctr content ingest` of %s" % gib(size), "s", s("berthd"), s("ctrd"), behind or null,
                ratio=div(s("berthd"), null), basis="berthd / transport floor (null server, %s s)" % fmt(null),
                goal=1.25, goal_text="≤ 1.25", floor_ratio=div(behind, null), runs=runs),
            Row("server CPU per GiB for that ingest", "s", cpu("berthd"), cpu("ctrd"), runs=runs),
            Row("the same against the answer floor (null server hashing)", "s", s("berthd"), None, answer,
                ratio=div(s("berthd"), answer), basis="berthd / answer floor", runs=runs)]
    berth = s("berth") or s("berth_berthd")
    if berth is not None:
        # What caps it: berth's client feeding the hashing floor (the hash
        # and the transport sharing two CPUs), on the goal's scale.
        rows.append(Row("`berth content ingest` of %s" % gib(size), "s", berth, None, floor,
                        ratio=div(berth, floor), basis="berth / larger of dd conv=fsync and openssl dgst",
                        goal=1.5, goal_text="≤ 1.5", floor_ratio=div(s("berth_behind"), floor), runs=runs))
        if s("berth_behind") is not None:
            rows.append(Row("`berth content ingest` into the hashing floor (null server hashing behind)", "s",
                            s("berth_behind"), None, floor, ratio=div(s("berth_behind"), floor),
                            basis="berth into the hashing floor / larger floor", runs=runs))
        if s("berth_null") is not None:
            rows.append(Row("`berth content ingest` into the null server (berth's transport)", "s",
                            s("berth_null"), None, floor, ratio=div(s("berth_null"), floor),
                            basis="berth into null / larger floor", runs=runs))
        c = cpu("berth") or cpu("berth_berthd")
        if c is not None:
            rows.append(Row("server CPU per GiB for that ingest", "s", c, None, runs=runs))
    return rows


def gib(size):
    return f"{size / (1 << 30):g} GiB" if size else "the file"


def apply(d):
    m = d.get("median", {})
    runs = d.get("runs")
    return [Row("apply of a 64 MiB gzip layer into an overlayfs snapshot", "s", m.get("berthd"),
                m.get("containerd"), m.get("tar"), ratio=div(m.get("berthd"), m.get("tar")),
                basis="berthd / `tar -xzf`", goal=1.0, goal_text="≤ 1", runs=runs)]


def pull(d):
    m = d.get("median", {})
    runs = d.get("runs")
    berth, ctrd, floor = m.get("berth"), m.get("ctr_containerd"), m.get("floor")
    return [
        Row("pull and unpack: `berth images pull` vs `ctr images pull`", "s", berth, ctrd, floor,
            ratio=div(berth, ctrd), basis="berthd / containerd", goal=1 / 3, goal_text="≤ 0.33", runs=runs),
        Row("the same against its floor (curl, openssl, igzip, tar)", "s", berth, None, floor,
            ratio=div(berth, floor), basis="berthd / floor", goal=1.3, goal_text="≤ 1.3", runs=runs),
        Row("`ctr images pull` against berthd vs containerd", "s", m.get("ctr_berthd"), ctrd,
            m.get("ctr_cap"), ratio=div(m.get("ctr_berthd"), ctrd), basis="berthd / containerd", goal=1.0,
            goal_text="< 1", runs=runs),
    ]


def run(d):
    samples = d.get("samples", {})
    runs = d.get("knobs", {}).get("runs")

    def m(key):
        return (samples.get(key) or {}).get("median")

    floors = samples.get("floors", {})
    rows = []
    ctr_floor = floors.get("ctr_run_s")
    rows.append(Row("`ctr run --rm` lifecycle", "s", m("ctr_berthd"), m("ctr_ctrd"), ctr_floor,
                    ratio=div(m("ctr_berthd"), m("ctr_ctrd")), basis="berthd / containerd", goal=0.5,
                    goal_text="≤ 0.5", floor_ratio=div(ctr_floor, m("ctr_ctrd")), runs=runs))
    runc = m("runc")
    berth_floor = floors.get("berth_run_s") or m("shim_floor")
    rows.append(Row("`berth run --rm` lifecycle vs bare `runc run`", "s", m("berth"), None, berth_floor,
                    ratio=div(m("berth"), runc), basis="berth / `runc run` (%s s)" % fmt(runc), goal=1.3,
                    goal_text="≤ 1.3", floor_ratio=div(berth_floor, runc), runs=runs))
    par_floor = floors.get("parallel_per_s")
    knobs = d.get("knobs", {})
    rows.append(Row("%s clients × %s `ctr run --rm`" % (knobs.get("par_clients", "?"), knobs.get("par_each", "?")),
                    "lifecycles/s", m("par_berthd"), m("par_ctrd"), par_floor,
                    ratio=div(m("par_berthd"), m("par_ctrd")), basis="berthd / containerd", goal=2.0,
                    goal_text="≥ 2", lower_is_better=False, floor_ratio=div(par_floor, m("par_ctrd")),
                    runs=d.get("knobs", {}).get("par_runs")))
    rows.append(Row("restart with %s running tasks until `ctr t ls` lists them" % d.get("knobs", {}).get("tasks", ""),
                    "s", m("restart_berthd"), m("restart_ctrd"), ratio=div(m("restart_berthd"), m("restart_ctrd")),
                    basis="berthd / containerd", runs=d.get("knobs", {}).get("restart_runs")))
    cpu = samples.get("cpu_ms_per_lifecycle", {})
    bd, cd = (cpu.get("berthd") or {}).get("daemon"), (cpu.get("ctrd") or {}).get("daemon")
    rows.append(Row("daemon CPU per lifecycle (parallel runs)", "ms", bd, cd, ratio=div(bd, cd),
                    basis="berthd / containerd"))
    return rows


def shim_memory(d):
    b = d.get("berth", {}) or {}
    c = d.get("containerd_shim", d.get("runc", {})) or {}
    goal_kib = d.get("goal_rss_kib", 2048)
    rss = b.get("rss_kib_median")
    return [Row("shim RSS, %s running containers" % d.get("containers", ""), "KiB", rss,
                c.get("rss_kib_median"), ratio=div(rss, goal_kib), basis="berth's shim / 2 MiB", goal=1.0,
                goal_text="≤ 2 MiB"),
            Row("shim PSS", "KiB", b.get("pss_kib_median"), c.get("pss_kib_median"))]


def gc(d):
    r = d.get("results_ms", {})
    b, c = r.get("berthd", {}), r.get("ctrd", {})
    runs = d.get("params", {}).get("runs")
    # The floor: the longest call a prober made, in the same window, to a
    # Leases.Create that only appends 100 bytes and fdatasync()s them before
    # answering (gc_load's own gRPC server: a durable Create with no database
    # behind it), or the disk's longest bare sync, or the longest a sleeping
    # prober woke late (the machine held every runnable thread back that
    # long), whichever is longest.
    floors = [f for f in (b.get("during_gc_call_max"), b.get("during_gc_sync_max"), b.get("during_gc_wake_max"))
              if f is not None]
    floor = max(floors) if floors else None
    return [Row("longest API call during a collection of %s objects" % fmt(d.get("params", {}).get("objects")),
                "ms", b.get("during_gc_max"), c.get("during_gc_max"), floor,
                ratio=b.get("during_gc_max"),
                basis="berthd's, in ms (floor: the longest durable call with no database, the disk's longest sync "
                      "or the machine's longest wake-up delay in the same window)",
                goal=10.0, goal_text="< 10 ms", floor_ratio=floor, runs=runs),
            Row("longest durable call with no database behind it (gc_load's own Create: append and fdatasync)",
                "ms", b.get("during_gc_call_max"), c.get("during_gc_call_max"), runs=runs),
            Row("longest Images.List during it (no disk: the collector's own effect)", "ms",
                b.get("during_gc_list_max"), c.get("during_gc_list_max"), runs=runs),
            Row("longest Leases.Create during it (a synced commit)", "ms", b.get("during_gc_create_max"),
                c.get("during_gc_create_max"), b.get("during_gc_sync_max"), runs=runs),
            Row("longest the collector held the writer lock (berthd's log)", "ms", b.get("pause_max"), None,
                runs=runs),
            Row("longest a thread sleeping 1 ms woke late during it (the machine's own stall)", "ms",
                b.get("during_gc_wake_max"), c.get("during_gc_wake_max"), runs=runs),
            Row("longest API call in the same runs with no collection", "ms", b.get("baseline_max"),
                c.get("baseline_max"), b.get("baseline_sync_max"), runs=runs),
            Row("p99 call during that collection", "ms", b.get("during_gc_p99"), c.get("during_gc_p99"), runs=runs),
            Row("collection time", "ms", b.get("gc"), c.get("gc"), ratio=div(b.get("gc"), c.get("gc")),
                basis="berthd / containerd", runs=runs)]


def burst(d):
    b, c = d.get("berthd", {}), d.get("ctrd", {})
    after = d.get("config", {}).get("after_s", "").split()
    last = after[-1] if after else None

    def late(x):
        return (x.get("rss_after_kb") or {}).get(last) if last else None

    return [Row("RSS at the peak of %s concurrent Content.Write streams" % d.get("config", {}).get("streams", ""),
                "kB", b.get("hwm_kb"), c.get("hwm_kb"), ratio=div(b.get("hwm_kb"), c.get("hwm_kb")),
                basis="berthd / containerd"),
            Row("RSS %s s after the burst" % last, "kB", late(b), late(c), ratio=div(late(b), late(c)),
                basis="berthd / containerd"),
            Row("threads with %s idle streams held" % d.get("config", {}).get("idle_streams", ""), "",
                b.get("threads_idle_streams"), c.get("threads_idle_streams"))]


READERS = [("startup", "Start-up and idle memory (`bench/startup.sh`)", startup),
           ("ingest", "Content write path (`bench/ingest.sh`)", ingest),
           ("apply", "Layer apply (`bench/apply.sh`)", apply),
           ("pull", "Pull (`bench/pull.sh`)", pull),
           ("run", "Container lifecycles (`bench/run.sh`)", run),
           ("shim_memory", "Shim memory (`bench/shim_memory.sh`)", shim_memory),
           ("gc", "Garbage collection pause (`bench/gc.sh`)", gc),
           ("burst", "A burst of clients (`bench/burst.sh`)", burst)]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    results = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "results")
    out_path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "RESULTS.md")
    since = float(os.environ.get("BENCH_SINCE", "0"))
    failed = set(os.environ.get("BENCH_FAILED", "").split())

    lines = ["# Benchmark results", ""]
    uname = platform.uname()
    # bench/all sets BENCH_SINCE; run alone, this gathers what single
    # benchmarks left in bench/results/, each section dated by its own run.
    writer = "`bench/all`" if "BENCH_SINCE" in os.environ else \
        "`bench/results.py` from the benchmarks' latest JSON (each section gives its own run's date)"
    lines += [f"Written by {writer} on {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC: "
              f"{os.cpu_count()} CPUs, {mem_gib()} GiB memory, kernel {uname.release}. "
              "Berth against Debian's containerd 1.6 in the same run; medians of the runs given. "
              "Each benchmark's own JSON (bench/results/) has every sample.", ""]
    summary = []
    for name, title, reader in READERS:
        path = os.path.join(results, name + ".json")
        lines += [f"## {title}", ""]
        if name in failed:
            lines += ["Failed in this run: see `bench/results/%s.log`." % name, ""]
            summary.append((title, "failed"))
            continue
        if not os.path.exists(path) or os.path.getmtime(path) < since:
            lines += ["Not run.", ""]
            summary.append((title, "not run"))
            continue
        with open(path) as f:
            d = json.load(f)
        rows = reader(d)
        host = d.get("host", {})
        lines += [f"Run {d.get('date', '?')}, load average {host.get('loadavg_before', '?')} before, "
                  f"{host.get('loadavg_after', '?')} after.", ""]
        lines += ["| figure | unit | berthd | containerd | floor | ratio | goal | verdict | runs |",
                  "| --- | --- | ---: | ---: | ---: | --- | --- | --- | ---: |"]
        for r in rows:
            ratio = f"{r.ratio:.2f} ({r.basis})" if r.ratio is not None else ""
            lines.append(f"| {r.figure} | {r.unit} | {fmt(r.berthd)} | {fmt(r.containerd)} | {fmt(r.floor)} | "
                         f"{ratio} | {r.goal_text} | {r.verdict()} | {r.runs or ''} |")
            if r.goal is not None:
                summary.append((f"{title}: {r.figure}", r.verdict() or ""))
        lines.append("")
    lines += ["## Goals at a glance", "", "| goal | verdict |", "| --- | --- |"]
    lines += [f"| {t} | {v} |" for t, v in summary]
    lines.append("")
    with open(out_path, "w") as f:
        f.write("\n".join(lines))
    print(out_path)


def mem_gib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / (1 << 20):.1f}"
    return "?"


if __name__ == "__main__":
    main()

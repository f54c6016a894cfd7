#!/usr/bin/env bash
# bench/gc.sh: a garbage collection over OBJECTS objects (blobs, expired
# leases, snapshots, images; three quarters of them garbage) while CLIENTS
# clients alternate Images.List and Leases.Create, berthd beside Debian's
# containerd (CRI disabled), both with the same gc scheduler config: no
# collection but the one asked for (a Leases.Delete with sync).
#
#   bench/gc.sh                     # OBJECTS=10000 CLIENTS=4 SECONDS_EACH=6 RUNS=3
#
# Each run, per daemon: a fresh root, populated with bench/gc_load; then a
# load phase with no collection (the baseline) and one with a collection a
# third of the way in. Reported per daemon (median over RUNS): the
# collection's time, the longest request and the p99 while it ran (and the
# longest of each kind: Images.List, Leases.Create), and the baseline's
# longest request and p99. Beside each phase a prober appends and fdatasync()s
# 100 bytes every 2 ms on the daemon's filesystem: its longest sync is the
# floor under a durable Leases.Create, whatever the collector does; and a
# second sleeps 1 ms at a time: how late it wakes is the longest the machine
# (a VM whose host takes its vCPUs) kept every runnable thread waiting; a
# third calls a Leases.Create served by gc_load itself that only appends and
# fdatasync()s 100 bytes: its longest call is the floor of a durable Create
# in that window, those stalls and gRPC's compounded, with no database.
# Goal (issue 10): the longest request during a collection under 10 ms.
#
# Environment: BERTHD, CONTAINERD, CTR, SNAPSHOT as in bench/lib.sh;
# GC_LOAD (default <build>/bench/gc_load); RESULTS (default bench/results/gc.json).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
BUILD=${BUILD:-$REPO/build}
OBJECTS=${OBJECTS:-10000}
CLIENTS=${CLIENTS:-4}
SECONDS_EACH=${SECONDS_EACH:-6}
RUNS=${RUNS:-3}
GC_LOAD=${GC_LOAD:-$BUILD/bench/gc_load}
RESULTS=${RESULTS:-$HERE/results/gc.json}

die() { echo "gc.sh: $*" >&2; exit 1; }
log() { echo "gc.sh: $*" >&2; }
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"

bench_init gc "$GC_LOAD"
snapshot_berthd
GC_TOML='[plugins."io.containerd.gc.v1.scheduler"]
  deletion_threshold = 1000000000
  mutation_threshold = 0
  startup_delay = "0s"'
BERTHD_TOML=$GC_TOML
CTRD_TOML=$GC_TOML
LOAD_BEFORE=$(loadavg)

# longest_pause LOG: the longest berthd's collector held the metadata writer
# lock, in ms: its longest sweep update, as its log says ("the longest X
# ms"). containerd logs no such figure (its "garbage collected" d= is the
# whole collection, most of it not under its lock).
longest_pause() { grep -o 'the longest [0-9.]* ms' "$1" | awk '{ if ($3 > m) m = $3 } END { print m + 0 }'; }

# value KEY LINE: the number after KEY= in a gc_load line.
value() { grep -o "\b$1=[0-9.]*" <<<"$2" | head -1 | cut -d= -f2; }

for ((run = 1; run <= RUNS; run++)); do
  for kind in berthd ctrd; do
    rm -rf "${WORK:?}/$kind"
    start_daemon "$kind"
    sock=$WORK/$kind/sock
    "$GC_LOAD" "$sock" populate "$OBJECTS" >/dev/null
    # The sync prober writes beside the daemon's root: the same filesystem.
    base=$("$GC_LOAD" "$sock" load "$SECONDS_EACH" "$CLIENTS" 0 "$WORK/$kind")
    with=$("$GC_LOAD" "$sock" load "$SECONDS_EACH" "$CLIENTS" 1 "$WORK/$kind")
    log "$kind run $run: baseline: $base"
    log "$kind run $run: with gc:  $with"
    add "$kind.base_p99" "$(value p99_ms "$base")"
    add "$kind.base_max" "$(value max_ms "$base")"
    add "$kind.gc_ms" "$(value gc_ms "$with")"
    add "$kind.during_p99" "$(value during_p99_ms "$with")"
    add "$kind.during_max" "$(value during_max_ms "$with")"
    add "$kind.during_list_max" "$(value during_list_max_ms "$with")"
    add "$kind.during_create_max" "$(value during_create_max_ms "$with")"
    add "$kind.during_sync_max" "$(value during_sync_max_ms "$with")"
    add "$kind.base_sync_max" "$(value sync_max_ms "$base")"
    add "$kind.during_wake_max" "$(value during_wake_max_ms "$with")"
    add "$kind.during_call_max" "$(value during_call_max_ms "$with")"
    add "$kind.base_call_max" "$(value call_max_ms "$base")"
    add "$kind.base_wake_max" "$(value wake_max_ms "$base")"
    stop_daemons
    [[ $kind == berthd ]] && add "$kind.pause_max" "$(longest_pause "$WORK/$kind/daemon.log")"
  done
done
LOAD_AFTER=$(loadavg)

mkdir -p "$(dirname "$RESULTS")"
{
  json_head gc
  echo "  \"subjects\": {$(json_subjects)},"
  echo "  \"params\": {\"objects\": $OBJECTS, \"clients\": $CLIENTS, \"seconds_each\": $SECONDS_EACH, \"runs\": $RUNS},"
  echo "  \"results_ms\": {"
  first=1
  for kind in berthd ctrd; do
    ((first)) || echo ","
    first=0
    printf '    "%s": {"gc": %s, "during_gc_max": %s, "during_gc_p99": %s, "baseline_max": %s, "baseline_p99": %s,\n' \
      "$kind" "$(median "${S[$kind.gc_ms]}")" "$(median "${S[$kind.during_max]}")" "$(median "${S[$kind.during_p99]}")" \
      "$(median "${S[$kind.base_max]}")" "$(median "${S[$kind.base_p99]}")"
    printf '      "during_gc_list_max": %s, "during_gc_create_max": %s, "during_gc_sync_max": %s, "baseline_sync_max": %s,\n' \
      "$(median "${S[$kind.during_list_max]}")" "$(median "${S[$kind.during_create_max]}")" \
      "$(median "${S[$kind.during_sync_max]}")" "$(median "${S[$kind.base_sync_max]}")"
    printf '      "during_gc_wake_max": %s, "baseline_wake_max": %s,\n' \
      "$(median "${S[$kind.during_wake_max]}")" "$(median "${S[$kind.base_wake_max]}")"
    printf '      "during_gc_call_max": %s, "baseline_call_max": %s,\n' \
      "$(median "${S[$kind.during_call_max]}")" "$(median "${S[$kind.base_call_max]}")"
    printf '      "pause_max": %s,\n' "$([[ -n ${S[$kind.pause_max]:-} ]] && median "${S[$kind.pause_max]}" || echo null)"
    printf '      "samples": {"gc": %s, "during_gc_max": %s, "during_gc_sync_max": %s, "during_gc_call_max": %s, "baseline_max": %s}}' \
      "$(jarray "${S[$kind.gc_ms]}")" "$(jarray "${S[$kind.during_max]}")" "$(jarray "${S[$kind.during_sync_max]}")" \
      "$(jarray "${S[$kind.during_call_max]}")" "$(jarray "${S[$kind.base_max]}")"
  done
  echo
  echo "  }"
  echo "}"
} >"$RESULTS"
cat "$RESULTS"
log "results written to $RESULTS"

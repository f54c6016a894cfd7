#!/usr/bin/env bash
# bench/gc.sh: a garbage collection over 10,000 objects while four clients
# call the daemon, berthd beside Debian's containerd (CRI disabled) in one run.
#
#   bench/gc.sh                          # RUNS=1, 10,000 objects, 4 clients
#   RUNS=3 BLOBS=1000 IMAGES=500 SNAPSHOTS=1000 LEASES=1000 bench/gc.sh
#
# Each run, for each daemon, on a fresh root (bench/gc_load does the calls):
#   populate  BLOBS small blobs and SNAPSHOTS committed overlayfs snapshots
#             held by one lease only, IMAGES images each holding one of those
#             blobs, LEASES leases that expired an hour ago (default 3,000 +
#             2,500 + 1,500 + 3,000 = 10,000 objects)
#   run       CLIENTS clients call Leases/Create and Containers/List in turn;
#             after 2 s the holding lease is deleted with sync, which makes
#             every blob no image holds, every snapshot and every expired lease
#             garbage and waits for the collection; the calls' latencies before
#             it ("idle") and while it runs ("collecting")
#   check     the garbage is gone: only the images' blobs are left, no
#             snapshot, no expired lease (a daemon that collected nothing has
#             nothing to be slow about, so the figures then say so)
# Goal (issue 10): the longest call during the collection under 10 ms;
# containerd's beside it.
#
# Environment: BERTHD, CONTAINERD, CTR (bench/lib.sh), GC_LOAD (default
# <build>/bench/gc_load), RUNS, BLOBS, IMAGES, SNAPSHOTS, LEASES, CLIENTS,
# RESULTS (default bench/results/gc.json), TMPDIR.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
BUILD=${BUILD:-$REPO/build}
GC_LOAD=${GC_LOAD:-$BUILD/bench/gc_load}
RUNS=${RUNS:-1}
BLOBS=${BLOBS:-3000}
IMAGES=${IMAGES:-1500}
SNAPSHOTS=${SNAPSHOTS:-2500}
LEASES=${LEASES:-3000}
CLIENTS=${CLIENTS:-4}
RESULTS=${RESULTS:-$HERE/results/gc.json}
NS=gc-bench

die() { echo "gc.sh: $*" >&2; exit 1; }
log() { echo "gc.sh: $*" >&2; }
source "$HERE/lib.sh"
bench_init gc "$GC_LOAD" /usr/bin/python3

BERTHD_SRC=$BERTHD
BERTHD_PLUGINS=""
snapshot_berthd
LOAD_BEFORE=$(loadavg)

# count KIND WHAT...: lines ctr prints for `ctr -n gc-bench WHAT...`.
count() {
  local kind=$1
  shift
  "$CTR" -a "$WORK/$kind/sock" -n "$NS" "$@" 2>/dev/null | grep -c . || true
}

declare -A OUT=()
for ((r = 0; r < RUNS; r++)); do
  for kind in ctrd berthd; do
    rm -rf "${WORK:?}/$kind"
    start_daemon "$kind"
    secs=$("$GC_LOAD" "$WORK/$kind/sock" populate "$BLOBS" "$IMAGES" "$SNAPSHOTS" "$LEASES") ||
      die "populating $kind failed"
    log "$kind: populated $((BLOBS + IMAGES + SNAPSHOTS + LEASES)) objects in $secs s"
    json=$("$GC_LOAD" "$WORK/$kind/sock" run "$CLIENTS") || die "the run against $kind failed"
    blobs=$(count "$kind" content ls -q)
    snaps=$(($(count "$kind" snapshots ls) - 1))
    expired=$("$CTR" -a "$WORK/$kind/sock" -n "$NS" leases ls -q 2>/dev/null | grep -c '^gc-bench-expired-' || true)
    collected=false
    [[ $blobs -eq $IMAGES && $snaps -le 0 && $expired -eq 0 ]] && collected=true
    log "$kind: left $blobs blobs (want $IMAGES), $((snaps < 0 ? 0 : snaps)) snapshots, $expired expired leases: collected=$collected"
    OUT[$kind]="${OUT[$kind]:-}${OUT[$kind]:+,}{\"populate_s\": $secs, \"collected\": $collected, \"left\": {\"blobs\": $blobs, \"snapshots\": $((snaps < 0 ? 0 : snaps)), \"expired_leases\": $expired}, \"load\": $json}"
    stop_daemons
  done
done
LOAD_AFTER=$(loadavg)

mkdir -p "$(dirname "$RESULTS")"
{
  json_head gc
  echo "  \"subjects\": {$(json_subjects)},"
  echo "  \"knobs\": {\"runs\": $RUNS, \"blobs\": $BLOBS, \"images\": $IMAGES, \"snapshots\": $SNAPSHOTS, \"leases\": $LEASES, \"clients\": $CLIENTS},"
  echo "  \"containerd\": [${OUT[ctrd]}],"
  echo "  \"berthd\": [${OUT[berthd]}]"
  echo "}"
} >"$RESULTS"

python3 - "$RESULTS" <<'EOF'
import json, statistics, sys
doc = json.load(open(sys.argv[1]))
print()
print("| %d CPUs, %d objects, %d clients | collected all | collection (s) | idle p99 / max (ms) | collecting p99 / max (ms) |" % (
    doc["host"]["cpus"], sum(doc["knobs"][k] for k in ("blobs", "images", "snapshots", "leases")), doc["knobs"]["clients"]))
print("|---|---|---:|---:|---:|")
for name, key in (("containerd", "containerd"), ("berthd", "berthd")):
    runs = doc[key]
    med = lambda f: statistics.median(f(r) for r in runs)
    print("| %s | %s | %.3f | %.1f / %.1f | %.1f / %.1f |" % (
        name, "yes" if all(r["collected"] for r in runs) else "no",
        med(lambda r: r["load"]["collection_s"]),
        med(lambda r: r["load"]["idle"]["p99_ms"]), med(lambda r: r["load"]["idle"]["max_ms"]),
        med(lambda r: r["load"]["collecting"]["p99_ms"]), med(lambda r: r["load"]["collecting"]["max_ms"])))
b = doc["berthd"]
worst = statistics.median(r["load"]["collecting"]["max_ms"] for r in b)
print()
print("berthd's longest call during the collection: %.1f ms (goal: under 10 ms)%s" % (
    worst, "" if all(r["collected"] for r in b) else "; berthd did not collect everything, so this says little"))
EOF
log "results in $RESULTS"

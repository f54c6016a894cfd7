#!/usr/bin/env bash
# Layer apply of one 64 MiB gzip layer (gzip -6), median of RUNS runs, page
# cache warm, interleaved so other load on the machine hits all alike:
#   tar         GNU `tar -xzf` into a fresh directory (the goal's anchor)
#   engine      berth-apply-layer: the walking differ's engine, same directory
#   berthd      Diff.Apply over gRPC into a fresh overlayfs snapshot of berthd
#   containerd  the same call against Debian's containerd (CRI disabled)
# The two daemons are driven by one client (bench/diff_apply_client), which
# times only the Apply call; the layer is ingested into each daemon once.
# Goal (issue #4): berthd no slower than tar.
#
#   RUNS=5 bench/apply.sh          (BUILD=<repo>/build by default)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
BUILD=${BUILD:-$REPO/build}
RUNS=${RUNS:-5}
RESULTS=${RESULTS:-$HERE/results/apply.json}
TOOL=${TOOL:-$BUILD/bin/berth-apply-layer}
CLIENT=${CLIENT:-$BUILD/bench/diff_apply_client}
BERTHD=${BERTHD:-$BUILD/bin/berthd}
CONTAINERD=${CONTAINERD:-/usr/bin/containerd}
CTR=${CTR:-/usr/bin/ctr}
WORK=${WORK:-$(mktemp -d /var/tmp/berth-bench-apply.XXXXXX)}

die() { echo "apply.sh: $*" >&2; exit 1; }
log() { echo "apply.sh: $*" >&2; }
for b in "$TOOL" "$CLIENT" "$BERTHD"; do [[ -x $b ]] || die "$b is missing; build the tree (scripts/build)"; done
[[ $EUID -eq 0 ]] || die "run as root (snapshots mount)"

source "$HERE/lib.sh"
cleanup() {
  stop_daemons
  rm -rf "$WORK"
}
trap cleanup EXIT
snapshot_berthd

# A 64 MiB tree: ~48 MiB of real files from /usr (text, binaries, many small
# files) and 16 MiB of random data in files of 64 KiB to 4 MiB.
src=$WORK/src
mkdir -p "$src/usr" "$src/random"
budget=$((48 << 20))
while IFS= read -r -d '' f; do
  sz=$(stat -c %s "$f")
  ((sz <= budget)) || continue
  budget=$((budget - sz))
  mkdir -p "$src$(dirname "$f")"
  cp -a "$f" "$src$f"
  ((budget > 65536)) || break
done < <(find /usr/share/doc /usr/lib/x86_64-linux-gnu /usr/bin -type f -print0 2>/dev/null)
left=$((16 << 20)); i=0
for kib in 64 256 1024 4096 1024 256 64 4096 2048 1024 512 128; do
  ((left > 0)) || break
  n=$((kib * 1024)); ((n <= left)) || n=$left
  head -c "$n" /dev/urandom > "$src/random/blob$i"; left=$((left - n)); i=$((i + 1))
done
layer=$WORK/layer.tar.gz
tar -C "$src" -cf - . | gzip -6 > "$layer"
usize=$(gzip -dc "$layer" | wc -c)
echo "layer: $(du -sh "$src" | cut -f1) tree, $(find "$src" | wc -l) entries," \
  "$((usize >> 20)) MiB tar, $(($(stat -c %s "$layer") >> 20)) MiB gzip"

# run_once NAME RUN COMMAND...: one run into a fresh directory ($DEST); adds
# its wall and CPU seconds to S[NAME.s] and S[NAME.cpu]. Nothing is
# deleted until the end: on ext4, creating files right after deleting as
# many makes the inode allocator skip the recently deleted ones (perf shows
# ext4's recently_deleted/find_inode_bit), which would time the file system's
# history instead of the extraction.
run_once() {
  local name=$1 dest=$WORK/out-$1-$2 t0 t1 k0 k1
  shift 2
  mkdir -p "$dest"; sync
  children_cpu k0
  t0=$EPOCHREALTIME
  DEST=$dest "$@" > /dev/null
  t1=$EPOCHREALTIME
  children_cpu k1
  add "$name.s" "$(secs "$t0" "$t1")"
  add "$name.cpu" "$(secs "$k0" "$k1")"
}

tar_apply() { tar -C "$DEST" -xzf "$layer"; }
berth_apply() { "$TOOL" --media-type application/vnd.oci.image.layer.v1.tar+gzip "$layer" "$DEST"; }

# Same result first: the engine's diffID is the tar stream's sha256.
want=$(gzip -dc "$layer" | sha256sum | cut -d' ' -f1)
got=$("$TOOL" "$layer" "$(mkdir -p "$WORK/check" && echo "$WORK/check")" | cut -d' ' -f1)
[[ $got == "sha256:$want" ]] || { echo "diffID mismatch: $got vs sha256:$want" >&2; exit 1; }
rm -rf "$WORK/check"

MEDIA=application/vnd.oci.image.layer.v1.tar+gzip
DIGEST=sha256:$(sha256sum "$layer" | cut -d' ' -f1)
SIZE=$(stat -c %s "$layer")
KINDS=(berthd)
[[ -x $CONTAINERD ]] && KINDS+=(ctrd)
for kind in "${KINDS[@]}"; do
  start_daemon "$kind"
  "$CTR" -a "$WORK/$kind/sock" content ingest --expected-digest "$DIGEST" layer <"$layer" >/dev/null
  # A GC root, or containerd's garbage collector (run after each snapshot
  # removal) takes the unreferenced blob away.
  "$CTR" -a "$WORK/$kind/sock" content label "$DIGEST" containerd.io/gc.root=bench >/dev/null
done

# daemon_apply KIND RUN: adds Apply's seconds to S[KIND.s] and the daemon's CPU
# seconds over the call (with Prepare) to S[KIND.cpu], after checking
# the applied diffID.
daemon_apply() {
  local out c0 c1 pid=${PID_OF[$1]}
  sync
  c0=$(cpu_ticks "$pid")
  out=$("$CLIENT" "$WORK/$1/sock" overlayfs "bench-$2" "$MEDIA" "$DIGEST" "$SIZE" keep)
  c1=$(cpu_ticks "$pid")
  [[ ${out#* } == "sha256:$want" ]] || { echo "apply.sh: $1 applied ${out#* }, not sha256:$want" >&2; exit 1; }
  add "$1.s" "${out%% *}"
  add "$1.cpu" "$(ticks_to_s "$c0" "$c1")"
}

# One discarded round first: the first writes after start are slower for
# every contender on this VM (fresh page-cache pages).
LOAD_BEFORE=$(loadavg)
run_once tar warmup tar_apply
run_once engine warmup berth_apply
for kind in "${KINDS[@]}"; do daemon_apply "$kind" warmup; done
S=()

for ((r = 0; r < RUNS; r++)); do
  run_once tar "$r" tar_apply
  run_once engine "$r" berth_apply
  for kind in "${KINDS[@]}"; do daemon_apply "$kind" "$r"; done
done
med() { median "${S[$1.s]}"; }
cmed() { median "${S[$1.cpu]}" 2; }
echo
echo "| step (RUNS=$RUNS, $(nproc) CPUs, load $(loadavg)) | median (s) | CPU (s, median) | samples (s) |"
echo "|---|---:|---:|---|"
echo "| \`tar -xzf\` into a directory | $(med tar) | $(cmed tar) | ${S[tar.s]} |"
echo "| berth engine (berth-apply-layer) into a directory | $(med engine) | $(cmed engine) | ${S[engine.s]} |"
echo "| berthd: Diff.Apply into an overlayfs snapshot | $(med berthd) | $(cmed berthd) | ${S[berthd.s]} |"
[[ -n ${S[ctrd.s]:-} ]] && echo "| containerd $("$CONTAINERD" --version | awk '{print $3}'): Diff.Apply into an overlayfs snapshot | $(med ctrd) | $(cmed ctrd) | ${S[ctrd.s]} |"
echo
awk -v a="$(med berthd)" -v b="$(med tar)" 'BEGIN {printf "berthd / tar: %.2f (goal: at most 1)\n", a / b}'
awk -v a="$(med engine)" -v b="$(med tar)" 'BEGIN {printf "engine / tar: %.2f\n", a / b}'
awk -v a="$(cmed berthd)" -v b="$(cmed tar)" 'BEGIN {printf "CPU: berthd / tar: %.2f\n", a / b}'
[[ -n ${S[ctrd.s]:-} ]] && awk -v a="$(med berthd)" -v b="$(med ctrd)" 'BEGIN {printf "berthd / containerd: %.2f\n", a / b}'

mkdir -p "$(dirname "$RESULTS")"
LOAD_AFTER=$(loadavg)
{
  json_head apply
  echo "  \"runs\": $RUNS,"
  echo "  \"seconds\": {\"tar\": $(jarray "${S[tar.s]}"), \"engine\": $(jarray "${S[engine.s]}"), \"berthd\": $(jarray "${S[berthd.s]}"), \"containerd\": $(jarray "${S[ctrd.s]:-}")},"
  echo "  \"cpu_seconds\": {\"tar\": $(jarray "${S[tar.cpu]}"), \"engine\": $(jarray "${S[engine.cpu]}"), \"berthd\": $(jarray "${S[berthd.cpu]}"), \"containerd\": $(jarray "${S[ctrd.cpu]:-}")},"
  echo "  \"median\": {\"tar\": $(med tar), \"engine\": $(med engine), \"berthd\": $(med berthd), \"containerd\": $([[ -n ${S[ctrd.s]:-} ]] && med ctrd || echo null)}"
  echo "}"
} >"$RESULTS"
echo "results in $RESULTS" >&2
exit 0

#!/usr/bin/env bash
# Layer apply: GNU `tar -xzf` vs Berth's walking-differ engine
# (berth-apply-layer) on the same 64 MiB gzip layer (gzip -6), each into a
# fresh directory, median of RUNS runs (wall clock, page cache warm).
#
# containerd is not timed: 1.6 has no CLI that applies one layer blob to a
# directory (`ctr` only unpacks whole images through snapshots, which adds
# snapshot and metadata work the other two do not do), so tar is the anchor.
#
#   BUILD=/work/build-diff RUNS=5 bench/apply.sh
set -euo pipefail

BUILD=${BUILD:-/work/build-diff}
RUNS=${RUNS:-5}
TOOL=${TOOL:-$BUILD/bin/berth-apply-layer}
WORK=${WORK:-$(mktemp -d /var/tmp/berth-bench-apply.XXXXXX)}
trap 'rm -rf "$WORK"' EXIT

[[ -x $TOOL ]] || { echo "build berth-apply-layer first: ninja -C $BUILD berth-apply-layer" >&2; exit 1; }

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

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# run_once COMMAND...: seconds for one run into a fresh directory ($DEST).
run_once() {
  local dest=$WORK/out
  rm -rf "$dest"; mkdir -p "$dest"; sync
  local t0=$EPOCHREALTIME
  DEST=$dest "$@" > /dev/null
  local t1=$EPOCHREALTIME
  rm -rf "$dest"
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}'
}

tar_apply() { tar -C "$DEST" -xzf "$layer"; }
berth_apply() { "$TOOL" --media-type application/vnd.oci.image.layer.v1.tar+gzip "$layer" "$DEST"; }

# Same result first: the engine's diffID is the tar stream's sha256.
want=$(gzip -dc "$layer" | sha256sum | cut -d' ' -f1)
got=$("$TOOL" "$layer" "$(mkdir -p "$WORK/check" && echo "$WORK/check")" | cut -d' ' -f1)
[[ $got == "sha256:$want" ]] || { echo "diffID mismatch: $got vs sha256:$want" >&2; exit 1; }
rm -rf "$WORK/check"

# Interleaved, so load from elsewhere on the machine hits both alike.
tar_times=(); berth_times=()
for ((r = 0; r < RUNS; r++)); do
  tar_times+=("$(run_once tar_apply)")
  berth_times+=("$(run_once berth_apply)")
done
t_tar=$(printf '%s\n' "${tar_times[@]}" | median)
t_berth=$(printf '%s\n' "${berth_times[@]}" | median)
echo "tar runs:   ${tar_times[*]}"
echo "berth runs: ${berth_times[*]}"
echo "tar -xzf:          ${t_tar} s (median of $RUNS)"
echo "berth-apply-layer: ${t_berth} s (median of $RUNS)"
awk -v a="$t_berth" -v b="$t_tar" 'BEGIN {printf "berth/tar time ratio: %.2f (below 1 is faster than tar)\n", a / b}'

#!/usr/bin/env bash
# Pull and unpack of one large image from Debian's docker-registry on
# loopback, from an empty store each run, runs interleaved:
#   berth       `berth images pull` against berthd (the daemon pulls)
#   ctr_ctrd    Debian's `ctr images pull` against containerd
#   ctr_berthd  the same ctr against berthd (ctr pulls through the API)
#   floor       the layers fetched with curl, hashed (openssl dgst, SHA-NI),
#               inflated (igzip: isa-l, as berthd) and untarred, all layers
#               at once (this machine's cores), no daemon
# and, for ctr against berthd, the cap ctr's own transport sets: the image's
# blobs written with `ctr content ingest`, all at once, into
# bench/null_content_server, which discards every byte.
# The image: busybox plus LAYERS layers of LAYER_MIB MiB of incompressible
# bytes (gzip), made by tests/support/make_oci_image.sh.
# Goals (issue #8): berth at most 1/3 of containerd's time and within 1.3 x
# the floor; ctr against berthd faster than against containerd.
#
#   RUNS=5 bench/pull.sh     (LAYERS=3 LAYER_MIB=64 by default)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
BUILD=${BUILD:-$REPO/build}
RUNS=${RUNS:-5}
LAYERS=${LAYERS:-3}
LAYER_MIB=${LAYER_MIB:-64}
BERTH=${BERTH:-$BUILD/bin/berth}
NULL_SERVER=${NULL_SERVER:-$BUILD/bench/null_content_server}
REGISTRY=${REGISTRY:-/usr/bin/docker-registry}

die() { echo "pull.sh: $*" >&2; exit 1; }
log() { echo "pull.sh: $*" >&2; }
source "$HERE/lib.sh"
bench_init pull "$BERTH" "$REGISTRY" /usr/bin/skopeo /usr/bin/curl /usr/bin/igzip /usr/bin/openssl
snapshot_berthd

# The registry, on a free loopback port, stopped with the daemons.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HOST=127.0.0.1:$port
mkdir -p "$WORK/registry"
printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n' \
  "$WORK/registry/storage" "$HOST" >"$WORK/registry/config.yml"
"$REGISTRY" serve "$WORK/registry/config.yml" >"$WORK/registry/log" 2>&1 &
PID_OF[registry]=$!
for ((i = 0; i < 100; i++)); do curl -sf "http://$HOST/v2/" >/dev/null && break; sleep 0.1; done
curl -sf "http://$HOST/v2/" >/dev/null || die "docker-registry did not answer"

EXTRA_LAYERS=$LAYERS:$LAYER_MIB bash "$REPO/tests/support/make_oci_image.sh" "$WORK/image.tar" bench/big:1 >/dev/null
skopeo copy -q --dest-tls-verify=false "oci-archive:$WORK/image.tar" "docker://$HOST/bench/big:1" >/dev/null
REF=$HOST/bench/big:1
mkdir -p "$WORK/layout" && tar -xf "$WORK/image.tar" -C "$WORK/layout"
manifest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$WORK/layout/index.json")
mapfile -t LAYER_DIGESTS < <(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); [print(l["digest"]) for l in m["layers"]]' \
  "$WORK/layout/blobs/sha256/${manifest#sha256:}")
total_bytes=$(du -cb "$WORK"/layout/blobs/sha256/* | tail -1 | cut -f1)
log "image: $LAYERS x $LAYER_MIB MiB + busybox, $((total_bytes >> 20)) MiB compressed, ${#LAYER_DIGESTS[@]} layers"

# A fresh daemon of KIND (berthd | ctrd) per run: the store starts empty.
fresh() {
  stop_one "$1"
  rm -rf "${WORK:?}/$1"
  start_daemon "$1"
}
stop_one() {
  local pid=${PID_OF[$1]:-}
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "PID_OF[$1]"
}

timed() {  # NAME COMMAND...: wall seconds into S[NAME.s]
  local name=$1 t0 t1
  shift
  sync
  t0=$EPOCHREALTIME
  "$@" >"$WORK/$name.out" 2>&1 || { cat "$WORK/$name.out" >&2; die "$name failed"; }
  t1=$EPOCHREALTIME
  add "$name.s" "$(secs "$t0" "$t1")"
}

berth_pull() { "$BERTH" -a "$WORK/berthd/sock" images pull --plain-http "$REF"; }
ctr_pull() { "$CTR" -a "$WORK/$1/sock" images pull --plain-http "$REF"; }
# The floor: every layer at once, each fetched, hashed, inflated and
# untarred in one pipeline; a digest mismatch fails the run.
floor_pull() {
  local d dir=$WORK/floor-$RANDOM$RANDOM pids=()
  mkdir -p "$dir"
  for d in "${LAYER_DIGESTS[@]}"; do
    floor_layer "$dir/${d#sha256:}" "$d" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  rm -rf "$dir" &
}
# One layer: the hash reads a FIFO that tee feeds, beside gunzip and tar.
floor_layer() {
  local dir=$1 digest=$2 got
  mkdir -p "$dir/root"
  mkfifo "$dir/hash"
  openssl dgst -sha256 -r <"$dir/hash" >"$dir/sum" &
  curl -sf "http://$HOST/v2/bench/big/blobs/$digest" | tee "$dir/hash" | igzip -dc | tar -x -C "$dir/root"
  wait $!
  got=$(cut -d' ' -f1 "$dir/sum")
  [[ sha256:$got == "$digest" ]] || { echo "floor: $digest hashed to $got" >&2; return 1; }
}
ctr_cap() {
  local d pids=()
  for d in "${LAYER_DIGESTS[@]}"; do
    "$CTR" -a "$WORK/null/sock" content ingest --expected-digest "$d" "cap-$d-$RANDOM" \
      <"$WORK/layout/blobs/sha256/${d#sha256:}" >/dev/null &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
}

# One discarded round: the first writes on this VM are slower for everyone.
fresh berthd; timed warm berth_pull
S=()
LOAD_BEFORE=$(loadavg)
for ((r = 0; r < RUNS; r++)); do
  fresh berthd; timed berth berth_pull
  fresh berthd; timed ctr_berthd ctr_pull berthd
  stop_one berthd
  fresh ctrd; timed ctr_ctrd ctr_pull ctrd
  stop_one ctrd
  timed floor floor_pull
  if [[ -x $NULL_SERVER ]]; then
    fresh null; timed cap ctr_cap
    stop_one null
  fi
done
LOAD_AFTER=$(loadavg)
med() { median "${S[$1.s]:-}"; }

echo
echo "| pull of $LAYERS x $LAYER_MIB MiB + busybox (RUNS=$RUNS, $(nproc) CPUs) | median (s) | samples (s) |"
echo "|---|---:|---|"
echo "| berth images pull → berthd | $(med berth) | ${S[berth.s]} |"
echo "| ctr images pull → containerd | $(med ctr_ctrd) | ${S[ctr_ctrd.s]} |"
echo "| ctr images pull → berthd | $(med ctr_berthd) | ${S[ctr_berthd.s]} |"
echo "| floor: curl, openssl sha256, igzip, tar, layers at once | $(med floor) | ${S[floor.s]} |"
[[ -n ${S[cap.s]:-} ]] && echo "| ctr's transport cap: ctr content ingest of the layers into a null server | $(med cap) | ${S[cap.s]} |"
echo
echo "berth / containerd: $(ratio "$(med berth)" "$(med ctr_ctrd)") (goal: at most 0.33)"
echo "berth / floor: $(ratio "$(med berth)" "$(med floor)") (goal: at most 1.3)"
echo "ctr: berthd / containerd: $(ratio "$(med ctr_berthd)" "$(med ctr_ctrd)") (goal: under 1)"
[[ -n ${S[cap.s]:-} ]] && echo "ctr against berthd / ctr's transport cap: $(ratio "$(med ctr_berthd)" "$(med cap)")"

mkdir -p "$HERE/results"
{
  json_head pull
  echo "  \"subjects\": {$(json_subjects)},"
  echo "  \"image\": {\"layers\": $LAYERS, \"layer_mib\": $LAYER_MIB, \"compressed_bytes\": $total_bytes},"
  echo "  \"runs\": $RUNS,"
  echo "  \"seconds\": {\"berth\": $(jarray "${S[berth.s]}"), \"ctr_containerd\": $(jarray "${S[ctr_ctrd.s]}"), \"ctr_berthd\": $(jarray "${S[ctr_berthd.s]}"), \"floor\": $(jarray "${S[floor.s]}"), \"ctr_cap\": $(jarray "${S[cap.s]:-}")},"
  echo "  \"median\": {\"berth\": $(med berth), \"ctr_containerd\": $(med ctr_ctrd), \"ctr_berthd\": $(med ctr_berthd), \"floor\": $(med floor), \"ctr_cap\": $([[ -n ${S[cap.s]:-} ]] && med cap || echo null)}"
  echo "}"
} >"$HERE/results/pull.json"
log "results in bench/results/pull.json"

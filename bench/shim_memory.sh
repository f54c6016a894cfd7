#!/usr/bin/env bash
# bench/shim_memory.sh: memory of one shim per running container, Berth's
# containerd-shim-berth-v2 beside containerd's containerd-shim-runc-v2.
#
# A private Debian containerd (its own root, state, sockets and config under a
# temp dir; our shim on its PATH) runs CONTAINERS (20) busybox containers
# with `ctr run -d --runtime io.containerd.berth.v2`, then as many with
# io.containerd.runc.v2, and reports per shim the median RSS (VmRSS), PSS
# (/proc/PID/smaps_rollup) and thread count. Goal: RSS at most 2 MiB each.
#
#   bench/shim_memory.sh                         # build/bin/containerd-shim-berth-v2
#   SHIM=/usr/local/bin/containerd-shim-berth-v2 CONTAINERS=50 bench/shim_memory.sh
#
# Results: Markdown on stdout, JSON in RESULTS (bench/results/shim_memory.json).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
SHIM=${SHIM:-$REPO/build/bin/containerd-shim-berth-v2}
CONTAINERS=${CONTAINERS:-20}
RESULTS=${RESULTS:-$REPO/bench/results/shim_memory.json}
CONTAINERD=${CONTAINERD:-/usr/bin/containerd}
CTR=${CTR:-/usr/bin/ctr}
NS=bench-shim
die() { echo "shim_memory.sh: $*" >&2; exit 1; }
log() { echo "shim_memory.sh: $*" >&2; }
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"
# shellcheck source=tests/integration/private_containerd.sh
source "$REPO/tests/integration/private_containerd.sh"

[[ $EUID -eq 0 ]] || die "run as root (containerd needs it)"
for b in "$SHIM" "$CONTAINERD" "$CTR" /usr/bin/containerd-shim-runc-v2; do
  [[ -x $b ]] || die "$b is not executable"
done
# Short: the shims' sockets live under <state>/io.containerd.runtime.v2.task/s/.
WORK=$(mktemp -d /tmp/bsm.XXXXXX)
CTRD_PID=
cleanup() {
  if [[ -n $CTRD_PID ]]; then stop_containerd; fi
  rmdir "/run/berth/runc/$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$WORK/bin"
cp "$(readlink -f "$SHIM")" "$WORK/bin/containerd-shim-berth-v2"  # a rebuild cannot change it mid-run
SOCK=$WORK/c/sock
c() { "$CTR" -a "$SOCK" -n "$NS" "$@"; }

start_containerd() {
  rm -rf "$WORK/c"
  mkdir -p "$WORK/c"
  private_containerd_config "$WORK/c" "$SOCK" >"$WORK/c/config.toml"
  PATH="$WORK/bin:$PATH" "$CONTAINERD" --config "$WORK/c/config.toml" >"$WORK/c/daemon.log" 2>&1 &
  CTRD_PID=$!
  local i
  for ((i = 0; i < 300; i++)); do
    [[ -S $SOCK ]] && "$CTR" -a "$SOCK" version >/dev/null 2>&1 && return 0
    kill -0 "$CTRD_PID" 2>/dev/null || break
    sleep 0.1
  done
  tail -20 "$WORK/c/daemon.log" >&2
  die "containerd did not start"
}

# Every task killed and removed (their shims exit with them), then
# containerd, by its PID.
stop_containerd() {
  local id i
  for id in $(c t ls -q 2>/dev/null); do c t kill -s 9 "$id" >/dev/null 2>&1 || true; done
  for id in $(c t ls -q 2>/dev/null); do
    for ((i = 0; i < 50; i++)); do c t rm "$id" >/dev/null 2>&1 && break; sleep 0.1; done
  done
  for id in $(c c ls -q 2>/dev/null); do c c rm "$id" >/dev/null 2>&1 || true; done
  kill -TERM "$CTRD_PID" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do kill -0 "$CTRD_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$CTRD_PID" 2>/dev/null && kill -KILL "$CTRD_PID" 2>/dev/null || true
  wait "$CTRD_PID" 2>/dev/null || true
  CTRD_PID=
}

bash "$REPO/tests/support/make_oci_image.sh" "$WORK/busybox.tar" docker.io/library/busybox:bench >/dev/null
IMG=docker.io/library/busybox:bench

# measure RUNTIME SHIM_BINARY_NAME KEY: runs the containers, samples their shims.
measure() {
  local runtime=$1 binary=$2 key=$3 i pid kb
  start_containerd
  c images import "$WORK/busybox.tar" >/dev/null
  for ((i = 0; i < CONTAINERS; i++)); do
    c run -d --runtime "$runtime" "$IMG" "$key-$i" /bin/busybox sleep 100000 >/dev/null
  done
  sleep 2  # let start-up allocations settle
  local n=0
  for ((i = 0; i < CONTAINERS; i++)); do
    pid=$(pgrep -f -- "$binary -namespace $NS -id $key-$i( |\$)" | head -1 || true)
    [[ -n $pid ]] || die "no $binary for $key-$i"
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
    add "$key.rss_kib" "$kb"
    add "$key.pss_kib" "$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")"
    add "$key.threads" "$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")"
    n=$((n + 1))
  done
  log "$runtime: sampled $n shims"
  stop_containerd
}

LOAD_BEFORE=$(loadavg)
measure io.containerd.berth.v2 containerd-shim-berth-v2 berth
measure io.containerd.runc.v2 containerd-shim-runc-v2 runc
LOAD_AFTER=$(loadavg)

row() {  # KEY LABEL
  printf '| %s | %s | %s | %s |\n' "$2" "$(median "${S[$1.rss_kib]}" 0)" "$(median "${S[$1.pss_kib]}" 0)" \
    "$(median "${S[$1.threads]}" 0)"
}
echo "Shim memory, $CONTAINERS running containers (median per shim)"
echo
echo "| shim | RSS KiB | PSS KiB | threads |"
echo "|---|---|---|---|"
row berth "containerd-shim-berth-v2"
row runc "containerd-shim-runc-v2"
echo
echo "RSS ratio berth/runc: $(ratio "$(median "${S[berth.rss_kib]}")" "$(median "${S[runc.rss_kib]}")")"

mkdir -p "$(dirname "$RESULTS")"
{
  json_head shim_memory
  echo "  \"containers\": $CONTAINERS, \"shim\": \"$SHIM\", \"git_rev\": \"$(git_rev)\", \"containerd\": \"$("$CONTAINERD" --version)\","
  for k in berth runc; do
    echo "  \"$k\": {\"rss_kib_median\": $(median "${S[$k.rss_kib]}" 0), \"pss_kib_median\": $(median "${S[$k.pss_kib]}" 0), \"threads_median\": $(median "${S[$k.threads]}" 0), \"rss_kib\": $(jarray "${S[$k.rss_kib]}"), \"pss_kib\": $(jarray "${S[$k.pss_kib]}"), \"threads\": $(jarray "${S[$k.threads]}")},"
  done
  echo "  \"goal_rss_kib\": 2048"
  echo "}"
} >"$RESULTS"
log "results in $RESULTS"

#!/usr/bin/env bash
# The metrics endpoint end to end: berthd with [metrics] address on a free
# loopback port runs a busybox task (imported with Debian's ctr) that burns
# CPU and grows its memory; /v1/metrics is fetched with curl and read with
# prometheus_client's text parser (prom_query.py). The task's cgroup figures
# are there under containerd's names and move as it works, Tasks.Metrics
# (`ctr tasks metrics`) reads the same figures, the gRPC per-method counters
# rise with the calls made, and a bad address stops berthd with a clear error.
#
# Usage: metrics_endpoint_test.sh PATH/TO/berthd
# Exit: 0 all passed, 1 a check failed.
set -uo pipefail
BERTHD=$(readlink -f "${1:?usage: $0 PATH/TO/berthd}")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Debian's python3, where python3-prometheus-client installs (a python3
# earlier on PATH, a pyenv's, lacks it).
PY=/usr/bin/python3
for tool in ctr curl "$PY"; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/deps installs it)" >&2; exit 1; }
done
"$PY" -c 'import prometheus_client.parser' 2>/dev/null \
  || { echo "FAIL: python3-prometheus-client is missing (scripts/deps installs it)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "FAIL: running tasks needs root" >&2; exit 1; }

# Short: the daemon's unix socket path must stay under ~100 bytes.
TMP=$(mktemp -d /tmp/bmet.XXXXXX)
SOCK=$TMP/b.sock
NS=berth-metrics-it
ID=burn
IMG=docker.io/library/busybox:berth
BERTHD_PID=
source "$HERE/private_containerd.sh"  # stop_pid
stop_berthd() {
  stop_pid "$BERTHD_PID"
  BERTHD_PID=
}
# shellcheck disable=SC2317  # reached through the EXIT trap
cleanup() {
  if [ -n "$BERTHD_PID" ]; then
    c t kill -s 9 "$ID" >/dev/null 2>&1
    for _ in $(seq 50); do c t ls -q 2>/dev/null | grep -qx "$ID" || break; c t rm -f "$ID" >/dev/null 2>&1 && break; sleep 0.1; done
    c c rm "$ID" >/dev/null 2>&1
  fi
  stop_berthd
  grep -q " $TMP/" /proc/mounts && awk -v t="$TMP/" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l
  rm -rf "$TMP"
}
trap cleanup EXIT

source "$HERE/checks.sh"
fail() { fail_showing "$1" "$OUT"; }
c() { ctr -a "$SOCK" -n "$NS" "$@"; }

# A loopback port nothing listens on now.
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT/v1/metrics

# start_berthd ADDRESS: berthd with [metrics] address = ADDRESS; waits for its socket.
start_berthd() {
  cat >"$TMP/config.toml" <<TOML
version = 2
[metrics]
address = "$1"
grpc_histogram = true
TOML
  rm -f "$SOCK"
  "$BERTHD" --config "$TMP/config.toml" --root "$TMP/root" --state "$TMP/state" --address "$SOCK" \
    >"$TMP/berthd.log" 2>&1 &
  BERTHD_PID=$!
  for _ in $(seq 100); do
    [ -S "$SOCK" ] && return 0
    kill -0 "$BERTHD_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
# scrape N: fetches the endpoint into $TMP/scrape.N with curl.
scrape() { curl -fsS -o "$TMP/scrape.$1" "$URL"; }
# value N NAME LABEL=VALUE...: one sample of scrape N, as the parser reads it.
value() {
  local n=$1
  shift
  "$PY" "$HERE/prom_query.py" "$TMP/scrape.$n" "$@"
}
TASK=(container_id=$ID namespace=$NS)

echo "# a bad address is a config error"
start_berthd "not-an-address"
wait "$BERTHD_PID" 2>/dev/null
RC=$?
BERTHD_PID=
OUT=$(cat "$TMP/berthd.log")
if [ "$RC" -ne 0 ]; then pass "berthd refuses [metrics] address = \"not-an-address\""; else fail "berthd refuses a bad address"; fi
expect_out '\[metrics\] address "not-an-address".*IP:PORT' "the error names the key, the value and the form"

echo "# a task's figures"
if start_berthd "127.0.0.1:$PORT"; then
  pass "berthd serves with [metrics] address = 127.0.0.1:$PORT"
else
  OUT=$(cat "$TMP/berthd.log")
  fail "berthd serves with [metrics] address = 127.0.0.1:$PORT"
  finish
fi
bash "$HERE/../support/make_oci_image.sh" "$TMP/busybox.tar" "$IMG" >/dev/null \
  || { echo "FAIL: make_oci_image.sh" >&2; exit 1; }
OUT=$(c images import "$TMP/busybox.tar" 2>&1) || { fail "ctr images import"; finish; }
# Grows a shell variable by 256 KiB a round, up to 64 MiB, burning CPU all
# the while: memory and CPU time both move between scrapes.
BURN='k=$(/bin/busybox head -c 262144 /dev/zero | /bin/busybox tr "\0" a); x=; n=0
while :; do if [ $n -lt 256 ]; then x="$x$k"; n=$((n+1)); fi; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; done'
LIMIT=268435456  # 256 MiB, set by ctr in the spec and applied by runc
OUT=$(c run -d --memory-limit "$LIMIT" "$IMG" "$ID" /bin/sh -c "$BURN" 2>&1)
if [ $? -eq 0 ]; then pass "ctr run -d starts the task"; else fail "ctr run -d starts the task"; finish; fi

OUT=$(scrape 1 2>&1 && "$PY" "$HERE/prom_query.py" "$TMP/scrape.1" --check 2>&1)
if [ $? -eq 0 ]; then pass "curl fetches $URL and prometheus_client parses it ($OUT)"; else fail "scrape 1 parses"; fi
for name in container_cpu_total_nanoseconds container_cpu_user_nanoseconds container_cpu_kernel_nanoseconds \
  container_memory_usage_usage_bytes container_memory_usage_limit_bytes container_memory_rss_bytes \
  container_pids_current container_pids_limit; do
  OUT=$(value 1 "$name" "${TASK[@]}" 2>&1)
  if [ $? -eq 0 ]; then pass "$name{container_id=$ID,namespace=$NS} = $OUT"; else fail "$name of the task"; fi
done
OUT=$(value 1 container_pids_current "${TASK[@]}" 2>&1)
if [ "${OUT:-0}" -ge 1 ] 2>/dev/null; then pass "the task runs at least one process"; else fail "container_pids_current >= 1"; fi
OUT=$(value 1 berth_shims_running shim=containerd-shim-berth-v2 2>&1)
if [ "$OUT" = 1 ]; then pass "berth_shims_running{shim=containerd-shim-berth-v2} = 1"; else fail "one shim running"; fi
# The image imported: its manifest, config and layer in the store, its
# layer a committed overlayfs snapshot, the task's rootfs an active one.
OUT=$(value 1 berth_content_blobs 2>&1)
if [ "${OUT:-0}" -ge 3 ] 2>/dev/null; then pass "berth_content_blobs = $OUT"; else fail "berth_content_blobs >= 3"; fi
blob_bytes=$(stat -c %s "$TMP"/root/io.containerd.content.v1.content/blobs/sha256/* | awk '{s += $1} END {print s}')
OUT=$(value 1 berth_content_bytes 2>&1)
if [ "$OUT" = "$blob_bytes" ]; then pass "berth_content_bytes = $OUT, the blobs' sizes on disk"; else fail "berth_content_bytes = $blob_bytes"; fi
OUT=$(value 1 berth_snapshots snapshotter=overlayfs kind=committed 2>&1)
if [ "$OUT" = 1 ]; then pass "berth_snapshots{overlayfs,committed} = 1"; else fail "one committed overlayfs snapshot"; fi
OUT=$(value 1 berth_snapshots snapshotter=overlayfs kind=active 2>&1)
if [ "$OUT" = 1 ]; then pass "berth_snapshots{overlayfs,active} = 1"; else fail "one active overlayfs snapshot"; fi
OUT=$(value 1 berth_snapshot_usage_bytes snapshotter=overlayfs 2>&1)
if [ "${OUT:-0}" -gt 0 ] 2>/dev/null; then pass "berth_snapshot_usage_bytes{overlayfs} = $OUT"; else fail "snapshot usage > 0"; fi
OUT=$(value 1 berth_transfer_pulled_bytes_total 2>&1)
if [ "$OUT" = 0 ]; then pass "berth_transfer_pulled_bytes_total = 0 (ctr imports on the client side)"; else fail "nothing pulled"; fi
OUT=$(value 1 berth_plugin_status type=io.containerd.runtime.v2 id=task state=ok 2>&1)
if [ "$OUT" = 1 ]; then pass "berth_plugin_status shows the runtime plugin ok"; else fail "plugin status of the runtime"; fi
# The garbage collector's figures: a collection with sync, counted.
runs_before=$(value 1 berth_gc_runs_total 2>/dev/null || echo missing)
OUT=$(c leases create --id metrics-gc 2>&1 && c leases rm --sync metrics-gc 2>&1 && scrape gc 2>&1 && value gc berth_gc_runs_total 2>&1)
if [ "$runs_before" != missing ] && [ "${OUT##*$'\n'}" -gt "$runs_before" ] 2>/dev/null; then
  pass "berth_gc_runs_total rises with a collection (${runs_before} -> ${OUT##*$'\n'})"
else
  fail "berth_gc_runs_total rises after leases rm --sync (before: $runs_before)"
fi
OUT=$(value gc berth_gc_last_seconds 2>&1)
if [ $? -eq 0 ]; then pass "berth_gc_last_seconds = $OUT"; else fail "berth_gc_last_seconds"; fi

# The figures move as the task works: scrape until CPU time and memory
# have both changed (each scrape a moment after the last; no time is
# asserted, only that they change).
cpu1=$(value 1 container_cpu_total_nanoseconds "${TASK[@]}")
mem1=$(value 1 container_memory_usage_usage_bytes "${TASK[@]}")
cpu2=$cpu1
mem2=$mem1
for n in $(seq 2 60); do
  sleep 0.5
  scrape "$n" || continue
  cpu2=$(value "$n" container_cpu_total_nanoseconds "${TASK[@]}") || continue
  mem2=$(value "$n" container_memory_usage_usage_bytes "${TASK[@]}") || continue
  [ "$cpu2" -gt "$cpu1" ] && [ "$mem2" -ne "$mem1" ] && break
done
LAST=$n
OUT="cpu $cpu1 -> $cpu2, memory $mem1 -> $mem2"
if [ "$cpu2" -gt "$cpu1" ]; then pass "the task's CPU time rises between scrapes ($OUT)"; else fail "CPU time rises"; fi
if [ "$mem2" -ne "$mem1" ]; then pass "the task's memory usage changes between scrapes ($OUT)"; else fail "memory changes"; fi

echo "# Tasks.Metrics reads the same figures"
OUT=$(c tasks metrics "$ID" 2>&1)
limit=$(awk '$1 == "memory.limit_in_bytes" {print $2}' <<<"$OUT")
plimit=$(awk '$1 == "pids.limit" {print $2}' <<<"$OUT")
scrape_limit=$(value "$LAST" container_memory_usage_limit_bytes "${TASK[@]}")
scrape_plimit=$(value "$LAST" container_pids_limit "${TASK[@]}")
if [ "$limit" = "$LIMIT" ] && [ "$scrape_limit" = "$LIMIT" ] && [ -n "$plimit" ] && [ "$plimit" = "$scrape_plimit" ]; then
  pass "ctr tasks metrics and the endpoint agree on the limits (memory $limit, pids $plimit)"
else
  fail "ctr tasks metrics ($limit, $plimit) and the endpoint ($scrape_limit, $scrape_plimit) agree"
fi
usage=$(awk '$1 == "memory.usage_in_bytes" {print $2}' <<<"$OUT")
if [ -n "$usage" ] && [ "$usage" -gt 0 ]; then pass "ctr tasks metrics shows memory.usage_in_bytes $usage"; else fail "ctr tasks metrics usage"; fi

echo "# gRPC calls, per method"
svc=grpc_service=containerd.services.tasks.v1.Tasks
OUT=$(value "$LAST" grpc_server_handled_total "$svc" grpc_method=Create grpc_code=OK grpc_type=unary 2>&1)
if [ "$OUT" = 1 ]; then pass "grpc_server_handled_total{Tasks/Create,OK} = 1"; else fail "one Tasks/Create handled OK"; fi
OUT=$(value "$LAST" grpc_server_handling_seconds_count "$svc" grpc_method=Create grpc_type=unary 2>&1)
if [ "$OUT" = 1 ]; then pass "grpc_server_handling_seconds histogram counts the Create"; else fail "Create in the histogram"; fi
before=$(value "$LAST" grpc_server_started_total "$svc" grpc_method=List grpc_type=unary 2>/dev/null || echo 0)
c tasks ls >/dev/null 2>&1
c tasks ls >/dev/null 2>&1
c containers info nonexistent >/dev/null 2>&1
scrape after
after=$(value after grpc_server_started_total "$svc" grpc_method=List grpc_type=unary 2>&1)
OUT="$before -> $after"
if [ "$after" -eq $((before + 2)) ] 2>/dev/null; then pass "two ctr tasks ls: Tasks/List started $OUT"; else fail "Tasks/List counted twice"; fi
OUT=$(value after grpc_server_handled_total grpc_service=containerd.services.containers.v1.Containers \
  grpc_method=Get grpc_code=NotFound 2>&1)
if [ "$OUT" = 1 ]; then pass "a Get of a missing container counts under grpc_code=NotFound"; else fail "Get NotFound counted"; fi

echo "# the task gone, its figures go"
c t kill -s 9 "$ID" >/dev/null 2>&1
for _ in $(seq 100); do c t rm "$ID" >/dev/null 2>&1 && break; sleep 0.1; done
scrape gone
OUT=$(grep -c "container_id=\"$ID\"" "$TMP/scrape.gone")
if [ "$OUT" = 0 ]; then pass "no container_* sample of the deleted task remains"; else fail "deleted task's samples ($OUT)"; fi
stop_berthd
finish

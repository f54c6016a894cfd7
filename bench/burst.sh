#!/usr/bin/env bash
# bench/burst.sh: what a burst of concurrent streams leaves behind, side by side
# with Debian's containerd: resident memory after the burst is over, and the
# threads that idle streams hold.
#
#   bench/burst.sh                              # 400 writers of 8 MiB, RSS up to 300 s after
#   STREAMS=200 AFTER="1 10 60" bench/burst.sh
#
# Environment:
#   BERTHD, CONTAINERD, CTR, SNAPSHOT   as in bench/startup.sh
#   STREAMS      concurrent Content.Write streams in the burst (default 400)
#   BYTES        bytes each stream writes, in 1 MiB messages (default 8388608)
#   AFTER        seconds after the burst at which RSS is read (default "1 10 60 300")
#   IDLE_STREAMS streams opened and held still, for the thread count (default 2000)
#   RESULTS      JSON output (default bench/results/burst.json)
#   BERTHD_TOML  lines added to berthd's config, e.g. $'[grpc]\nmax_concurrent_calls = 512'
#                to let every stream of the burst in at once
#
# Method: both daemons start on private roots (see lib.sh). Idle RSS is read
# 5 s after the first answer. bench/stream_burst then runs STREAMS writers
# against one daemon at a time (each opens an ingest, writes BYTES, closes
# and aborts it); RSS (VmRSS) is read AFTER seconds after it returns, and the
# peak (VmHWM). Then IDLE_STREAMS streams each open an ingest and hold still
# for 10 s; the daemon's thread count is read while they are held, and the
# client reports how many were refused with RESOURCE_EXHAUSTED.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
STREAMS=${STREAMS:-400}
BYTES=${BYTES:-8388608}
AFTER=${AFTER:-1 10 60 300}
IDLE_STREAMS=${IDLE_STREAMS:-2000}
RESULTS=${RESULTS:-$HERE/results/burst.json}
CLIENT=${CLIENT:-$REPO/build/bench/stream_burst}

die() { echo "burst.sh: $*" >&2; exit 1; }
log() { echo "burst.sh: $*" >&2; }

for n in "$STREAMS" "$BYTES" "$IDLE_STREAMS"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "STREAMS, BYTES, IDLE_STREAMS must be positive integers"
done
source "$HERE/lib.sh"
LOAD_BEFORE=$(loadavg)
bench_init burst "$CLIENT"
snapshot_berthd
ulimit -n 65536 2>/dev/null || true

status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

log "berthd: $BERTHD_SRC; containerd: $("$CONTAINERD" --version)"
log "STREAMS=$STREAMS x $BYTES bytes, RSS after: $AFTER s, IDLE_STREAMS=$IDLE_STREAMS"
start_daemon berthd
start_daemon ctrd
sleep 5
declare -A R=()
for kind in berthd ctrd; do R[$kind.idle]=$(status_kb "${PID_OF[$kind]}" VmRSS); done

KINDS=(berthd ctrd)
for kind in "${KINDS[@]}"; do
  pid=${PID_OF[$kind]}
  log "$kind: burst of $STREAMS writers"
  R[$kind.burst]=$("$CLIENT" "$WORK/$kind/sock" write "$STREAMS" "$BYTES")
  t0=$SECONDS
  for a in $AFTER; do
    while (( SECONDS - t0 < a )); do sleep 1; done
    R[$kind.after.$a]=$(status_kb "$pid" VmRSS)
    log "$kind: RSS $a s after the burst: $(mb "${R[$kind.after.$a]}") MB"
  done
  R[$kind.hwm]=$(status_kb "$pid" VmHWM)
  log "$kind: $IDLE_STREAMS idle streams"
  "$CLIENT" "$WORK/$kind/sock" idle "$IDLE_STREAMS" 10 >"$WORK/$kind.idle.out" &
  client=$!
  sleep 8
  R[$kind.threads]=$(status_kb "$pid" Threads)
  wait "$client"
  R[$kind.idle_streams]=$(cat "$WORK/$kind.idle.out")
done

LAST=${AFTER##* }
{
  echo "### berthd vs containerd: $STREAMS concurrent Write streams of $BYTES bytes, then $IDLE_STREAMS idle streams"
  echo
  echo "$(nproc) CPUs; berthd \`$BERTHD_SRC\` (config: \`version = 2\`${BERTHD_TOML:+ and \`${BERTHD_TOML//$'\n'/; }\`}); containerd $("$CONTAINERD" --version | awk '{print $3}'), CRI disabled."
  echo
  echo "| | berthd | containerd | berthd / containerd |"
  echo "|---|---:|---:|---:|"
  echo "| RSS idle (MB) | $(mb "${R[berthd.idle]}") | $(mb "${R[ctrd.idle]}") | $(ratio "${R[berthd.idle]}" "${R[ctrd.idle]}") |"
  echo "| peak RSS, VmHWM (MB) | $(mb "${R[berthd.hwm]}") | $(mb "${R[ctrd.hwm]}") | $(ratio "${R[berthd.hwm]}" "${R[ctrd.hwm]}") |"
  for a in $AFTER; do
    echo "| RSS $a s after the burst (MB) | $(mb "${R[berthd.after.$a]}") | $(mb "${R[ctrd.after.$a]}") | $(ratio "${R[berthd.after.$a]}" "${R[ctrd.after.$a]}") |"
  done
  echo "| RSS $LAST s after / idle | $(ratio "${R[berthd.after.$LAST]}" "${R[berthd.idle]}") | $(ratio "${R[ctrd.after.$LAST]}" "${R[ctrd.idle]}") | |"
  echo "| threads while $IDLE_STREAMS streams are held | ${R[berthd.threads]} | ${R[ctrd.threads]} | $(ratio "${R[berthd.threads]}" "${R[ctrd.threads]}") |"
  echo "| burst client: | ${R[berthd.burst]} | ${R[ctrd.burst]} | |"
  echo "| idle client: | ${R[berthd.idle_streams]} | ${R[ctrd.idle_streams]} | |"
  # With [debug] level = "debug" berthd logs each trim: how much free memory
  # the allocator held, against what was in use.
  trims=$(grep -h "heap quiet" "$WORK/berthd/daemon.log" 2>/dev/null | sed -E 's/^[^ ]+ +[a-z]+ +//' | head -4 || true)
  if [[ -n $trims ]]; then
    echo
    echo "berthd's trims of its heap (debug log):"
    sed 's/^/- /' <<<"$trims"
  fi
  echo
  echo "Goal: RSS $LAST s after the burst within 2 x idle: berthd $(awk -v a="${R[berthd.after.$LAST]}" -v b="${R[berthd.idle]}" 'BEGIN { print (a <= 2 * b) ? "met" : "NOT met" }')."
}

mkdir -p "$(dirname "$RESULTS")"
LOAD_AFTER=$(loadavg)
{
  json_head burst
  toml=${BERTHD_TOML:-}
  toml=${toml//\\/\\\\}
  toml=${toml//\"/\\\"}
  echo "  \"subjects\": {$(json_subjects), \"berthd_toml\": \"${toml//$'\n'/\\n}\"},"
  echo "  \"config\": {\"streams\": $STREAMS, \"bytes\": $BYTES, \"idle_streams\": $IDLE_STREAMS, \"after_s\": \"$AFTER\"},"
  for kind in "${KINDS[@]}"; do
    printf '  "%s": {"idle_rss_kb": %s, "hwm_kb": %s, "threads_idle_streams": %s, "burst": "%s", "idle": "%s", "rss_after_kb": {' \
      "$kind" "${R[$kind.idle]}" "${R[$kind.hwm]}" "${R[$kind.threads]}" "${R[$kind.burst]}" "${R[$kind.idle_streams]}"
    sep=""
    for a in $AFTER; do printf '%s"%s": %s' "$sep" "$a" "${R[$kind.after.$a]}"; sep=", "; done
    [[ $kind == berthd ]] && echo "}}," || echo "}}"
  done
  echo "}"
} >"$RESULTS.tmp"
mv "$RESULTS.tmp" "$RESULTS"

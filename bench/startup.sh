#!/usr/bin/env bash
# bench/startup.sh: berthd start-to-first-answer and idle memory, side by side
# with Debian's containerd (default config, and with the CRI plugin disabled),
# on an empty root and on an existing one (a restart, with an image in it).
#
#   bench/startup.sh                  # RUNS=10 samples of each daemon
#   RUNS=20 BERTHD=/usr/local/bin/berthd bench/startup.sh
#
# Environment:
#   BERTHD      berthd binary (default: <repo>/build/bin/berthd); its plugins are
#               found as berthd does, at <bin>/../lib/berth/plugins
#   CONTAINERD  containerd binary (default /usr/bin/containerd)
#   CTR         ctr binary (default /usr/bin/ctr)
#   RUNS        samples per daemon and variant (default 10; at least 9 for the
#               goals' medians)
#   WARMUP      discarded starts per daemon before sampling (default 1)
#   RSS_WAIT    seconds between the first answer and reading memory (default 2)
#   POLL_US     socket poll interval, microseconds (default 1000)
#   TIMEOUT_MS  give up on a start after this long (default 30000)
#   SNAPSHOT    1 (default): copy berthd, its libberth-*.so and plugins into the
#               temp dir first, so a rebuild of the tree during the run cannot
#               mix binaries; 0: run in place
#   RESULTS     JSON output (default bench/results/startup.json)
#   CC          C compiler for the probe and the floor (default cc)
#   FLOOR       1 (default): also time the floors, bench/startup_floor.c
#               loading the shared objects a started berthd maps (all of them;
#               and the third-party ones only) and listening; 0: not
#   TMPDIR      where the daemons' root/state/socket go (default /tmp); the
#               file system matters: RocksDB and bolt fsync on open, so
#               TMPDIR=/dev/shm (tmpfs) measures start-up without disk flushes
#
# Method (see bench/README.md): a small C probe (bench/startup_probe.c) takes
# CLOCK_MONOTONIC, fork()+exec()s the daemon, tries connect() on its unix
# socket every POLL_US, and once a connect is accepted runs `ctr -a SOCK
# version` until one exits 0. "listen" = exec to first accepted connect;
# "answer" = exec to the exit of the first successful `ctr version` (this
# includes ctr's own start-up, reported separately as "ctr version on a
# running daemon"). Each sample: a first start on an empty root; idle memory;
# `ctr images import` of a busybox image (unpacked into overlayfs); a clean
# stop; a restart on that root (the existing-root sample); idle memory; stop.
# Only one daemon runs at any time, and each has exited before the next starts.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
BERTHD=${BERTHD:-$REPO/build/bin/berthd}
CONTAINERD=${CONTAINERD:-/usr/bin/containerd}
CTR=${CTR:-/usr/bin/ctr}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-1}
RSS_WAIT=${RSS_WAIT:-2}
POLL_US=${POLL_US:-1000}
TIMEOUT_MS=${TIMEOUT_MS:-30000}
SNAPSHOT=${SNAPSHOT:-1}
RESULTS=${RESULTS:-$HERE/results/startup.json}
CC=${CC:-cc}

die() { echo "startup.sh: $*" >&2; exit 1; }
log() { echo "startup.sh: $*" >&2; }

[[ $EUID -eq 0 ]] || die "run as root (containerd needs it)"
for b in "$BERTHD" "$CONTAINERD" "$CTR"; do [[ -x $b ]] || die "$b is not executable"; done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
(( RUNS >= 9 )) || log "warning: RUNS=$RUNS: the goals are judged on medians of at least 9 runs"

WORK=$(mktemp -d -p "${TMPDIR:-/tmp}" berth-bench-startup.XXXXXX)
WORK_FS=$(df -T "$WORK" | awk 'NR == 2 {print $2}')
(( ${#WORK} < 80 )) || die "TMPDIR path too long for a unix socket path"
source "$HERE/lib.sh"
declare -A DAEMON_OF_PROBE=()   # probe pid -> daemon pid, for what is running now

# Stops what this script started, and nothing else: each daemon by its PID
# (SIGTERM), or, if its PID is not known yet, through its probe, which passes
# SIGTERM on (and the daemon has PDEATHSIG=SIGTERM should the probe die). The
# probe is the daemon's parent and reaps it, so while the probe lives the
# daemon's PID cannot have been reused.
cleanup() {
  local probe daemon i
  for probe in "${!DAEMON_OF_PROBE[@]}"; do
    daemon=${DAEMON_OF_PROBE[$probe]}
    if [[ -n $daemon ]]; then kill -TERM "$daemon" 2>/dev/null || true; else kill -TERM "$probe" 2>/dev/null || true; fi
  done
  for probe in "${!DAEMON_OF_PROBE[@]}"; do
    daemon=${DAEMON_OF_PROBE[$probe]}
    for ((i = 0; i < 1000; i++)); do kill -0 "$probe" 2>/dev/null || break; sleep 0.01; done
    if kill -0 "$probe" 2>/dev/null; then
      [[ -z $daemon ]] || kill -KILL "$daemon" 2>/dev/null || true
      kill -KILL "$probe" 2>/dev/null || true
    fi
    wait "$probe" 2>/dev/null || true
  done
  DAEMON_OF_PROBE=()
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PROBE=$WORK/startup_probe
"$CC" -O2 -o "$PROBE" "$HERE/startup_probe.c" || die "cannot build the probe with $CC"
FLOOR=${FLOOR:-1}
FLOOR_BIN=$WORK/startup_floor
if [[ $FLOOR == 1 ]]; then
  "$CC" -O2 -o "$FLOOR_BIN" "$HERE/startup_floor.c" -ldl || die "cannot build the floor with $CC"
fi

snapshot_berthd

# The image each daemon's root gets before its restart: busybox, one layer.
IMAGE=bench.local/startup:1
bash "$HERE/../tests/support/make_oci_image.sh" "$WORK/image.tar" "$IMAGE" >/dev/null ||
  die "cannot make the test image (tests/support/make_oci_image.sh)"

# Configs. Each daemon gets one so neither reads /etc: berthd's is
# `version = 2` only; containerd's is `version = 2` plus the opt plugin's path
# moved into the temp dir (its default, /opt/containerd, would be created on the
# host; the plugin only mkdirs it). The no-CRI variant also disables CRI.
printf 'version = 2\n' >"$WORK/berthd.toml"
cat >"$WORK/containerd.toml" <<EOF
version = 2
[plugins."io.containerd.internal.v1.opt"]
  path = "$WORK/opt"
EOF
cat >"$WORK/containerd-nocri.toml" <<EOF
version = 2
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[plugins."io.containerd.internal.v1.opt"]
  path = "$WORK/opt"
EOF

KINDS=(berthd ctrd ctrd_nocri)
DAEMONS=(berthd ctrd ctrd_nocri)
[[ $FLOOR == 1 ]] && KINDS+=(floor_all floor_libs)
declare -A LABEL=([berthd]="berthd" [ctrd]="containerd (default)" [ctrd_nocri]="containerd (no CRI)"
  [floor_all]="floor: berthd's shared objects" [floor_libs]="floor: third-party libraries only")
is_floor() { [[ $1 == floor_* ]]; }

daemon_argv() {  # kind dir -> sets ARGV
  local kind=$1 dir=$2
  case $kind in
    berthd) ARGV=("$BERTHD" --config "$WORK/berthd.toml" --root "$dir/root" --state "$dir/state" --address "$dir/sock") ;;
    ctrd) ARGV=("$CONTAINERD" --config "$WORK/containerd.toml" --root "$dir/root" --state "$dir/state" --address "$dir/sock") ;;
    ctrd_nocri) ARGV=("$CONTAINERD" --config "$WORK/containerd-nocri.toml" --root "$dir/root" --state "$dir/state" --address "$dir/sock") ;;
    floor_all) ARGV=("$FLOOR_BIN" "$WORK/floor-all.txt" "$dir/sock") ;;
    floor_libs) ARGV=("$FLOOR_BIN" "$WORK/floor-libs.txt" "$dir/sock") ;;
  esac
}

# start_daemon KIND DIR -> CUR_PROBE CUR_PID CUR_LISTEN CUR_ANSWER CUR_CPU
start_daemon() {
  local kind=$1 dir=$2 res=$2/probe.result i
  mkdir -p "$dir"
  rm -f "$res" "$dir/sock"
  daemon_argv "$kind" "$dir"
  # A floor answers no `ctr version`: its "answer" is its listen.
  local client=$CTR
  is_floor "$kind" && client=/bin/true
  "$PROBE" "$res" "$dir/sock" "$dir/daemon.log" "$POLL_US" "$TIMEOUT_MS" "$client" -- "${ARGV[@]}" &
  CUR_PROBE=$!
  DAEMON_OF_PROBE[$CUR_PROBE]=""
  for ((i = 0; i < TIMEOUT_MS / 5 + 1000; i++)); do
    [[ -s $res ]] && break
    sleep 0.005
  done
  [[ -s $res ]] || die "no result from the probe for $kind"
  read -r CUR_PID CUR_LISTEN CUR_ANSWER CUR_CPU _ <"$res"
  # A daemon that exited was reaped by the probe: its PID is not ours anymore.
  [[ $CUR_ANSWER == daemon-exited ]] || DAEMON_OF_PROBE[$CUR_PROBE]=$CUR_PID
  if [[ $CUR_LISTEN == fail ]]; then
    log "$kind did not answer ($CUR_ANSWER); log:"
    tail -20 "$dir/daemon.log" >&2 || true
    exit 1
  fi
}

stop_daemon() {  # stops CUR_PID, reaps CUR_PROBE
  local i
  kill -TERM "$CUR_PID" 2>/dev/null || true
  for ((i = 0; i < 1000; i++)); do kill -0 "$CUR_PROBE" 2>/dev/null || break; sleep 0.01; done
  if kill -0 "$CUR_PROBE" 2>/dev/null; then
    log "pid $CUR_PID ignored SIGTERM for 10 s; killing it"
    kill -KILL "$CUR_PID" 2>/dev/null || true
  fi
  wait "$CUR_PROBE" 2>/dev/null || true
  unset "DAEMON_OF_PROBE[$CUR_PROBE]"
}

read_mem() {  # pid -> MEM_RSS MEM_HWM MEM_PSS MEM_ANON MEM_PRIV MEM_THREADS (kB, ..., count)
  local pid=$1
  # Private: pages only this process maps (clean or dirty), from smaps_rollup.
  MEM_PRIV=$(awk '/^Private_(Clean|Dirty):/ {s += $2} END {print s + 0}' "/proc/$pid/smaps_rollup")
  MEM_RSS=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
  MEM_HWM=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
  MEM_THREADS=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")
  MEM_PSS=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")
  MEM_ANON=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status")
}

ctr_version_ms() {  # sock -> CTR_MS (wall time of one `ctr version`)
  local t0 t1
  t0=$EPOCHREALTIME
  "$CTR" -a "$1" version >/dev/null 2>&1 || die "ctr version failed on $1"
  t1=$EPOCHREALTIME
  CTR_MS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) * 1000 }')
}

# Samples: S[kind.metric] is a space-separated list.
last() { awk '{print $NF}' <<<"${S[$1]}"; }
LOAD_BEFORE=$(loadavg)

log "berthd: $BERTHD_SRC (plugins: ${BERTHD_PLUGINS:-none})"
log "containerd: $("$CONTAINERD" --version)"
log "RUNS=$RUNS WARMUP=$WARMUP RSS_WAIT=${RSS_WAIT}s POLL_US=$POLL_US, load average $LOAD_BEFORE"

# The floors' libraries: every shared object a started, idle berthd maps
# (its plugins, libberth-*, and what they and berthd link), and the
# third-party ones alone (none under berthd's prefix).
if [[ $FLOOR == 1 ]]; then
  start_daemon berthd "$WORK/floor-probe"
  sleep 1
  prefix=$(dirname "$(dirname "$BERTHD")")
  awk '$6 ~ /\.so(\.[0-9]+)*$/ {print $6}' "/proc/$CUR_PID/maps" | awk '!seen[$0]++' |
    grep -v '/ld-linux' >"$WORK/floor-all.txt"
  grep -v "^$prefix/" "$WORK/floor-all.txt" >"$WORK/floor-libs.txt" || true
  stop_daemon
  rm -rf "$WORK/floor-probe"
  log "floors: $(wc -l <"$WORK/floor-all.txt") shared objects berthd maps, $(wc -l <"$WORK/floor-libs.txt") of them third-party"
fi

for ((w = 0; w < WARMUP; w++)); do
  for kind in "${KINDS[@]}"; do
    start_daemon "$kind" "$WORK/warmup-$kind"
    stop_daemon
    rm -rf "$WORK/warmup-$kind"
  done
done

for ((r = 0; r < RUNS; r++)); do
  # Rotate the order so no daemon always runs right after the same one.
  n=${#KINDS[@]}
  order=("${KINDS[@]:r%n}" "${KINDS[@]:0:r%n}")
  for kind in "${order[@]}"; do
    dir=$WORK/run-$kind
    rm -rf "$dir"
    # First start: root and state do not exist yet.
    start_daemon "$kind" "$dir"
    add "$kind.cold.listen" "$CUR_LISTEN"
    add "$kind.cold.answer" "$CUR_ANSWER"
    add "$kind.cold.cpu" "$CUR_CPU"
    sleep "$RSS_WAIT"
    read_mem "$CUR_PID"
    add "$kind.cold.rss" "$MEM_RSS"; add "$kind.cold.hwm" "$MEM_HWM"
    add "$kind.cold.pss" "$MEM_PSS"; add "$kind.cold.threads" "$MEM_THREADS"
    add "$kind.cold.anon" "$MEM_ANON"; add "$kind.cold.priv" "$MEM_PRIV"
    is_floor "$kind" || for _ in 1 2 3; do ctr_version_ms "$dir/sock"; add "$kind.ctr" "$CTR_MS"; done
    # Content for the restart: an image, its blobs and its unpacked layer.
    is_floor "$kind" || "$CTR" -a "$dir/sock" images import "$WORK/image.tar" >/dev/null 2>&1 ||
      die "ctr images import into $kind failed"
    stop_daemon
    # Restart on an existing root: same root and state, as left by the clean
    # stop above, holding the image.
    start_daemon "$kind" "$dir"
    add "$kind.warm.listen" "$CUR_LISTEN"
    add "$kind.warm.answer" "$CUR_ANSWER"
    add "$kind.warm.cpu" "$CUR_CPU"
    sleep "$RSS_WAIT"
    read_mem "$CUR_PID"
    add "$kind.warm.rss" "$MEM_RSS"; add "$kind.warm.hwm" "$MEM_HWM"
    add "$kind.warm.pss" "$MEM_PSS"; add "$kind.warm.threads" "$MEM_THREADS"
    add "$kind.warm.anon" "$MEM_ANON"; add "$kind.warm.priv" "$MEM_PRIV"
    is_floor "$kind" || "$CTR" -a "$dir/sock" images ls -q | grep -qx "$IMAGE" ||
      die "$kind lost the image across its restart"
    stop_daemon
    rm -rf "$dir"
  done
  log "run $((r + 1))/$RUNS: socket accepting, empty root / existing root:" \
    "berthd $(last berthd.cold.listen) / $(last berthd.warm.listen) ms," \
    "containerd $(last ctrd.cold.listen) / $(last ctrd.warm.listen) ms," \
    "containerd no-CRI $(last ctrd_nocri.cold.listen) / $(last ctrd_nocri.warm.listen) ms"
done
LOAD_AFTER=$(loadavg)

# ---- statistics -------------------------------------------------------------
minimum() { tr ' ' '\n' <<<"$1" | { grep . || true; } | sort -g | head -1 | awk -v p="${2:-1}" '{printf "%.*f", p, $1} END { if (NR == 0) printf "n/a" }'; }
jnum() { [[ $1 == n/a ]] && echo null || echo "$1"; }

# Rows: key | label | statistic | decimals
ROWS=(
  "cold.listen|Empty root: exec → socket accepting (ms), median|median|1"
  "cold.listen|Empty root: exec → socket accepting (ms), min|minimum|1"
  "warm.listen|Existing root (restart, image in it): exec → socket accepting (ms), median|median|1"
  "warm.listen|Existing root (restart, image in it): exec → socket accepting (ms), min|minimum|1"
  "cold.answer|Empty root: exec → first \`ctr version\` answer (ms), median|median|1"
  "warm.answer|Existing root: exec → first \`ctr version\` answer (ms), median|median|1"
  "cold.cpu|Empty root: daemon CPU user+sys until answer (ms), median|median|0"
  "warm.cpu|Existing root: daemon CPU user+sys until answer (ms), median|median|0"
  "ctr|\`ctr version\` alone, on a running daemon (ms), median|median|1"
  "cold.rss|Idle VmRSS (kB), empty root, median|median|0"
  "warm.rss|Idle VmRSS (kB), existing root, median|median|0"
  "cold.hwm|Idle VmHWM (kB), empty root, median|median|0"
  "cold.pss|Idle PSS (kB), empty root, median|median|0"
  "warm.pss|Idle PSS (kB), existing root, median|median|0"
  "cold.priv|Idle private (kB, Private_Clean + Private_Dirty), empty root, median|median|0"
  "warm.priv|Idle private (kB), existing root, median|median|0"
  "cold.anon|Idle RssAnon (kB: heap, stacks, dirtied data), empty root, median|median|0"
  "cold.threads|Threads, idle|median|0"
)

declare -A V=()
for kind in "${KINDS[@]}"; do
  for row in "${ROWS[@]}"; do
    IFS='|' read -r key _ stat dec <<<"$row"
    V[$kind.$key.$stat]=$($stat "${S[$kind.$key]:-}" "$dec")
  done
done

# Goals (issue 11): exec to a socket that accepts, at most half of
# containerd's, on an empty root and on an existing one; idle RSS at most half.
START_GOAL=0.5
RSS_GOAL=0.5
goal_met() { awk -v r="$1" -v g="$2" 'BEGIN { print (r != "n/a" && r <= g) ? "met" : "NOT met" }'; }
# GOALS: key | label | target
GOALS=(
  "cold.listen|start, empty root (socket accepting, median)|$START_GOAL"
  "warm.listen|start, existing root (socket accepting, median)|$START_GOAL"
  "cold.rss|idle VmRSS, empty root (median)|$RSS_GOAL"
  "warm.rss|idle VmRSS, existing root (median)|$RSS_GOAL"
  "cold.pss|(for reference) idle PSS, empty root|$RSS_GOAL"
  "cold.priv|(for reference) idle private memory, empty root|$RSS_GOAL"
  "cold.answer|(for reference) first \`ctr version\` answer, empty root, includes ctr|$START_GOAL"
)
declare -A R=()
for g in "${GOALS[@]}"; do
  IFS='|' read -r key _ _ <<<"$g"
  R[$key.def]=$(ratio "${V[berthd.$key.median]}" "${V[ctrd.$key.median]}")
  R[$key.nocri]=$(ratio "${V[berthd.$key.median]}" "${V[ctrd_nocri.$key.median]}")
done

# ---- Markdown ------------------------------------------------------------------
{
  echo "### berthd vs containerd: start-up and idle memory"
  echo
  echo "RUNS=$RUNS per daemon and variant, $(nproc) CPUs, root/state on $WORK_FS ($(dirname "$WORK")), load average before $LOAD_BEFORE, after $LOAD_AFTER."
  echo "berthd: \`$BERTHD_SRC\` (plugins: ${BERTHD_PLUGINS% }); containerd: $("$CONTAINERD" --version | awk '{print $3}')."
  echo
  floor_head="" floor_rule=""
  if [[ $FLOOR == 1 ]]; then
    floor_head=" ${LABEL[floor_all]} ($(wc -l <"$WORK/floor-all.txt")) | ${LABEL[floor_libs]} ($(wc -l <"$WORK/floor-libs.txt")) |"
    floor_rule="---:|---:|"
  fi
  echo "| metric | berthd | containerd (default) | containerd (no CRI) | ratio vs default | ratio vs no CRI |$floor_head"
  echo "|---|---:|---:|---:|---:|---:|$floor_rule"
  for row in "${ROWS[@]}"; do
    IFS='|' read -r key label stat _ <<<"$row"
    b=${V[berthd.$key.$stat]} d=${V[ctrd.$key.$stat]} n=${V[ctrd_nocri.$key.$stat]}
    floors=""
    [[ $FLOOR == 1 ]] && floors=" ${V[floor_all.$key.$stat]} | ${V[floor_libs.$key.$stat]} |"
    echo "| $label | $b | $d | $n | $(ratio "$b" "$d") | $(ratio "$b" "$n") |$floors"
  done
  if [[ $FLOOR == 1 ]]; then
    echo
    echo "What the floors leave for the goals (socket accepting, medians; a floor at or above 0.5 of containerd puts the goal out of reach with these libraries):"
    echo
    echo "| | empty root vs containerd (default) | existing root vs containerd (default) | empty root vs no CRI | existing root vs no CRI |"
    echo "|---|---:|---:|---:|---:|"
    for f in floor_all floor_libs berthd; do
      echo "| ${LABEL[$f]} | $(ratio "${V[$f.cold.listen.median]}" "${V[ctrd.cold.listen.median]}") |" \
        "$(ratio "${V[$f.warm.listen.median]}" "${V[ctrd.warm.listen.median]}") |" \
        "$(ratio "${V[$f.cold.listen.median]}" "${V[ctrd_nocri.cold.listen.median]}") |" \
        "$(ratio "${V[$f.warm.listen.median]}" "${V[ctrd_nocri.warm.listen.median]}") |"
    done
  fi
  echo
  echo "| goal | target | vs default | | vs no CRI | |"
  echo "|---|---:|---:|---|---:|---|"
  for g in "${GOALS[@]}"; do
    IFS='|' read -r key label target <<<"$g"
    echo "| $label | ≤ $target | ${R[$key.def]} | $(goal_met "${R[$key.def]}" "$target") | ${R[$key.nocri]} | $(goal_met "${R[$key.nocri]}" "$target") |"
  done
}

# ---- JSON ------------------------------------------------------------------------
mkdir -p "$(dirname "$RESULTS")"
{
  json_head startup
  echo "  \"config\": {\"runs\": $RUNS, \"warmup\": $WARMUP, \"rss_wait_s\": $RSS_WAIT, \"poll_us\": $POLL_US,"
  echo "             $(json_subjects)},"
  echo "  \"method\": \"C probe: CLOCK_MONOTONIC at fork+exec; listen = first accepted connect() on the unix socket (polled every poll_us); answer = exit of the first successful 'ctr -a SOCK version' started after listen. Empty root = root/state absent; existing root = same root/state after ctr images import of a busybox image and a clean SIGTERM stop. Memory read rss_wait_s after the answer from /proc/PID/status (VmRSS, VmHWM, Threads) and /proc/PID/smaps_rollup (Pss, Private_Clean + Private_Dirty). cpu = utime+stime of all the daemon threads from /proc/PID/stat at the answer (clock-tick resolution). RssAnon from /proc/PID/status. Times in ms, memory in kB.\","
  echo "  \"daemons\": {"
  first_kind=1
  for kind in "${KINDS[@]}"; do
    [[ $first_kind == 1 ]] || echo ","
    first_kind=0
    echo "    \"$kind\": {\"label\": \"${LABEL[$kind]}\","
    first=1
    for key in cold.listen cold.answer cold.cpu warm.listen warm.answer warm.cpu ctr cold.rss cold.hwm cold.pss cold.anon cold.priv cold.threads warm.rss warm.hwm warm.pss warm.anon warm.priv warm.threads; do
      [[ $first == 1 ]] || echo ","
      first=0
      printf '      "%s": {"median": %s, "min": %s, "samples": %s}' "${key/./_}" \
        "$(jnum "$(median "${S[$kind.$key]:-}" 3)")" "$(jnum "$(minimum "${S[$kind.$key]:-}" 3)")" "$(jarray "${S[$kind.$key]:-}")"
    done
    echo
    printf '    }'
  done
  echo
  echo "  },"
  echo "  \"ratios_and_goals\": {"
  first=1
  for g in "${GOALS[@]}"; do
    IFS='|' read -r key _ target <<<"$g"
    [[ $first == 1 ]] || echo ","
    first=0
    printf '    "%s": {"target": %s, "vs_default": %s, "vs_no_cri": %s, "met_vs_default": "%s", "met_vs_no_cri": "%s"}' \
      "${key/./_}" "$target" "$(jnum "${R[$key.def]}")" "$(jnum "${R[$key.nocri]}")" \
      "$(goal_met "${R[$key.def]}" "$target")" "$(goal_met "${R[$key.nocri]}" "$target")"
  done
  echo
  echo "  }"
  echo "}"
} >"$RESULTS.tmp"
mv "$RESULTS.tmp" "$RESULTS"
log "results written to $RESULTS"

#!/usr/bin/env bash
# Container lifecycles, side by side, on one busybox image and an equivalent
# bundle (issue 9's benchmarks):
#   runc        bare `runc run` of the bundle: /bin/busybox true
#   crun        bare `crun run` of the same bundle
#   ctr_ctrd    `ctr run --rm IMAGE id /bin/busybox true` against containerd
#   ctr_berthd  the same ctr against berthd
#   berth       `berth run --rm IMAGE id /bin/busybox true` against berthd
# timed with hyperfine (median of RUNS, after a warm-up run), but for runc,
# the shim v2 floor, `berth version` and berth, which run interleaved (one of
# each a round, RUNS rounds after a warm-up one) as their ratio is the goal; then
#   parallel    PAR_CLIENTS clients at once, PAR_EACH `ctr run --rm` each:
#               lifecycles per second (median of PAR_RUNS), both daemons
#   par_floor   the same concurrency without any daemon or client: overlay
#               mount, runc create, start, delete, unmount; its machine CPU
#               per lifecycle plus ctr's own is the parallel floor
#   restart     TASKS tasks running (`ctr run -d ... sleep`), the daemon
#               stopped with SIGTERM and started again: seconds from the exec
#               until `ctr t ls` lists all TASKS as RUNNING (median of
#               RESTART_RUNS), both daemons
# The bundle is the spec containerd itself generates for the image (taken with
# `ctr containers info`) over the image's layer extracted into rootfs/.
# The berthd and berth columns switch on by themselves once `ctr tasks ls`
# answers from berthd and `berth run --help` exits 0; until then they read
# "n/a (not built yet)".
# Goals: berth run at most 1.3 x bare runc; ctr against berthd at most half of
# containerd's time; parallel throughput at least twice containerd's.
#
#   bench/run.sh                  RUNS=9 PAR_CLIENTS=4 PAR_EACH=10 PAR_RUNS=3 TASKS=100 RESTART_RUNS=3
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
BUILD=${BUILD:-$REPO/build}
RUNS=${RUNS:-9}
PAR_CLIENTS=${PAR_CLIENTS:-4}
PAR_EACH=${PAR_EACH:-10}
PAR_RUNS=${PAR_RUNS:-3}
TASKS=${TASKS:-100}
RESTART_RUNS=${RESTART_RUNS:-3}
BERTH=${BERTH:-$BUILD/bin/berth}
RUNC=${RUNC:-/usr/sbin/runc}
CRUN=${CRUN:-/usr/bin/crun}
HYPERFINE=${HYPERFINE:-/usr/bin/hyperfine}
NS=bench
IMAGE=bench.local/busybox:1
NA="n/a (not built yet)"

die() { echo "run.sh: $*" >&2; exit 1; }
log() { echo "run.sh: $*" >&2; }
source "$HERE/lib.sh"
BERTHD_OPTIONAL=1 bench_init run "$HYPERFINE" "$RUNC" "$CRUN" /usr/bin/busybox /usr/bin/python3

# ---- cleanup: tasks, containers, bare containers, daemons, mounts, cgroups --
sock() { echo "$WORK/$1/sock"; }
c() {  # KIND CTR-ARGS...: ctr against that daemon, in the bench namespace
  local kind=$1
  shift
  "$CTR" -a "$(sock "$kind")" -n "$NS" "$@"
}
# remove_all KIND: every task (SIGKILL) and container in the namespace.
remove_all() {
  local kind=$1 ids
  [[ -n ${PID_OF[$kind]:-} && -S $(sock "$kind") ]] || return 0
  ids=$(c "$kind" tasks ls -q 2>/dev/null || true)
  if [[ -n $ids ]]; then
    xargs -r -P4 -n1 "$CTR" -a "$(sock "$kind")" -n "$NS" tasks kill -a -s SIGKILL <<<"$ids" >/dev/null 2>&1 || true
    # A task is deletable once its exit is recorded.
    for _ in $(seq 100); do
      xargs -r -P4 -n1 "$CTR" -a "$(sock "$kind")" -n "$NS" tasks rm <<<"$ids" >/dev/null 2>&1 || true
      ids=$(c "$kind" tasks ls -q 2>/dev/null || true)
      [[ -z $ids ]] && break
      sleep 0.1
    done
  fi
  ids=$(c "$kind" containers ls -q 2>/dev/null || true)
  [[ -z $ids ]] || xargs -r -P4 -n20 "$CTR" -a "$(sock "$kind")" -n "$NS" containers rm <<<"$ids" >/dev/null 2>&1 || true
}
# shellcheck disable=SC2317  # reached through the EXIT trap
cleanup_all() {
  set +e
  remove_all ctrd
  remove_all berthd
  "$RUNC" --root "$WORK/runc" delete -f bench-runc >/dev/null 2>&1
  "$CRUN" --root "$WORK/crun" delete -f bench-crun >/dev/null 2>&1
  stop_daemons
  awk -v w="$WORK/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r | xargs -r umount -l
  for d in /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/*/bench-bare; do
    [[ -d $d ]] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup_all EXIT

LOAD_BEFORE=$(loadavg)

# ---- the image, the daemons ---------------------------------------------------
# stop_one KIND: SIGTERM to that daemon alone; its tasks' shims stay up.
stop_one() {
  local pid=${PID_OF[$1]:-}
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "PID_OF[$1]"
}
bash "$REPO/tests/support/make_oci_image.sh" "$WORK/busybox.tar" "$IMAGE" >/dev/null
start_daemon ctrd
c ctrd images import "$WORK/busybox.tar" >/dev/null || die "ctr images import into containerd failed"

HAVE_BERTHD=0
HAVE_BERTH=0
BERTHD_SRC=$BERTHD
BERTHD_PLUGINS=""
WHY_NO_BERTHD="no $BERTHD"
if [[ -x $BERTHD ]]; then
  snapshot_berthd
  launch_daemon berthd
  if (wait_daemon berthd) 2>/dev/null; then
    if c berthd tasks ls >/dev/null 2>&1 && c berthd images import "$WORK/busybox.tar" >/dev/null 2>&1; then
      HAVE_BERTHD=1
      "$BERTH" run --help >/dev/null 2>&1 && HAVE_BERTH=1
    else
      WHY_NO_BERTHD="berthd does not answer ctr tasks ls (no Tasks service yet)"
    fi
  else
    WHY_NO_BERTHD="berthd did not start"
  fi
  ((HAVE_BERTHD)) || stop_one berthd
fi
log "berthd: $( ((HAVE_BERTHD)) && echo "on" || echo "$NA: $WHY_NO_BERTHD"); berth run: $( ((HAVE_BERTH)) && echo on || echo "$NA")"

# ---- the bundle: containerd's own spec for the image, over its layer ----------
c ctrd containers create "$IMAGE" spec-probe /bin/busybox true >/dev/null
mkdir -p "$WORK/bundle/rootfs" "$WORK/layout"
c ctrd containers info spec-probe | python3 -c '
import json, sys
spec = json.load(sys.stdin)["Spec"]
spec["root"] = {"path": "rootfs"}
spec["linux"]["cgroupsPath"] = "/bench-bare/" + sys.argv[1]
json.dump(spec, open(sys.argv[2], "w"), indent=1)' bare "$WORK/bundle/config.json"
c ctrd containers rm spec-probe >/dev/null
tar -xf "$WORK/busybox.tar" -C "$WORK/layout"
python3 -c '
import json, sys
d = sys.argv[1]
m = json.load(open(d + "/index.json"))["manifests"][0]["digest"].split(":")[1]
for l in json.load(open(d + "/blobs/sha256/" + m))["layers"]:
    print(d + "/blobs/sha256/" + l["digest"].split(":")[1])' "$WORK/layout" |
  while read -r layer; do tar -xf "$layer" -C "$WORK/bundle/rootfs"; done

# crun refuses some setups (cgroup v1 or hybrid hierarchies, a shared root
# mount): try it plain, then in a private mount namespace, and say which ran.
CRUN_CMD=""
CRUN_HOW="failed"
crun_try() { "$@" --root "$WORK/crun" run -b "$WORK/bundle" bench-crun >"$WORK/crun.log" 2>&1; }
# shellcheck disable=SC2016  # the inner sh's "$0" and "$@" are meant literally
if crun_try "$CRUN"; then
  CRUN_CMD="$CRUN --root $WORK/crun run -b $WORK/bundle bench-crun"
  CRUN_HOW="plain"
elif crun_try unshare -m "$CRUN"; then
  CRUN_CMD="unshare -m $CRUN --root $WORK/crun run -b $WORK/bundle bench-crun"
  CRUN_HOW="in unshare -m"
elif crun_try unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec "$0" "$@"' "$CRUN"; then
  # Hybrid hosts (cgroup v1 controllers plus a cgroup2 mount at
  # /sys/fs/cgroup/unified): crun refuses them; without the cgroup2 mount, in
  # its own mount namespace, it sees plain v1 as runc does.
  CRUN_CMD="unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec \"\$0\" \"\$@\"' $CRUN --root $WORK/crun run -b $WORK/bundle bench-crun"
  CRUN_HOW="in unshare -m, /sys/fs/cgroup/unified unmounted"
else
  log "crun fails here, plain, under unshare -m and without the cgroup2 mount: $(tail -3 "$WORK/crun.log")"
fi
"$CRUN" --root "$WORK/crun" delete -f bench-crun >/dev/null 2>&1 || true
log "crun: $CRUN_HOW"

# ---- single lifecycles with hyperfine ------------------------------------------
# hyper NAME COMMAND: RUNS timed runs after one warm-up, no shell in between;
# the samples (s) into S[NAME.s].
hyper() {
  local name=$1 cmd=$2
  "$HYPERFINE" -N --style none --warmup 1 --runs "$RUNS" --export-json "$WORK/$name.json" "$cmd" >/dev/null 2>"$WORK/$name.err" ||
    { log "$name failed: $(tail -3 "$WORK/$name.err")"; return 0; }
  S[$name.s]=$(python3 -c 'import json,sys; print(" ".join("%.4f" % t for t in json.load(open(sys.argv[1]))["results"][0]["times"]))' "$WORK/$name.json")
}
# The OCI runtime calls a shim v2 makes for one task: create, start, delete.
# Its exit is not awaited: busybox true has exited before runc delete, a Go
# program, has started (--force only covers the odd slow run).
cat >"$WORK/shim_floor.sh" <<EOT
#!/bin/sh
$RUNC --root $WORK/runc create -b $WORK/bundle bench-floor </dev/null >/dev/null || exit 1
$RUNC --root $WORK/runc start bench-floor || exit 1
exec $RUNC --root $WORK/runc delete --force bench-floor
EOT

# ---- berth run against bare runc, interleaved -------------------------------------
# Bare `runc run`, the shim v2 floor, `berth version` and `berth run --rm`, one
# after the other in each of RUNS rounds (after a warm-up round), so the four
# of a round see the same machine: timed one command at a time, each drifts
# with the load of its minute, and the ratio of two such medians with it.
# `berth version` (exec, connect, one call, exit) is what any berth command
# costs; with the shim v2 floor it is the least `berth run --rm` can take.
# The shim v2 floor's CPU (sh and its three runc processes) from `times`.
# `times` runs in this shell (a $(...) subshell has no children of its own).
children_ms() {
  times >"$WORK/times"
  awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%.0f", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * 1000 }' "$WORK/times"
}
timed() {  # NAME COMMAND...: one run, its seconds added to S[NAME.s] (unless NAME is -)
  local name=$1 t0 t1
  shift
  t0=$EPOCHREALTIME
  "$@" >/dev/null 2>>"$WORK/interleaved.err" || { log "$name failed: $(tail -3 "$WORK/interleaved.err")"; return 1; }
  t1=$EPOCHREALTIME
  [[ $name == - ]] || add "$name.s" "$(secs "$t0" "$t1")"
}
# round_name NAME: NAME, or - (not kept) in the warm-up round.
round_name() { if ((round < 0)); then echo -; else echo "$1"; fi; }
interleaved() {
  local round floor_ms=0
  for ((round = -1; round < RUNS; round++)); do
    timed "$(round_name runc)" "$RUNC" --root "$WORK/runc" run -b "$WORK/bundle" bench-runc || return 0
    children_ms >"$WORK/c0"
    timed "$(round_name shim_floor)" /bin/sh "$WORK/shim_floor.sh" || return 0
    children_ms >"$WORK/c1"
    ((round < 0)) || floor_ms=$((floor_ms + $(<"$WORK/c1") - $(<"$WORK/c0")))
    if ((HAVE_BERTH)); then
      timed "$(round_name berth_version)" "$BERTH" -a "$(sock berthd)" version || return 0
      timed "$(round_name berth)" "$BERTH" -a "$(sock berthd)" -n "$NS" run --rm "$IMAGE" bench-berth \
        /bin/busybox true || return 0
    fi
  done
  S[shim_floor_cpu.s]=$(awk -v t="$floor_ms" -v n="$RUNS" 'BEGIN { printf "%.1f", t / n }')
}
interleaved
[[ -n $CRUN_CMD ]] && hyper crun "$CRUN_CMD"
hyper ctr_ctrd "$CTR -a $(sock ctrd) -n $NS run --rm $IMAGE bench-ctr /bin/busybox true"
((HAVE_BERTHD)) && hyper ctr_berthd "$CTR -a $(sock berthd) -n $NS run --rm $IMAGE bench-ctr /bin/busybox true"

# ---- ctr's own share of its run --rm ----------------------------------------------
# berthd, restarted at debug level, logs each call's time on the server; what
# is left of each ctr run --rm is ctr's: its start-up, its work between calls,
# the socket (bench/client_share.py). That share plus the shim v2 floor is the
# least any daemon could take for ctr run --rm.
client_share() {
  local r t0 t1
  stop_one berthd
  rm -f "$(sock berthd)"
  BERTHD_TOML=$'[debug]\n  level = "debug"' launch_daemon berthd
  wait_daemon berthd
  : >"$WORK/share.runs"
  for ((r = 0; r < RUNS; r++)); do
    t0=$EPOCHREALTIME
    c berthd run --rm "$IMAGE" bench-share /bin/busybox true >/dev/null || { log "client share run failed"; break; }
    t1=$EPOCHREALTIME
    echo "$t0 $t1" >>"$WORK/share.runs"
  done
  S[ctr_share.s]=$(python3 "$HERE/client_share.py" "$WORK/berthd/daemon.log" "$WORK/share.runs") ||
    { log "client share: $(tail -1 "$WORK/berthd/daemon.log")"; unset "S[ctr_share.s]"; }
  stop_one berthd
  rm -f "$(sock berthd)"
  launch_daemon berthd
  wait_daemon berthd
}
((HAVE_BERTHD)) && client_share

# ---- parallel clients ------------------------------------------------------------
# par KIND: PAR_CLIENTS clients at once, PAR_EACH lifecycles each; the
# throughput into S[par_KIND.s].
# Around the runs, CPU in ms per lifecycle: the whole machine's (/proc/stat),
# the ctr processes' (this shell's children) and the daemon's own.
busy_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
proc_jiffies() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
par() {
  local kind=$1 r t0 t1 client failed busy0 ctr0 daemon0 lifecycles
  local hz
  hz=$(getconf CLK_TCK)
  busy0=$(busy_jiffies)
  children_ms >"$WORK/ctr0"
  ctr0=$(<"$WORK/ctr0")
  daemon0=$(proc_jiffies "${PID_OF[$kind]}")
  for ((r = 0; r < PAR_RUNS; r++)); do
    failed=0
    t0=$EPOCHREALTIME
    for ((client = 0; client < PAR_CLIENTS; client++)); do
      (
        for ((i = 0; i < PAR_EACH; i++)); do
          c "$kind" run --rm "$IMAGE" "par-$client-$i" /bin/busybox true >/dev/null 2>>"$WORK/par-$kind.err" || exit 1
        done
      ) &
    done
    for ((client = 0; client < PAR_CLIENTS; client++)); do wait -n || failed=1; done
    t1=$EPOCHREALTIME
    if ((failed)); then
      log "parallel run against $kind failed: $(tail -3 "$WORK/par-$kind.err")"
      remove_all "$kind"
      continue
    fi
    add "par_$kind.s" "$(awk -v a="$t0" -v b="$t1" -v n=$((PAR_CLIENTS * PAR_EACH)) 'BEGIN { printf "%.2f", n / (b - a) }')"
  done
  lifecycles=$((PAR_RUNS * PAR_CLIENTS * PAR_EACH))
  S[cpu_total_$kind.s]=$(awk -v a="$busy0" -v b="$(busy_jiffies)" -v hz="$hz" -v n=$lifecycles 'BEGIN { printf "%.1f", (b - a) * 1000 / hz / n }')
  children_ms >"$WORK/ctr1"
  S[cpu_ctr_$kind.s]=$(awk -v a="$ctr0" -v b="$(<"$WORK/ctr1")" -v n=$lifecycles 'BEGIN { printf "%.1f", (b - a) / n }')
  S[cpu_daemon_$kind.s]=$(awk -v a="$daemon0" -v b="$(proc_jiffies "${PID_OF[$kind]}")" -v hz="$hz" -v n=$lifecycles 'BEGIN { printf "%.1f", (b - a) * 1000 / hz / n }')
}
par ctrd
((HAVE_BERTHD)) && par berthd

# ---- the parallel floor -------------------------------------------------------------
# What any daemon must have done for PAR_CLIENTS clients at once: per
# lifecycle, an overlay rootfs over the image's layer (as a shim mounts it),
# runc create, start and delete, the unmount and the removal of the upper and
# work directories. Each client has a bundle of its own and its own cgroup. The
# machine's CPU per lifecycle under that concurrency (contention included), plus
# ctr's own CPU per lifecycle in the berthd runs, is the least CPU a lifecycle
# can cost; with every CPU busy, nproc over it is the most lifecycles a second.
par_floor() {
  local client r busy0 lifecycles hz pids=()
  hz=$(getconf CLK_TCK)
  for ((client = 0; client < PAR_CLIENTS; client++)); do
    mkdir -p "$WORK/pf/$client/rootfs"
    python3 -c '
import json, sys
spec = json.load(open(sys.argv[1]))
spec["root"] = {"path": "rootfs"}
spec["linux"]["cgroupsPath"] = "/bench-bare/floor-" + sys.argv[3]
json.dump(spec, open(sys.argv[2], "w"))' "$WORK/bundle/config.json" "$WORK/pf/$client/config.json" "$client"
  done
  cat >"$WORK/pf/loop.sh" <<EOT
#!/bin/sh
# loop.sh CLIENT COUNT
b=$WORK/pf/\$1
i=0
while [ \$i -lt \$2 ]; do
  mkdir \$b/upper \$b/work || exit 1
  mount -t overlay overlay -o lowerdir=$WORK/bundle/rootfs,upperdir=\$b/upper,workdir=\$b/work \$b/rootfs || exit 1
  $RUNC --root $WORK/runc create -b \$b floor-\$1-\$i </dev/null >/dev/null || exit 1
  $RUNC --root $WORK/runc start floor-\$1-\$i || exit 1
  $RUNC --root $WORK/runc delete --force floor-\$1-\$i || exit 1
  umount \$b/rootfs || exit 1
  rm -rf \$b/upper \$b/work
  i=\$((i + 1))
done
EOT
  busy0=$(busy_jiffies)
  for ((r = 0; r < PAR_RUNS; r++)); do
    local t0 t1 failed=0
    pids=()
    t0=$EPOCHREALTIME
    for ((client = 0; client < PAR_CLIENTS; client++)); do
      /bin/sh "$WORK/pf/loop.sh" "$client" "$PAR_EACH" 2>>"$WORK/pf.err" &
      pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    t1=$EPOCHREALTIME
    ((failed)) && { log "parallel floor failed: $(tail -3 "$WORK/pf.err")"; return 0; }
    add par_floor.s "$(awk -v a="$t0" -v b="$t1" -v n=$((PAR_CLIENTS * PAR_EACH)) 'BEGIN { printf "%.2f", n / (b - a) }')"
  done
  lifecycles=$((PAR_RUNS * PAR_CLIENTS * PAR_EACH))
  S[cpu_par_floor.s]=$(awk -v a="$busy0" -v b="$(busy_jiffies)" -v hz="$hz" -v n=$lifecycles 'BEGIN { printf "%.1f", (b - a) * 1000 / hz / n }')
}
par_floor

# ---- restart with TASKS running ----------------------------------------------------
running() { c "$1" tasks ls 2>/dev/null | grep -c ' RUNNING' || true; }
restart() {
  local kind=$1 r t0 t1 n
  seq "$TASKS" | xargs -P4 -I{} "$CTR" -a "$(sock "$kind")" -n "$NS" run -d "$IMAGE" "sleep-{}" /bin/busybox sleep 100000 >/dev/null
  n=$(running "$kind")
  [[ $n -eq $TASKS ]] || { log "$kind: only $n of $TASKS tasks running"; remove_all "$kind"; return 0; }
  for ((r = 0; r < RESTART_RUNS; r++)); do
    stop_one "$kind"
    rm -f "$(sock "$kind")"
    t0=$EPOCHREALTIME
    launch_daemon "$kind"
    for ((i = 0; i < 6000; i++)); do
      [[ -S $(sock "$kind") && $(running "$kind") -eq $TASKS ]] && break
      sleep 0.01
    done
    t1=$EPOCHREALTIME
    [[ $(running "$kind") -eq $TASKS ]] || { log "$kind: the tasks were not all back after a restart"; break; }
    add "restart_$kind.s" "$(secs "$t0" "$t1")"
  done
  remove_all "$kind"
}
restart ctrd
((HAVE_BERTHD)) && restart berthd

LOAD_AFTER=$(loadavg)

# ---- report --------------------------------------------------------------------
med() { [[ -n ${S[$1.s]:-} ]] && median "${S[$1.s]}" "${2:-3}" || echo "$NA"; }
row() {  # LABEL NAME [UNIT-DECIMALS]
  local v
  v=$(med "$2" "${3:-3}")
  echo "| $1 | $v | ${S[$2.s]:-} |"
}
crun_label="bare crun run ($CRUN_HOW)"
echo
echo "| $(nproc) CPUs, load $LOAD_BEFORE → $LOAD_AFTER | median | samples |"
echo "|---|---:|---|"
row "bare runc run, /bin/busybox true (s)" runc
if [[ -n $CRUN_CMD ]]; then row "$crun_label (s)" crun; else echo "| bare crun run | n/a (fails here: see the log above) | |"; fi
row "shim v2 floor: runc create, start, delete --force (s)" shim_floor
row "ctr run --rm → containerd (s)" ctr_ctrd
row "ctr run --rm → berthd (s)" ctr_berthd
row "berth run --rm → berthd (s)" berth
row "berth version → berthd: the client floor (s)" berth_version
row "ctr's own share of ctr run --rm → berthd (s)" ctr_share
row "$PAR_CLIENTS clients x $PAR_EACH ctr run --rm → containerd (lifecycles/s)" par_ctrd 2
row "$PAR_CLIENTS clients x $PAR_EACH ctr run --rm → berthd (lifecycles/s)" par_berthd 2
for kind in ctrd berthd; do
  [[ -n ${S[cpu_total_$kind.s]:-} ]] || continue
  echo "| CPU per lifecycle in the parallel runs, $kind: machine / ctr / daemon (ms) | ${S[cpu_total_$kind.s]} / ${S[cpu_ctr_$kind.s]} / ${S[cpu_daemon_$kind.s]} | |"
done
[[ -n ${S[shim_floor_cpu.s]:-} ]] && echo "| CPU of the shim v2 floor (ms) | ${S[shim_floor_cpu.s]} | |"
row "parallel floor alone: $PAR_CLIENTS clients x $PAR_EACH overlay mount + runc create, start, delete + unmount (lifecycles/s)" par_floor 2
[[ -n ${S[cpu_par_floor.s]:-} ]] && echo "| machine CPU per lifecycle of the parallel floor (ms) | ${S[cpu_par_floor.s]} | |"
row "restart with $TASKS tasks: containerd, exec → ctr t ls lists all (s)" restart_ctrd
row "restart with $TASKS tasks: berthd, exec → ctr t ls lists all (s)" restart_berthd
echo
ratio_or_na() { [[ -n ${S[$1.s]:-} && -n ${S[$2.s]:-} ]] && ratio "$(med "$1")" "$(med "$2")" || echo "${3:-$NA}"; }
echo "containerd's ctr run / bare runc: $(ratio_or_na ctr_ctrd runc)"
echo "crun / runc: $(ratio_or_na crun runc n/a)"
echo "berth run / bare runc: $(ratio_or_na berth runc) (goal: at most 1.3)"
BERTH_FLOOR=
if [[ -n ${S[berth_version.s]:-} && -n ${S[shim_floor.s]:-} && -n ${S[runc.s]:-} ]]; then
  BERTH_FLOOR=$(awk -v a="$(med berth_version 4)" -v b="$(med shim_floor 4)" 'BEGIN { printf "%.4f", a + b }')
  echo "berth run floor (the shim v2 floor + berth version): ${BERTH_FLOOR} s = $(ratio "$BERTH_FLOOR" "$(med runc)") x bare runc"
fi
echo "ctr run: berthd / containerd: $(ratio_or_na ctr_berthd ctr_ctrd) (goal: at most 0.5)"
# Floors: what no daemon can go below, given ctr and runc as they are.
RUN_FLOOR=
if [[ -n ${S[ctr_share.s]:-} && -n ${S[shim_floor.s]:-} && -n ${S[ctr_ctrd.s]:-} ]]; then
  RUN_FLOOR=$(awk -v a="$(med ctr_share 4)" -v b="$(med shim_floor 4)" 'BEGIN { printf "%.4f", a + b }')
  echo "ctr run floor (ctr's share + shim v2 floor): ${RUN_FLOOR} s = $(ratio "$RUN_FLOOR" "$(med ctr_ctrd)") of containerd's time"
fi
echo "parallel throughput: berthd / containerd: $(ratio_or_na par_berthd par_ctrd) (goal: at least 2)"
PAR_FLOOR=
if [[ -n ${S[cpu_ctr_berthd.s]:-} && -n ${S[cpu_par_floor.s]:-} && -n ${S[par_ctrd.s]:-} ]]; then
  PAR_FLOOR=$(awk -v n="$(nproc)" -v a="${S[cpu_ctr_berthd.s]}" -v b="${S[cpu_par_floor.s]}" 'BEGIN { printf "%.2f", n * 1000 / (a + b) }')
  echo "parallel floor ($(nproc) CPUs / (ctr's CPU + the parallel floor's machine CPU) per lifecycle): $PAR_FLOOR lifecycles/s = $(ratio "$PAR_FLOOR" "$(med par_ctrd 2)") x containerd's"
fi
echo "restart with $TASKS tasks: berthd / containerd: $(ratio_or_na restart_berthd restart_ctrd)"

mkdir -p "$HERE/results"
jnum() { [[ -n ${S[$1.s]:-} ]] && median "${S[$1.s]}" 4 || echo null; }
{
  json_head run
  echo "  \"subjects\": {$(json_subjects), \"runc\": \"$("$RUNC" --version | head -1)\", \"crun\": \"$("$CRUN" --version | head -1)\", \"crun_mode\": \"$CRUN_HOW\", \"berthd_on\": $HAVE_BERTHD, \"berth_run_on\": $HAVE_BERTH},"
  echo "  \"knobs\": {\"runs\": $RUNS, \"par_clients\": $PAR_CLIENTS, \"par_each\": $PAR_EACH, \"par_runs\": $PAR_RUNS, \"tasks\": $TASKS, \"restart_runs\": $RESTART_RUNS},"
  echo "  \"samples\": {"
  first=1
  echo "  \"floors\": {\"ctr_run_s\": ${RUN_FLOOR:-null}, \"berth_run_s\": ${BERTH_FLOOR:-null}, \"parallel_per_s\": ${PAR_FLOOR:-null}},"
  echo "  \"cpu_ms_per_lifecycle\": {\"shim_floor\": ${S[shim_floor_cpu.s]:-null}, \"parallel_floor\": ${S[cpu_par_floor.s]:-null}, \"ctrd\": {\"machine\": ${S[cpu_total_ctrd.s]:-null}, \"ctr\": ${S[cpu_ctr_ctrd.s]:-null}, \"daemon\": ${S[cpu_daemon_ctrd.s]:-null}}, \"berthd\": {\"machine\": ${S[cpu_total_berthd.s]:-null}, \"ctr\": ${S[cpu_ctr_berthd.s]:-null}, \"daemon\": ${S[cpu_daemon_berthd.s]:-null}}},"
  for k in runc crun shim_floor ctr_ctrd ctr_berthd berth berth_version ctr_share par_ctrd par_berthd par_floor restart_ctrd restart_berthd; do
    ((first)) || echo ","
    first=0
    printf '    "%s": {"median": %s, "samples": %s}' "$k" "$(jnum "$k")" "$(jarray "${S[$k.s]:-}")"
  done
  echo
  echo "  }"
  echo "}"
} >"$HERE/results/run.json"
log "results in bench/results/run.json"

# bench/lib.sh: what the benchmark scripts share. Sourced, never run. The
# caller sets REPO and defines die and log first, then either sets WORK (its
# temp dir) itself or calls bench_init.

# The daemons and the client every script compares (override by environment).
BERTHD=${BERTHD:-${BUILD:-$REPO/build}/bin/berthd}
CONTAINERD=${CONTAINERD:-/usr/bin/containerd}
CTR=${CTR:-/usr/bin/ctr}
SNAPSHOT=${SNAPSHOT:-1}

# bench_init NAME [BINARY...]: checks root and that the daemons, ctr and
# BINARY... are executable, makes the private temp dir WORK (short enough for
# socket paths inside it; its file system in WORK_FS) and arranges that every
# daemon this script starts and WORK go away on exit, Ctrl-C or SIGTERM.
bench_init() {
  local name=$1 b
  shift
  [[ $EUID -eq 0 ]] || die "run as root (containerd needs it)"
  for b in "$BERTHD" "$CONTAINERD" "$CTR" "$@"; do
    # BERTHD_OPTIONAL=1: a script that reports berthd as n/a when it is not built.
    [[ $b == "$BERTHD" && ${BERTHD_OPTIONAL:-0} == 1 ]] && continue
    [[ -x $b ]] || die "$b is not executable (build the tree: scripts/build)"
  done
  WORK=$(mktemp -d -p "${TMPDIR:-/tmp}" "berth-bench-$name.XXXXXX")
  (( ${#WORK} < 80 )) || { rm -rf "$WORK"; die "TMPDIR path too long for a unix socket path"; }
  WORK_FS=$(df -T "$WORK" | awk 'NR == 2 {print $2}')
  trap 'stop_daemons; rm -rf "$WORK"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# json_head NAME: the first lines of a results file: benchmark, date, host
# (with LOAD_BEFORE and LOAD_AFTER when the script sampled them).
json_head() {
  echo "{"
  echo "  \"benchmark\": \"$1\","
  echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
  echo "  \"host\": {\"cpus\": $(nproc), \"kernel\": \"$(uname -r)\", \"workdir_fs\": \"${WORK_FS:-}\", \"loadavg_before\": \"${LOAD_BEFORE:-}\", \"loadavg_after\": \"${LOAD_AFTER:-}\"},"
}
# The tree's revision, and how many files differ from it.
git_rev() { git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown; }
git_dirty() { git -C "$REPO" status --porcelain 2>/dev/null | grep -c . || true; }
# What was compared, as JSON members (no braces): the berthd under test, its
# plugins, the tree's revision, containerd and ctr.
json_subjects() {
  printf '"berthd": "%s", "berthd_plugins": "%s", "git_rev": "%s", "git_dirty_files": %s, "containerd": "%s", "ctr": "%s"' \
    "$BERTHD_SRC" "${BERTHD_PLUGINS% }" "$(git_rev)" "$(git_dirty)" "$("$CONTAINERD" --version)" "$CTR"
}

# Samples: S[key] is a space-separated list.
declare -A S=()
add() { S[$1]="${S[$1]:-}${S[$1]:+ }$2"; }
median() {  # LIST [DECIMALS]
  tr ' ' '\n' <<<"$1" | { grep . || true; } | sort -g | awk -v p="${2:-3}" '{v[NR] = $1}
    END { if (NR == 0) { printf "n/a"; exit }
          m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.*f", p, m }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
jarray() { echo "[$(tr ' ' ',' <<<"$1")]"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, all threads
TICK=$(getconf CLK_TCK)
ticks_to_s() { awk -v a="$1" -v b="$2" -v t="$TICK" 'BEGIN { printf "%.2f", (b - a) / t }'; }

# CPU seconds (user + system) of this shell's finished children so far. Not
# in a command substitution: a subshell's `times` would report its own.
children_cpu() {  # VAR
  times >"$WORK/times.txt"
  printf -v "$1" '%s' "$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, "m"); s += t[1] * 60 + t[2] } } END { printf "%.3f", s }' "$WORK/times.txt")"
}

# With SNAPSHOT=1, copies berthd, its libberth-*.so, its plugins and their
# engines into $WORK/prefix laid out as berthd expects (<prefix>/bin with
# Berth's shim, <prefix>/lib, <prefix>/lib/berth/plugins and engines), so a rebuild of the tree during the run cannot
# mix binaries. Sets BERTHD_SRC (what was asked for), BERTHD (what runs) and
# BERTHD_PLUGINS (the plugin files it will load).
snapshot_berthd() {
  BERTHD_SRC=$BERTHD
  if [[ ${SNAPSHOT:-1} == 1 ]]; then
    local src_prefix
    src_prefix=$(dirname "$(dirname "$(readlink -f "$BERTHD")")")
    mkdir -p "$WORK/prefix/bin" "$WORK/prefix/lib/berth"
    cp -a "$(readlink -f "$BERTHD")" "$WORK/prefix/bin/berthd"
    # Berth's shim: the runtime looks for it beside berthd.
    if [[ -x $src_prefix/bin/containerd-shim-berth-v2 ]]; then
      cp -a "$src_prefix/bin/containerd-shim-berth-v2" "$WORK/prefix/bin/"
    fi
    cp -a "$src_prefix"/lib/libberth-* "$WORK/prefix/lib/" 2>/dev/null || true
    if [[ -d $src_prefix/lib/berth/plugins ]]; then
      cp -a "$src_prefix/lib/berth/plugins" "$WORK/prefix/lib/berth/plugins"
    else
      log "warning: no plugin directory $src_prefix/lib/berth/plugins; berthd starts without plugins"
    fi
    # The plugins' engines, which the transfer and differ plugins load on
    # first use (libs/plugin-engine).
    if [[ -d $src_prefix/lib/berth/engines ]]; then
      cp -a "$src_prefix/lib/berth/engines" "$WORK/prefix/lib/berth/engines"
    fi
    BERTHD=$WORK/prefix/bin/berthd
  fi
  local plugin_dir
  plugin_dir=$(dirname "$(dirname "$BERTHD")")/lib/berth/plugins
  BERTHD_PLUGINS=$(cd "$plugin_dir" 2>/dev/null && ls -- *.so 2>/dev/null | tr '\n' ' ' || true)
}

# ---- long-running daemons (ingest.sh, apply.sh) ---------------------------------
# berthd with `version = 2` and BERTHD_TOML (default: nothing); containerd with CTRD_TOML after the opt plugin's path moved
# into the temp dir and CRI disabled (no part of these benchmarks, and it keeps
# containerd light on a small machine); NULL_SERVER is bench/null_content_server.

declare -A PID_OF=()  # kind -> pid of a daemon this script started

start_daemon() {  # kind: berthd | ctrd | null | nullhash | nullbehind
  launch_daemon "$1"
  wait_daemon "$1"
}

# launch_daemon KIND: starts it in the background (PID_OF[KIND]) and returns
# at once; wait_daemon KIND waits until it answers. Split so that a script
# can time a start from the exec (bench/run.sh's restart).
launch_daemon() {
  local kind=$1 dir=$WORK/$1
  mkdir -p "$dir"
  case $kind in
    berthd)
      printf 'version = 2\n%s\n' "${BERTHD_TOML:-}" >"$dir/config.toml"
      "$BERTHD" --config "$dir/config.toml" --root "$dir/root" --state "$dir/state" --address "$dir/sock" \
        >"$dir/daemon.log" 2>&1 & ;;
    ctrd)
      printf 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[plugins."io.containerd.internal.v1.opt"]\n  path = "%s"\n%s\n' \
        "$dir/opt" "${CTRD_TOML:-}" >"$dir/config.toml"
      "$CONTAINERD" --config "$dir/config.toml" --root "$dir/root" --state "$dir/state" --address "$dir/sock" \
        >"$dir/daemon.log" 2>&1 & ;;
    null) "$NULL_SERVER" "$dir/sock" >"$dir/daemon.log" 2>&1 & ;;
    nullhash) "$NULL_SERVER" "$dir/sock" --hash >"$dir/daemon.log" 2>&1 & ;;
    nullbehind) "$NULL_SERVER" "$dir/sock" --hash-behind >"$dir/daemon.log" 2>&1 & ;;
    *) die "unknown daemon kind $kind" ;;
  esac
  PID_OF[$kind]=$!
}

wait_daemon() {
  local kind=$1 dir=$WORK/$1 i
  for ((i = 0; i < 300; i++)); do
    kill -0 "${PID_OF[$kind]}" 2>/dev/null || { tail -20 "$dir/daemon.log" >&2; die "$kind exited at start"; }
    # The null server has no Version service for ctr to ask.
    [[ $kind == null* && -S $dir/sock ]] && return 0
    [[ -S $dir/sock ]] && "$CTR" -a "$dir/sock" version >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  tail -20 "$dir/daemon.log" >&2
  die "$kind did not answer within 30 s"
}

# Stops what this script started, and nothing else: each daemon by its PID.
# The daemons are children of this shell, so their PIDs cannot have been
# reused until this shell reaps them with `wait`.
stop_daemons() {
  local kind pid i
  for kind in "${!PID_OF[@]}"; do kill -TERM "${PID_OF[$kind]}" 2>/dev/null || true; done
  for kind in "${!PID_OF[@]}"; do
    pid=${PID_OF[$kind]}
    for ((i = 0; i < 1000; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  PID_OF=()
}

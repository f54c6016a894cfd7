#!/usr/bin/env bash
# bench/ingest.sh: ingest of one large file through Debian's `ctr content
# ingest` and Berth's own `berth content ingest`, berthd beside Debian's
# containerd (CRI disabled) in one run, and beside two floors for the same file
# read from page cache: writing it durably (`dd bs=1M conv=fsync`) and hashing
# it (`openssl dgst -sha256`), and ctr's transport floor (a server that
# discards the bytes).
#
#   bench/ingest.sh                   # RUNS=3, a 1 GiB file, roots on /tmp
#   RUNS=5 SIZE_MB=512 bench/ingest.sh
#
# Environment:
#   BERTHD      berthd binary (default: <repo>/build/bin/berthd); its plugins are
#               found as berthd does, at <bin>/../lib/berth/plugins
#   CONTAINERD  containerd binary (default /usr/bin/containerd)
#   CTR         ctr binary (default /usr/bin/ctr)
#   BERTH       berth CLI (default: <repo>/build/bin/berth); its step is
#               skipped without it
#   OPENSSL     openssl binary (default: openssl on PATH)
#   NULL_SERVER bench/null_content_server binary (default: <repo>/build/bench/
#               null_content_server); the transport floor is skipped without it
#   RUNS        samples of each of the four steps (default 3)
#   SIZE_MB     size of the file in MiB (default 1024)
#   DIGEST_ARG  1 (default): pass --expected-digest and --expected-size to
#               `ctr content ingest`, as a pull does; 0: let the daemon compute it
#   SNAPSHOT    1 (default): copy berthd, its libberth-*.so and plugins into the
#               temp dir first, so a rebuild of the tree during the run cannot
#               mix binaries; 0: run in place
#   RESULTS     JSON output (default bench/results/ingest.json)
#   TMPDIR      where the file, the dd output and the daemons' root/state go
#               (default /tmp); all on one file system
#
# Method (see bench/README.md): the file (random bytes) is made once and read
# once into page cache. Each run then times, in turn and each after an untimed
# `sync` so no step pays for the previous one's dirty pages:
#   berthd      ctr -a SOCK content ingest REF < FILE   (fresh REF every run)
#   berth       berth -a SOCK content ingest REF < FILE, against berthd
#   containerd  the same, against containerd
#   dd          dd if=FILE of=OUT bs=1M conv=fsync
#   openssl     openssl dgst -sha256 FILE
#   null        ctr content ingest into null_content_server, which discards the
#               bytes: what ctr and gRPC over the socket cost with no store at all
#   nullhash    the same into null_content_server --hash, which SHA-256es each
#               message before answering with the digest so far, as containerd's
#               server answers a WRITE: ctr waits for each answer, so no server
#               answering so can beat it (berthd answers before it hashes)
#   nullbehind  the same into null_content_server --hash-behind, which answers
#               at once and SHA-256es a copy of the data on a thread of its
#               own, as berthd does: every store must hash every byte, and on
#               two CPUs that hash competes with ctr and gRPC for them
#   berth_null  berth content ingest into the plain null server: berth's own
#               client and the transport, with no store
#   berth_behind berth content ingest into the --hash-behind server: berth's
#               client, the transport and the hash sharing two CPUs; the
#               floor under the berth goal on this machine
# Between runs `ctr content rm DIGEST` deletes the blob, and the script waits
# until no file named by the digest is left under the daemon's root
# (containerd removes it in its asynchronous GC), so every run writes.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
OPENSSL=${OPENSSL:-$(command -v openssl || echo /usr/bin/openssl)}
RUNS=${RUNS:-3}
SIZE_MB=${SIZE_MB:-1024}
DIGEST_ARG=${DIGEST_ARG:-1}
RESULTS=${RESULTS:-$HERE/results/ingest.json}
NULL_SERVER=${NULL_SERVER:-$REPO/build/bench/null_content_server}
BERTH=${BERTH:-$REPO/build/bin/berth}

die() { echo "ingest.sh: $*" >&2; exit 1; }
log() { echo "ingest.sh: $*" >&2; }

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
[[ $SIZE_MB =~ ^[1-9][0-9]*$ ]] || die "SIZE_MB must be a positive integer"
source "$HERE/lib.sh"
bench_init ingest "$OPENSSL"
# The file, one blob in a daemon, the dd output, plus margin.
need_kb=$(( SIZE_MB * 1024 * 3 + 512 * 1024 ))
avail_kb=$(df -Pk "$WORK" | awk 'NR == 2 {print $4}')
(( avail_kb > need_kb )) || die "$WORK has ${avail_kb} kB free, needs ${need_kb} kB"

snapshot_berthd

hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
LOAD_BEFORE=$(loadavg)

# ---- the file --------------------------------------------------------------------
FILE=$WORK/blob
log "making $FILE: $SIZE_MB MiB of random bytes"
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom >"$FILE"
SIZE=$(stat -c %s "$FILE")
cat "$FILE" >/dev/null   # into page cache
"$OPENSSL" dgst -sha256 "$FILE" >/dev/null   # one discarded warm-up of openssl
DIGEST=sha256:$(sha256sum "$FILE" | awk '{print $1}')
HEX=${DIGEST#sha256:}
sync

log "berthd: $BERTHD_SRC (plugins: ${BERTHD_PLUGINS:-none})"
log "containerd: $("$CONTAINERD" --version)"
log "RUNS=$RUNS, file $SIZE bytes ($DIGEST), $WORK_FS at $(dirname "$WORK"), load average $LOAD_BEFORE"

start_daemon berthd
start_daemon ctrd
HAVE_NULL=0
if [[ -x $NULL_SERVER ]]; then
  start_daemon null
  start_daemon nullhash
  start_daemon nullbehind
  HAVE_NULL=1
else
  log "warning: no $NULL_SERVER (build the tree); the transport floor is skipped"
fi

INGEST_ARGS=()
[[ $DIGEST_ARG == 1 ]] && INGEST_ARGS=(--expected-digest "$DIGEST" --expected-size "$SIZE")

# Waits until no file named by the digest is left under the daemon's root.
wait_blob_gone() {  # kind
  local root=$WORK/$1/root i
  for ((i = 0; i < 300; i++)); do
    [[ -z $(find "$root" -name "$HEX" -print -quit 2>/dev/null) ]] && return 0
    sleep 0.1
  done
  log "warning: $1 still holds a file named $HEX after 30 s; the next run may not write"
}

# ingest STEP RUN: one ingest of FILE. STEP is the daemon's kind (berthd,
# ctrd, null) with ctr as the client, or `berth`: Berth's CLI against berthd.
ingest() {  # step run
  local step=$1 run=$2 kind=$1 client=("$CTR") t0 t1 c0 c1 k0 k1
  [[ $step == berth ]] && { kind=berthd; client=("$BERTH"); }
  [[ $step == berth_null ]] && { kind=null; client=("$BERTH"); }
  [[ $step == berth_behind ]] && { kind=nullbehind; client=("$BERTH"); }
  local sock=$WORK/$kind/sock pid=${PID_OF[$kind]}
  c0=$(cpu_ticks "$pid")
  children_cpu k0
  t0=$EPOCHREALTIME
  "${client[@]}" -a "$sock" content ingest "${INGEST_ARGS[@]}" "bench-ingest-$run-$RANDOM" <"$FILE" >"$WORK/$kind/client.out" 2>&1 \
    || { cat "$WORK/$kind/client.out" >&2; die "$(basename "${client[0]}") content ingest failed on $kind"; }
  t1=$EPOCHREALTIME
  children_cpu k1
  c1=$(cpu_ticks "$pid")
  add "$step.s" "$(secs "$t0" "$t1")"
  add "$step.cpu" "$(ticks_to_s "$c0" "$c1")"
  add "$step.ctrcpu" "$(secs "$k0" "$k1")"
  [[ $kind == null* ]] && return 0  # it keeps nothing to check or remove
  # The blob must be there, with the right size.
  "$CTR" -a "$sock" content ls -q 2>/dev/null | grep -qx "$DIGEST" || die "$step: $DIGEST not listed after ingest"
  "$CTR" -a "$sock" content rm "$DIGEST" >/dev/null 2>&1 || die "$step: ctr content rm $DIGEST failed"
  wait_blob_gone "$kind"
}

run_dd() {
  local t0 t1
  t0=$EPOCHREALTIME
  dd if="$FILE" of="$WORK/dd.out" bs=1M conv=fsync status=none
  t1=$EPOCHREALTIME
  add dd.s "$(secs "$t0" "$t1")"
  rm -f "$WORK/dd.out"
}

run_openssl() {
  local t0 t1
  t0=$EPOCHREALTIME
  "$OPENSSL" dgst -sha256 "$FILE" >/dev/null
  t1=$EPOCHREALTIME
  add openssl.s "$(secs "$t0" "$t1")"
}

HAVE_BERTH=0
if [[ -x $BERTH ]]; then
  HAVE_BERTH=1
else
  log "warning: no $BERTH (build the tree); berth's own client is skipped"
fi

for ((r = 1; r <= RUNS; r++)); do
  sync; ingest berthd "$r"
  [[ $HAVE_BERTH == 1 ]] && { sync; ingest berth "$r"; }
  sync; ingest ctrd "$r"
  sync; run_dd
  sync; run_openssl
  if [[ $HAVE_NULL == 1 ]]; then
    sync; ingest null "$r"
    sync; ingest nullhash "$r"
    sync; ingest nullbehind "$r"
    [[ $HAVE_BERTH == 1 ]] && { sync; ingest berth_null "$r"; sync; ingest berth_behind "$r"; }
  fi
  log "run $r/$RUNS: berthd $(awk '{print $NF}' <<<"${S[berthd.s]}") s, berth $(awk '{print $NF}' <<<"${S[berth.s]:-–}") s, containerd $(awk '{print $NF}' <<<"${S[ctrd.s]}") s," \
    "dd $(awk '{print $NF}' <<<"${S[dd.s]}") s, openssl $(awk '{print $NF}' <<<"${S[openssl.s]}") s," \
    "null server $(awk '{print $NF}' <<<"${S[null.s]:-–}") s, hashing $(awk '{print $NF}' <<<"${S[nullhash.s]:-–}") s," \
    "hashing behind $(awk '{print $NF}' <<<"${S[nullbehind.s]:-–}") s," \
    "berth into null $(awk '{print $NF}' <<<"${S[berth_null.s]:-–}") s, berth into hashing behind $(awk '{print $NF}' <<<"${S[berth_behind.s]:-–}") s; load $(loadavg)"
done
HWM_BERTHD=$(hwm_kb "${PID_OF[berthd]}")
HWM_CTRD=$(hwm_kb "${PID_OF[ctrd]}")
LOAD_AFTER=$(loadavg)

# ---- statistics -------------------------------------------------------------
minimum() { tr ' ' '\n' <<<"$1" | sort -g | head -1; }
mbs() { awk -v s="$1" -v n="$SIZE" 'BEGIN { if (s > 0) printf "%.0f", n / 1e6 / s; else print "n/a" }'; }

STEPS=(berthd)
[[ $HAVE_BERTH == 1 ]] && STEPS+=(berth)
STEPS+=(ctrd dd openssl)
[[ $HAVE_NULL == 1 ]] && STEPS+=(null nullhash nullbehind)
[[ $HAVE_NULL == 1 && $HAVE_BERTH == 1 ]] && STEPS+=(berth_null berth_behind)
declare -A LABEL=([berthd]="berthd: \`ctr content ingest\`" [berth]="berthd: \`berth content ingest\`" [ctrd]="containerd $("$CONTAINERD" --version | awk '{print $3}') (no CRI): \`ctr content ingest\`"
  [dd]="floor: \`dd bs=1M conv=fsync\` (durable write)" [openssl]="floor: \`openssl dgst -sha256\` (hash)"
  [null]="transport floor: \`ctr content ingest\` into a server that discards the bytes"
  [nullhash]="answer floor: \`ctr content ingest\` into that server hashing each message before its answer, as containerd's server answers"
  [nullbehind]="hashing floor: \`ctr content ingest\` into that server answering at once and hashing a copy behind, as berthd does"
  [berth_null]="transport floor of berth's client: \`berth content ingest\` into the server that discards the bytes"
  [berth_behind]="hashing floor of berth's client: \`berth content ingest\` into the server hashing a copy behind its answers")
declare -A MED=()
for k in "${STEPS[@]}"; do MED[$k]=$(median "${S[$k.s]}"); done
FLOOR=$(awk -v a="${MED[dd]}" -v b="${MED[openssl]}" 'BEGIN { print (a > b) ? a : b }')
FLOOR_NAME=$(awk -v a="${MED[dd]}" -v b="${MED[openssl]}" 'BEGIN { print (a > b) ? "dd" : "openssl" }')
R_FLOOR=$(ratio "${MED[berthd]}" "$FLOOR")
R_CTRD=$(ratio "${MED[berthd]}" "${MED[ctrd]}")
R_CTRD_FLOOR=$(ratio "${MED[ctrd]}" "$FLOOR")
R_NULL=n/a; R_NULL_FLOOR=n/a; R_BEHIND_NULL=n/a
if [[ $HAVE_NULL == 1 ]]; then
  R_NULL=$(ratio "${MED[berthd]}" "${MED[null]}")
  R_NULL_FLOOR=$(ratio "${MED[null]}" "$FLOOR")
  R_BEHIND_NULL=$(ratio "${MED[nullbehind]}" "${MED[null]}")
fi
R_BERTH=n/a; R_BERTH_BEHIND=n/a
[[ $HAVE_BERTH == 1 ]] && R_BERTH=$(ratio "${MED[berth]}" "$FLOOR")
[[ $HAVE_BERTH == 1 && $HAVE_NULL == 1 ]] && R_BERTH_BEHIND=$(ratio "${MED[berth_behind]}" "$FLOOR")
met() { awk -v r="$1" -v g="$2" 'BEGIN { print (r != "n/a" && r <= g) ? "met" : "NOT met" }'; }
# Issue #11: ctr against berthd within 1.25 x ctr's transport floor; berth's
# own client within 1.5 x the larger of the durable-write and hash floors.
GOAL_CTR=1.25
GOAL_CTR_MET=$(met "$R_NULL" "$GOAL_CTR")
GOAL_BERTH=1.5
GOAL_BERTH_MET=$(met "$R_BERTH" "$GOAL_BERTH")
# Server CPU seconds per GiB ingested, on the median of the samples.
cpu_per_gib() { awk -v c="$(median "$1" 3)" -v n="$SIZE" 'BEGIN { printf "%.2f", c * 1073741824 / n }'; }

# ---- Markdown ------------------------------------------------------------------
{
  echo "### berthd vs containerd: \`ctr content ingest\` of $SIZE_MB MiB"
  echo
  echo "RUNS=$RUNS, $(nproc) CPUs, file and roots on $WORK_FS ($(dirname "$WORK")), load average before $LOAD_BEFORE, after $LOAD_AFTER."
  echo "berthd: \`$BERTHD_SRC\` (plugins: ${BERTHD_PLUGINS% }); containerd: $("$CONTAINERD" --version | awk '{print $3}'), CRI disabled."
  echo "File: $SIZE bytes of random data, from page cache; ingest $([[ $DIGEST_ARG == 1 ]] && echo "with \`--expected-digest\` and \`--expected-size\`" || echo "without an expected digest")."
  echo
  echo "| step | median (s) | min (s) | MB/s (median) | server CPU (s, median) | server CPU per GiB (s) | client CPU (s, median) | samples (s) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  for k in "${STEPS[@]}"; do
    cpu="–"; gib="–"
    [[ -n ${S[$k.cpu]:-} ]] && { cpu=$(median "${S[$k.cpu]}" 2); gib=$(cpu_per_gib "${S[$k.cpu]}"); }
    ccpu="–"; [[ -n ${S[$k.ctrcpu]:-} ]] && ccpu=$(median "${S[$k.ctrcpu]}" 2)
    echo "| ${LABEL[$k]} | ${MED[$k]} | $(minimum "${S[$k.s]}") | $(mbs "${MED[$k]}") | $cpu | $gib | $ccpu | ${S[$k.s]} |"
  done
  echo
  echo "| ratio (on medians) | value |"
  echo "|---|---:|"
  echo "| berthd / larger floor ($FLOOR_NAME) | $R_FLOOR |"
  echo "| berthd / containerd | $R_CTRD |"
  echo "| containerd / larger floor | $R_CTRD_FLOOR |"
  echo "| transport floor / larger floor | $R_NULL_FLOOR |"
  echo "| berthd / transport floor | $R_NULL |"
  echo "| hashing floor / transport floor | $R_BEHIND_NULL |"
  echo "| berth's client / larger floor | $R_BERTH |"
  echo "| berth's hashing floor / larger floor | $R_BERTH_BEHIND |"
  echo
  echo "Goal: ctr against berthd ≤ $GOAL_CTR × the transport floor: **$GOAL_CTR_MET** ($R_NULL)."
  echo "Goal: \`berth content ingest\` ≤ $GOAL_BERTH × the larger floor ($FLOOR_NAME): **$GOAL_BERTH_MET** ($R_BERTH)."
  [[ $HAVE_NULL == 1 ]] && echo "No server can beat the transport floor: ctr and gRPC alone, with every byte thrown away, take $R_NULL_FLOOR × the larger floor."
  [[ $HAVE_NULL == 1 ]] && echo "Nor can a store beat the hashing floor, which only hashes, behind its answers: $R_BEHIND_NULL × the transport floor."
  [[ $HAVE_NULL == 1 && $HAVE_BERTH == 1 ]] && echo "Fed by berth's client, that hashing floor takes $R_BERTH_BEHIND × the larger floor."
  echo "Peak RSS (VmHWM) over the whole run: berthd $HWM_BERTHD kB, containerd $HWM_CTRD kB."
}

# ---- JSON ------------------------------------------------------------------------
mkdir -p "$(dirname "$RESULTS")"
{
  json_head ingest
  echo "  \"config\": {\"runs\": $RUNS, \"size_bytes\": $SIZE, \"digest\": \"$DIGEST\", \"expected_digest_passed\": $([[ $DIGEST_ARG == 1 ]] && echo true || echo false),"
  echo "             $(json_subjects), \"containerd_cri\": false, \"openssl\": \"$("$OPENSSL" version)\"},"
  echo "  \"method\": \"One file of random bytes, read into page cache first. Per run, in this order, each after an untimed sync: 'ctr -a SOCK content ingest REF < FILE' against berthd, then (if built) 'berth -a SOCK content ingest REF < FILE' against berthd, then ctr against containerd (fresh REF each time; afterwards 'ctr content rm DIGEST' and a wait until no file named by the digest remains under the daemon root, so each run writes), 'dd if=FILE of=OUT bs=1M conv=fsync', 'openssl dgst -sha256 FILE', then (if built) the same ingest into bench/null_content_server, which discards the bytes (the transport floor), the same server hashing each message before it answers (the answer floor, as containerd answers) and hashing a copy behind its answers (the hashing floor, as berthd answers). Wall time from bash EPOCHREALTIME around the command, in seconds. MB/s = size / 1e6 / median. daemon_cpu_s = utime+stime delta of the daemon over the ingest, from /proc/PID/stat (daemon_cpu_s_per_gib: its median per GiB); ctr_cpu_s = the client's own user+system time (bash times). floor = the larger of the dd and openssl medians.\","
  echo "  \"steps\": {"
  first=1
  for k in "${STEPS[@]}"; do
    [[ $first == 1 ]] || echo ","
    first=0
    cpu=null; [[ -n ${S[$k.cpu]:-} ]] && cpu=$(jarray "${S[$k.cpu]}")
    ccpu=null; [[ -n ${S[$k.ctrcpu]:-} ]] && ccpu=$(jarray "${S[$k.ctrcpu]}")
    gib=null; [[ -n ${S[$k.cpu]:-} ]] && gib=$(cpu_per_gib "${S[$k.cpu]}")
    printf '    "%s": {"median_s": %s, "min_s": %s, "mb_per_s": %s, "samples_s": %s, "daemon_cpu_s": %s, "daemon_cpu_s_per_gib": %s, "ctr_cpu_s": %s}' \
      "$k" "${MED[$k]}" "$(minimum "${S[$k.s]}")" "$(mbs "${MED[$k]}")" "$(jarray "${S[$k.s]}")" "$cpu" "$gib" "$ccpu"
  done
  echo
  echo "  },"
  echo "  \"peak_rss_kb\": {\"berthd\": $HWM_BERTHD, \"ctrd\": $HWM_CTRD},"
  echo "  \"floor\": {\"step\": \"$FLOOR_NAME\", \"median_s\": $FLOOR},"
  echo "  \"ratios\": {\"berthd_vs_floor\": $R_FLOOR, \"berthd_vs_containerd\": $R_CTRD, \"containerd_vs_floor\": $R_CTRD_FLOOR, \"transport_floor_vs_floor\": \"$R_NULL_FLOOR\", \"berthd_vs_transport_floor\": \"$R_NULL\", \"hashing_floor_vs_transport_floor\": \"$R_BEHIND_NULL\", \"berth_client_vs_floor\": \"$R_BERTH\", \"berth_hashing_floor_vs_floor\": \"$R_BERTH_BEHIND\"},"
  echo "  \"goals\": {\"ctr_le_1_25_transport_floor\": {\"target\": $GOAL_CTR, \"value\": \"$R_NULL\", \"result\": \"$GOAL_CTR_MET\"},"
  echo "            \"berth_le_1_5_floor\": {\"target\": $GOAL_BERTH, \"value\": \"$R_BERTH\", \"result\": \"$GOAL_BERTH_MET\"}}"
  echo "}"
} >"$RESULTS.tmp"
mv "$RESULTS.tmp" "$RESULTS"
log "results written to $RESULTS"

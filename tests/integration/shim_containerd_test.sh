#!/usr/bin/env bash
# Debian's containerd (a private instance) running tasks through Berth's
# shim: containerd-shim-berth-v2 on containerd's PATH, selected with
# `--runtime io.containerd.berth.v2`. The image is busybox, built locally
# (make_oci_image.sh) and imported with `ctr images import`.
#
# Usage: shim_containerd_test.sh PATH/TO/containerd-shim-berth-v2
# Exit: 0 all passed, 1 a check failed.
set -uo pipefail
SHIM=$(readlink -f "$1")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for tool in containerd ctr; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (Debian's containerd)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "FAIL: containerd needs root" >&2; exit 1; }

# Short: the shim's socket lives in <state>/io.containerd.runtime.v2.task/s/.
TMP=$(mktemp -d /tmp/bsc.XXXXXX)
SOCK=$TMP/sock
NS=berth-shim-it
cleanup() {
  if [ -n "${CTRD_PID:-}" ]; then
    for id in $(ctr -a "$SOCK" -n "$NS" t ls -q 2>/dev/null); do ctr -a "$SOCK" -n "$NS" t kill -s 9 "$id" >/dev/null 2>&1; done
    sleep 0.5
    for id in $(ctr -a "$SOCK" -n "$NS" t ls -q 2>/dev/null); do ctr -a "$SOCK" -n "$NS" t rm -f "$id" >/dev/null 2>&1; done
    for id in $(ctr -a "$SOCK" -n "$NS" c ls -q 2>/dev/null); do ctr -a "$SOCK" -n "$NS" c rm "$id" >/dev/null 2>&1; done
    kill "$CTRD_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$CTRD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$CTRD_PID" 2>/dev/null && kill -9 "$CTRD_PID"
    wait "$CTRD_PID" 2>/dev/null
  fi
  grep -q " $TMP/" /proc/mounts && awk -v t="$TMP/" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l
  rmdir "/run/berth/runc/$NS" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

mkdir -p "$TMP/bin"
ln -s "$SHIM" "$TMP/bin/containerd-shim-berth-v2"
source "$HERE/private_containerd.sh"
private_containerd_config "$TMP" "$SOCK" >"$TMP/config.toml"
PATH="$TMP/bin:$PATH" containerd --config "$TMP/config.toml" >"$TMP/containerd.log" 2>&1 &
CTRD_PID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { echo "containerd did not start:" >&2; cat "$TMP/containerd.log" >&2; exit 1; }

FAILED=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1" >&2; FAILED=1; }
c() { ctr -a "$SOCK" -n "$NS" "$@"; }
RT=(--runtime io.containerd.berth.v2)

bash "$HERE/../support/make_oci_image.sh" "$TMP/busybox.tar" docker.io/library/busybox:berth >/dev/null \
  || { echo "FAIL: make_oci_image.sh" >&2; exit 1; }
c images import "$TMP/busybox.tar" >/dev/null || { echo "FAIL: ctr images import" >&2; exit 1; }
IMG=docker.io/library/busybox:berth

# The image holds /bin/busybox and /bin/sh only.
out=$(c run --rm "${RT[@]}" "$IMG" it-echo /bin/busybox echo hi 2>&1)
[ "$out" = "hi" ] && pass "ctr run --rm through our shim prints hi" || fail "ctr run --rm printed: $out"

# stdin through ctr: its end (CloseIO) ends cat.
out=$(printf 'piped\n' | c run --rm "${RT[@]}" "$IMG" it-stdin /bin/busybox cat 2>&1)
[ "$out" = "piped" ] && pass "stdin through ctr run reaches the container" || fail "ctr run (stdin) printed: $out"

c run "${RT[@]}" "$IMG" it-exit /bin/sh -c 'exit 3' >/dev/null 2>&1
rc=$?
[ $rc = 3 ] && pass "the task's exit code reaches ctr" || fail "ctr run exited $rc, not 3"
c rm it-exit >/dev/null 2>&1 || c t rm it-exit >/dev/null 2>&1; c c rm it-exit >/dev/null 2>&1

c run -d "${RT[@]}" "$IMG" it-d /bin/busybox sleep 600 >/dev/null 2>&1 || fail "ctr run -d"
ls_out=$(c t ls 2>&1)
grep -Eq '^it-d +[0-9]+ +RUNNING$' <<<"$ls_out" && pass "t ls shows the task RUNNING" || fail "t ls: $ls_out"
shim_pid=$(pgrep -f -- "containerd-shim-berth-v2 -namespace $NS -id it-d" | head -1)
[ -n "$shim_pid" ] && pass "the task runs under containerd-shim-berth-v2 (pid $shim_pid)" || fail "no berth shim for it-d"
ex=$(c t exec --exec-id e1 it-d /bin/sh -c "echo in-exec; exit 4" 2>&1)
rc=$?
[ "$ex" = "in-exec" ] && [ $rc = 4 ] && pass "t exec prints and exits 4" || fail "t exec: rc=$rc out=$ex"
ps_out=$(c t ps it-d 2>&1)
grep -Eq '^[0-9]+ ' <<<"$ps_out" && pass "t ps lists pids" || fail "t ps: $ps_out"
c t pause it-d && grep -Eq '^it-d +[0-9]+ +PAUSED$' <<<"$(c t ls)" && pass "t pause" || fail "t pause"
c t resume it-d && grep -Eq '^it-d +[0-9]+ +RUNNING$' <<<"$(c t ls)" && pass "t resume" || fail "t resume"
m=$(c t metrics it-d 2>&1)
grep -q "memory" <<<"$m" && pass "t metrics decodes" || fail "t metrics: $m"
c t kill -s 9 it-d
for _ in $(seq 100); do grep -Eq '^it-d +[0-9]+ +STOPPED$' <<<"$(c t ls)" && break; sleep 0.1; done
grep -Eq '^it-d +[0-9]+ +STOPPED$' <<<"$(c t ls)" && pass "t kill stops the task" || fail "t kill: $(c t ls)"
c t rm it-d >/dev/null && pass "t rm" || fail "t rm"
c c rm it-d >/dev/null || fail "c rm"
for _ in $(seq 50); do kill -0 "$shim_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$shim_pid" 2>/dev/null && fail "the shim still runs after t rm" || pass "the shim exits after t rm"
left=$(ls "$TMP/state/io.containerd.runtime.v2.task/s" 2>/dev/null)
[ -z "$left" ] && pass "no shim socket left" || fail "sockets left: $left"
grep -q " $TMP/" /proc/mounts && fail "mounts left under $TMP" || pass "no mount left"
exit $FAILED

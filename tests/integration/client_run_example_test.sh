#!/usr/bin/env bash
# examples/client-run end to end: configure and build it out of tree (its own
# cmake project, no Berth header or library), then run it against a private
# daemon: import a busybox OCI archive, pull the same image over plain http from
# a private docker-registry, a command that cannot start, and a SIGTERM during
# the sleep. Each run must print its steps and the exit status, and leave no
# container, task, snapshot (but the image's), lease, FIFO, mount or cgroup.
#
# Usage: client_run_example_test.sh MODE BUILD_DIR
#   MODE build:      configure and build it into BUILD_DIR/client-run-example
#                    (its own cmake project; the run modes use what this built)
#   MODE containerd: Debian's containerd, private (tests/integration/private_containerd.sh)
#   MODE berthd:     BUILD_DIR/bin/berthd with the plugins built beside it
# Exit: 0 all passed, 1 a check failed or a tool it needs is missing
# (scripts/deps installs them: a missing one is a broken setup).
set -uo pipefail

MODE=${1:?usage: $0 build|containerd|berthd BUILD_DIR}
BUILD=$(realpath "${2:?usage: $0 build|containerd|berthd BUILD_DIR}")
ROOT=$(realpath "$(dirname "${BASH_SOURCE[0]}")/../..")
HERE=$ROOT/tests/integration
case $MODE in
  build | containerd | berthd) ;;
  *) echo "MODE must be build, containerd or berthd, not $MODE" >&2; exit 1 ;;
esac
for tool in ctr cmake ninja containerd docker-registry skopeo curl python3; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (scripts/deps installs it)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "FAIL: running containers needs root" >&2; exit 1; }
if [ "$MODE" = berthd ] && [ ! -x "$BUILD/bin/berthd" ]; then
  echo "FAIL: no $BUILD/bin/berthd (build the tree)" >&2
  exit 1
fi

# Short, under /tmp: the daemon's sockets live in it.
TMP=$(mktemp -d /tmp/berth-crx.XXXXXX)
NS=client-run-$$
NS_PULL=$NS-pull
NAMESPACES=("$NS" "$NS_PULL")
REGISTRY_PID=
BERTHD_PID=
source "$HERE/private_containerd.sh"
source "$HERE/checks.sh"

# shellcheck disable=SC2317  # reached through the EXIT trap
cleanup() {
  local ns id
  # Whatever a failed run left: its tasks first, or the daemon's shims outlive it.
  if [ -S "${SOCK:-}" ]; then
    for ns in "${NAMESPACES[@]}"; do
      for id in $(ctr -a "$SOCK" -n "$ns" t ls -q 2>/dev/null); do
        ctr -a "$SOCK" -n "$ns" t kill -s SIGKILL "$id" >/dev/null 2>&1
        for _ in $(seq 50); do ctr -a "$SOCK" -n "$ns" t rm "$id" >/dev/null 2>&1 && break; sleep 0.1; done
      done
    done
  fi
  private_containerd_stop
  stop_pid "$BERTHD_PID"
  stop_pid "$REGISTRY_PID"
  # The daemons leave the namespaces' parent cgroups (/NS); empty, they go.
  for ns in "${NAMESPACES[@]}"; do
    for d in /sys/fs/cgroup/*/"$ns" /sys/fs/cgroup/"$ns"; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
  done
  grep -q " $TMP/" /proc/mounts && awk -v t="$TMP/" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r | xargs -r umount
  rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
  if [ $# -gt 1 ] && [ -f "$2" ]; then fail_showing "$1" "$(<"$2")"; else fail_showing "$1" "$(printf 'exit %s\n%s' "$RC" "$OUT")"; fi
}
expect_rc() { if [ "$RC" -eq "$1" ]; then pass "$2"; else fail "$2 (exit $RC, want $1)"; fi; }

# One build, in a fixed place in the build tree, for both daemons: ninja keeps
# a rerun to nothing (a fresh temp dir each time defeated even ccache, since the
# debug info names the build directory).
EXAMPLE_BUILD=$BUILD/client-run-example
CLIENT=$EXAMPLE_BUILD/client-run

if [ "$MODE" = build ]; then
echo "# build out of tree"
LAUNCHER=()
command -v ccache >/dev/null && LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# Release: no debug info to generate for the API's code, the bulk of the build.
if cmake -S "$ROOT/examples/client-run" -B "$EXAMPLE_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release "${LAUNCHER[@]}" \
  >"$TMP/configure.log" 2>&1; then
  pass "examples/client-run configures on its own"
else
  fail "examples/client-run configures on its own" "$TMP/configure.log"
  finish
fi
if cmake --build "$EXAMPLE_BUILD" >"$TMP/build.log" 2>&1; then
  pass "client-run builds"
else
  fail "client-run builds" "$TMP/build.log"
  finish
fi
# Its own build directory sits inside Berth's: only paths outside it count.
OUT=$(sed "s#$EXAMPLE_BUILD#<example-build>#g" "$EXAMPLE_BUILD/build.ninja")
expect_no_out "$ROOT/(sdk|libs|api|host|cli|build)" "it compiles nothing from Berth's tree and includes none of its headers"
expect_no_out "libberth|berth::" "it links no Berth library"
expect_out "gen/github.com/containerd/containerd/api/services/tasks/v1/tasks.grpc.pb.cc" \
  "it generates its own C++ from containerd's .proto files"
OUT=$(git -C "$ROOT" ls-files examples/client-run)
expect_no_out '\.proto$' "no .proto file is kept in the repository"
RC=0
OUT=$("$CLIENT" --help 2>&1) || RC=$?
expect_rc 0 "client-run --help exits 0"
expect_out '^Usage: client-run ' "--help prints the usage"
RC=0
OUT=$("$CLIENT" --sleep 2>&1) || RC=$?
expect_rc 2 "a missing option value is a usage error"
finish
fi

[ -x "$CLIENT" ] || { echo "FAIL: no $CLIENT (the client_run_example_build test builds it)" >&2; exit 1; }

echo "# daemon: $MODE"
if [ "$MODE" = containerd ]; then
  private_containerd_start "$TMP" || exit 1
  SOCK=$CTRD_SOCK
else
  SOCK=$TMP/b.sock
  printf 'version = 2\n' >"$TMP/berthd.toml"
  "$BUILD/bin/berthd" --config "$TMP/berthd.toml" --root "$TMP/root" --state "$TMP/state" \
    --address "$SOCK" >"$TMP/berthd.log" 2>&1 &
  BERTHD_PID=$!
  for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
  [ -S "$SOCK" ] || { cat "$TMP/berthd.log" >&2; echo "berthd did not start" >&2; exit 1; }
fi

"$ROOT/tests/support/make_oci_image.sh" "$TMP/busybox.tar" example.test/busybox:1 >/dev/null
mkdir -p "$TMP/fifo"
# The container's command: says hello on both streams, exits 3 on SIGTERM
# (as PID 1 it would ignore a signal it has no handler for).
CMD=(/bin/sh -c 'trap "echo got SIGTERM; exit 3" TERM; echo hello from busybox; echo on stderr >&2; while true; do sleep 1 & wait; done')

# client NS ARGS...: runs the example against the daemon; sets OUT (stdout
# and stderr) and RC.
client() {
  local ns=$1
  shift
  RC=0
  OUT=$(timeout -s KILL 120 "$CLIENT" -a "$SOCK" -n "$ns" --fifo-dir "$TMP/fifo" --sleep 1 "$@" 2>&1) || RC=$?
}
# nothing_left NS WHAT: no container, task, lease, active snapshot, FIFO,
# mount or container cgroup after a run.
nothing_left() {
  local ns=$1 what=$2
  c() { OUT=$(ctr -a "$SOCK" -n "$ns" "$@" 2>&1); }
  c containers ls -q
  if [ -z "$OUT" ]; then pass "$what: no container left"; else fail "$what: no container left"; fi
  c tasks ls
  expect_no_out 'client-run' "$what: no task left"
  c leases ls -q
  if [ -z "$OUT" ]; then pass "$what: no lease left"; else fail "$what: no lease left"; fi
  c snapshots ls
  expect_no_out 'Active|client-run-snapshot|extract-' "$what: no snapshot left but the image's committed ones"
  OUT=$(find "$TMP/fifo" -mindepth 1)
  if [ -z "$OUT" ]; then pass "$what: no FIFO left"; else fail "$what: no FIFO left"; fi
  OUT=$(grep -F "$TMP/" /proc/mounts || true)
  if [ -z "$OUT" ]; then pass "$what: no mount left"; else fail "$what: no mount left"; fi
  OUT=$(ls -d /sys/fs/cgroup/*/"$ns"/client-run 2>/dev/null || true)
  if [ -z "$OUT" ]; then pass "$what: no container cgroup left"; else fail "$what: no container cgroup left"; fi
}
# expect_demo WHAT: the steps of a whole run, and its exit status.
expect_demo() {
  expect_rc 0 "$1: exits 0"
  expect_out '^connected to unix:' "$1: prints the connection"
  expect_out '^created lease client-run-[0-9a-f]+$' "$1: makes a lease"
  expect_out '^image example\.test/busybox:1|^image 127\.0\.0\.1:[0-9]+/busybox:1' "$1: prints the image"
  expect_out '^prepared snapshot client-run-snapshot on sha256:[0-9a-f]{64}$' "$1: prepares the container's snapshot on the image's"
  expect_out '^created container client-run \(runtime io\.containerd\.runc\.v2\): /bin/sh -c trap' "$1: creates the container with the command"
  expect_out '^created task client-run: pid [1-9][0-9]*$' "$1: creates the task"
  expect_out '^started task client-run$' "$1: starts it"
  expect_out '^hello from busybox$' "$1: the container's stdout arrives through the FIFO"
  expect_out '^on stderr$' "$1: the container's stderr arrives through the FIFO"
  expect_out '^sent SIGTERM to task client-run$' "$1: sends SIGTERM"
  expect_out '^got SIGTERM$' "$1: the container gets it"
  expect_out '^client-run exited with status: 3$' "$1: prints the exit status"
  expect_out '^cleanup: deleted task client-run$' "$1: deletes the task"
  expect_out '^cleanup: removed stdio FIFOs ' "$1: removes the FIFOs"
  expect_out '^cleanup: deleted container client-run$' "$1: deletes the container"
  expect_out '^cleanup: removed snapshot client-run-snapshot$' "$1: removes the snapshot"
  expect_out '^cleanup: deleted lease client-run-' "$1: deletes the lease"
}

echo "# --import an OCI archive"
client "$NS" --import "$TMP/busybox.tar" example.test/busybox:1 -- "${CMD[@]}"
expect_demo "import"
expect_out '^importing example\.test/busybox:1 from ' "import: says where the image comes from"
expect_out '1 layer\(s\), 1 unpacked into overlayfs$' "import: unpacks the layer"
nothing_left "$NS" "import"
OUT=$(ctr -a "$SOCK" -n "$NS" images ls -q)
expect_out '^example\.test/busybox:1$' "import: the image stays, as the Go demo's pulled image does"
OUT=$(ctr -a "$SOCK" -n "$NS" images check)
expect_out 'example\.test/busybox:1 +application/vnd\.oci\.image\.manifest\.v1\+json +sha256:[0-9a-f]+ +complete' \
  "import: ctr images check finds the image complete"

echo "# again: the image and its snapshot are reused"
client "$NS" --import "$TMP/busybox.tar" example.test/busybox:1 -- "${CMD[@]}"
expect_demo "second import"
expect_out '1 layer\(s\), 0 unpacked into overlayfs$' "second import: unpacks nothing"
nothing_left "$NS" "second import"

echo "# pull over plain http from a private registry"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
  "$TMP/registry" "$PORT" >"$TMP/registry.yml"
docker-registry serve "$TMP/registry.yml" >"$TMP/registry.log" 2>&1 &
REGISTRY_PID=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/v2/" && break; sleep 0.1; done
if skopeo copy --dest-tls-verify=false "oci-archive:$TMP/busybox.tar" "docker://127.0.0.1:$PORT/busybox:1" \
  >"$TMP/skopeo.log" 2>&1; then
  client "$NS_PULL" --plain-http "127.0.0.1:$PORT/busybox:1" -- "${CMD[@]}"
  expect_demo "pull"
  expect_out "^pulling 127\.0\.0\.1:$PORT/busybox:1 over plain http\$" "pull: says what it pulls"
  expect_out '^  layer sha256:[0-9a-f]{64} \([0-9]+ bytes\)$' "pull: fetches the layer"
  expect_out '1 layer\(s\), 1 unpacked into overlayfs$' "pull: unpacks it"
  nothing_left "$NS_PULL" "pull"
  OUT=$(ctr -a "$SOCK" -n "$NS_PULL" images check)
  expect_out "127\.0\.0\.1:$PORT/busybox:1 .* complete" "pull: ctr images check finds the pulled image complete"
  client "$NS_PULL" --plain-http "127.0.0.1:$PORT/busybox:404" -- "${CMD[@]}"
  expect_rc 1 "pull of a missing tag fails"
  expect_out "^client-run: pull 127\.0\.0\.1:$PORT/busybox:404: GET http://127\.0\.0\.1:$PORT/v2/busybox/manifests/404: " \
    "pull of a missing tag names the URL"
  expect_out '^cleanup: deleted lease ' "pull of a missing tag still deletes its lease"
  nothing_left "$NS_PULL" "missing tag"
else
  fail "skopeo pushes the image to the private registry" "$TMP/skopeo.log"
fi

echo "# a command that cannot start"
client "$NS" --import "$TMP/busybox.tar" example.test/busybox:1 -- /bin/no-such-command
expect_rc 1 "exits 1"
expect_out '^client-run: create task client-run: ' "names the step that failed, with the daemon's error"
expect_out '^cleanup: deleted container client-run$' "still deletes the container"
expect_out '^cleanup: removed snapshot client-run-snapshot$' "still removes the snapshot"
expect_out '^cleanup: deleted lease ' "still deletes the lease"
nothing_left "$NS" "failed task"

echo "# SIGTERM to client-run while its task runs"
(
  exec "$CLIENT" -a "$SOCK" -n "$NS" --fifo-dir "$TMP/fifo" --sleep 600 --import "$TMP/busybox.tar" \
    example.test/busybox:1 -- "${CMD[@]}" >"$TMP/interrupted.log" 2>&1
) &
pid=$!
for _ in $(seq 300); do grep -q '^sleeping ' "$TMP/interrupted.log" 2>/dev/null && break; sleep 0.1; done
kill -TERM "$pid"
RC=0
wait "$pid" || RC=$?
OUT=$(<"$TMP/interrupted.log")
expect_rc 130 "exits 130 when interrupted"
expect_out '^client-run: interrupted$' "says it was interrupted"
expect_out '^cleanup: deleted task client-run$' "kills and deletes the task"
expect_out '^cleanup: deleted lease ' "deletes the lease"
nothing_left "$NS" "interrupted"

echo "# bad input"
client "$NS" --import "$TMP/nothing.tar" example.test/busybox:1
expect_rc 1 "a missing archive exits 1"
expect_out "^client-run: open $TMP/nothing\.tar: No such file or directory\$" "a missing archive is named"
client "$NS" --import "$TMP/busybox.tar" example.test/other:1 -- /bin/busybox true
expect_rc 0 "an archive with one image gives it the name asked for"
expect_out '^client-run exited with status: 0$' "a task that ends before the SIGTERM: its status is printed, no kill is sent"
client "$NS" busybox:1
expect_rc 1 "a reference naming no registry host exits 1"
expect_out 'names no registry host' "a reference naming no registry host is explained"
RC=0
OUT=$("$CLIENT" -a "$TMP/nowhere.sock" -n "$NS" --import "$TMP/busybox.tar" example.test/busybox:1 2>&1) || RC=$?
expect_rc 1 "an unreachable daemon exits 1"
expect_out "^client-run: cannot connect to unix:$TMP/nowhere\.sock" "an unreachable daemon is named"
nothing_left "$NS" "bad input"

finish

#!/usr/bin/env bash
# The third-party plugin story, end to end: install Berth, build
# examples/plugin-hello out of tree against the INSTALLED SDK only, load it into
# the INSTALLED berthd through plugin_dirs, and look at it with Debian's ctr.
# Then break its config and check that only that plugin fails.
#
# Usage: plugin_hello_test.sh BUILD_DIR   (a built Berth build tree)
# Exit: 0 all passed, 1 a check failed or ctr, cmake or ninja is missing
# (scripts/deps installs them: a missing one is a broken setup).
set -euo pipefail

BUILD=${1:?usage: $0 BUILD_DIR}
BUILD=$(realpath "$BUILD")
ROOT=$(realpath "$(dirname "${BASH_SOURCE[0]}")/../..")
EXAMPLE=$ROOT/examples/plugin-hello
[ -f "$BUILD/CMakeCache.txt" ] || { echo "not a CMake build tree: $BUILD" >&2; exit 1; }
for tool in ctr cmake ninja; do
  if ! command -v "$tool" >/dev/null; then
    echo "FAIL: $tool is not installed (scripts/deps installs it)" >&2
    exit 1
  fi
done

# Under /tmp and short: the daemon's unix socket path must stay under ~100 bytes.
TMP=$(mktemp -d /tmp/berth-hello.XXXXXX)
SOCK=$TMP/b.sock
PREFIX=$TMP/prefix
BERTHD_PID=
# stop_berthd: SIGTERM, so the plugins' close() runs; SIGKILL only if it hangs.
stop_berthd() {
  [ -n "$BERTHD_PID" ] || return 0
  if kill -0 "$BERTHD_PID" 2>/dev/null; then
    kill "$BERTHD_PID"
    for _ in $(seq 50); do kill -0 "$BERTHD_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$BERTHD_PID" 2>/dev/null; then kill -9 "$BERTHD_PID"; fi
  fi
  wait "$BERTHD_PID" 2>/dev/null || true
  BERTHD_PID=
}
# shellcheck disable=SC2317  # reached through the EXIT trap
cleanup() {
  stop_berthd
  rm -rf "$TMP"
}
trap cleanup EXIT

source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
# fail MESSAGE [FILE]: shows FILE (a log), or else the last command's output.
fail() {
  if [ $# -gt 1 ] && [ -f "$2" ]; then fail_showing "$1" "$(<"$2")"; else fail_showing "$1" "$OUT"; fi
}
# ctr_run ARGS...: ctr against our daemon; sets OUT (stdout and stderr) and RC.
ctr_run() {
  RC=0
  OUT=$(ctr -a "$SOCK" "$@" 2>&1) || RC=$?
}
expect_log() {
  if grep -Eq -- "$1" "$TMP/berthd.log"; then pass "$2"; else fail "$2 (log lacks /$1/)" "$TMP/berthd.log"; fi
}

# write_config EXTRA_TOML: the daemon config, loading hello.so from its build dir.
write_config() {
  cat >"$TMP/config.toml" <<EOF
version = 2
plugin_dirs = ["$TMP/hello-build"]

[plugins."io.berth.example.v1.hello"]
$1
EOF
}
# start_berthd: the installed daemon in the background; waits for its socket.
start_berthd() {
  rm -f "$SOCK"
  "$PREFIX/bin/berthd" --config "$TMP/config.toml" --root "$TMP/root" --state "$TMP/state" \
    --address "$SOCK" >"$TMP/berthd.log" 2>&1 &
  BERTHD_PID=$!
  for _ in $(seq 100); do
    [ -S "$SOCK" ] && break
    kill -0 "$BERTHD_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -S "$SOCK" ]; then
    pass "installed berthd starts and serves $SOCK"
  else
    fail "installed berthd starts and serves $SOCK" "$TMP/berthd.log"
    finish
  fi
}

echo "# install and build out of tree"
if cmake --install "$BUILD" --prefix "$PREFIX" >"$TMP/install.log" 2>&1; then
  pass "cmake --install of $BUILD into a temporary prefix"
else
  fail "cmake --install of $BUILD into a temporary prefix" "$TMP/install.log"
  finish
fi
if cmake -S "$EXAMPLE" -B "$TMP/hello-build" -G Ninja -DCMAKE_PREFIX_PATH="$PREFIX" \
  >"$TMP/configure.log" 2>&1; then
  pass "examples/plugin-hello configures with find_package(BerthSDK)"
else
  fail "examples/plugin-hello configures with find_package(BerthSDK)" "$TMP/configure.log"
  finish
fi
# A BerthSDK found anywhere else (another install, the package registry) would
# make this test prove nothing about the installed package.
if grep -qx "BerthSDK_DIR:PATH=$PREFIX/lib/cmake/BerthSDK" "$TMP/hello-build/CMakeCache.txt"; then
  pass "the SDK package found is the one just installed"
else
  OUT=$(grep '^BerthSDK_DIR' "$TMP/hello-build/CMakeCache.txt" || true)
  fail "the SDK package found is the one just installed"
fi
if cmake --build "$TMP/hello-build" >"$TMP/build.log" 2>&1; then
  pass "hello.so builds"
else
  fail "hello.so builds" "$TMP/build.log"
  finish
fi
OUT=$(cat "$TMP/hello-build/build.ninja" || true)
expect_out "$PREFIX/include" "hello.so compiles against the installed SDK headers"
expect_no_out "$ROOT/sdk" "hello.so uses nothing from Berth's source tree"
# Hidden visibility keeps the plugin's own symbols out of the dynamic table, so
# two plugins can never bind to each other's code.
OUT=$(nm -DC --defined-only "$TMP/hello-build/hello.so" 2>&1 || true)
expect_out ' T berth_plugin_entry$' "hello.so exports berth_plugin_entry"
expect_no_out ' (berth|hello)::' "hello.so exports none of its own C++ symbols"

echo "# loaded through plugin_dirs, with the greeting overridden"
write_config 'greeting = "ahoy"'
start_berthd
ctr_run plugins ls
expect_out '^io\.berth\.example\.v1 +hello +- +ok *$' "ctr plugins ls lists io.berth.example.v1 hello as ok"
expect_out '^io\.containerd\.metadata\.v1 +rocksdb +- +ok *$' "the metadata plugin it requires is ok"
ctr_run plugins ls -d id==hello
expect_out '^Type: +io\.berth\.example\.v1 *$' "ctr plugins ls -d id==hello shows the plugin"
expect_out '^ +io\.containerd\.metadata\.v1 *$' "plugins ls -d shows its requirement on the metadata type"
expect_out '^ +io\.containerd\.service\.v1 *$' "plugins ls -d shows its requirement on the service type"
expect_out '^ +greeting +ahoy *$' "plugins ls -d shows the greeting export from config.toml"
expect_out '^ +namespaces +0 *$' "plugins ls -d shows the namespace count of a new store"
expect_log 'io\.berth\.example\.v1\.hello: ahoy \(0 namespace' "the plugin's log line reaches berthd's log"
# A namespace made now is counted by the next start: the export reads the store.
ctr_run namespaces create hello-test
if [ "$RC" -eq 0 ]; then pass "ctr namespaces create hello-test"; else fail "ctr namespaces create hello-test"; fi
stop_berthd
expect_log 'io\.berth\.example\.v1\.hello: goodbye; 0 namespace\(s\) at init, 1 now' \
  "at shutdown the plugin is closed while the metadata store it needs is still open"

echo "# restart with repeat = 3"
write_config $'greeting = "ahoy"\nrepeat = 3'
start_berthd
ctr_run plugins ls -d id==hello
expect_out '^ +greeting +ahoy ahoy ahoy *$' "the greeting export is repeated 3 times"
expect_out '^ +namespaces +1 *$' "the namespace count includes the namespace made before the restart"
stop_berthd

echo "# restart with an invalid value (repeat = 99)"
write_config 'repeat = 99'
start_berthd
ctr_run plugins ls
expect_out '^io\.berth\.example\.v1 +hello +- +error *$' "ctr plugins ls shows hello with status error"
ctr_plugins_ls=$OUT
OUT=$(grep -Ev '^TYPE |^io\.berth\.example\.v1 +hello ' <<<"$ctr_plugins_ls" || true)
if [ -n "$OUT" ] && ! grep -Evq ' ok *$' <<<"$OUT"; then
  pass "every other plugin is still ok"
else
  fail "every other plugin is still ok"
fi
ctr_run plugins ls -d id==hello
expect_out '^ +Code: +InvalidArgument *$' "plugins ls -d shows the error code InvalidArgument"
expect_out "^ +Message: +.*config key 'repeat' must be between 1 and 10, got 99" \
  "plugins ls -d shows the error naming the key"
if kill -0 "$BERTHD_PID" 2>/dev/null; then
  pass "berthd keeps running"
else
  fail "berthd keeps running" "$TMP/berthd.log"
fi
ctr_run namespaces ls -q
expect_out '^hello-test$' "berthd still serves requests (the namespace from before is listed)"
stop_berthd

finish

#!/usr/bin/env bash
# Drives the `berth` CLI against Debian's real containerd, started privately on a
# temporary directory (never the system service), and checks what it prints.
# containerd is the reference server: if berth works against it, berth speaks the
# containerd API as clients expect. `ctr` output is used as a cross-check.
#
# Usage: cli_against_containerd.sh PATH/TO/berth
# Exit: 0 all passed, 1 a check failed or a tool it needs (containerd, ctr,
# python3, root) is missing: scripts/deps installs them, so a missing one is a
# broken setup, never a reason to pass.
set -uo pipefail

BERTH=${1:?usage: $0 PATH/TO/berth}
BERTH=$(realpath "$BERTH")
[ -x "$BERTH" ] || { echo "not executable: $BERTH" >&2; exit 1; }
for tool in containerd ctr python3; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (scripts/deps installs it)" >&2; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
  echo "FAIL: containerd needs root" >&2
  exit 1
fi

TMP=$(mktemp -d /tmp/berth-cli.XXXXXX)
source "$(dirname "${BASH_SOURCE[0]}")/private_containerd.sh"
cleanup() {
  private_containerd_stop
  rm -rf "$TMP"
}
trap cleanup EXIT
private_containerd_start "$TMP" || exit 1
SOCK=$CTRD_SOCK

source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
ERR=''

# b ARGS...: run berth against our containerd; sets OUT, ERR and RC.
b() {
  OUT=$("$BERTH" -a "$SOCK" "$@" 2>"$TMP/stderr")
  RC=$?
  ERR=$(<"$TMP/stderr")
}
# raw ARGS...: the same without -a, for address and environment checks.
raw() {
  OUT=$("$BERTH" "$@" 2>"$TMP/stderr")
  RC=$?
  ERR=$(<"$TMP/stderr")
}
fail() { fail_showing "$1" "$(printf 'exit %s\n--- stdout\n%s\n--- stderr\n%s' "$RC" "$OUT" "$ERR")"; }
expect_rc() { if [ "$RC" -eq "$1" ]; then pass "$2"; else fail "$2 (exit $RC, want $1)"; fi; }
expect_err() { if grep -Eq -- "$1" <<<"$ERR"; then pass "$2"; else fail "$2 (stderr lacks /$1/)"; fi; }
expect_json() {
  if python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$OUT" 2>/dev/null; then
    pass "$1"
  else
    fail "$1 (not valid JSON)"
  fi
}

NS=berth-cli-$$
NS2=berth-cli-$$-b
SERVER_VERSION=$(containerd --version | awk '{print $3}')

echo "# version"
b version
expect_rc 0 "version exits 0"
expect_out '^Client:$' "version prints the client section"
expect_out '^  Version: +[0-9]+\.[0-9]+\.[0-9]+' "version prints the client version"
expect_out "^  Version: +${SERVER_VERSION//./\\.}\$" "version prints containerd's version ($SERVER_VERSION)"
expect_out '^  Revision: +[^ ]+' "version prints the server revision"
expect_out '^  UUID: +[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "version prints the server UUID"
b --format json version
expect_rc 0 "version --format json exits 0"
expect_json "version --format json is JSON"
expect_out '"uuid": "[0-9a-f-]{36}"' "version JSON has the UUID"
expect_out "\"version\": \"${SERVER_VERSION//./\\.}\"" "version JSON has the server version"

echo "# plugins ls"
b plugins ls
expect_rc 0 "plugins ls exits 0"
expect_out '^TYPE +ID +PLATFORMS +STATUS$' "plugins ls prints the header"
expect_out '^io\.containerd\.snapshotter\.v1 +native +linux/[^ ]+ +ok$' "plugins ls shows the native snapshotter"
expect_out '^io\.containerd\.grpc\.v1 +namespaces +- +ok$' "plugins ls shows the namespaces service"
expect_out '^io\.containerd\.snapshotter\.v1 +devmapper +linux/[^ ]+ +error$' "plugins ls marks a failed plugin as error"
if grep -q $'\t' <<<"$OUT" || grep -q ' $' <<<"$OUT"; then
  fail "plugins ls pads with spaces only, no tabs or trailing blanks"
else
  pass "plugins ls pads with spaces only, no tabs or trailing blanks"
fi
ours=$(awk 'NR > 1 {print $1, $2, $3, $4}' <<<"$OUT")
theirs=$(ctr -a "$SOCK" plugins ls | awk 'NR > 1 {print $1, $2, $3, $4}')
if [ "$ours" = "$theirs" ]; then pass "plugins ls lists what ctr lists"; else fail "plugins ls lists what ctr lists"; fi
b plugins ls 'type==io.containerd.snapshotter.v1'
expect_rc 0 "plugins ls FILTER exits 0"
expect_no_out '^io\.containerd\.(grpc|service)' "plugins ls FILTER is applied by the server"
b plugin ls -q id==overlayfs
expect_out '^overlayfs$' "plugins ls -q prints IDs"
expect_no_out ' ' "plugins ls -q prints nothing but IDs"
b plugins ls 'id=='
expect_rc 1 "plugins ls with a bad filter fails"
expect_err '^berth: list plugins: InvalidArgument: ' "plugins ls reports the server's error with its code"

echo "# plugins ls -d"
b plugins ls -d
expect_rc 0 "plugins ls -d exits 0"
expect_out '^Type: +io\.containerd\.metadata\.v1$' "plugins ls -d prints types"
expect_out '^ID: +bolt$' "plugins ls -d prints IDs"
expect_out '^Requires:$' "plugins ls -d prints requirements"
expect_out '^ +io\.containerd\.content\.v1$' "plugins ls -d lists required types"
expect_out '^Exports:$' "plugins ls -d prints exports"
expect_out "^ +root +$TMP/root/io\.containerd\.content\.v1\.content$" "plugins ls -d prints export keys and values"
expect_out '^Platforms: +linux/' "plugins ls -d prints platforms"
expect_out '^Error:$' "plugins ls -d prints init errors"
expect_out '^ +Code: +Unknown$' "plugins ls -d prints the error code"
expect_out '^ +Message: +devmapper not configured' "plugins ls -d prints the error message"
b --format json plugins ls
expect_rc 0 "plugins ls --format json exits 0"
expect_json "plugins ls --format json is JSON"
expect_out '"id": "overlayfs"' "plugins JSON has IDs"
expect_out '"status": "skip"|"status": "error"' "plugins JSON has statuses"
expect_out '"requires": \[' "plugins JSON has requirements"

echo "# namespaces"
b namespaces create "$NS" a=1 flag
expect_rc 0 "namespaces create exits 0"
b ns create "$NS"
expect_rc 1 "namespaces create of an existing name fails"
expect_err "^berth: create namespace $NS: AlreadyExists: " "namespaces create reports AlreadyExists"
b ns create 'bad name!'
expect_rc 1 "namespaces create of an invalid name fails"
expect_err '^berth: create namespace bad name!: InvalidArgument: ' "namespaces create reports InvalidArgument"
b ns create "$NS2"
expect_rc 0 "namespaces create without labels exits 0"

b namespaces ls
expect_rc 0 "namespaces ls exits 0"
expect_out '^NAME +LABELS$' "namespaces ls prints the header"
expect_out "^$NS +a=1,flag=true\$" "namespaces ls shows sorted labels (a bare KEY is KEY=true)"
expect_out "^$NS2 +-\$" "namespaces ls shows - for no labels"
b ns list -q
expect_out "^$NS\$" "namespaces ls -q prints names"
expect_no_out 'LABELS' "namespaces ls -q prints no header"
b ns ls --format json
expect_json "namespaces ls --format json is JSON"
expect_out "\"name\": \"$NS\"" "namespaces JSON has names"
expect_out '"a": "1"' "namespaces JSON has labels"

b ns label "$NS" a= b=2
expect_rc 0 "namespaces label exits 0"
b ns ls
expect_out "^$NS +b=2,flag=true\$" "namespaces label sets b and clears a (KEY= removes)"
# ctr's output is read whole first: with pipefail, `ctr | grep -q` fails
# whenever grep exits at its match before ctr has written everything (SIGPIPE).
ctr_ns=$(ctr -a "$SOCK" namespaces ls)
if grep -Eq "^$NS +b=2,flag=true *\$" <<<"$ctr_ns"; then
  pass "ctr sees the labels berth set"
else
  fail "ctr sees the labels berth set"
fi
b --format json ns ls
expect_out '"b": "2"' "namespaces JSON shows the new label"
expect_no_out '"a": ' "namespaces JSON no longer shows the cleared label"
b ns label "$NS" '=x'
expect_rc 2 "namespaces label with an empty key is a usage error"

b ns rm "$NS" "$NS-missing"
expect_rc 1 "namespaces rm with a missing name exits 1"
expect_out "^$NS\$" "namespaces rm prints what it removed"
expect_err "^berth: remove namespace $NS-missing: NotFound: " "namespaces rm reports each failure"
b --format json namespace delete "$NS2"
expect_rc 0 "namespaces delete exits 0"
expect_json "namespaces rm --format json is JSON"
expect_out "^  \"$NS2\"\$" "namespaces rm JSON lists what it removed"
b ns ls -q
expect_no_out "^$NS" "removed namespaces are gone"

echo "# errors and help"
raw -a "$TMP/nowhere.sock" version
expect_rc 1 "an unreachable address exits 1"
expect_err "^berth: cannot connect to $TMP/nowhere\.sock: " "an unreachable address is named"
start=$(date +%s)
raw -a "unix://$TMP/nowhere.sock" ns ls
elapsed=$(($(date +%s) - start))
expect_rc 1 "an unreachable unix:// address exits 1"
if [ "$elapsed" -lt 5 ]; then pass "a missing socket fails fast"; else fail "a missing socket fails fast (${elapsed}s)"; fi
BERTH_ADDRESS=unix://$SOCK raw ns ls
expect_rc 0 "BERTH_ADDRESS picks the daemon"
b ns create
expect_rc 2 "a missing argument exits 2"
expect_err '^Usage: berth namespaces create NAME \[KEY=VALUE\.\.\.\]$' "a usage error prints the command's usage"
b --format yaml version
expect_rc 2 "an unknown format exits 2"
b ns frobnicate
expect_rc 2 "an unknown command exits 2"
raw --help
expect_rc 0 "--help exits 0"
expect_out '^  namespaces, namespace, ns +manage namespaces$' "--help lists command groups"
raw ns --help
expect_out '^  label +set and clear labels' "group --help lists its commands"

finish

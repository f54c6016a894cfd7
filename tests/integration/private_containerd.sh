# shellcheck shell=bash
# tests/integration/private_containerd.sh: Debian's containerd started privately
# for a test: root, state, sockets and the opt plugin's directory all under the
# test's own temp dir, CRI off (it needs CNI and only adds noise), never the
# system service. Sourced, never run.
#
#   source private_containerd.sh
#   private_containerd_start "$TMP"   # sets CTRD_SOCK and CTRD_PID, or fails
#   ...
#   private_containerd_stop           # in the EXIT trap; SIGTERM, SIGKILL if it hangs
#
# containerd keeps running tasks' shims alive when it stops: a test stops its
# tasks itself before private_containerd_stop.

CTRD_PID=
CTRD_SOCK=

# private_containerd_config DIR SOCK: prints a config that moves every path
# containerd would use by default (/var/lib, /run, /opt/containerd) into DIR.
private_containerd_config() {
  cat <<EOT
version = 2
root = "$1/root"
state = "$1/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$2"
[ttrpc]
  address = "$2.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$1/opt"
EOT
}

# private_containerd_start DIR: starts containerd on DIR/c.sock (log in
# DIR/containerd.log) and waits until its socket is there. Returns 1, with the
# log on stderr, if it does not come up.
private_containerd_start() {
  local dir=$1
  CTRD_SOCK=$dir/c.sock
  private_containerd_config "$dir" "$CTRD_SOCK" >"$dir/containerd.toml"
  containerd --config "$dir/containerd.toml" >"$dir/containerd.log" 2>&1 &
  CTRD_PID=$!
  for _ in $(seq 100); do
    [ -S "$CTRD_SOCK" ] && return 0
    kill -0 "$CTRD_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "containerd did not start; its log:" >&2
  cat "$dir/containerd.log" >&2
  return 1
}

# stop_pid PID: SIGTERM to a child of this shell, SIGKILL if it has not gone
# within 5 s, then reaps it.
stop_pid() {
  [ -n "$1" ] || return 0
  if kill -0 "$1" 2>/dev/null; then
    kill "$1"
    for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$1" 2>/dev/null && kill -9 "$1"
  fi
  wait "$1" 2>/dev/null
}

# private_containerd_stop: stops the containerd this shell started, by PID.
private_containerd_stop() {
  stop_pid "$CTRD_PID"
  CTRD_PID=
}

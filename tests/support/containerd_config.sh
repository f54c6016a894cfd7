# tests/support/containerd_config.sh: sourced, never run.
# private_containerd_config DIR SOCK: prints a config for a private Debian
# containerd. Every path containerd would use by default (/var/lib, /run,
# /opt/containerd) is moved under DIR, it listens on SOCK (and SOCK.ttrpc),
# and CRI is off since it needs CNI and would only add noise.
private_containerd_config() {
  local dir=$1 sock=$2
  cat <<CONF
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"
CONF
}

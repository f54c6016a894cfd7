// --snapshotter, for every command that works on snapshots (`snapshots ...`,
// `images mount`, `unmount`, `usage`): the option, else $BERTH_SNAPSHOTTER
// (as ctr reads $CONTAINERD_SNAPSHOTTER), else overlayfs.
#pragma once

#include <cstdlib>
#include <string>

#include "command.hpp"

namespace berth::cli {

inline const OptionSpec kSnapshotterOption{'s', "snapshotter", "NAME",
                                           "the snapshotter (default: $BERTH_SNAPSHOTTER, else overlayfs)"};

inline std::string snapshotter_name(const Invocation& inv) {
  if (auto v = inv.args().value("snapshotter")) return *v;
  if (const char* env = std::getenv("BERTH_SNAPSHOTTER"); env != nullptr && *env != '\0') return env;
  return "overlayfs";
}

}  // namespace berth::cli

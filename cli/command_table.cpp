#include "command_table.hpp"

namespace berth::cli {

const Command& RootCommand() {
  // Listed in --help in this order.
  static const Command root{
      .name = "berth",
      .summary = "berth drives Berth, or any daemon speaking the containerd API, over its unix socket.",
      .subcommands =
          {
              VersionCommand(),
              PluginsCommand(),
              NamespacesCommand(),
              ContentCommand(),
              LeasesCommand(),
              SnapshotsCommand(),
          },
  };
  return root;
}

}  // namespace berth::cli

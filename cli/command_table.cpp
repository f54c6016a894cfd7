#include "command_table.hpp"

#include "cmd_pull.hpp"

namespace berth::cli {

const Command& root_command() {
  // Listed in --help in this order.
  static const Command root{
      .name = "berth",
      .summary = "berth drives Berth, or any daemon speaking the containerd API, over its unix socket.",
      .subcommands =
          {
              version_command(),
              plugins_command(),
              namespaces_command(),
              content_command(),
              images_command(),
              // The short form of `images pull`.
              pull_command("pull an image from a registry (images pull)"),
              leases_command(),
              snapshots_command(),
              containers_command(),
              tasks_command(),
              run_command(),
              gc_command(),
          },
  };
  return root;
}

}  // namespace berth::cli

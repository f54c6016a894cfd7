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
              Command{.name = "pull",
                      .summary = "pull an image from a registry (images pull)",
                      .synopsis = kPullSynopsis,
                      .description = kPullDescription,
                      .options = pull_options(),
                      .min_args = 1,
                      .max_args = 1,
                      .run = run_pull},
              leases_command(),
              snapshots_command(),
          },
  };
  return root;
}

}  // namespace berth::cli

// `berth images pull` and its short form `berth pull`: the daemon pulls
// (berth.services.transfer.v1), the client shows progress.
#pragma once

#include "command.hpp"

namespace berth::cli {

int run_pull(Invocation& inv);
std::vector<OptionSpec> pull_options();
inline constexpr std::string_view kPullSynopsis = "REF";
inline constexpr std::string_view kPullDescription =
    "Pull the image REF (busybox, registry:5000/app:1.0, app@sha256:...) into the\n"
    "namespace and unpack it for this host's platform (or the first --platform).\n"
    "The daemon downloads the layers in parallel and unpacks them as they arrive;\n"
    "a pull that was interrupted goes on from what it had verified.";

}  // namespace berth::cli

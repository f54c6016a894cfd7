// `berth images push`: the daemon pushes (berth.services.transfer.v1), the
// client shows progress.
#pragma once

#include "command.hpp"

namespace berth::cli {

int run_push(Invocation& inv);
std::vector<OptionSpec> push_options();
inline constexpr std::string_view kPushSynopsis = "NAME [REMOTE]";
inline constexpr std::string_view kPushDescription =
    "Push the local image NAME to REMOTE (registry:5000/app:1.0; default: NAME).\n"
    "The daemon sends only the blobs the repository lacks, mounting those another\n"
    "repository of the registry has, several at once; the manifests follow their\n"
    "blobs and the tag is set last. Without --platform the whole image goes (every\n"
    "manifest of its index must be here: pull with --all-platforms); with it, only\n"
    "that platform's manifest, pushed as the image.";

}  // namespace berth::cli

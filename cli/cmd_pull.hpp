// `berth images pull` and its short form `berth pull`: the daemon pulls
// (berth.services.transfer.v1), the client shows progress.
#pragma once

#include "command.hpp"

namespace berth::cli {

// The pull command, under `images` and (with a summary saying so) at the top.
Command pull_command(std::string_view summary);

}  // namespace berth::cli

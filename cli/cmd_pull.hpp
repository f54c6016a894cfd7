// `berth images pull` and its short form `berth pull`: the daemon pulls
// (berth.services.transfer.v1), the client shows progress.
#pragma once

#include "berth/services/transfer/v1/transfer.grpc.pb.h"
#include "command.hpp"

namespace berth::cli {

namespace transfer = berth::services::transfer::v1;

// Has the daemon pull `request.reference()` (berth.services.transfer.v1,
// which berthd serves and containerd does not: UNIMPLEMENTED there), with a
// progress view on stderr when `show_progress`. The image record in `out`.
grpc::Status pull(Client& client, const transfer::PullRequest& request, bool show_progress,
                  containerd::services::images::v1::Image& out);

// The pull command, under `images` and (with a summary saying so) at the top.
Command pull_command(std::string_view summary);

}  // namespace berth::cli

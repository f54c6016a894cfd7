#include "cmd_push.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "berth/services/transfer/v1/transfer.grpc.pb.h"
#include "output.hpp"
#include "registry_flags.hpp"
#include "transfer_progress.hpp"

namespace berth::cli {

namespace transfer = berth::services::transfer::v1;

std::vector<OptionSpec> push_options() {
  std::vector<OptionSpec> options{
      {'\0', "platform", "PLATFORM", "push only the manifest for PLATFORM (linux/arm64)"},
  };
  for (OptionSpec& o : registry_options()) options.push_back(o);
  options.push_back(
      {'\0', "max-concurrent-uploads", "N", "blobs uploading at once (default: the daemon's, 3)"});
  return options;
}

int run_push(Invocation& inv) {
  const auto& pos = inv.positionals();
  if (pos.empty() || pos.size() > 2) return inv.usage_error("push takes an image name and maybe a remote");
  const auto& args = inv.args();
  transfer::PushRequest request;
  request.set_image(pos[0]);
  if (pos.size() == 2) request.set_reference(pos[1]);
  const auto platforms = args.values("platform");
  if (platforms.size() > 1)
    return inv.usage_error(
        "push takes one --platform (an index with some of its manifests would be a new image)");
  if (!platforms.empty()) request.set_platform(platforms.front());
  std::string error;
  if (!parse_registry_flags(args, *request.mutable_registry(), error)) return inv.usage_error(error);
  std::optional<int> uploads;
  if (!parse_positive_flag(args, "max-concurrent-uploads", uploads, error)) return inv.usage_error(error);
  if (uploads) request.set_max_concurrent_uploads(*uploads);

  const std::string remote = pos.size() == 2 ? pos[1] : pos[0];
  const std::string what = "push " + remote;
  if (auto st = inv.client().connect(); !st.ok()) return inv.fail(what, st);
  grpc::ClientContext context;
  inv.client().prepare(context);
  transfer::Transfer::Stub stub(inv.client().channel());
  auto reader = stub.Push(&context, request);
  // Progress goes to stderr, so stdout carries only the result.
  TransferProgressView progress(stderr, !inv.json() && ::isatty(STDERR_FILENO));
  transfer::PushProgress message;
  std::optional<containerd::types::Descriptor> pushed;
  while (reader->Read(&message)) {
    for (const auto& b : message.blobs())
      progress.update(b.kind(), b.digest(), b.state(), b.offset(), b.total());
    if (message.has_pushed()) pushed = message.pushed();
  }
  progress.finish();
  if (auto st = reader->Finish(); !st.ok()) return inv.fail(what, st);
  if (!pushed) return inv.fail(what, grpc::Status(grpc::StatusCode::INTERNAL, "the daemon sent no result"));
  if (inv.json()) {
    print_json(
        {{"reference", remote},
         {"target",
          {{"media_type", pushed->media_type()}, {"digest", pushed->digest()}, {"size", pushed->size()}}}});
  } else {
    fmt::print("{} {}\n", remote, pushed->digest());
  }
  return kExitOk;
}

}  // namespace berth::cli

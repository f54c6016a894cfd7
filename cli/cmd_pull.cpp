#include "cmd_pull.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "berth/services/transfer/v1/transfer.grpc.pb.h"
#include "labels.hpp"
#include "output.hpp"
#include "registry_flags.hpp"
#include "transfer_progress.hpp"

namespace berth::cli {

namespace {

std::vector<OptionSpec> pull_options() {
  std::vector<OptionSpec> options{
      {'\0', "platform", "PLATFORM", "pull for PLATFORM (linux/arm64); may be repeated"},
      {'\0', "all-platforms", "", "download every platform of an index (unpack this host's)"},
      {'\0', "snapshotter", "NAME", "unpack into snapshotter NAME (default: the daemon's, overlayfs)"},
      {'\0', "skip-unpack", "", "download only"},
  };
  for (OptionSpec& o : registry_options()) options.push_back(o);
  options.push_back(
      {'\0', "max-concurrent-downloads", "N", "layers downloading at once (default: the daemon's, 3)"});
  options.push_back({'\0', "label", "KEY=VALUE", "a label for the image record; may be repeated"});
  return options;
}

}  // namespace

grpc::Status pull(Client& client, const transfer::PullRequest& request, bool show_progress,
                  containerd::services::images::v1::Image& out) {
  if (auto st = client.connect(); !st.ok()) return st;
  grpc::ClientContext context;
  client.prepare(context);
  transfer::Transfer::Stub stub(client.channel());
  auto reader = stub.Pull(&context, request);
  TransferProgressView progress(stderr, show_progress);
  transfer::PullProgress message;
  std::optional<containerd::services::images::v1::Image> image;
  while (reader->Read(&message)) {
    for (const auto& b : message.blobs())
      progress.update(b.kind(), b.digest(), b.state(), b.offset(), b.total());
    if (message.has_image()) image = message.image();
  }
  progress.finish();
  if (auto st = reader->Finish(); !st.ok()) return st;
  if (!image) return {grpc::StatusCode::INTERNAL, "the daemon sent no image"};
  out = std::move(*image);
  return grpc::Status::OK;
}

namespace {

int run_pull(Invocation& inv) {
  const auto& args = inv.args();
  transfer::PullRequest request;
  request.set_reference(inv.positionals()[0]);
  for (const std::string& p : args.values("platform")) request.add_platforms(p);
  request.set_all_platforms(args.has("all-platforms"));
  request.set_snapshotter(args.value("snapshotter").value_or(""));
  request.set_skip_unpack(args.has("skip-unpack"));
  std::string error;
  if (!parse_registry_flags(args, *request.mutable_registry(), error)) return inv.usage_error(error);
  std::optional<int> downloads;
  if (!parse_positive_flag(args, "max-concurrent-downloads", downloads, error)) return inv.usage_error(error);
  if (downloads) request.set_max_concurrent_downloads(*downloads);
  std::map<std::string, std::string> labels;
  if (!parse_label_args(args.values("label"), labels, error)) return inv.usage_error(error);
  request.mutable_labels()->insert(labels.begin(), labels.end());

  const std::string what = "pull " + request.reference();
  containerd::services::images::v1::Image image;
  // Progress goes to stderr, so stdout carries only the result.
  if (auto st = pull(inv.client(), request, !inv.json() && ::isatty(STDERR_FILENO), image); !st.ok())
    return inv.fail(what, st);
  if (inv.json()) {
    print_json({{"name", image.name()},
                {"target",
                 {{"media_type", image.target().media_type()},
                  {"digest", image.target().digest()},
                  {"size", image.target().size()}}}});
  } else {
    fmt::print("{} {}\n", image.name(), image.target().digest());
  }
  return kExitOk;
}

}  // namespace

Command pull_command(std::string_view summary) {
  return {.name = "pull",
          .summary = summary,
          .synopsis = "REF",
          .description =
              "Pull the image REF (busybox, registry:5000/app:1.0, app@sha256:...) into the\n"
              "namespace and unpack it for this host's platform (or the first --platform).\n"
              "The daemon downloads the layers in parallel and unpacks them as they arrive;\n"
              "a pull that was interrupted goes on from what it had verified.",
          .options = pull_options(),
          .min_args = 1,
          .max_args = 1,
          .run = run_pull};
}

}  // namespace berth::cli

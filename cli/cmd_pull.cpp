#include "cmd_pull.hpp"

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "berth/services/transfer/v1/transfer.grpc.pb.h"
#include "labels.hpp"
#include "output.hpp"
#include "pull_progress.hpp"

namespace berth::cli {
namespace {

namespace transfer = berth::services::transfer::v1;

// Reads a password from the terminal without echoing it.
bool read_secret(const std::string& prompt, std::string& out) {
  if (!::isatty(STDIN_FILENO)) return false;
  fmt::print(stderr, "{}", prompt);
  termios old{};
  ::tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  const bool ok = static_cast<bool>(std::getline(std::cin, out));
  ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
  fmt::print(stderr, "\n");
  return ok;
}

}  // namespace

std::vector<OptionSpec> pull_options() {
  return {
      {'\0', "platform", "PLATFORM", "pull for PLATFORM (linux/arm64); may be repeated"},
      {'\0', "all-platforms", "", "download every platform of an index (unpack this host's)"},
      {'\0', "snapshotter", "NAME", "unpack into snapshotter NAME (default: the daemon's, overlayfs)"},
      {'\0', "skip-unpack", "", "download only"},
      {'\0', "plain-http", "", "talk to the registry over http"},
      {'\0', "skip-verify", "", "do not check the registry's certificate"},
      {'u', "user", "USER[:PASSWORD]", "credentials for the registry (asked for when only USER)"},
      {'\0', "hosts-dir", "DIR", "containerd's hosts directory (DIR/<host>/hosts.toml)"},
      {'\0', "max-concurrent-downloads", "N", "layers downloading at once (default: the daemon's, 3)"},
      {'\0', "label", "KEY=VALUE", "a label for the image record; may be repeated"},
  };
}

int run_pull(Invocation& inv) {
  if (inv.positionals().size() != 1) return inv.usage_error("pull takes exactly one image reference");
  const auto& args = inv.args();
  transfer::PullRequest request;
  request.set_reference(inv.positionals()[0]);
  for (const std::string& p : args.values("platform")) request.add_platforms(p);
  request.set_all_platforms(args.has("all-platforms"));
  request.set_snapshotter(args.value("snapshotter").value_or(""));
  request.set_skip_unpack(args.has("skip-unpack"));
  auto* registry = request.mutable_registry();
  registry->set_plain_http(args.has("plain-http"));
  registry->set_skip_verify(args.has("skip-verify"));
  registry->set_hosts_dir(args.value("hosts-dir").value_or(""));
  if (auto user = args.value("user")) {
    auto colon = user->find(':');
    std::string secret;
    if (colon != std::string::npos) {
      secret = user->substr(colon + 1);
      user->resize(colon);
    } else if (!read_secret("Password: ", secret)) {
      return inv.usage_error("--user " + *user +
                             " needs a password (USER:PASSWORD) when stdin is not a terminal");
    }
    registry->set_user(*user);
    registry->set_secret(secret);
  }
  if (auto n = args.value("max-concurrent-downloads")) {
    int value = 0;
    try {
      std::size_t used = 0;
      value = std::stoi(*n, &used);
      if (used != n->size() || value < 1) throw std::invalid_argument(*n);
    } catch (const std::exception&) {
      return inv.usage_error("--max-concurrent-downloads " + *n + " is not a positive number");
    }
    request.set_max_concurrent_downloads(value);
  }
  std::map<std::string, std::string> labels;
  std::string error;
  if (!parse_label_args(args.values("label"), labels, error)) return inv.usage_error(error);
  request.mutable_labels()->insert(labels.begin(), labels.end());

  const std::string what = "pull " + request.reference();
  if (auto st = inv.client().connect(); !st.ok()) return inv.fail(what, st);
  grpc::ClientContext context;
  inv.client().prepare(context);
  transfer::Transfer::Stub stub(inv.client().channel());
  auto reader = stub.Pull(&context, request);
  // Progress goes to stderr, so stdout carries only the result.
  PullProgress progress(stderr, !inv.json() && ::isatty(STDERR_FILENO));
  transfer::PullProgress message;
  std::optional<containerd::services::images::v1::Image> image;
  while (reader->Read(&message)) {
    for (const auto& b : message.blobs())
      progress.update(b.kind(), b.digest(), b.state(), b.offset(), b.total());
    if (message.has_image()) image = message.image();
  }
  progress.finish();
  if (auto st = reader->Finish(); !st.ok()) return inv.fail(what, st);
  if (!image) return inv.fail(what, grpc::Status(grpc::StatusCode::INTERNAL, "the daemon sent no image"));
  if (inv.json()) {
    print_json({{"name", image->name()},
                {"target",
                 {{"media_type", image->target().media_type()},
                  {"digest", image->target().digest()},
                  {"size", image->target().size()}}}});
  } else {
    fmt::print("{} {}\n", image->name(), image->target().digest());
  }
  return kExitOk;
}

}  // namespace berth::cli

#include "client.hpp"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace berth::cli {

namespace {

// containerd's client raises gRPC's 4 MiB receive limit to 16 MiB (large
// listings, e.g. of content); use the same limits so nothing that works with
// ctr fails here.
constexpr int kMaxMessageBytes = 16 << 20;

class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Only called once gRPC has failed to connect, to learn why: gRPC does not
// expose the errno of its last attempt. Returns 0 when the socket accepts.
int probe_socket(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return ENAMETOOLONG;
  std::memcpy(addr.sun_path, path.data(), path.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return errno;
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) return errno;
  return 0;
}

std::string describe(int err) {
  std::string text = std::strerror(err);
  if (err == ENOENT || err == ECONNREFUSED) text += " (is the daemon running?)";
  return text;
}

}  // namespace

std::optional<std::string> socket_path(std::string_view address) {
  constexpr std::string_view kUnix = "unix://";
  if (address.starts_with(kUnix)) address.remove_prefix(kUnix.size());
  if (address.empty() || address.find("://") != std::string_view::npos) return std::nullopt;
  return std::string(address);
}

std::string_view code_name(grpc::StatusCode code) {
  static constexpr std::array<std::string_view, 17> kNames = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  auto index = static_cast<size_t>(code);
  return index < kNames.size() ? kNames[index] : "Unknown";
}

Client::Client(std::string socket_path, std::string ns, std::chrono::milliseconds connect_timeout, bool debug)
    : socket_path_(std::move(socket_path)),
      namespace_(std::move(ns)),
      connect_timeout_(connect_timeout),
      debug_(debug) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  args.SetUserAgentPrefix("berth/" BERTH_VERSION);
  // "unix:" + a path is gRPC's form for both absolute and relative paths.
  channel_ = grpc::CreateCustomChannel("unix:" + socket_path_, grpc::InsecureChannelCredentials(), args);
}

grpc::Status Client::connect() {
  if (!connected_) connected_ = wait_until_ready();
  return *connected_;
}

void Client::prepare(grpc::ClientContext& context) const {
  context.AddMetadata("containerd-namespace", namespace_);
  if (!lease_.empty()) context.AddMetadata("containerd-lease", lease_);
}

void Client::print_call(const std::string& what, const grpc::Status& status,
                        std::chrono::steady_clock::time_point started) const {
  using ms = std::chrono::duration<double, std::milli>;
  const auto now = std::chrono::steady_clock::now();
  // One write a line: calls in the background print beside the others.
  const std::string line =
      fmt::format("berth: debug: {:8.3f} ms  {}: {} in {:.3f} ms\n", ms(now - made_).count(), what,
                  code_name(status.error_code()), ms(now - started).count());
  std::fputs(line.c_str(), stderr);
}

grpc::Status Client::wait_until_ready() {
  const auto deadline = std::chrono::system_clock::now() + connect_timeout_;
  grpc_connectivity_state state = channel_->GetState(/*try_to_connect=*/true);
  while (state != GRPC_CHANNEL_READY) {
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE) {
      // A socket that accepts may belong to a daemon that has just started:
      // then let gRPC's backoff retry until the deadline.
      if (int err = probe_socket(socket_path_); err != 0) return unreachable(describe(err));
    }
    if (!channel_->WaitForStateChange(state, deadline)) {
      return unreachable(fmt::format("no gRPC connection within {:.3g}s", connect_timeout_.count() / 1000.0));
    }
    state = channel_->GetState(/*try_to_connect=*/true);
  }
  return grpc::Status::OK;
}

grpc::Status Client::unreachable(std::string_view why) const {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      fmt::format("cannot connect to {}: {}", socket_path_, why));
}

}  // namespace berth::cli

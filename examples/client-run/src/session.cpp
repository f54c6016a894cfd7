#include "session.hpp"

#include <array>

namespace client_run {

namespace {

std::string grpc_target(const std::string& address) {
  if (address.starts_with("unix:")) return address;
  return "unix:" + address;
}

}  // namespace

Session::Session(const std::string& address, std::string ns)
    : target_(grpc_target(address)), ns_(std::move(ns)) {
  grpc::ChannelArguments args;
  // Manifests and configs are small, but a daemon's List can be large.
  args.SetMaxReceiveMessageSize(16 << 20);
  channel_ = grpc::CreateCustomChannel(target_, grpc::InsecureChannelCredentials(), args);
  containers_ = containers_v1::Containers::NewStub(channel_);
  content_ = content_v1::Content::NewStub(channel_);
  diff_ = diff_v1::Diff::NewStub(channel_);
  images_ = images_v1::Images::NewStub(channel_);
  leases_ = leases_v1::Leases::NewStub(channel_);
  snapshots_ = snapshots_v1::Snapshots::NewStub(channel_);
  tasks_ = tasks_v1::Tasks::NewStub(channel_);
}

Status Session::connect(std::chrono::seconds timeout) {
  if (channel_->WaitForConnected(std::chrono::system_clock::now() + timeout)) return {};
  return fail("cannot connect to " + target_ + " within " + std::to_string(timeout.count()) + " s");
}

std::unique_ptr<grpc::ClientContext> Session::context() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("containerd-namespace", ns_);
  if (!lease_.empty()) context->AddMetadata("containerd-lease", lease_);
  return context;
}

std::string describe(const grpc::Status& status) {
  static constexpr std::array<const char*, 17> kNames = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  const auto code = static_cast<std::size_t>(status.error_code());
  const std::string name = code < kNames.size() ? kNames[code] : "code " + std::to_string(code);
  return name + ": " + status.error_message();
}

Status check(const grpc::Status& status, const std::string& what) {
  if (status.ok()) return {};
  return fail(what + ": " + describe(status));
}

}  // namespace client_run

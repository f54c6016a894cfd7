// The connection to a containerd-API daemon (berthd or containerd) and the
// per-call metadata every request carries.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace berth::cli {

// The unix socket path named by `address` ("/p", "unix:///p" or "unix://p"),
// or nullopt when it names something else (only unix sockets are served).
std::optional<std::string> socket_path(std::string_view address);

// gRPC's canonical code names as Go (and so `ctr`) spells them: "NotFound".
std::string_view code_name(grpc::StatusCode code);

class Client {
 public:
  // With `debug`, every unary call is printed on stderr once it returns:
  // milliseconds since the client was made, the request's type, the code
  // and the call's own milliseconds (`berth --debug run ...`).
  Client(std::string socket_path, std::string ns, std::chrono::milliseconds connect_timeout,
         bool debug = false);

  // Waits for the daemon on the first call; later calls return that outcome.
  // Errors the user has to fix (no socket, nothing listening, no permission)
  // fail at once instead of being retried until the timeout, as ctr does.
  grpc::Status connect();

  // Sets what every request carries: containerd scopes nearly every object by
  // the `containerd-namespace` header, and ctr sends it on every call, even
  // to services that ignore it (version, introspection, namespaces).
  // With a lease set, every later request also carries `containerd-lease`:
  // what it creates (a snapshot, a blob) is held by that lease, as ctr's
  // client.WithLease does.
  void prepare(grpc::ClientContext& context) const;
  void set_lease(std::string id) { lease_ = std::move(id); }

  // One unary RPC: `client.Call(&Service::Stub::Method, request, &response)`.
  template <typename Stub, typename Request, typename Response>
  grpc::Status call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response) {
    if (grpc::Status status = connect(); !status.ok()) return status;
    grpc::ClientContext context;
    prepare(context);
    Stub stub(channel_);
    const auto started = std::chrono::steady_clock::now();
    grpc::Status status = (stub.*method)(&context, request, response);
    if (debug_) print_call(request.GetTypeName(), status, started);
    return status;
  }

  // A unary RPC whose answer nobody waits for (deleting a lease whose work
  // is done): it runs on a thread of its own with the metadata of this
  // moment, and is joined when the client goes, so it is answered before the
  // command exits. Its outcome is not reported.
  template <typename Stub, typename Request, typename Response>
  void call_in_background(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                          Request request) {
    if (!connect().ok()) return;
    auto context = std::make_shared<grpc::ClientContext>();
    prepare(*context);
    background_.emplace_back([this, channel = channel_, context, method, request = std::move(request)] {
      Stub stub(channel);
      Response response;
      const auto started = std::chrono::steady_clock::now();
      grpc::Status status = (stub.*method)(context.get(), request, &response);
      if (debug_) print_call(request.GetTypeName() + " (in the background)", status, started);
    });
  }

  // For streaming RPCs, which need a context that outlives the call: connect
  // first, then build the stub from this channel and the context with Prepare.
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const std::string& socket_path() const { return socket_path_; }
  // True once Connect has failed: every call then fails with its status.
  bool unreachable() const { return connected_ && !connected_->ok(); }

 private:
  grpc::Status wait_until_ready();
  void print_call(const std::string& what, const grpc::Status& status,
                  std::chrono::steady_clock::time_point started) const;
  grpc::Status unreachable(std::string_view why) const;

  std::string socket_path_;
  std::string namespace_;
  std::string lease_;
  std::chrono::milliseconds connect_timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::optional<grpc::Status> connected_;
  bool debug_;
  std::chrono::steady_clock::time_point made_ = std::chrono::steady_clock::now();
  // Last, so they are joined before the channel they use goes.
  std::vector<std::jthread> background_;
};

}  // namespace berth::cli

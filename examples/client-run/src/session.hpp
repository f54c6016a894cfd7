// One connection to the daemon, and the context every call carries: the
// namespace (gRPC metadata `containerd-namespace`, as containerd's Go client
// sends it) and, while things are being created, the lease
// (`containerd-lease`) that keeps them from containerd's garbage collector.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "github.com/containerd/containerd/api/services/containers/v1/containers.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/content/v1/content.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/diff/v1/diff.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/images/v1/images.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/leases/v1/leases.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/snapshots/v1/snapshots.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/tasks/v1/tasks.grpc.pb.h"
#include "result.hpp"

namespace client_run {

namespace containers_v1 = containerd::services::containers::v1;
namespace content_v1 = containerd::services::content::v1;
namespace diff_v1 = containerd::services::diff::v1;
namespace images_v1 = containerd::services::images::v1;
namespace leases_v1 = containerd::services::leases::v1;
namespace snapshots_v1 = containerd::services::snapshots::v1;
namespace tasks_v1 = containerd::services::tasks::v1;

class Session {
 public:
  // address: "unix:///path", "unix:/path" or a bare socket path.
  Session(const std::string& address, std::string ns);

  // Waits up to `timeout` for the connection; an error names the address.
  Status connect(std::chrono::seconds timeout);

  // A fresh context for one call, with the namespace and the current lease.
  [[nodiscard]] std::unique_ptr<grpc::ClientContext> context() const;

  void set_lease(std::string id) { lease_ = std::move(id); }
  [[nodiscard]] const std::string& ns() const { return ns_; }
  [[nodiscard]] const std::string& target() const { return target_; }

  containers_v1::Containers::Stub& containers() { return *containers_; }
  content_v1::Content::Stub& content() { return *content_; }
  diff_v1::Diff::Stub& diff() { return *diff_; }
  images_v1::Images::Stub& images() { return *images_; }
  leases_v1::Leases::Stub& leases() { return *leases_; }
  snapshots_v1::Snapshots::Stub& snapshots() { return *snapshots_; }
  tasks_v1::Tasks::Stub& tasks() { return *tasks_; }

 private:
  std::string target_;
  std::string ns_;
  std::string lease_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<containers_v1::Containers::Stub> containers_;
  std::unique_ptr<content_v1::Content::Stub> content_;
  std::unique_ptr<diff_v1::Diff::Stub> diff_;
  std::unique_ptr<images_v1::Images::Stub> images_;
  std::unique_ptr<leases_v1::Leases::Stub> leases_;
  std::unique_ptr<snapshots_v1::Snapshots::Stub> snapshots_;
  std::unique_ptr<tasks_v1::Tasks::Stub> tasks_;
};

// "Code: message" of a failed call, for error messages.
std::string describe(const grpc::Status& status);

// A call's status as a Result, with `what` in front of the error.
Status check(const grpc::Status& status, const std::string& what);

}  // namespace client_run

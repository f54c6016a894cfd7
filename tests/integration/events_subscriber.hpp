// A gRPC Events/Subscribe stream for integration tests, read on the test's
// own thread.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "github.com/containerd/containerd/api/services/events/v1/events.grpc.pb.h"

namespace berth::test {

// One Subscribe call read on the test's thread. With a `limit`, the stream
// ends (DEADLINE_EXCEEDED) that long after it opened, so a read waiting for
// an event that never comes cannot hang the test.
class Subscriber {
 public:
  Subscriber(containerd::services::events::v1::Events::Stub& stub, const std::vector<std::string>& filters,
             std::chrono::seconds limit = std::chrono::seconds(0)) {
    if (limit.count() > 0) ctx_.set_deadline(std::chrono::system_clock::now() + limit);
    containerd::services::events::v1::SubscribeRequest req;
    for (const auto& f : filters) req.add_filters(f);
    reader_ = stub.Subscribe(&ctx_, req);
    // Subscribe sends its headers once the subscription exists, so nothing
    // published after this returns is missed.
    reader_->WaitForInitialMetadata();
  }
  ~Subscriber() {
    if (status_) return;
    ctx_.TryCancel();
    (void)reader_->Finish();
  }
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  bool read(containerd::services::events::v1::Envelope& out) { return reader_->Read(&out); }
  // Once the stream has ended (read gave false).
  grpc::Status finish() {
    if (!status_) status_ = reader_->Finish();
    return *status_;
  }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<containerd::services::events::v1::Envelope>> reader_;
  std::optional<grpc::Status> status_;
};

}  // namespace berth::test

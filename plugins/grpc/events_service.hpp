// containerd.services.events.v1.Events over the event exchange
// (berth/events.hpp): clients publish into it and forward envelopes made
// elsewhere; `ctr events` and every other subscriber stream what matches
// their filters, from every namespace. Over ttrpc it serves
// containerd.services.events.ttrpc.v1.Events, whose only method is Forward:
// what shims send their task events to (TTRPC_ADDRESS).
#pragma once

#include <grpcpp/server_builder.h>

#include <atomic>
#include <memory>

#include "berth/events.hpp"
#include "berth/grpc_service.hpp"
#include "berth/instance.hpp"
#include "berth/ttrpc_service.hpp"
#include "github.com/containerd/containerd/api/services/events/v1/events.grpc.pb.h"

namespace berth::api {

namespace events_v1 = containerd::services::events::v1;

class EventsService final : public Instance,
                            public GrpcService,
                            public TtrpcService,
                            public events_v1::Events::Service {
 public:
  explicit EventsService(std::shared_ptr<EventExchange> exchange) : exchange_(std::move(exchange)) {}

  void register_services(grpc::ServerBuilder& builder) override { builder.RegisterService(this); }
  void register_ttrpc(TtrpcRegistry& registry) override;
  // Ends every subscription with UNAVAILABLE within one poll.
  void stopping() override { stopping_ = true; }

  // The request's namespace (required) and the current time wrap the event.
  grpc::Status Publish(grpc::ServerContext* ctx, const events_v1::PublishRequest* req,
                       google::protobuf::Empty* out) override;
  grpc::Status Forward(grpc::ServerContext* ctx, const events_v1::ForwardRequest* req,
                       google::protobuf::Empty* out) override;
  // Streams until the client goes away, the daemon stops (UNAVAILABLE) or the
  // subscriber falls too far behind (RESOURCE_EXHAUSTED).
  grpc::Status Subscribe(grpc::ServerContext* ctx, const events_v1::SubscribeRequest* req,
                         grpc::ServerWriter<events_v1::Envelope>* writer) override;

 private:
  std::shared_ptr<EventExchange> exchange_;
  std::atomic<bool> stopping_{false};
};

}  // namespace berth::api

#include "events_service.hpp"

#include <chrono>
#include <string>
#include <vector>

#include "event_pb.hpp"
#include "github.com/containerd/containerd/api/services/ttrpc/events/v1/events.pb.h"
#include "grpc_status.hpp"
#include "pb_convert.hpp"

namespace berth::api {
namespace {

// How long a subscriber's thread waits for an event before it looks again
// whether its client is still there and the daemon still running.
constexpr std::chrono::milliseconds kCancelPoll{200};

// The gRPC and the ttrpc Forward carry two Envelope messages with the same
// fields: one conversion for both. The exchange refuses what containerd
// refuses (no timestamp, a bad namespace or topic).
template <class PbEnvelope>
Status forward_envelope(EventExchange& exchange, const PbEnvelope& pb) {
  if (!pb.has_event()) return invalid_argument("forward: the envelope has no event");
  auto event = from_any(pb.event());
  if (!event.ok()) return event.status();
  return exchange.forward(Envelope{.timestamp = pb.has_timestamp() ? time_of(pb.timestamp()) : 0,
                                   .ns = pb.namespace_(),
                                   .topic = pb.topic(),
                                   .event = std::move(*event)});
}

}  // namespace

grpc::Status EventsService::Publish(grpc::ServerContext* ctx, const events_v1::PublishRequest* req,
                                    google::protobuf::Empty*) {
  auto ns = request_namespace(*ctx);
  if (!ns.ok()) return to_grpc(ns.status());
  if (!req->has_event()) return to_grpc(invalid_argument("publish: the event is missing"));
  auto event = from_any(req->event());
  if (!event.ok()) return to_grpc(event.status());
  return to_grpc(exchange_->publish(*ns, req->topic(), std::move(*event)));
}

grpc::Status EventsService::Forward(grpc::ServerContext*, const events_v1::ForwardRequest* req,
                                    google::protobuf::Empty*) {
  if (!req->has_envelope()) return to_grpc(invalid_argument("forward: the envelope is missing"));
  return to_grpc(forward_envelope(*exchange_, req->envelope()));
}

void EventsService::register_ttrpc(TtrpcRegistry& registry) {
  registry.handle("containerd.services.events.ttrpc.v1.Events", "Forward",
                  [exchange = exchange_](const TtrpcCall& call) -> Result<std::string> {
                    containerd::services::events::ttrpc::v1::ForwardRequest req;
                    // INTERNAL, as containerd's ttrpc answers a payload it cannot decode.
                    if (!req.ParseFromString(call.payload)) {
                      return internal("ttrpc: error unmarshalling payload of Forward");
                    }
                    if (!req.has_envelope()) return invalid_argument("forward: the envelope is missing");
                    BERTH_RETURN_IF_ERROR(forward_envelope(*exchange, req.envelope()));
                    return std::string();  // google.protobuf.Empty encodes as no bytes
                  });
}

grpc::Status EventsService::Subscribe(grpc::ServerContext* ctx, const events_v1::SubscribeRequest* req,
                                      grpc::ServerWriter<events_v1::Envelope>* writer) {
  auto filter = Filter::parse({req->filters().begin(), req->filters().end()});
  if (!filter.ok()) return to_grpc(filter.status().with_context("subscribe"));
  auto subscription = exchange_->subscribe(std::move(*filter));
  // The client's stream opens now, before the first event, so it knows it
  // is subscribed (containerd's clients wait for the headers).
  writer->SendInitialMetadata();
  events_v1::Envelope out;
  while (!ctx->IsCancelled()) {
    if (stopping_) return to_grpc(unavailable("berthd is shutting down"));
    auto next = subscription->next(kCancelPoll);
    if (!next.ok()) return to_grpc(next.status());
    if (!next->has_value()) continue;
    out.Clear();
    to_pb(**next, &out);
    if (!writer->Write(out)) break;  // the client went away
  }
  return grpc::Status::OK;
}

}  // namespace berth::api

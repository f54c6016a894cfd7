#include "events_service.hpp"

#include <chrono>
#include <string>
#include <vector>

#include "event_pb.hpp"
#include "grpc_status.hpp"
#include "pb_convert.hpp"

namespace berth::api {
namespace {

// How long a subscriber's thread waits for an event before it looks again
// whether its client is still there and the daemon still running.
constexpr std::chrono::milliseconds kCancelPoll{200};

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
  const auto& pb = req->envelope();
  if (!pb.has_event()) return to_grpc(invalid_argument("forward: the envelope has no event"));
  auto event = from_any(pb.event());
  if (!event.ok()) return to_grpc(event.status());
  return to_grpc(exchange_->forward(Envelope{.timestamp = pb.has_timestamp() ? time_of(pb.timestamp()) : 0,
                                             .ns = pb.namespace_(),
                                             .topic = pb.topic(),
                                             .event = std::move(*event)}));
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

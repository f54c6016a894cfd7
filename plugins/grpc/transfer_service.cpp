#include "transfer_service.hpp"

#include <mutex>
#include <string>

#include "cancel_check.hpp"
#include "grpc_status.hpp"
#include "pb_convert.hpp"

namespace berth::api {
namespace {

RegistryAccess from_pb(const transfer_v1::RegistryAccess& r) {
  return {.plain_http = r.plain_http(),
          .skip_verify = r.skip_verify(),
          .hosts_dir = r.hosts_dir(),
          .user = r.user(),
          .secret = r.secret()};
}

// A ProgressFn writing each report as a message of type `Message` to
// `writer`. Progress comes from the transfer's worker threads; gRPC takes
// one Write at a time, so writes hold `mu`. A client that stopped reading
// only loses progress messages: the transfer itself notices the cancelled
// call.
template <typename Message>
ProgressFn progress_writer(grpc::ServerWriter<Message>* writer, std::mutex& mu) {
  return [writer, &mu](const TransferProgress& p) {
    Message msg;
    auto* blob = msg.add_blobs();
    blob->set_kind(p.kind);
    blob->set_digest(p.digest);
    blob->set_state(std::string(transfer_state_name(p.state)));
    blob->set_offset(p.offset);
    blob->set_total(p.total);
    std::lock_guard lock(mu);
    writer->Write(msg);
  };
}

}  // namespace

grpc::Status TransferService::Pull(grpc::ServerContext* ctx, const transfer_v1::PullRequest* req,
                                   grpc::ServerWriter<transfer_v1::PullProgress>* writer) {
  auto scope = request_scope(*ctx);
  if (!scope.ok()) return to_grpc(scope.status());
  if (req->reference().empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "reference is required"};
  PullOptions options{.reference = req->reference(),
                      .platforms = {req->platforms().begin(), req->platforms().end()},
                      .all_platforms = req->all_platforms(),
                      .snapshotter = req->snapshotter(),
                      .unpack = !req->skip_unpack(),
                      .registry = from_pb(req->registry()),
                      .max_concurrent_downloads = req->max_concurrent_downloads(),
                      .labels = {req->labels().begin(), req->labels().end()}};
  std::mutex write_mu;
  auto image = transfer_->pull(*scope, options, progress_writer(writer, write_mu), call_cancel_check(*ctx));
  if (!image.ok()) return to_grpc(image.status());
  transfer_v1::PullProgress last;
  to_pb(*image, last.mutable_image());
  std::lock_guard lock(write_mu);
  writer->Write(last);
  return grpc::Status::OK;
}

grpc::Status TransferService::Push(grpc::ServerContext* ctx, const transfer_v1::PushRequest* req,
                                   grpc::ServerWriter<transfer_v1::PushProgress>* writer) {
  auto scope = request_scope(*ctx);
  if (!scope.ok()) return to_grpc(scope.status());
  if (req->image().empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "image is required"};
  PushOptions options{.image = req->image(),
                      .reference = req->reference(),
                      .platform = req->platform(),
                      .registry = from_pb(req->registry()),
                      .max_concurrent_uploads = req->max_concurrent_uploads()};
  std::mutex write_mu;
  auto pushed = transfer_->push(*scope, options, progress_writer(writer, write_mu), call_cancel_check(*ctx));
  if (!pushed.ok()) return to_grpc(pushed.status());
  transfer_v1::PushProgress last;
  to_pb(*pushed, last.mutable_pushed());
  std::lock_guard lock(write_mu);
  writer->Write(last);
  return grpc::Status::OK;
}

}  // namespace berth::api

#include "transfer_service.hpp"

#include <mutex>
#include <string>

#include "cancel_check.hpp"
#include "grpc_status.hpp"
#include "pb_convert.hpp"

namespace berth::api {

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
                      .registry = {.plain_http = req->registry().plain_http(),
                                   .skip_verify = req->registry().skip_verify(),
                                   .hosts_dir = req->registry().hosts_dir(),
                                   .user = req->registry().user(),
                                   .secret = req->registry().secret()},
                      .max_concurrent_downloads = req->max_concurrent_downloads(),
                      .labels = {req->labels().begin(), req->labels().end()}};
  // Progress comes from the pull's worker threads; gRPC takes one Write at
  // a time. A client that stopped reading only loses progress messages:
  // the pull itself notices the cancelled call.
  std::mutex write_mu;
  auto progress = [&](const TransferProgress& p) {
    transfer_v1::PullProgress msg;
    auto* blob = msg.add_blobs();
    blob->set_kind(p.kind);
    blob->set_digest(p.digest);
    blob->set_state(std::string(transfer_state_name(p.state)));
    blob->set_offset(p.offset);
    blob->set_total(p.total);
    std::lock_guard lock(write_mu);
    writer->Write(msg);
  };
  auto image = transfer_->pull(*scope, options, progress, call_cancel_check(*ctx));
  if (!image.ok()) return to_grpc(image.status());
  transfer_v1::PullProgress last;
  to_pb(*image, last.mutable_image());
  std::lock_guard lock(write_mu);
  writer->Write(last);
  return grpc::Status::OK;
}

}  // namespace berth::api

#include "diff_service.hpp"

#include "cancel_check.hpp"
#include "grpc_status.hpp"
#include "pb_convert.hpp"

namespace berth::api {
namespace {

// The layer's uncompressed digest as containerd's clients pass it: the
// descriptor's "containerd.io/uncompressed" annotation, if any.
constexpr std::string_view kUncompressedAnnotation = "containerd.io/uncompressed";

}  // namespace

grpc::Status DiffService::Apply(grpc::ServerContext* ctx, const diff_v1::ApplyRequest* req,
                                diff_v1::ApplyResponse* out) {
  auto scope = request_scope(*ctx);
  if (!scope.ok()) return to_grpc(scope.status());
  if (!req->has_diff()) return {grpc::StatusCode::INVALID_ARGUMENT, "apply: no layer descriptor given"};
  const Descriptor layer = from_pb(req->diff());
  std::string diff_id;
  if (auto it = layer.annotations.find(std::string(kUncompressedAnnotation)); it != layer.annotations.end())
    diff_id = it->second;
  auto applied = differ_->apply(*scope, layer, from_pb(req->mounts()), diff_id, call_cancel_check(*ctx));
  if (!applied.ok()) return to_grpc(applied.status());
  to_pb(*applied, out->mutable_applied());
  return grpc::Status::OK;
}

grpc::Status DiffService::Diff(grpc::ServerContext* ctx, const diff_v1::DiffRequest* req,
                               diff_v1::DiffResponse* out) {
  auto scope = request_scope(*ctx);
  if (!scope.ok()) return to_grpc(scope.status());
  auto diff = differ_->compare(*scope, from_pb(req->left()), from_pb(req->right()), req->media_type(),
                               req->ref(), Labels(req->labels().begin(), req->labels().end()));
  if (!diff.ok()) return to_grpc(diff.status());
  to_pb(*diff, out->mutable_diff());
  return grpc::Status::OK;
}

}  // namespace berth::api

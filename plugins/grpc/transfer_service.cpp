#include "transfer_service.hpp"

#include <algorithm>
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

// An export's archive goes out in messages of at most this many bytes.
constexpr std::size_t kExportChunk = 1u << 20;

transfer_v1::BlobProgress* add_blob(google::protobuf::RepeatedPtrField<transfer_v1::BlobProgress>* blobs,
                                    const TransferProgress& p) {
  auto* blob = blobs->Add();
  blob->set_kind(p.kind);
  blob->set_digest(p.digest);
  blob->set_state(std::string(transfer_state_name(p.state)));
  blob->set_offset(p.offset);
  blob->set_total(p.total);
  return blob;
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

grpc::Status TransferService::Import(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<transfer_v1::ImportProgress, transfer_v1::ImportRequest>* stream) {
  auto scope = request_scope(*ctx);
  if (!scope.ok()) return to_grpc(scope.status());
  transfer_v1::ImportRequest first;
  if (!stream->Read(&first) || !first.has_options())
    return {grpc::StatusCode::INVALID_ARGUMENT, "the first message of an import must carry its options"};
  const auto& opts = first.options();
  ImportOptions options{.base_name = opts.base_name(),
                        .only_base_name = opts.only_base_name(),
                        .platforms = {opts.platforms().begin(), opts.platforms().end()},
                        .all_platforms = opts.all_platforms(),
                        .snapshotter = opts.snapshotter(),
                        .unpack = !opts.skip_unpack(),
                        .labels = {opts.labels().begin(), opts.labels().end()}};

  // The archive: each request's bytes in turn, until the client half-closes.
  std::string pending;
  std::size_t used = 0;
  bool ended = false;
  auto source = [&](char* buf, std::size_t len) -> Result<std::size_t> {
    while (used == pending.size()) {
      if (ended) return std::size_t{0};
      transfer_v1::ImportRequest next;
      if (!stream->Read(&next)) {
        if (ctx->IsCancelled()) return cancelled("the client cancelled the import");
        ended = true;
        return std::size_t{0};
      }
      if (next.has_options())
        return invalid_argument("an import's options may come only in its first message");
      pending = std::move(*next.mutable_data());
      used = 0;
    }
    const std::size_t n = std::min(len, pending.size() - used);
    pending.copy(buf, n, used);
    used += n;
    return n;
  };
  // A client that stopped reading only loses progress messages.
  auto progress = [&](const TransferProgress& p) {
    transfer_v1::ImportProgress msg;
    add_blob(msg.mutable_blobs(), p);
    stream->Write(msg);
  };
  auto images = transfer_->import_archive(*scope, options, source, progress, call_cancel_check(*ctx));
  if (!images.ok()) return to_grpc(images.status());
  transfer_v1::ImportProgress last;
  for (const Image& image : *images) to_pb(image, last.add_images());
  stream->Write(last);
  return grpc::Status::OK;
}

grpc::Status TransferService::Export(grpc::ServerContext* ctx, const transfer_v1::ExportRequest* req,
                                     grpc::ServerWriter<transfer_v1::ExportResponse>* writer) {
  auto scope = request_scope(*ctx);
  if (!scope.ok()) return to_grpc(scope.status());
  if (req->images().empty())
    return {grpc::StatusCode::INVALID_ARGUMENT, "at least one image name is required"};
  ExportOptions options{.images = {req->images().begin(), req->images().end()},
                        .platforms = {req->platforms().begin(), req->platforms().end()},
                        .all_platforms = req->all_platforms(),
                        .skip_docker_manifest = req->skip_manifest_json()};
  std::string chunk;
  auto flush = [&]() -> Status {
    if (chunk.empty()) return {};
    transfer_v1::ExportResponse msg;
    msg.set_data(std::move(chunk));
    chunk.clear();
    if (!writer->Write(msg)) return cancelled("the client stopped reading the export");
    return {};
  };
  auto sink = [&](std::string_view bytes) -> Status {
    while (!bytes.empty()) {
      const std::size_t n = std::min(kExportChunk - chunk.size(), bytes.size());
      chunk.append(bytes.substr(0, n));
      bytes.remove_prefix(n);
      if (chunk.size() == kExportChunk) BERTH_RETURN_IF_ERROR(flush());
    }
    return {};
  };
  Status exported = transfer_->export_archive(*scope, options, sink, {}, call_cancel_check(*ctx));
  if (exported.ok()) exported = flush();
  return to_grpc(exported);
}

}  // namespace berth::api

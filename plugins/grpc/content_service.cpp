#include "content_service.hpp"

#include <google/protobuf/descriptor.h>
#include <grpcpp/support/method_handler.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "grpc_status.hpp"
#include "pb_convert.hpp"
#include "write_request.hpp"

namespace berth::api {
namespace {

constexpr std::size_t kListBatch = 100;
constexpr int64_t kReadChunk = 1 << 20;

// The index of Write among the service's methods: gRPC's generated service
// adds them in the order the descriptor lists them.
int write_method_index() {
  const auto* service = content_v1::WriteContentRequest::descriptor()->file()->FindServiceByName("Content");
  const auto* method = service != nullptr ? service->FindMethodByName("Write") : nullptr;
  return method != nullptr ? method->index() : -1;
}

void to_pb(const ContentInfo& info, content_v1::Info* pb) {
  pb->set_digest(info.digest);
  pb->set_size(info.size);
  set_time(info.created_at, pb->mutable_created_at());
  set_time(info.updated_at, pb->mutable_updated_at());
  for (const auto& [k, v] : info.labels) (*pb->mutable_labels())[k] = v;
}

void to_pb(const IngestStatus& st, content_v1::Status* pb) {
  set_time(st.started_at, pb->mutable_started_at());
  set_time(st.updated_at, pb->mutable_updated_at());
  pb->set_ref(st.ref);
  pb->set_offset(st.offset);
  pb->set_total(st.total);
  pb->set_expected(st.expected);
}

grpc::Status bad_digest(const std::string& digest) {
  return {grpc::StatusCode::INVALID_ARGUMENT, "\"" + digest + "\" failed validation"};
}

// containerd parses an empty filter as "match all" (ctr content active sends one).
std::vector<std::string> filters_of(const google::protobuf::RepeatedPtrField<std::string>& pb) {
  std::vector<std::string> out;
  for (const auto& f : pb) {
    if (!f.empty()) out.push_back(f);
  }
  return out;
}

}  // namespace

ContentService::ContentService(std::shared_ptr<NamespacedContent> content) : content_(std::move(content)) {
  const int index = write_method_index();
  if (index < 0) throw std::logic_error("containerd.services.content.v1.Content has no Write method");
  MarkMethodStreamed(index, new grpc::internal::BidiStreamingHandler<ContentService, grpc::ByteBuffer,
                                                                     content_v1::WriteContentResponse>(
                                [](ContentService* self, grpc::ServerContext* ctx, WriteStream* stream) {
                                  return self->write(ctx, stream);
                                },
                                this));
}

grpc::Status ContentService::Info(grpc::ServerContext* ctx, const content_v1::InfoRequest* req,
                                  content_v1::InfoResponse* out) {
  auto scope = request_scope(*ctx);
  if (!scope.ok()) return to_grpc(scope.status());
  if (!validate_digest(req->digest()).ok()) return bad_digest(req->digest());
  auto info = content_->info(*scope, req->digest());
  if (!info.ok()) return to_grpc(info.status());
  to_pb(*info, out->mutable_info());
  return grpc::Status::OK;
}

grpc::Status ContentService::Update(grpc::ServerContext* ctx, const content_v1::UpdateRequest* req,
                                    content_v1::UpdateResponse* out) {
  auto scope = request_scope(*ctx);
  if (!scope.ok()) return to_grpc(scope.status());
  const auto& pb = req->info();
  if (!validate_digest(pb.digest()).ok()) return bad_digest(pb.digest());
  ContentInfo info;
  info.digest = pb.digest();
  info.size = pb.size();
  info.created_at = time_of(pb.created_at());
  info.updated_at = time_of(pb.updated_at());
  info.labels = Labels(pb.labels().begin(), pb.labels().end());
  std::vector<std::string> paths;
  if (req->has_update_mask())
    paths.assign(req->update_mask().paths().begin(), req->update_mask().paths().end());
  auto updated = content_->update(*scope, info, paths);
  if (!updated.ok()) return to_grpc(updated.status());
  to_pb(*updated, out->mutable_info());
  return grpc::Status::OK;
}

grpc::Status ContentService::List(grpc::ServerContext* ctx, const content_v1::ListContentRequest* req,
                                  grpc::ServerWriter<content_v1::ListContentResponse>* writer) {
  auto scope = request_scope(*ctx);
  if (!scope.ok()) return to_grpc(scope.status());
  // Collect first: never block on the client while the store is being walked.
  std::vector<ContentInfo> infos;
  berth::Status s = content_->walk(*scope, filters_of(req->filters()), [&](const ContentInfo& info) {
    infos.push_back(info);
    return true;
  });
  if (!s.ok()) return to_grpc(s);
  for (std::size_t i = 0; i < infos.size(); i += kListBatch) {
    if (ctx->IsCancelled()) return {grpc::StatusCode::CANCELLED, "list cancelled"};
    content_v1::ListContentResponse resp;
    for (std::size_t j = i; j < std::min(infos.size(), i + kListBatch); ++j) to_pb(infos[j], resp.add_info());
    if (!writer->Write(resp)) return {grpc::StatusCode::CANCELLED, "client went away"};
  }
  return grpc::Status::OK;
}

grpc::Status ContentService::Delete(grpc::ServerContext* ctx, const content_v1::DeleteContentRequest* req,
                                    google::protobuf::Empty*) {
  auto scope = request_scope(*ctx);
  if (!scope.ok()) return to_grpc(scope.status());
  if (auto v = validate_digest(req->digest()); !v.ok()) return to_grpc(v);
  return to_grpc(content_->remove(*scope, req->digest()));
}

// As containerd: a negative offset reads from 0; an offset past the end is
// OutOfRange; size 0 (or beyond the end) reads to the end. Responses carry
// the absolute offset of their data.
grpc::Status ContentService::Read(grpc::ServerContext* ctx, const content_v1::ReadContentRequest* req,
                                  grpc::ServerWriter<content_v1::ReadContentResponse>* writer) {
  auto scope = request_scope(*ctx);
  if (!scope.ok()) return to_grpc(scope.status());
  if (auto v = validate_digest(req->digest()); !v.ok()) return to_grpc(v);
  auto reader = content_->reader(*scope, req->digest());
  if (!reader.ok()) return to_grpc(reader.status());
  const int64_t blob_size = (*reader)->size();
  const int64_t offset = std::max<int64_t>(0, req->offset());
  if (offset > blob_size) {
    return {grpc::StatusCode::OUT_OF_RANGE,
            "read past object length " + std::to_string(blob_size) + " bytes"};
  }
  int64_t size = req->size();
  if (size <= 0 || size > blob_size - offset) size = blob_size - offset;

  std::string buf(static_cast<std::size_t>(std::min(size, kReadChunk)), '\0');
  int64_t pos = 0;
  while (pos < size) {
    if (ctx->IsCancelled()) return {grpc::StatusCode::CANCELLED, "read cancelled"};
    const auto want = static_cast<std::size_t>(std::min(size - pos, kReadChunk));
    auto n = (*reader)->read_at(offset + pos, buf.data(), want);
    if (!n.ok()) return to_grpc(n.status());
    if (*n == 0) {
      return {grpc::StatusCode::DATA_LOSS,
              "unexpected end of " + req->digest() + " at " + std::to_string(offset + pos)};
    }
    content_v1::ReadContentResponse resp;
    resp.set_offset(offset + pos);
    resp.set_data(buf.data(), *n);
    pos += static_cast<int64_t>(*n);
    // The last chunk goes out with the status in one batch: a manifest or a
    // config (one chunk) then costs one write to the socket instead of two.
    grpc::WriteOptions options;
    if (pos >= size) options.set_last_message();
    if (!writer->Write(resp, options)) return {grpc::StatusCode::CANCELLED, "client went away"};
  }
  return grpc::Status::OK;
}

grpc::Status ContentService::Status(grpc::ServerContext* ctx, const content_v1::StatusRequest* req,
                                    content_v1::StatusResponse* out) {
  auto scope = request_scope(*ctx);
  if (!scope.ok()) return to_grpc(scope.status());
  if (req->ref().empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "ref is required"};
  auto st = content_->status(*scope, req->ref());
  if (!st.ok())
    return to_grpc(st.status().with_context("could not get status for ref \"" + req->ref() + "\""));
  to_pb(*st, out->mutable_status());
  return grpc::Status::OK;
}

grpc::Status ContentService::ListStatuses(grpc::ServerContext* ctx,
                                          const content_v1::ListStatusesRequest* req,
                                          content_v1::ListStatusesResponse* out) {
  auto scope = request_scope(*ctx);
  if (!scope.ok()) return to_grpc(scope.status());
  auto all = content_->list_statuses(*scope, filters_of(req->filters()));
  if (!all.ok()) return to_grpc(all.status());
  for (const auto& st : *all) to_pb(st, out->add_statuses());
  return grpc::Status::OK;
}

// Mirrors containerd's contentserver Write: the first message names the ref
// (and may predeclare total/expected); every request gets a response echoing
// its action; COMMIT ends the stream. As containerd, the last response is
// sent once more when the stream ends without error.
grpc::Status ContentService::write(grpc::ServerContext* ctx, WriteStream* stream) {
  auto scope = request_scope(*ctx);
  if (!scope.ok()) return to_grpc(scope.status());

  grpc::ByteBuffer received;
  WriteRequest request;
  const content_v1::WriteContentRequest& req = request.fields();
  if (!stream->Read(&received))
    return {grpc::StatusCode::INVALID_ARGUMENT, "first message must have a reference"};
  if (auto p = request.parse(received); !p.ok()) return to_grpc(p);
  const std::string ref = req.ref();
  if (ref.empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "first message must have a reference"};
  if (req.total() < 0) return {grpc::StatusCode::INVALID_ARGUMENT, "total must not be negative"};
  if (!req.expected().empty()) {
    if (auto v = validate_digest(req.expected()); !v.ok()) return to_grpc(v);
  }
  int64_t total = req.total();
  std::string expected = req.expected();

  auto opened = content_->writer(*scope, ref, total, expected);
  if (!opened.ok()) return to_grpc(opened.status());
  std::unique_ptr<NamespacedWriter> w = std::move(*opened);

  content_v1::WriteContentResponse msg;
  std::string digest;  // of the data so far, or the committed blob
  for (;;) {
    msg.set_action(req.action());
    auto ws = w->status();
    if (!ws.ok()) return to_grpc(ws.status());
    msg.set_offset(ws->offset);

    if (!req.expected().empty()) {
      if (auto v = validate_digest(req.expected()); !v.ok()) return to_grpc(v);
      expected = req.expected();
      if (content_->info(*scope, expected).ok()) {
        w.reset();
        (void)content_->abort(*scope, ref);
        return {grpc::StatusCode::ALREADY_EXISTS, "blob with expected digest " + expected + " exists"};
      }
    }
    if (req.total() > 0) total = req.total();

    switch (req.action()) {
      case content_v1::STAT:
        digest = w->digest();
        break;
      case content_v1::WRITE:
      case content_v1::COMMIT: {
        if (req.offset() < 0) return {grpc::StatusCode::INVALID_ARGUMENT, "offset must not be negative"};
        if (req.offset() > 0 && req.offset() != ws->offset) {
          return {grpc::StatusCode::OUT_OF_RANGE, "write @" + std::to_string(req.offset()) +
                                                      " must occur at current offset " +
                                                      std::to_string(ws->offset)};
        }
        if (req.offset() == 0 && ws->offset > 0) {
          if (auto t = w->truncate(0); !t.ok()) return to_grpc(t.with_context("truncate failed"));
          msg.set_offset(0);
        }
        if (request.data_size() > 0) {
          if (auto wr = w->write_pieces(request.data()); !wr.ok()) return to_grpc(wr);
          msg.set_offset(msg.offset() + static_cast<int64_t>(request.data_size()));
        }
        if (req.action() == content_v1::COMMIT) {
          Labels labels(req.labels().begin(), req.labels().end());
          auto committed = w->commit_labeled(total, expected, labels);
          if (!committed.ok()) return to_grpc(committed.status());
          digest = *committed;
        } else {
          // The digest of the data so far is optional on a WRITE answer
          // (the API leaves it to the implementation), and the store may
          // still be hashing what it accepted: waiting for that here would
          // hold every answer back behind the hash. STAT and COMMIT carry it.
          digest.clear();
        }
        break;
      }
      default:
        return {grpc::StatusCode::INVALID_ARGUMENT, "unknown write action " + std::to_string(req.action())};
    }
    msg.set_total(total);
    msg.set_digest(digest);
    set_time(ws->started_at, msg.mutable_started_at());
    set_time(ws->updated_at, msg.mutable_updated_at());

    if (!stream->Write(msg)) return {grpc::StatusCode::CANCELLED, "client went away"};
    if (req.action() == content_v1::COMMIT) {
      (void)stream->Write(msg);
      return grpc::Status::OK;
    }
    // The client half-closed without a commit: the ingest stays for a later
    // writer. Nothing more to send (as containerd).
    if (!stream->Read(&received)) return grpc::Status::OK;
    if (auto p = request.parse(received); !p.ok()) return to_grpc(p);
  }
}

grpc::Status ContentService::Abort(grpc::ServerContext* ctx, const content_v1::AbortRequest* req,
                                   google::protobuf::Empty*) {
  auto scope = request_scope(*ctx);
  if (!scope.ok()) return to_grpc(scope.status());
  if (req->ref().empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "ref is required"};
  return to_grpc(content_->abort(*scope, req->ref()));
}

}  // namespace berth::api

#include "blobs.hpp"

#include <fmt/format.h>

#include "github.com/containerd/containerd/api/services/content/v1/content.grpc.pb.h"

namespace berth::cli {

namespace content = containerd::services::content::v1;

grpc::Status blob_info(Client& client, std::string_view digest, int64_t* size) {
  content::InfoRequest request;
  request.set_digest(std::string(digest));
  content::InfoResponse info;
  auto status = client.call(&content::Content::Stub::Info, request, &info);
  if (status.ok() && size != nullptr) *size = info.info().size();
  return status;
}

grpc::Status read_blob(Client& client, std::string_view digest, int64_t size, std::size_t limit,
                       std::string& out) {
  // A descriptor's size spares a round trip: Read alone says NotFound too.
  if (size < 0) {
    if (auto status = blob_info(client, digest, &size); !status.ok()) return status;
  }
  if (size < 0 || static_cast<uint64_t>(size) > limit) {
    return {grpc::StatusCode::OUT_OF_RANGE, std::string(digest) + " is " + std::to_string(size) +
                                                " bytes, more than the " + std::to_string(limit) +
                                                " it may have"};
  }
  content::ReadContentRequest request;
  request.set_digest(std::string(digest));
  grpc::ClientContext context;
  client.prepare(context);
  content::Content::Stub stub(client.channel());
  auto reader = stub.Read(&context, request);
  content::ReadContentResponse response;
  out.clear();
  while (reader->Read(&response)) {
    if (out.size() + response.data().size() > limit) {
      context.TryCancel();
      (void)reader->Finish();
      return {grpc::StatusCode::OUT_OF_RANGE,
              std::string(digest) + " grew past " + std::to_string(limit) + " bytes"};
    }
    out += response.data();
  }
  if (auto status = reader->Finish(); !status.ok()) return status;
  if (out.size() != static_cast<uint64_t>(size)) {
    return {grpc::StatusCode::DATA_LOSS,
            fmt::format("{} is {} bytes, where its descriptor says {}", digest, out.size(), size)};
  }
  return grpc::Status::OK;
}

}  // namespace berth::cli

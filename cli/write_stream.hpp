// Content.Write from the client side with the data left where it is: each
// request goes as protobuf's wire bytes of every other field, then the data
// field's key and length, then the caller's slice (not a copy of it, as the
// generated serialiser would make). The daemon reads it as any other request.
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <memory>

#include "github.com/containerd/containerd/api/services/content/v1/content.grpc.pb.h"

namespace berth::cli {

using WriteStream =
    grpc::ClientReaderWriter<grpc::ByteBuffer, containerd::services::content::v1::WriteContentResponse>;

// Opens Content.Write on `channel`; `context` as for the generated stub.
std::unique_ptr<WriteStream> open_write_stream(grpc::ChannelInterface& channel, grpc::ClientContext& context);

// `fields` (its data field left empty) with `data` as its data. The buffer
// refers to `data`'s memory, which must outlive it.
grpc::ByteBuffer write_request(const containerd::services::content::v1::WriteContentRequest& fields,
                               const grpc::Slice& data);

}  // namespace berth::cli

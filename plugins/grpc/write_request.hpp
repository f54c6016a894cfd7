// A Content.Write request read straight from gRPC's receive buffers.
//
// The generated parser copies `data` (1 MiB a message from ctr, up to the
// receive limit from others) into a string of its own, allocated per message,
// before the writer copies it again into the page cache. This reader parses
// every other field with protobuf and leaves `data` where gRPC received it:
// pieces of its slices, which the content writer hands to pwritev and the
// hasher as they are.
#pragma once

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "berth/status.hpp"
#include "github.com/containerd/containerd/api/services/content/v1/content.pb.h"

namespace berth::api {

class WriteRequest {
 public:
  // Parses the message in `buffer`, keeping references to its slices (not a
  // copy) until the next parse. InvalidArgument when it is not a well-formed
  // WriteContentRequest. Reusing one WriteRequest for a stream's messages
  // reuses its buffers.
  Status parse(const grpc::ByteBuffer& buffer);

  // Every field but `data`, which is left empty.
  [[nodiscard]] const containerd::services::content::v1::WriteContentRequest& fields() const {
    return fields_;
  }
  // `data`, in order, as the pieces it arrived in.
  [[nodiscard]] std::span<const std::string_view> data() const { return data_; }
  [[nodiscard]] std::size_t data_size() const { return data_size_; }

 private:
  containerd::services::content::v1::WriteContentRequest fields_;
  std::vector<grpc::Slice> slices_;
  std::vector<std::string_view> data_;
  std::size_t data_size_ = 0;
  std::string other_fields_;  // the wire bytes of every field but `data`
};

}  // namespace berth::api

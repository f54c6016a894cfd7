#include "write_stream.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>

#include <string>

namespace berth::cli {

namespace content = containerd::services::content::v1;
using google::protobuf::internal::WireFormatLite;

std::unique_ptr<WriteStream> open_write_stream(grpc::ChannelInterface& channel,
                                               grpc::ClientContext& context) {
  // gRPC keeps a pointer to the method's name for the call's life.
  static const std::string kMethod = "/" + std::string(content::Content::service_full_name()) + "/Write";
  const grpc::internal::RpcMethod method(kMethod.c_str(), grpc::internal::RpcMethod::BIDI_STREAMING);
  return std::unique_ptr<WriteStream>(
      grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, content::WriteContentResponse>::Create(
          &channel, method, &context));
}

grpc::ByteBuffer write_request(const content::WriteContentRequest& fields, const grpc::Slice& data) {
  std::string head = fields.SerializeAsString();
  if (data.size() > 0) {
    google::protobuf::io::StringOutputStream out(&head);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.WriteTag(WireFormatLite::MakeTag(content::WriteContentRequest::kDataFieldNumber,
                                           WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
    coded.WriteVarint64(data.size());
  }
  const grpc::Slice pieces[] = {grpc::Slice(head), data};
  return grpc::ByteBuffer(pieces, data.size() > 0 ? 2 : 1);
}

}  // namespace berth::cli

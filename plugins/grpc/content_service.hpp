// containerd.services.content.v1.Content over the content-service
// (berth::NamespacedContent): every call is scoped to the request's namespace (and
// lease, if any). Mirrors containerd's contentserver.
#pragma once

#include <grpcpp/server_builder.h>

#include <memory>

#include "berth/grpc_service.hpp"
#include "berth/instance.hpp"
#include "berth/namespaced_content.hpp"
#include "github.com/containerd/containerd/api/services/content/v1/content.grpc.pb.h"

namespace berth::api {

namespace content_v1 = containerd::services::content::v1;

class ContentService final : public Instance, public GrpcService, public content_v1::Content::Service {
 public:
  explicit ContentService(std::shared_ptr<NamespacedContent> content);

  void register_services(grpc::ServerBuilder& builder) override { builder.RegisterService(this); }

  grpc::Status Info(grpc::ServerContext*, const content_v1::InfoRequest* req,
                    content_v1::InfoResponse* out) override;
  grpc::Status Update(grpc::ServerContext*, const content_v1::UpdateRequest* req,
                      content_v1::UpdateResponse* out) override;
  grpc::Status List(grpc::ServerContext*, const content_v1::ListContentRequest* req,
                    grpc::ServerWriter<content_v1::ListContentResponse>* writer) override;
  grpc::Status Delete(grpc::ServerContext*, const content_v1::DeleteContentRequest* req,
                      google::protobuf::Empty* out) override;
  grpc::Status Read(grpc::ServerContext*, const content_v1::ReadContentRequest* req,
                    grpc::ServerWriter<content_v1::ReadContentResponse>* writer) override;
  grpc::Status Status(grpc::ServerContext*, const content_v1::StatusRequest* req,
                      content_v1::StatusResponse* out) override;
  grpc::Status ListStatuses(grpc::ServerContext*, const content_v1::ListStatusesRequest* req,
                            content_v1::ListStatusesResponse* out) override;
  // Write takes its requests as received (see write_request.hpp), not as
  // parsed messages: the constructor installs it in place of the generated
  // handler.
  using WriteStream = grpc::ServerReaderWriter<content_v1::WriteContentResponse, grpc::ByteBuffer>;
  grpc::Status write(grpc::ServerContext* ctx, WriteStream* stream);
  grpc::Status Abort(grpc::ServerContext*, const content_v1::AbortRequest* req,
                     google::protobuf::Empty* out) override;

 private:
  std::shared_ptr<NamespacedContent> content_;
};

}  // namespace berth::api

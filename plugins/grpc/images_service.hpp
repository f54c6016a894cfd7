// containerd.services.images.v1.Images over the images-service
// (berth::ImageStore), in transactions of the metadata database.
#pragma once

#include <grpcpp/server_builder.h>

#include <memory>

#include "berth/gc.hpp"
#include "berth/grpc_service.hpp"
#include "berth/images.hpp"
#include "berth/instance.hpp"
#include "berth/metadata.hpp"
#include "github.com/containerd/containerd/api/services/images/v1/images.grpc.pb.h"

namespace berth::api {

namespace images_v1 = containerd::services::images::v1;

class ImagesService final : public Instance, public GrpcService, public images_v1::Images::Service {
 public:
  ImagesService(std::shared_ptr<Metadata> metadata, std::shared_ptr<ImageStore> store,
                std::shared_ptr<GcScheduler> gc = nullptr)
      : md_(std::move(metadata)), store_(std::move(store)), gc_(std::move(gc)) {}

  void register_services(grpc::ServerBuilder& builder) override { builder.RegisterService(this); }

  grpc::Status Get(grpc::ServerContext* ctx, const images_v1::GetImageRequest* req,
                   images_v1::GetImageResponse* out) override;
  grpc::Status List(grpc::ServerContext* ctx, const images_v1::ListImagesRequest* req,
                    images_v1::ListImagesResponse* out) override;
  grpc::Status Create(grpc::ServerContext* ctx, const images_v1::CreateImageRequest* req,
                      images_v1::CreateImageResponse* out) override;
  grpc::Status Update(grpc::ServerContext* ctx, const images_v1::UpdateImageRequest* req,
                      images_v1::UpdateImageResponse* out) override;
  grpc::Status Delete(grpc::ServerContext* ctx, const images_v1::DeleteImageRequest* req,
                      google::protobuf::Empty* out) override;

 private:
  std::shared_ptr<Metadata> md_;  // transactions
  std::shared_ptr<ImageStore> store_;
  std::shared_ptr<GcScheduler> gc_;  // null without the gc plugin: `sync` waits for nothing
};

}  // namespace berth::api

#include "images_service.hpp"

#include <string>
#include <vector>

#include "grpc_status.hpp"
#include "pb_convert.hpp"

namespace berth::api {
namespace {

Image from_pb(const images_v1::Image& pb) {
  Image image;
  image.name = pb.name();
  image.labels = {pb.labels().begin(), pb.labels().end()};
  image.target = api::from_pb(pb.target());
  return image;
}

}  // namespace

grpc::Status ImagesService::Get(grpc::ServerContext* ctx, const images_v1::GetImageRequest* req,
                                images_v1::GetImageResponse* out) {
  auto ns = request_namespace(*ctx);
  if (!ns.ok()) return to_grpc(ns.status());
  return to_grpc(md_->view([&](Transaction& tx) -> Status {
    auto image = store_->get(tx, *ns, req->name());
    if (!image.ok()) return image.status();
    to_pb(*image, out->mutable_image());
    return {};
  }));
}

grpc::Status ImagesService::List(grpc::ServerContext* ctx, const images_v1::ListImagesRequest* req,
                                 images_v1::ListImagesResponse* out) {
  auto ns = request_namespace(*ctx);
  if (!ns.ok()) return to_grpc(ns.status());
  std::vector<std::string> filters;
  for (const auto& f : req->filters()) {
    if (!f.empty()) filters.push_back(f);  // ctr sends "" for "no filter"
  }
  return to_grpc(md_->view([&](Transaction& tx) -> Status {
    auto all = store_->list(tx, *ns, filters);
    if (!all.ok()) return all.status();
    for (const auto& image : *all) to_pb(image, out->add_images());
    return {};
  }));
}

grpc::Status ImagesService::Create(grpc::ServerContext* ctx, const images_v1::CreateImageRequest* req,
                                   images_v1::CreateImageResponse* out) {
  auto ns = request_namespace(*ctx);
  if (!ns.ok()) return to_grpc(ns.status());
  return to_grpc(md_->update([&](Transaction& tx) -> Status {
    auto created = store_->create(tx, *ns, from_pb(req->image()));
    if (!created.ok()) return created.status();
    to_pb(*created, out->mutable_image());
    return {};
  }));
}

grpc::Status ImagesService::Update(grpc::ServerContext* ctx, const images_v1::UpdateImageRequest* req,
                                   images_v1::UpdateImageResponse* out) {
  auto ns = request_namespace(*ctx);
  if (!ns.ok()) return to_grpc(ns.status());
  const std::vector<std::string> paths(req->update_mask().paths().begin(), req->update_mask().paths().end());
  return to_grpc(md_->update([&](Transaction& tx) -> Status {
    auto updated = store_->update(tx, *ns, from_pb(req->image()), paths);
    if (!updated.ok()) return updated.status();
    to_pb(*updated, out->mutable_image());
    return {};
  }));
}

// With `sync` the answer waits for the collection the delete causes, so the
// image's blobs and snapshots are gone from disk when it comes.
grpc::Status ImagesService::Delete(grpc::ServerContext* ctx, const images_v1::DeleteImageRequest* req,
                                   google::protobuf::Empty*) {
  auto ns = request_namespace(*ctx);
  if (!ns.ok()) return to_grpc(ns.status());
  if (Status st = md_->update([&](Transaction& tx) { return store_->remove(tx, *ns, req->name()); });
      !st.ok())
    return to_grpc(st);
  if (req->sync() && gc_) return to_grpc(gc_->schedule_and_wait().status());
  return grpc::Status::OK;
}

}  // namespace berth::api

#include "image_records.hpp"

namespace berth::transfer {

Result<Image> record_image(Transaction& tx, ImageStore& images, const std::string& ns,
                           const std::string& name, const Descriptor& target, const Labels& labels) {
  Image image{.name = name, .target = target, .labels = labels};
  auto existing = images.get(tx, ns, name);
  if (existing.ok()) {
    std::vector<std::string> paths{"target"};
    if (!labels.empty()) paths.emplace_back("labels");
    return images.update(tx, ns, image, paths);
  }
  if (existing.status().code() != Code::kNotFound) return existing.status();
  return images.create(tx, ns, image);
}

Result<Image> record_image(Metadata& metadata, ImageStore& images, const std::string& ns,
                           const std::string& name, const Descriptor& target, const Labels& labels) {
  Image out;
  BERTH_RETURN_IF_ERROR(metadata.update([&](Transaction& tx) -> Status {
    auto recorded = record_image(tx, images, ns, name, target, labels);
    if (!recorded.ok()) return recorded.status();
    out = std::move(*recorded);
    return {};
  }));
  return out;
}

}  // namespace berth::transfer

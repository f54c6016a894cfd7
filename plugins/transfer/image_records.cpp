#include "image_records.hpp"

namespace berth::transfer {

Result<Image> record_image(Metadata& metadata, ImageStore& images, const std::string& ns,
                           const std::string& name, const Descriptor& target, const Labels& labels) {
  Image out;
  BERTH_RETURN_IF_ERROR(metadata.update([&](Transaction& tx) -> Status {
    Image image{.name = name, .target = target, .labels = labels};
    auto existing = images.get(tx, ns, name);
    if (existing.ok()) {
      std::vector<std::string> paths{"target"};
      if (!labels.empty()) paths.emplace_back("labels");
      auto updated = images.update(tx, ns, image, paths);
      if (!updated.ok()) return updated.status();
      out = std::move(*updated);
      return {};
    }
    if (existing.status().code() != Code::kNotFound) return existing.status();
    auto created = images.create(tx, ns, image);
    if (!created.ok()) return created.status();
    out = std::move(*created);
    return {};
  }));
  return out;
}

}  // namespace berth::transfer

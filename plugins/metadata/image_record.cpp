#include "image_record.hpp"

#include <nlohmann/json.hpp>

#include "keys.hpp"

namespace berth::metadata {
namespace {

using Json = nlohmann::json;

Json labels_json(const Labels& labels) {
  Json out = Json::object();
  for (const auto& [k, v] : labels) out[k] = v;
  return out;
}

Labels labels_of(const Json& j) {
  Labels out;
  for (const auto& [k, v] : j.items()) out.emplace(k, v.get<std::string>());
  return out;
}

}  // namespace

std::string encode_image(const Image& image) {
  const Json j{{"target",
                {{"mediaType", image.target.media_type},
                 {"digest", image.target.digest},
                 {"size", image.target.size},
                 {"annotations", labels_json(image.target.annotations)}}},
               {"labels", labels_json(image.labels)},
               {"createdAt", image.created_at},
               {"updatedAt", image.updated_at}};
  return j.dump();
}

Result<Image> decode_image(std::string_view name, std::string_view value) {
  try {
    const Json j = Json::parse(value);
    Image image;
    image.name = std::string(name);
    const Json& target = j.at("target");
    image.target.media_type = target.at("mediaType").get<std::string>();
    image.target.digest = target.at("digest").get<std::string>();
    image.target.size = target.at("size").get<int64_t>();
    image.target.annotations = labels_of(target.at("annotations"));
    image.labels = labels_of(j.at("labels"));
    image.created_at = j.at("createdAt").get<int64_t>();
    image.updated_at = j.at("updatedAt").get<int64_t>();
    return image;
  } catch (const Json::exception& e) {
    return data_loss("image \"" + keys::printable(name) + "\": unreadable record: " + e.what());
  }
}

}  // namespace berth::metadata

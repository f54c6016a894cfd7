#include "descriptor_json.hpp"

namespace berth::image_archive {

OrderedJson descriptor_json(const Descriptor& desc, const std::optional<platforms::Platform>& platform) {
  OrderedJson j = OrderedJson::object();
  if (!desc.media_type.empty()) j["mediaType"] = desc.media_type;
  j["digest"] = desc.digest;
  j["size"] = desc.size;
  if (!desc.annotations.empty()) {
    OrderedJson a = OrderedJson::object();
    for (const auto& [k, v] : desc.annotations) a[k] = v;  // Labels is sorted, as Go sorts map keys
    j["annotations"] = std::move(a);
  }
  if (platform) {
    OrderedJson p = OrderedJson::object();
    p["architecture"] = platform->architecture;
    p["os"] = platform->os;
    if (!platform->variant.empty()) p["variant"] = platform->variant;
    j["platform"] = std::move(p);
  }
  return j;
}

std::string index_document(const std::vector<OrderedJson>& manifests) {
  OrderedJson j = OrderedJson::object();
  j["schemaVersion"] = 2;
  j["manifests"] = OrderedJson::array();
  for (const auto& m : manifests) j["manifests"].push_back(m);
  return j.dump();
}

}  // namespace berth::image_archive

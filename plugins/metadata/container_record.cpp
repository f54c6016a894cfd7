#include "container_record.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "keys.hpp"

namespace berth::metadata {
namespace {

using Json = nlohmann::json;

Json any_json(const AnyValue& any) {
  return Json{{"typeUrl", any.type_url},
              {"value", Json::binary(std::vector<std::uint8_t>(any.value.begin(), any.value.end()))}};
}

AnyValue any_of(const Json& j) {
  const auto& bytes = j.at("value").get_binary();
  return AnyValue{j.at("typeUrl").get<std::string>(), std::string(bytes.begin(), bytes.end())};
}

}  // namespace

std::string encode_container(const Container& c) {
  Json j{{"labels", c.labels},
         {"image", c.image},
         {"runtime", {{"name", c.runtime.name}}},
         {"snapshotter", c.snapshotter},
         {"snapshotKey", c.snapshot_key},
         {"createdAt", c.created_at},
         {"updatedAt", c.updated_at},
         {"extensions", Json::object()}};
  if (c.runtime.options) j["runtime"]["options"] = any_json(*c.runtime.options);
  if (c.spec) j["spec"] = any_json(*c.spec);
  for (const auto& [name, any] : c.extensions) j["extensions"][name] = any_json(any);
  const std::vector<std::uint8_t> cbor = Json::to_cbor(j);
  return {cbor.begin(), cbor.end()};
}

Result<Container> decode_container(std::string_view id, std::string_view value) {
  try {
    const Json j = Json::from_cbor(value.begin(), value.end());
    Container c;
    c.id = std::string(id);
    c.labels = j.at("labels").get<Labels>();
    c.image = j.at("image").get<std::string>();
    const Json& runtime = j.at("runtime");
    c.runtime.name = runtime.at("name").get<std::string>();
    if (runtime.contains("options")) c.runtime.options = any_of(runtime.at("options"));
    if (j.contains("spec")) c.spec = any_of(j.at("spec"));
    c.snapshotter = j.at("snapshotter").get<std::string>();
    c.snapshot_key = j.at("snapshotKey").get<std::string>();
    c.created_at = j.at("createdAt").get<int64_t>();
    c.updated_at = j.at("updatedAt").get<int64_t>();
    for (const auto& [name, any] : j.at("extensions").items()) c.extensions.emplace(name, any_of(any));
    return c;
  } catch (const Json::exception& e) {
    return data_loss("container \"" + keys::printable(id) + "\": unreadable record: " + e.what());
  }
}

}  // namespace berth::metadata

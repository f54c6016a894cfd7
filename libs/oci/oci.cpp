#include "oci.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "berth/content_store.hpp"
#include "digest/sha256.hpp"

namespace berth::oci {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kDockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
constexpr std::string_view kDockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";

std::string what(const Descriptor& desc) {
  return (desc.media_type.empty() ? std::string("document") : desc.media_type) + " " + desc.digest;
}

Status refused(const Descriptor& desc, const std::string& problem) {
  return invalid_argument(what(desc) + ": " + problem);
}

// The JSON of `desc`, within `limit` bytes.
Result<Json> read_json(std::string_view json, const Descriptor& desc, std::size_t limit) {
  if (json.size() > limit) {
    return refused(desc, "is " + std::to_string(json.size()) + " bytes, more than the " +
                             std::to_string(limit >> 20) + " MiB a " +
                             (limit == kMaxConfigBytes ? "config" : "manifest or index") + " may have");
  }
  try {
    return Json::parse(json);
  } catch (const Json::exception& e) {
    return refused(desc, std::string("is not JSON: ") + e.what());
  }
}

Result<Descriptor> descriptor_of(const Json& j, const Descriptor& parent, const std::string& where) {
  if (!j.is_object()) return refused(parent, where + " is not an object");
  Descriptor d;
  try {
    d.media_type = j.value("mediaType", "");
    d.digest = j.at("digest").get<std::string>();
    d.size = j.at("size").get<int64_t>();
    if (j.contains("annotations")) {
      for (const auto& [k, v] : j.at("annotations").items()) d.annotations.emplace(k, v.get<std::string>());
    }
  } catch (const Json::exception& e) {
    return refused(parent, where + ": " + e.what());
  }
  if (Status st = validate_digest(d.digest); !st.ok()) return refused(parent, where + ": " + st.message());
  if (d.size < 0) return refused(parent, where + ": size " + std::to_string(d.size) + " is negative");
  return d;
}

Status refuse_schema1(const Json& j, const Descriptor& desc) {
  const std::string media_type = j.is_object() ? j.value("mediaType", "") : "";
  if (media_type == kDockerSchema1 || media_type == kDockerSchema1Signed ||
      desc.media_type == kDockerSchema1 || desc.media_type == kDockerSchema1Signed ||
      (j.is_object() && j.value("schemaVersion", 0) == 1)) {
    return refused(desc,
                   "is a Docker schema 1 manifest, which Berth does not read (deprecated since 2017; "
                   "push the image again with a current client)");
  }
  return {};
}

}  // namespace

bool is_manifest(std::string_view media_type) {
  return media_type == kOciManifest || media_type == kDockerManifest;
}
bool is_index(std::string_view media_type) {
  return media_type == kOciIndex || media_type == kDockerManifestList;
}

Result<Manifest> parse_manifest(std::string_view json, const Descriptor& desc) {
  auto j = read_json(json, desc, kMaxManifestBytes);
  if (!j.ok()) return j.status();
  BERTH_RETURN_IF_ERROR(refuse_schema1(*j, desc));
  if (!j->is_object()) return refused(desc, "is not a JSON object");
  Manifest m;
  m.media_type = j->value("mediaType", desc.media_type);
  if (!is_manifest(m.media_type))
    return refused(desc, "has media type \"" + m.media_type + "\", not a manifest's");
  if (!j->contains("config")) return refused(desc, "has no config");
  auto config = descriptor_of(j->at("config"), desc, "config");
  if (!config.ok()) return config.status();
  m.config = std::move(*config);
  const Json& layers = j->value("layers", Json::array());
  if (!layers.is_array()) return refused(desc, "layers is not an array");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    auto layer = descriptor_of(layers[i], desc, "layer " + std::to_string(i));
    if (!layer.ok()) return layer.status();
    m.layers.push_back(std::move(*layer));
  }
  return m;
}

Result<Index> parse_index(std::string_view json, const Descriptor& desc) {
  auto j = read_json(json, desc, kMaxManifestBytes);
  if (!j.ok()) return j.status();
  if (!j->is_object()) return refused(desc, "is not a JSON object");
  Index index;
  index.media_type = j->value("mediaType", desc.media_type);
  if (!is_index(index.media_type))
    return refused(desc, "has media type \"" + index.media_type + "\", not an index's");
  const Json& manifests = j->value("manifests", Json::array());
  if (!manifests.is_array()) return refused(desc, "manifests is not an array");
  for (std::size_t i = 0; i < manifests.size(); ++i) {
    const std::string where = "manifest " + std::to_string(i);
    auto d = descriptor_of(manifests[i], desc, where);
    if (!d.ok()) return d.status();
    IndexEntry entry{std::move(*d), std::nullopt};
    if (manifests[i].contains("platform")) {
      const Json& p = manifests[i].at("platform");
      if (!p.is_object() || !p.value("os", Json()).is_string() ||
          !p.value("architecture", Json()).is_string())
        return refused(desc, where + ": platform needs os and architecture");
      entry.platform = platforms::normalize(
          {p.at("os").get<std::string>(), p.at("architecture").get<std::string>(), p.value("variant", "")});
    }
    index.manifests.push_back(std::move(entry));
  }
  return index;
}

namespace {

// Docker writes null for an unset Entrypoint or Cmd; both spellings mean "none".
Status read_strings(const Json& parent, const char* key, const Descriptor& desc,
                    std::vector<std::string>& out) {
  if (!parent.contains(key) || parent.at(key).is_null()) return Status();
  const Json& list = parent.at(key);
  if (!list.is_array()) return refused(desc, std::string("config.") + key + " is not an array");
  for (const auto& item : list) {
    if (!item.is_string()) return refused(desc, std::string("config.") + key + " holds a non-string");
    out.push_back(item.get<std::string>());
  }
  return Status();
}

Status read_string(const Json& parent, const char* key, const Descriptor& desc, std::string& out) {
  if (!parent.contains(key) || parent.at(key).is_null()) return Status();
  if (!parent.at(key).is_string()) return refused(desc, std::string("config.") + key + " is not a string");
  out = parent.at(key).get<std::string>();
  return Status();
}

Status read_process_defaults(const Json& doc, const Descriptor& desc, ProcessDefaults& out) {
  if (!doc.contains("config") || doc.at("config").is_null()) return Status();
  const Json& c = doc.at("config");
  if (!c.is_object()) return refused(desc, "config is not an object");
  for (Status st :
       {read_strings(c, "Entrypoint", desc, out.entrypoint), read_strings(c, "Cmd", desc, out.cmd),
        read_strings(c, "Env", desc, out.env), read_string(c, "WorkingDir", desc, out.working_dir),
        read_string(c, "User", desc, out.user), read_string(c, "StopSignal", desc, out.stop_signal)}) {
    if (!st.ok()) return st;
  }
  return Status();
}

}  // namespace

Result<ImageConfig> parse_config(std::string_view json, const Descriptor& desc) {
  auto j = read_json(json, desc, kMaxConfigBytes);
  if (!j.ok()) return j.status();
  if (!j->is_object()) return refused(desc, "is not a JSON object");
  ImageConfig config;
  try {
    config.platform =
        platforms::normalize({j->value("os", ""), j->value("architecture", ""), j->value("variant", "")});
    const Json& rootfs = j->at("rootfs");
    if (rootfs.value("type", "") != "layers") return refused(desc, "rootfs.type is not \"layers\"");
    for (const auto& id : rootfs.at("diff_ids")) config.diff_ids.push_back(id.get<std::string>());
  } catch (const Json::exception& e) {
    return refused(desc, std::string("rootfs: ") + e.what());
  }
  for (const auto& id : config.diff_ids) {
    if (Status st = validate_digest(id); !st.ok()) return refused(desc, "diff_id: " + st.message());
  }
  if (Status st = read_process_defaults(*j, desc, config.process); !st.ok()) return st;
  return config;
}

Result<std::vector<std::string>> chain_ids(const std::vector<std::string>& diff_ids) {
  std::vector<std::string> out;
  for (const auto& id : diff_ids) {
    BERTH_RETURN_IF_ERROR(validate_digest(id));
    if (out.empty()) {
      out.push_back(id);
      continue;
    }
    auto hash = digest::Sha256::create();
    if (!hash.ok()) return hash.status();
    BERTH_RETURN_IF_ERROR(hash->update(out.back() + " " + id));
    auto chain = hash->digest();
    if (!chain.ok()) return chain.status();
    out.push_back(std::move(*chain));
  }
  return out;
}

std::vector<IndexEntry> choose(const Index& index, const platforms::Platform& want) {
  std::vector<IndexEntry> out;
  for (const auto& e : index.manifests) {
    if (e.platform && platforms::matches(want, *e.platform)) out.push_back(e);
  }
  std::stable_sort(out.begin(), out.end(), [&](const IndexEntry& a, const IndexEntry& b) {
    return platforms::less(want, *a.platform, *b.platform);
  });
  return out;
}

}  // namespace berth::oci

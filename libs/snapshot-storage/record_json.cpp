#include "snapshot-storage/record_json.hpp"

#include <nlohmann/json.hpp>

namespace berth::snapshot {
namespace {

constexpr int kVersion = 1;

SnapshotKind kind_from_name(const std::string& name) {
  if (name == "view") return SnapshotKind::kView;
  if (name == "active") return SnapshotKind::kActive;
  if (name == "committed") return SnapshotKind::kCommitted;
  return SnapshotKind::kUnknown;
}

}  // namespace

std::string encode_state(const State& state) {
  nlohmann::json snapshots = nlohmann::json::object();
  for (const auto& [key, r] : state.records) {
    snapshots[key] = {
        {"id", r.id},
        {"kind", std::string(snapshot_kind_name(r.info.kind))},
        {"parent", r.info.parent},
        {"labels", r.info.labels},
        {"created_at", r.info.created_at},
        {"updated_at", r.info.updated_at},
        {"size", r.usage.size},
        {"inodes", r.usage.inodes},
    };
  }
  nlohmann::json doc = {
      {"version", kVersion}, {"next_id", state.next_id}, {"snapshots", std::move(snapshots)}};
  return doc.dump(1);
}

Result<State> decode_state(std::string_view text, const std::filesystem::path& path) {
  try {
    const auto doc = nlohmann::json::parse(text);
    if (doc.at("version").get<int>() != kVersion) {
      return data_loss(path.string() + ": unknown version " + doc.at("version").dump());
    }
    State state;
    state.next_id = doc.at("next_id").get<SnapshotId>();
    for (const auto& [key, j] : doc.at("snapshots").items()) {
      Record r;
      r.id = j.at("id").get<SnapshotId>();
      r.info.name = key;
      r.info.kind = kind_from_name(j.at("kind").get<std::string>());
      if (r.info.kind == SnapshotKind::kUnknown) {
        return data_loss(path.string() + ": snapshot \"" + key + "\" has an unknown kind");
      }
      r.info.parent = j.at("parent").get<std::string>();
      r.info.labels = j.at("labels").get<Labels>();
      r.info.created_at = j.at("created_at").get<TimestampNs>();
      r.info.updated_at = j.at("updated_at").get<TimestampNs>();
      r.usage.size = j.at("size").get<int64_t>();
      r.usage.inodes = j.at("inodes").get<int64_t>();
      state.records.emplace(key, std::move(r));
    }
    return state;
  } catch (const nlohmann::json::exception& e) {
    return data_loss(path.string() + ": " + e.what());
  }
}

}  // namespace berth::snapshot

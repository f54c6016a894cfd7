#include "snapshot-storage/record_json.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

namespace berth::snapshot {
namespace {

constexpr int kVersion = 1;

SnapshotKind kind_from_name(const std::string& name) {
  if (name == "view") return SnapshotKind::kView;
  if (name == "active") return SnapshotKind::kActive;
  if (name == "committed") return SnapshotKind::kCommitted;
  return SnapshotKind::kUnknown;
}

nlohmann::json encode_record(const Record& r) {
  return {
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

// Throws nlohmann::json::exception for a malformed record; nullopt for an unknown kind.
std::optional<Record> decode_record(const std::string& key, const nlohmann::json& j) {
  Record r;
  r.id = j.at("id").get<SnapshotId>();
  r.info.name = key;
  r.info.kind = kind_from_name(j.at("kind").get<std::string>());
  if (r.info.kind == SnapshotKind::kUnknown) return std::nullopt;
  r.info.parent = j.at("parent").get<std::string>();
  r.info.labels = j.at("labels").get<Labels>();
  r.info.created_at = j.at("created_at").get<TimestampNs>();
  r.info.updated_at = j.at("updated_at").get<TimestampNs>();
  r.usage.size = j.at("size").get<int64_t>();
  r.usage.inodes = j.at("inodes").get<int64_t>();
  return r;
}

}  // namespace

void apply(State& state, Change change) {
  for (const auto& key : change.removed) state.records.erase(key);
  for (auto& r : change.put) {
    std::string key = r.info.name;
    state.records.insert_or_assign(std::move(key), std::move(r));
  }
  if (change.next_id > state.next_id) state.next_id = change.next_id;
}

std::string encode_state(const State& state) {
  nlohmann::json snapshots = nlohmann::json::object();
  for (const auto& [key, r] : state.records) snapshots[key] = encode_record(r);
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
      auto r = decode_record(key, j);
      if (!r) return data_loss(path.string() + ": snapshot \"" + key + "\" has an unknown kind");
      state.records.emplace(key, std::move(*r));
    }
    return state;
  } catch (const nlohmann::json::exception& e) {
    return data_loss(path.string() + ": " + e.what());
  }
}

std::string encode_change(const Change& change) {
  nlohmann::json put = nlohmann::json::object();
  for (const auto& r : change.put) put[r.info.name] = encode_record(r);
  nlohmann::json doc = {
      {"v", kVersion}, {"removed", change.removed}, {"put", std::move(put)}, {"next_id", change.next_id}};
  return doc.dump();  // one line: dump() without indent escapes every newline in strings
}

Result<Change> decode_change(std::string_view line, const std::filesystem::path& path, std::size_t line_no) {
  const std::string where = path.string() + " line " + std::to_string(line_no);
  try {
    const auto doc = nlohmann::json::parse(line);
    if (doc.at("v").get<int>() != kVersion)
      return data_loss(where + ": unknown version " + doc.at("v").dump());
    Change change;
    change.removed = doc.at("removed").get<std::vector<std::string>>();
    for (const auto& [key, j] : doc.at("put").items()) {
      auto r = decode_record(key, j);
      if (!r) return data_loss(where + ": snapshot \"" + key + "\" has an unknown kind");
      change.put.push_back(std::move(*r));
    }
    change.next_id = doc.at("next_id").get<SnapshotId>();
    return change;
  } catch (const nlohmann::json::exception& e) {
    return data_loss(where + ": " + e.what());
  }
}

}  // namespace berth::snapshot

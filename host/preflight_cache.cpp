#include "preflight_cache.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

namespace berth::host {
namespace {

// Bump when the meaning of a verdict changes: older files are then ignored.
constexpr int kFormat = 1;

using Kind = PreflightVerdict::Kind;

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kPassed:
      return "passed";
    case Kind::kCrashed:
      return "crashed";
    case Kind::kExited:
      return "exited";
    case Kind::kHung:
      return "hung";
    case Kind::kLoadError:
    case Kind::kUnchecked:
      break;
  }
  return "";
}

std::optional<Kind> kind_of(const std::string& name) {
  for (Kind k : {Kind::kPassed, Kind::kCrashed, Kind::kExited, Kind::kHung}) {
    if (name == kind_name(k)) return k;
  }
  return std::nullopt;
}

nlohmann::json key_json(const PluginFileKey& k) {
  return {{"path", k.path}, {"dev", k.dev},           {"ino", k.ino},
          {"size", k.size}, {"mtime_ns", k.mtime_ns}, {"ctime_ns", k.ctime_ns}};
}

PluginFileKey key_from(const nlohmann::json& j) {
  PluginFileKey k;
  k.path = j.at("path").get<std::string>();
  k.dev = j.at("dev").get<uint64_t>();
  k.ino = j.at("ino").get<uint64_t>();
  k.size = j.at("size").get<uint64_t>();
  k.mtime_ns = j.at("mtime_ns").get<int64_t>();
  k.ctime_ns = j.at("ctime_ns").get<int64_t>();
  return k;
}

// The binary the verdicts were reached in: a child forked from it loaded the
// files, so another build of berthd (other libraries, other static
// constructors) may fare differently.
std::optional<nlohmann::json> this_berthd() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  auto key = PluginFileKey::of(exe);
  if (!key.ok()) return std::nullopt;
  return key_json(*key);
}

}  // namespace

Result<PluginFileKey> PluginFileKey::of(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno_status("stat " + path.string(), errno);
  PluginFileKey k;
  k.path = path.string();
  k.dev = st.st_dev;
  k.ino = st.st_ino;
  k.size = static_cast<uint64_t>(st.st_size);
  k.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  k.ctime_ns = int64_t{st.st_ctim.tv_sec} * 1'000'000'000 + st.st_ctim.tv_nsec;
  return k;
}

PreflightCache::PreflightCache(std::filesystem::path file) : file_(std::move(file)) {
  std::ifstream in(file_);
  if (!in) return;
  // A damaged file only costs a pre-flight of every plugin: start empty.
  try {
    auto doc = nlohmann::json::parse(in);
    const auto berthd = this_berthd();
    if (doc.at("format").get<int>() != kFormat || !berthd || doc.at("berthd") != *berthd) return;
    for (const auto& e : doc.at("files")) {
      auto kind = kind_of(e.at("verdict").get<std::string>());
      if (!kind) continue;
      entries_.push_back({key_from(e), {*kind, e.at("number").get<int>(), ""}});
    }
  } catch (const nlohmann::json::exception&) {
    entries_.clear();
  }
}

std::optional<PreflightVerdict> PreflightCache::find(const PluginFileKey& key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return e.verdict;
  }
  return std::nullopt;
}

void PreflightCache::record(const PluginFileKey& key, const PreflightVerdict& verdict) {
  if (!verdict.lasting()) return;
  auto it =
      std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key.path == key.path; });
  if (it != entries_.end()) {
    if (it->key == key && it->verdict.kind == verdict.kind && it->verdict.number == verdict.number) return;
    entries_.erase(it);
  }
  entries_.push_back({key, verdict});
  changed_ = true;
}

void PreflightCache::keep_only(const std::set<std::string>& paths) {
  auto gone = std::remove_if(entries_.begin(), entries_.end(),
                             [&](const Entry& e) { return paths.count(e.key.path) == 0; });
  if (gone == entries_.end()) return;
  entries_.erase(gone, entries_.end());
  changed_ = true;
}

Status PreflightCache::save() {
  if (file_.empty() || !changed_) return {};
  auto berthd = this_berthd();
  if (!berthd) return internal("cannot identify the berthd binary through /proc/self/exe");
  nlohmann::json files = nlohmann::json::array();
  for (const auto& e : entries_) {
    auto j = key_json(e.key);
    j["verdict"] = kind_name(e.verdict.kind);
    j["number"] = e.verdict.number;
    files.push_back(std::move(j));
  }
  const nlohmann::json doc = {{"format", kFormat}, {"berthd", *berthd}, {"files", std::move(files)}};
  // No fsync: a cache lost in a crash is rebuilt by the next start's pre-flight.
  const auto tmp = file_.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << doc.dump(1) << "\n";
    out.close();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      return internal("cannot write " + tmp);
    }
  }
  if (::rename(tmp.c_str(), file_.c_str()) != 0) {
    Status s = errno_status("rename " + tmp + " to " + file_.string(), errno);
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    return s;
  }
  changed_ = false;
  return {};
}

}  // namespace berth::host

#include "preflight_cache.hpp"

#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "files/atomic_file.hpp"

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

// TOML integers are signed 64-bit; device and inode numbers fit.
toml::table key_table(const PluginFileKey& k) {
  return toml::table{{"path", k.path},
                     {"dev", static_cast<int64_t>(k.dev)},
                     {"ino", static_cast<int64_t>(k.ino)},
                     {"size", static_cast<int64_t>(k.size)},
                     {"mtime_ns", k.mtime_ns},
                     {"ctime_ns", k.ctime_ns}};
}

std::optional<PluginFileKey> key_from(const toml::table& t) {
  auto path = t["path"].value<std::string>();
  auto dev = t["dev"].value<int64_t>(), ino = t["ino"].value<int64_t>(), size = t["size"].value<int64_t>();
  auto mtime = t["mtime_ns"].value<int64_t>(), ctime = t["ctime_ns"].value<int64_t>();
  if (!path || !dev || !ino || !size || !mtime || !ctime) return std::nullopt;
  return PluginFileKey{
      *path, static_cast<uint64_t>(*dev), static_cast<uint64_t>(*ino), static_cast<uint64_t>(*size), *mtime,
      *ctime};
}

// The binary the verdicts were reached in: a child forked from it loaded the
// files, so another build of berthd (other libraries, other static
// constructors) may fare differently.
std::optional<PluginFileKey> this_berthd() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  auto key = PluginFileKey::of(exe);
  if (!key.ok()) return std::nullopt;
  return *key;
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
  std::error_code ec;
  if (!std::filesystem::exists(file_, ec)) return;
  // A damaged file only costs a pre-flight of every plugin: start empty.
  toml::table doc;
  try {
    doc = toml::parse_file(file_.string());
  } catch (const toml::parse_error&) {
    return;
  }
  const auto berthd = this_berthd();
  const auto* written_by = doc["berthd"].as_table();
  if (doc["format"].value<int64_t>() != kFormat || !berthd || !written_by || key_from(*written_by) != berthd)
    return;
  const auto* files = doc["files"].as_array();
  if (files == nullptr) return;
  for (const auto& node : *files) {
    const auto* t = node.as_table();
    if (t == nullptr) continue;
    auto key = key_from(*t);
    auto kind = kind_of((*t)["verdict"].value_or(std::string()));
    auto number = (*t)["number"].value<int64_t>();
    if (key && kind && number) entries_.push_back({*key, {*kind, static_cast<int>(*number), ""}});
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
  toml::array files;
  for (const auto& e : entries_) {
    auto t = key_table(e.key);
    t.insert("verdict", kind_name(e.verdict.kind));
    t.insert("number", int64_t{e.verdict.number});
    files.push_back(std::move(t));
  }
  toml::table doc{{"format", int64_t{kFormat}}, {"berthd", key_table(*berthd)}, {"files", std::move(files)}};
  std::ostringstream text;
  text << "# berthd's pre-flight verdicts on its plugin files; safe to delete.\n" << doc << "\n";
  // Not durable: a cache lost in a crash is rebuilt by the next start's pre-flight.
  BERTH_RETURN_IF_ERROR(files::replace_file(file_, text.str(), files::Durability::kAtomicOnly));
  changed_ = false;
  return {};
}

}  // namespace berth::host

// Pre-flight verdicts remembered across starts, so a start whose plugin files
// have not changed forks nothing: it stats each file and reads one small file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "berth/status.hpp"
#include "preflight.hpp"

namespace berth::host {

// What identifies one version of a plugin file. Path, inode, size and mtime
// change when a file is replaced or rewritten; ctime also catches a rewrite
// that kept the size and put the old mtime back (cp -p, rsync -t).
struct PluginFileKey {
  std::string path;
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;

  static Result<PluginFileKey> of(const std::filesystem::path& path);
  bool operator==(const PluginFileKey&) const = default;
};

class PreflightCache {
 public:
  // No file: verdicts live only as long as this object.
  PreflightCache() = default;
  // Reads `file`. A missing or unreadable file, or one written by another
  // berthd binary (verdicts are about loading into that binary), starts empty.
  explicit PreflightCache(std::filesystem::path file);

  [[nodiscard]] std::optional<PreflightVerdict> find(const PluginFileKey& key) const;
  // Only lasting verdicts are kept.
  void record(const PluginFileKey& key, const PreflightVerdict& verdict);
  // Forgets the files not in `paths` (removed from the plugin directories).
  void keep_only(const std::set<std::string>& paths);

  // Writes the file if anything changed: a temporary file renamed over it, so
  // a reader sees the old verdicts or the new ones, never a mix.
  Status save();

  [[nodiscard]] const std::filesystem::path& file() const { return file_; }

 private:
  struct Entry {
    PluginFileKey key;
    PreflightVerdict verdict;
  };
  std::filesystem::path file_;
  std::vector<Entry> entries_;
  bool changed_ = false;
};

}  // namespace berth::host

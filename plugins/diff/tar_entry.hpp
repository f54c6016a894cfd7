// One entry of a layer tar, as the apply engine and the layer writer see it.
#pragma once

#include <time.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace berth::diff {

enum class EntryType { kRegular, kDirectory, kSymlink, kHardlink, kCharDevice, kBlockDevice, kFifo };

struct TarEntry {
  std::string path;  // as written in the archive, not yet cleaned
  EntryType type = EntryType::kRegular;
  uint32_t mode = 0;  // permission bits incl. setuid/setgid/sticky (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t size = 0;  // content bytes of a regular file
  std::string link;  // symlink target, or the earlier entry a hardlink names
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;
  timespec mtime{};
  timespec atime{};
  bool has_atime = false;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

}  // namespace berth::diff

#include "plugin_files.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

namespace berth::host {
namespace {

std::string kind_of(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "a special file";
}

// Why `dir` cannot be listed, or "" if it can.
std::string directory_problem(const std::filesystem::path& dir) {
  const std::string name = "plugin directory " + dir.string();
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return name + " does not exist";
    if (errno == ENOTDIR) return name + " does not exist: a parent of it is not a directory";
    return name + " cannot be read: " + std::strerror(errno);
  }
  if (!S_ISDIR(st.st_mode)) return name + " is " + kind_of(st.st_mode) + ", not a directory";
  return "";
}

}  // namespace

std::vector<std::filesystem::path> list_plugin_files(const std::vector<std::filesystem::path>& dirs,
                                                     std::vector<std::string>& problems) {
  std::vector<std::filesystem::path> out;
  std::set<std::filesystem::path> seen;
  for (const auto& dir : dirs) {
    if (auto why = directory_problem(dir); !why.empty()) {
      problems.push_back(why);
      continue;
    }
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (auto it = std::filesystem::directory_iterator(dir, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      const auto& path = it->path();
      if (path.extension() != ".so") continue;
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) {
        problems.push_back("plugin file " + path.string() +
                           (errno == ENOENT ? " is a symbolic link to a file that does not exist"
                                            : " cannot be read: " + std::string(std::strerror(errno))));
        continue;
      }
      if (!S_ISREG(st.st_mode)) {
        problems.push_back("plugin file " + path.string() + " is " + kind_of(st.st_mode) +
                           ", not a regular file");
        continue;
      }
      files.push_back(path);
    }
    if (ec) {
      problems.push_back("plugin directory " + dir.string() + " cannot be listed: " + ec.message());
      continue;
    }
    std::sort(files.begin(), files.end());
    for (auto& file : files) {
      auto canonical = std::filesystem::weakly_canonical(file, ec);
      if (seen.insert(ec ? file : canonical).second) out.push_back(std::move(file));
    }
  }
  return out;
}

}  // namespace berth::host

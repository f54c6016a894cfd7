// A description of every node under a directory (type, mode, owner, times,
// content, link target, device, xattrs) for comparing trees in tests.
#pragma once

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string>
#include <utility>

namespace berth::test {

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const std::filesystem::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
}

// Regular files under `root`, with the directories they need.
inline void write_tree(const std::filesystem::path& root,
                       std::initializer_list<std::pair<const char*, const char*>> files) {
  for (const auto& [path, content] : files) {
    std::filesystem::create_directories((root / path).parent_path());
    write_file(root / path, content);
  }
}

inline std::string xattrs_of(const std::filesystem::path& p) {
  char names[4096];
  const ssize_t n = ::llistxattr(p.c_str(), names, sizeof(names));
  std::map<std::string, std::string> kv;
  for (ssize_t i = 0; i < n;) {
    const std::string name(names + i);
    char value[4096];
    const ssize_t vn = ::lgetxattr(p.c_str(), name.c_str(), value, sizeof(value));
    kv[name] = vn >= 0 ? std::string(value, static_cast<std::size_t>(vn)) : "?";
    i += static_cast<ssize_t>(name.size()) + 1;
  }
  std::string out;
  for (const auto& [k, v] : kv) out += k + "=" + v + ";";
  return out;
}

// `with_dir_mtime`: directories' mtimes change whenever their children do,
// which some comparisons must ignore.
inline std::map<std::string, std::string> snapshot_tree(const std::filesystem::path& root,
                                                        bool with_dir_mtime = true) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    const auto& p = it->path();
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) continue;
    std::ostringstream d;
    d << std::oct << st.st_mode << std::dec << " " << st.st_uid << ":" << st.st_gid;
    if (!S_ISDIR(st.st_mode) || with_dir_mtime)
      d << " mtime=" << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec;
    if (S_ISREG(st.st_mode)) d << " content=" << read_file(p);
    if (S_ISLNK(st.st_mode)) d << " -> " << std::filesystem::read_symlink(p).string();
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
      d << " dev=" << major(st.st_rdev) << "," << minor(st.st_rdev);
    d << " xattrs=" << xattrs_of(p);
    out[std::filesystem::relative(p, root).string()] = d.str();
  }
  return out;
}

}  // namespace berth::test

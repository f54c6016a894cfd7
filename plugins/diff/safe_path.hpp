// Root-confined path resolution. Every lookup of a layer entry's parent goes
// through openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) on an O_PATH fd of
// the target root, so "..", absolute symlinks and symlinked parents resolve
// as if the root were "/" and can never reach the host. The last component is
// then handled relative to that parent fd and never followed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "berth/status.hpp"
#include "berth/unique_fd.hpp"

namespace berth::diff {

// A layer entry name as a relative path without "", "." or ".." components;
// ".." stops at the root, as it would in a chroot ("../../x" is "x"). "" is
// the root itself.
std::string clean_name(std::string_view name);

// "a/b/c" -> {"a/b", "c"}; "c" -> {"", "c"}.
std::pair<std::string_view, std::string_view> split_parent(std::string_view clean);

class Root {
 public:
  static Result<Root> open(const std::filesystem::path& dir);

  [[nodiscard]] int fd() const { return fd_.get(); }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  // An O_PATH fd of the directory `clean` ("" is the root) resolved inside
  // the root.
  Result<UniqueFd> open_dir(std::string_view clean) const;
  // The same, creating missing directories (0755) one component at a time,
  // each inside the directory resolved for the previous one. `created`, if
  // given, is told the path of each directory made, outermost first.
  Result<UniqueFd> make_dirs(std::string_view clean,
                             const std::function<void(const std::string&)>& created = {}) const;

 private:
  Root(UniqueFd fd, std::filesystem::path path) : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;
  std::filesystem::path path_;
};

// openat2 of `path` under `root_fd` confined to it; -errno on failure.
// `extra_resolve` adds RESOLVE_* flags (RESOLVE_NO_SYMLINKS, say).
int open_in_root(int root_fd, std::string_view path, int flags, uint64_t extra_resolve = 0);

// Removes `name` in `dir_fd` (recursively for a directory) without following
// symlinks anywhere. A missing name is not an error.
Status remove_all_at(int dir_fd, const std::string& name, std::string_view display);

// Removes every child of the directory `dir_fd` (whose root-relative path is
// `display`) for which `keep(path of the child)` is false, and applies the
// same rule below the kept children that are directories.
Status clear_dir(int dir_fd, const std::string& display, const std::function<bool(const std::string&)>& keep);

}  // namespace berth::diff

#include "safe_path.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace berth::diff {

std::string clean_name(std::string_view name) {
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos <= name.size()) {
    std::size_t end = name.find('/', pos);
    if (end == std::string_view::npos) end = name.size();
    const std::string_view part = name.substr(pos, end - pos);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    pos = end + 1;
  }
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

std::pair<std::string_view, std::string_view> split_parent(std::string_view clean) {
  const auto slash = clean.rfind('/');
  if (slash == std::string_view::npos) return {std::string_view(), clean};
  return {clean.substr(0, slash), clean.substr(slash + 1)};
}

int open_in_root(int root_fd, std::string_view path, int flags, uint64_t extra_resolve) {
  std::string p = path.empty() ? std::string(".") : std::string(path);
  open_how how{};
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra_resolve;
  // EAGAIN: a concurrent rename somewhere in the tree made the kernel unsure
  // the walk stayed inside; retrying is what the man page asks for.
  for (int attempt = 0; attempt < 16; ++attempt) {
    const long fd = ::syscall(SYS_openat2, root_fd, p.c_str(), &how, sizeof(how));
    if (fd >= 0) return static_cast<int>(fd);
    if (errno != EAGAIN && errno != EINTR) return -errno;
  }
  return -EAGAIN;
}

Result<Root> Root::open(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_status("open apply target " + dir.string(), errno);
  UniqueFd owned(fd);
  // Fail early and clearly on a kernel without openat2 (before 5.6).
  const int probe = open_in_root(fd, "", O_PATH | O_DIRECTORY);
  if (probe < 0) return errno_status("openat2 on " + dir.string() + " (needs Linux 5.6+)", -probe);
  ::close(probe);
  return Root(std::move(owned), dir);
}

Result<UniqueFd> Root::open_dir(std::string_view clean) const {
  const int fd = open_in_root(fd_.get(), clean, O_PATH | O_DIRECTORY);
  if (fd < 0) return errno_status("resolve directory /" + std::string(clean) + " inside the root", -fd);
  return UniqueFd(fd);
}

Result<UniqueFd> Root::make_dirs(std::string_view clean,
                                 const std::function<void(const std::string&)>& created) const {
  const int fd = open_in_root(fd_.get(), clean, O_PATH | O_DIRECTORY);
  if (fd >= 0) return UniqueFd(fd);
  if (fd != -ENOENT)
    return errno_status("resolve directory /" + std::string(clean) + " inside the root", -fd);

  // Slow path, only for layers that omit parent directories.
  auto cur = open_dir("");
  if (!cur.ok()) return cur.status();
  UniqueFd dir = std::move(cur).value();
  std::size_t pos = 0;
  while (pos < clean.size()) {
    std::size_t end = clean.find('/', pos);
    if (end == std::string_view::npos) end = clean.size();
    const std::string prefix(clean.substr(0, end));
    const std::string part(clean.substr(pos, end - pos));
    int next = open_in_root(fd_.get(), prefix, O_PATH | O_DIRECTORY);
    if (next == -ENOENT) {
      // mkdirat in the directory resolved for the previous component: inside
      // the root whatever symlinks led there. A dangling symlink in the way
      // gives EEXIST and then ENOENT below, reported as an error.
      if (::mkdirat(dir.get(), part.c_str(), 0755) == 0) {
        if (created) created(prefix);
      } else if (errno != EEXIST) {
        return errno_status("create parent directory /" + prefix, errno);
      }
      next = open_in_root(fd_.get(), prefix, O_PATH | O_DIRECTORY);
    }
    if (next < 0) return errno_status("resolve parent directory /" + prefix + " inside the root", -next);
    dir.reset(next);
    pos = end + 1;
  }
  return dir;
}

Status remove_all_at(int dir_fd, const std::string& name, std::string_view display) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return errno_status("stat /" + std::string(display), errno);
  }
  if (S_ISDIR(st.st_mode)) {
    const int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno_status("open directory /" + std::string(display) + " to remove it", errno);
    UniqueFd child(fd);
    BERTH_RETURN_IF_ERROR(
        clear_dir(child.get(), std::string(display), [](const std::string&) { return false; }));
    if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
      return errno_status("remove directory /" + std::string(display), errno);
    }
    return {};
  }
  if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
    return errno_status("remove /" + std::string(display), errno);
  }
  return {};
}

Status clear_dir(int dir_fd, const std::string& display,
                 const std::function<bool(const std::string&)>& keep) {
  // Collect names first: removing while readdir() walks is unspecified.
  const int dup_fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup_fd < 0) return errno_status("open directory /" + display, errno);
  DIR* d = ::fdopendir(dup_fd);
  if (d == nullptr) {
    ::close(dup_fd);
    return errno_status("read directory /" + display, errno);
  }
  std::vector<std::string> names;
  while (dirent* de = ::readdir(d)) {
    const std::string_view n(de->d_name);
    if (n != "." && n != "..") names.emplace_back(n);
  }
  ::closedir(d);
  for (const auto& n : names) {
    const std::string child = display.empty() ? n : display + "/" + n;
    if (!keep(child)) {
      BERTH_RETURN_IF_ERROR(remove_all_at(dir_fd, n, child));
      continue;
    }
    // A kept directory may still hold entries from lower layers below it.
    struct stat st {};
    if (::fstatat(dir_fd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
      const int fd = ::openat(dir_fd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) return errno_status("open directory /" + child, errno);
      UniqueFd sub(fd);
      BERTH_RETURN_IF_ERROR(clear_dir(sub.get(), child, keep));
    }
  }
  return {};
}

}  // namespace berth::diff

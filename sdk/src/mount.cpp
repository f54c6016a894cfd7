#include "berth/mount.hpp"

#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>
#include <utility>

namespace berth {
namespace {

struct Flag {
  std::string_view word;
  bool clear;  // the word clears the flag ("rw", "suid", ...)
  unsigned long flag;
};

constexpr Flag kFlags[] = {
    {"ro", false, MS_RDONLY},         {"rw", true, MS_RDONLY},
    {"bind", false, MS_BIND},         {"rbind", false, MS_BIND | MS_REC},
    {"remount", false, MS_REMOUNT},   {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},        {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},          {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},        {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},  {"noatime", false, MS_NOATIME},
    {"atime", true, MS_NOATIME},      {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME}, {"strictatime", false, MS_STRICTATIME},
};

constexpr Flag kPropagation[] = {
    {"private", false, MS_PRIVATE}, {"rprivate", false, MS_PRIVATE | MS_REC},
    {"slave", false, MS_SLAVE},     {"rslave", false, MS_SLAVE | MS_REC},
    {"shared", false, MS_SHARED},   {"rshared", false, MS_SHARED | MS_REC},
};

struct Parsed {
  unsigned long flags = 0;
  unsigned long propagation = 0;
  std::string data;
};

Parsed parse(const std::vector<std::string>& options) {
  Parsed p;
  for (const auto& o : options) {
    bool known = false;
    for (const auto& f : kFlags) {
      if (o == f.word) {
        p.flags = f.clear ? (p.flags & ~f.flag) : (p.flags | f.flag);
        known = true;
        break;
      }
    }
    for (const auto& f : kPropagation) {
      if (!known && o == f.word) {
        p.propagation |= f.flag;
        known = true;
      }
    }
    if (known) continue;
    if (!p.data.empty()) p.data += ',';
    p.data += o;
  }
  return p;
}

// "lowerdir=/a/x/fs:/a/y/fs,upperdir=..." -> the common parent of the
// lowerdirs ("/a") and the data with lowerdirs relative to it ("x/fs:y/fs").
// Empty dir when there is nothing to gain.
std::pair<std::string, std::string> compact_lowerdirs(const std::string& data) {
  const auto begin = data.find("lowerdir=");
  if (begin == std::string::npos || (begin != 0 && data[begin - 1] != ',')) return {};
  const auto value_begin = begin + std::string_view("lowerdir=").size();
  auto value_end = data.find(',', value_begin);
  if (value_end == std::string::npos) value_end = data.size();
  const std::string value = data.substr(value_begin, value_end - value_begin);

  std::vector<std::string> dirs;
  for (std::size_t pos = 0; pos <= value.size();) {
    auto next = value.find(':', pos);
    if (next == std::string::npos) next = value.size();
    dirs.push_back(value.substr(pos, next - pos));
    pos = next + 1;
  }
  if (dirs.size() < 2) return {};
  std::string common = dirs[0];
  for (const auto& d : dirs) {
    while (!common.empty() && (d.compare(0, common.size(), common) != 0 || d.size() <= common.size() ||
                               d[common.size()] != '/')) {
      const auto slash = common.rfind('/');
      if (slash == std::string::npos || slash == 0) return {};
      common.resize(slash);
    }
  }
  if (common.empty() || common[0] != '/') return {};
  std::string relative;
  for (const auto& d : dirs) {
    if (!relative.empty()) relative += ':';
    relative += d.substr(common.size() + 1);
  }
  std::string out = data.substr(0, value_begin) + relative + data.substr(value_end);
  return {common, out};
}

// mount(2) with `cwd` as the working directory of the calling thread only:
// the thread unshares its fs context so the daemon's cwd never moves.
Status mount_in(const std::string& cwd, const Mount& m, const std::string& target, unsigned long flags,
                const std::string& data) {
  Status result;
  std::thread t([&] {
    if (::unshare(CLONE_FS) != 0) {
      result = errno_status("unshare(CLONE_FS) to mount " + target, errno);
      return;
    }
    if (::chdir(cwd.c_str()) != 0) {
      result = errno_status("chdir " + cwd, errno);
      return;
    }
    if (::mount(m.source.c_str(), target.c_str(), m.type.c_str(), flags, data.c_str()) != 0) {
      result =
          errno_status("mount " + m.type + " on " + target + " (lowerdirs relative to " + cwd + ")", errno);
    }
  });
  t.join();
  return result;
}

Status mount_one(const Mount& m, const std::filesystem::path& root) {
  const std::string target = m.target.empty() ? root.string() : (root / m.target).string();
  const Parsed p = parse(m.options);
  const bool bind = (p.flags & MS_BIND) != 0 || m.type == "bind" || m.type == "rbind";
  if (bind) {
    unsigned long flags = MS_BIND | (p.flags & MS_REC) | (m.type == "rbind" ? MS_REC : 0);
    if (::mount(m.source.c_str(), target.c_str(), nullptr, flags, nullptr) != 0) {
      return errno_status("bind mount " + m.source + " on " + target, errno);
    }
    // Flags other than MS_BIND/MS_REC only take effect on a remount.
    const unsigned long rest = p.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    if (rest != 0 && ::mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | rest, nullptr) != 0) {
      const int err = errno;
      (void)::umount2(target.c_str(), 0);
      return errno_status("remount " + target + " with its options", err);
    }
  } else {
    const long page = ::sysconf(_SC_PAGESIZE);
    if (m.type == "overlay" && page > 0 && p.data.size() >= static_cast<std::size_t>(page)) {
      auto [cwd, data] = compact_lowerdirs(p.data);
      if (cwd.empty() || data.size() >= static_cast<std::size_t>(page)) {
        return invalid_argument("mount " + target + ": overlay options are " + std::to_string(p.data.size()) +
                                " bytes, over the kernel's limit of " + std::to_string(page - 1) +
                                " even with relative lowerdirs");
      }
      BERTH_RETURN_IF_ERROR(mount_in(cwd, m, target, p.flags, data));
    } else if (::mount(m.source.c_str(), target.c_str(), m.type.c_str(), p.flags,
                       p.data.empty() ? nullptr : p.data.c_str()) != 0) {
      return errno_status("mount " + m.type + " " + m.source + " on " + target, errno);
    }
  }
  if (p.propagation != 0 && ::mount(nullptr, target.c_str(), nullptr, p.propagation, nullptr) != 0) {
    return errno_status("set propagation of " + target, errno);
  }
  return {};
}

// The mount points strictly below `dir`, in /proc/self/mountinfo order (a
// parent before what is mounted inside it). Paths in mountinfo escape space,
// tab, newline and backslash as octal (\040).
Result<std::vector<std::string>> mounts_below(const std::filesystem::path& dir) {
  std::ifstream in("/proc/self/mountinfo");
  if (!in) return errno_status("read /proc/self/mountinfo", errno);
  const std::string prefix = dir.string() + "/";
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    // id parent major:minor root mount-point ...
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    if (!(fields >> id >> parent >> dev >> root >> point)) continue;
    std::string decoded;
    for (std::size_t i = 0; i < point.size(); ++i) {
      if (point[i] == '\\' && i + 3 < point.size()) {
        decoded += static_cast<char>(std::stoi(point.substr(i + 1, 3), nullptr, 8));
        i += 3;
      } else {
        decoded += point[i];
      }
    }
    if (decoded.starts_with(prefix)) out.push_back(std::move(decoded));
  }
  return out;
}

}  // namespace

std::string mount_option(const std::vector<std::string>& options, std::string_view key) {
  for (const auto& o : options) {
    if (o.size() > key.size() && o.compare(0, key.size(), key) == 0 && o[key.size()] == '=') {
      return o.substr(key.size() + 1);
    }
  }
  return {};
}

Status mount_all(const std::vector<Mount>& mounts, const std::filesystem::path& target) {
  for (std::size_t i = 0; i < mounts.size(); ++i) {
    Status st = mount_one(mounts[i], target);
    if (!st.ok()) {
      // Leave nothing half-mounted behind.
      for (std::size_t j = i; j > 0; --j) {
        const auto& m = mounts[j - 1];
        const auto t = m.target.empty() ? target : target / m.target;
        (void)::umount2(t.c_str(), 0);
      }
      return st;
    }
  }
  return {};
}

Status unmount_all(const std::filesystem::path& target) {
  // Submounts first (mount_all puts a mount with a `target` below the
  // root), deepest first, then everything stacked on the target itself.
  auto below = mounts_below(target);
  if (!below.ok()) return below.status();
  for (auto it = below->rbegin(); it != below->rend(); ++it) {
    if (::umount2(it->c_str(), UMOUNT_NOFOLLOW) != 0 && errno != EINVAL && errno != ENOENT)
      return errno_status("unmount " + *it, errno);
  }
  for (int i = 0; i < 1000; ++i) {
    if (::umount2(target.c_str(), UMOUNT_NOFOLLOW) != 0) {
      if (errno == EINVAL || errno == ENOENT) return {};  // nothing (more) mounted there
      return errno_status("unmount " + target.string(), errno);
    }
  }
  return internal("unmount " + target.string() + ": still mounted after 1000 unmounts");
}

Result<TempMount> TempMount::create(const std::vector<Mount>& mounts, const std::filesystem::path& parent) {
  std::string tmpl = (parent / "berth-mount-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    return errno_status("create a mount point under " + parent.string(), errno);
  TempMount out{std::filesystem::path(tmpl)};
  if (Status st = mount_all(mounts, out.path_); !st.ok()) {
    (void)::rmdir(out.path_.c_str());
    out.path_.clear();
    return st;
  }
  return out;
}

TempMount::TempMount(TempMount&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempMount& TempMount::operator=(TempMount&& other) noexcept {
  if (this != &other) {
    (void)release();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

TempMount::~TempMount() { (void)release(); }

Status TempMount::release() {
  if (path_.empty()) return {};
  BERTH_RETURN_IF_ERROR(unmount_all(path_));
  if (::rmdir(path_.c_str()) != 0) return errno_status("remove mount point " + path_.string(), errno);
  path_.clear();
  return {};
}

}  // namespace berth

#include "rootfs.hpp"

#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cstring>

namespace berth::shim {
namespace {

struct Flag {
  const char* name;
  bool clear;
  unsigned long flag;
};

// mount(8)'s option words that are flags, not filesystem data.
constexpr Flag kFlags[] = {{"async", true, MS_SYNCHRONOUS},
                           {"atime", true, MS_NOATIME},
                           {"bind", false, MS_BIND},
                           {"defaults", false, 0},
                           {"dev", true, MS_NODEV},
                           {"diratime", true, MS_NODIRATIME},
                           {"dirsync", false, MS_DIRSYNC},
                           {"exec", true, MS_NOEXEC},
                           {"mand", false, MS_MANDLOCK},
                           {"noatime", false, MS_NOATIME},
                           {"nodev", false, MS_NODEV},
                           {"nodiratime", false, MS_NODIRATIME},
                           {"noexec", false, MS_NOEXEC},
                           {"nomand", true, MS_MANDLOCK},
                           {"norelatime", true, MS_RELATIME},
                           {"nosuid", false, MS_NOSUID},
                           {"rbind", false, MS_BIND | MS_REC},
                           {"relatime", false, MS_RELATIME},
                           {"remount", false, MS_REMOUNT},
                           {"ro", false, MS_RDONLY},
                           {"rw", true, MS_RDONLY},
                           {"suid", true, MS_NOSUID},
                           {"sync", false, MS_SYNCHRONOUS}};

}  // namespace

Status mount_rootfs(const google::protobuf::RepeatedPtrField<containerd::types::Mount>& mounts,
                    const std::string& target) {
  if (mounts.empty()) return {};
  if (::mkdir(target.c_str(), 0711) != 0 && errno != EEXIST) return errno_status("mkdir " + target, errno);
  int done = 0;
  for (const auto& m : mounts) {
    unsigned long flags = 0;
    std::string data;
    for (const std::string& opt : m.options()) {
      const Flag* known = nullptr;
      for (const Flag& f : kFlags) {
        if (opt == f.name) known = &f;
      }
      if (known == nullptr) {
        if (!data.empty()) data += ',';
        data += opt;
      } else if (known->clear) {
        flags &= ~known->flag;
      } else {
        flags |= known->flag;
      }
    }
    const std::string type = m.type() == "bind" ? std::string() : m.type();
    if (m.type() == "bind") flags |= MS_BIND;
    if (::mount(m.source().c_str(), target.c_str(), type.empty() ? nullptr : type.c_str(), flags,
                data.empty() ? nullptr : data.c_str()) != 0) {
      Status s =
          errno_status("mount rootfs component " + m.type() + " " + m.source() + " on " + target, errno);
      for (; done > 0; --done) ::umount2(target.c_str(), MNT_DETACH);
      return s;
    }
    ++done;
    // A read-only bind needs a remount to take the flag.
    if ((flags & MS_BIND) && (flags & MS_RDONLY)) {
      ::mount(nullptr, target.c_str(), nullptr, flags | MS_REMOUNT, nullptr);
    }
  }
  return {};
}

Status unmount_all(const std::string& target) {
  for (int i = 0; i < 64; ++i) {
    if (::umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) {
      if (errno == EINVAL || errno == ENOENT) return {};
      return errno_status("unmount " + target, errno);
    }
  }
  return internal("unmount " + target + ": still mounted after 64 unmounts");
}

}  // namespace berth::shim

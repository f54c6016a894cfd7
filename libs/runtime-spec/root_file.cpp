#include "runtime-spec/root_file.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "berth/unique_fd.hpp"
#include "files/fd_io.hpp"

namespace berth::runtime_spec {
namespace {

Status errno_status(const std::string& what, int err) {
  return Status(err == ENOENT ? Code::kNotFound : Code::kUnknown, what + ": " + std::strerror(err));
}

}  // namespace

Result<std::string> read_in_root(const std::filesystem::path& root, std::string_view path, std::size_t max) {
  auto root_fd = files::open_file(root, O_PATH | O_DIRECTORY);
  if (!root_fd.ok()) return root_fd.status();
  const std::string display = (root / std::filesystem::path(path).relative_path()).string();
  open_how how{};
  // O_NONBLOCK: a FIFO planted at the path must not hang the daemon; it is
  // refused below as not a regular file.
  how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd = -1;
  // EAGAIN: a concurrent rename made the kernel unsure the walk stayed
  // inside; the man page asks for a retry.
  for (int attempt = 0; attempt < 16; ++attempt) {
    fd = ::syscall(SYS_openat2, root_fd->get(), std::string(path).c_str(), &how, sizeof(how));
    if (fd >= 0 || (errno != EAGAIN && errno != EINTR)) break;
  }
  if (fd < 0) return errno_status("open " + display + " inside the rootfs", errno);
  UniqueFd file(static_cast<int>(fd));
  auto st = files::stat_fd(file.get(), display);
  if (!st.ok()) return st.status();
  if (!S_ISREG(st->st_mode)) return Status(Code::kInvalidArgument, display + " is not a regular file");
  std::string out;
  char buf[16384];
  for (;;) {
    auto n = files::read_full(file.get(), buf, sizeof(buf), display);
    if (!n.ok()) return n.status();
    if (out.size() + *n > max)
      return Status(Code::kOutOfRange, display + " is more than " + std::to_string(max) + " bytes");
    out.append(buf, *n);
    if (*n < sizeof(buf)) return out;
  }
}

}  // namespace berth::runtime_spec

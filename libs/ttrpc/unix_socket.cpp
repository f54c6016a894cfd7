#include "ttrpc/unix_socket.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <thread>

namespace berth::ttrpc {
namespace {

Result<sockaddr_un> make_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty()) return invalid_argument("ttrpc socket path is empty");
  if (path.size() >= sizeof addr.sun_path) {
    return invalid_argument("ttrpc socket path " + path + " is longer than a unix socket path may be (" +
                            std::to_string(sizeof addr.sun_path - 1) + " bytes)");
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

Result<UniqueFd> new_socket(int flags) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0));
  if (!fd) return errno_status("create unix socket", errno);
  return fd;
}

Status set_blocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) return errno_status("fcntl", errno);
  return {};
}

}  // namespace

std::string socket_path(std::string_view address) {
  constexpr std::string_view kUnix = "unix://";
  if (address.starts_with(kUnix)) address.remove_prefix(kUnix.size());
  return std::string(address);
}

Result<UniqueFd> dial_unix(const std::string& path, std::chrono::milliseconds timeout) {
  auto addr = make_address(path);
  if (!addr.ok()) return addr.status();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // Non-blocking, so a listener that never accepts cannot hold us past
    // the timeout; the connection is made blocking once it is up.
    auto fd = new_socket(SOCK_NONBLOCK);
    if (!fd.ok()) return fd.status();
    int rc;
    do {
      rc = ::connect(fd->get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0 && errno == EINPROGRESS) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd->get(), POLLOUT, 0};
      const int n = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
      if (n == 0) return Status(Code::kDeadlineExceeded, "connect " + path + ": timed out");
      int err = 0;
      socklen_t len = sizeof err;
      if (n < 0 || ::getsockopt(fd->get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc == 0) {
      BERTH_RETURN_IF_ERROR(set_blocking(fd->get()));
      return std::move(fd).value();
    }
    const int err = errno;
    // A unix socket whose backlog is full says EAGAIN and offers nothing to
    // wait on: retry until the deadline.
    if (err == EAGAIN && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    if (err == EAGAIN)
      return Status(Code::kDeadlineExceeded, "connect " + path + ": timed out, backlog full");
    if (err == ENOENT || err == ECONNREFUSED) {
      return unavailable("connect " + path + ": no ttrpc server listening (" + std::strerror(err) + ")");
    }
    return errno_status("connect " + path, err);
  }
}

Result<UniqueFd> listen_unix(const std::string& path) {
  auto addr = make_address(path);
  if (!addr.ok()) return addr.status();
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return already_exists(path + " exists and is not a socket");
    if (dial_unix(path, std::chrono::milliseconds(100)).ok()) {
      return already_exists("a server already listens on " + path);
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return errno_status("remove stale socket " + path, errno);
  }
  auto fd = new_socket(0);
  if (!fd.ok()) return fd.status();
  if (::bind(fd->get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0) {
    return errno_status("bind " + path, errno);
  }
  // bind() gives the socket the umask's mode, but until listen() nobody can
  // connect, so tightening it in between leaves no window.
  if (::chmod(path.c_str(), 0600) != 0 || ::listen(fd->get(), SOMAXCONN) != 0) {
    const Status s = errno_status("listen " + path, errno);
    ::unlink(path.c_str());
    return s;
  }
  return std::move(fd).value();
}

Result<ucred> peer_credentials(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return errno_status("read the peer's credentials (SO_PEERCRED)", errno);
  }
  return cred;
}

}  // namespace berth::ttrpc

// Serving mode: the long-lived shim. One thread: an epoll loop that serves
// ttrpc, reaps children (signalfd), copies pty streams and hears OOM events;
// a second thread only while events are being sent (publisher.hpp).
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "actions.hpp"
#include "berth/log.hpp"
#include "bundle.hpp"
#include "files/fd_io.hpp"
#include "publisher.hpp"
#include "task_service.hpp"
#include "trim.hpp"
#include "ttrpc/event_loop.hpp"
#include "ttrpc/server.hpp"
#include "ttrpc/unix_socket.hpp"

namespace berth::shim {
namespace {

// containerd opens <bundle>/log for reading before it starts us; its reader
// may be gone (the daemon restarted): never wait for one, and never let a
// full log block us.
void open_log() {
  int fd = ::open("log", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
}

bool is_listening_socket(int fd) {
  int on = 0;
  socklen_t len = sizeof on;
  return ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on != 0;
}

}  // namespace

int serve(const Flags& flags) {
  open_log();
  // The container's processes are re-parented to us when runc exits, so we
  // can reap them and report their exit.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) log::warn("PR_SET_CHILD_SUBREAPER: {}", std::strerror(errno));
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  ::sigprocmask(SIG_BLOCK, &mask, nullptr);
  UniqueFd signals(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signals) {
    log::error("signalfd: {}", std::strerror(errno));
    return 1;
  }

  // The socket `start` made, as fd 3; or, run by hand, our own.
  std::string path;
  UniqueFd listener;
  if (auto address = files::read_file("address", 4096); address.ok()) path = ttrpc::socket_path(*address);
  if (is_listening_socket(3)) {
    listener.reset(3);
    ::fcntl(3, F_SETFD, FD_CLOEXEC);
  } else {
    auto p = socket_path(flags.bundle, flags.address, flags.ns, flags.id);
    if (!p.ok()) {
      log::error("{}", p.status().message());
      return 1;
    }
    path = *p;
    auto fd = ttrpc::listen_unix(path);
    if (!fd.ok()) {
      log::error("{}", fd.status().message());
      return 1;
    }
    listener = std::move(fd).value();
  }

  auto loop = ttrpc::EventLoop::create();
  if (!loop.ok()) {
    log::error("{}", loop.status().message());
    return 1;
  }
  const char* ttrpc_address = std::getenv("TTRPC_ADDRESS");
  Publisher publisher(ttrpc_address != nullptr ? ttrpc_address : "", flags.ns);
  TaskService service(flags, **loop, publisher);
  ttrpc::Server server({.allowed_uid = std::nullopt, .loop = loop->get()});
  service.register_on(server);

  const int sfd = signals.get();
  Status watched = (*loop)->watch(sfd, EPOLLIN, [&](std::uint32_t) {
    signalfd_siginfo info{};
    while (::read(sfd, &info, sizeof info) == sizeof info) {
      // SIGTERM/SIGINT: the container outlives anyone's signal to us; only
      // Shutdown ends the shim, as in containerd's.
    }
    for (;;) {
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      service.on_exit(pid, status);
    }
  });
  if (!watched.ok()) {
    log::error("{}", watched.message());
    return 1;
  }
  if (Status s = server.serve(std::move(listener), path); !s.ok()) {
    log::error("serve {}: {}", path, s.message());
    return 1;
  }
  // Idle for a second after any activity: give back what that activity
  // touched (trim.hpp).
  (*loop)->on_idle(std::chrono::milliseconds(1000), trim_memory);
  if (Status s = (*loop)->run(); !s.ok()) log::error("{}", s.message());
  server.shutdown();  // removes the socket
  publisher.flush();
  return 0;
}

}  // namespace berth::shim

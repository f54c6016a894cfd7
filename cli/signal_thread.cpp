#include "signal_thread.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

namespace berth::cli {

SignalThread::SignalThread(std::initializer_list<int> signals) {
  sigemptyset(&set_);
  for (int s : signals) sigaddset(&set_, s);
  sigaddset(&set_, SIGWINCH);
  pthread_sigmask(SIG_BLOCK, &set_, &old_);
  signal_fd_.reset(::signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK));
  int pipe[2];
  if (::pipe2(pipe, O_CLOEXEC) == 0) {
    stop_read_.reset(pipe[0]);
    stop_write_.reset(pipe[1]);
  }
}

int SignalThread::pending() const {
  sigset_t pending;
  sigpending(&pending);
  for (int s = 1; s < NSIG; ++s) {
    if (s != SIGWINCH && sigismember(&set_, s) == 1 && sigismember(&pending, s) == 1) return s;
  }
  return 0;
}

void SignalThread::start(std::function<void(int)> handler) {
  if (!signal_fd_ || !stop_read_) return;
  thread_ = std::thread([this, handler = std::move(handler)] {
    pollfd fds[2] = {{signal_fd_.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
    for (;;) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents != 0) return;
      signalfd_siginfo info{};
      while (::read(signal_fd_.get(), &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
        handler(static_cast<int>(info.ssi_signo));
      }
    }
  });
}

SignalThread::~SignalThread() {
  if (thread_.joinable()) {
    const char byte = 0;
    (void)!::write(stop_write_.get(), &byte, 1);
    thread_.join();
  }
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

}  // namespace berth::cli

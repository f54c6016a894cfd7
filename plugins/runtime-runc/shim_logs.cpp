#include "shim_logs.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "berth/log.hpp"

namespace berth::runtime_runc {

namespace {
// A line longer than this is passed on in pieces.
constexpr std::size_t kMaxLine = 16384;
}  // namespace

ShimLogs::ShimLogs()
    : epoll_(::epoll_create1(EPOLL_CLOEXEC)), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_.get();
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev);
  thread_ = std::thread([this] { loop(); });
}

ShimLogs::~ShimLogs() {
  const uint64_t one = 1;
  (void)::write(wake_.get(), &one, sizeof one);
  thread_.join();
}

void ShimLogs::add(const std::string& who, UniqueFd fifo) {
  std::lock_guard lock(mu_);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fifo.get();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fifo.get(), &ev) != 0) {
    log::warn("shim log of {}: cannot watch it: {}", who, std::strerror(errno));
    return;
  }
  sources_[who] = Source{std::move(fifo), {}};
}

void ShimLogs::remove(const std::string& who) {
  std::lock_guard lock(mu_);
  auto it = sources_.find(who);
  if (it == sources_.end()) return;
  drain(who, it->second);
  if (!it->second.partial.empty()) log::info("shim {}: {}", who, it->second.partial);
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second.fd.get(), nullptr);
  sources_.erase(it);
}

void ShimLogs::drain(const std::string& who, Source& source) {
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(source.fd.get(), buf, sizeof buf);
    if (n <= 0) return;  // EAGAIN: all read (we hold the FIFO open, so no EOF)
    source.partial.append(buf, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (std::size_t nl; (nl = source.partial.find('\n', start)) != std::string::npos; start = nl + 1) {
      if (nl > start)
        log::info("shim {}: {}", who, std::string_view(source.partial).substr(start, nl - start));
    }
    source.partial.erase(0, start);
    if (source.partial.size() > kMaxLine) {
      log::info("shim {}: {}", who, source.partial);
      source.partial.clear();
    }
  }
}

void ShimLogs::loop() {
  epoll_event events[16];
  for (;;) {
    const int n = ::epoll_wait(epoll_.get(), events, 16, -1);
    if (n < 0 && errno != EINTR) return;
    std::lock_guard lock(mu_);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == wake_.get()) return;
      for (auto& [who, source] : sources_) {
        if (source.fd.get() == events[i].data.fd) {
          drain(who, source);
          break;
        }
      }
    }
  }
}

}  // namespace berth::runtime_runc

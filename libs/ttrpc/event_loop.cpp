#include "ttrpc/event_loop.hpp"

#include <errno.h>
#include <sys/epoll.h>

namespace berth::ttrpc {

Result<std::unique_ptr<EventLoop>> EventLoop::create() {
  UniqueFd fd(::epoll_create1(EPOLL_CLOEXEC));
  if (!fd) return errno_status("epoll_create1", errno);
  return std::unique_ptr<EventLoop>(new EventLoop(std::move(fd)));
}

Status EventLoop::watch(int fd, std::uint32_t events, Callback callback) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  const bool known = watches_.contains(fd);
  if (::epoll_ctl(epoll_.get(), known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) != 0) {
    return errno_status("epoll_ctl fd " + std::to_string(fd), errno);
  }
  watches_[fd] = std::make_shared<Callback>(std::move(callback));
  return {};
}

void EventLoop::unwatch(int fd) {
  if (watches_.erase(fd) == 0) return;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

Status EventLoop::run() {
  stopped_ = false;
  epoll_event events[16];
  bool busy = true;  // something ran since the last idle call
  while (!stopped_) {
    const int timeout = busy && idle_ ? static_cast<int>(idle_after_.count()) : -1;
    const int n = ::epoll_wait(epoll_.get(), events, 16, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status("epoll_wait", errno);
    }
    if (n == 0) {
      busy = false;
      if (idle_) idle_();
      continue;
    }
    busy = true;
    for (int i = 0; i < n && !stopped_; ++i) {
      // Looked up again for each event: an earlier callback in this batch
      // may have unwatched this fd (and its number been reused).
      auto it = watches_.find(events[i].data.fd);
      if (it == watches_.end()) continue;
      const std::shared_ptr<Callback> callback = it->second;
      (*callback)(events[i].events);
    }
  }
  return {};
}

}  // namespace berth::ttrpc

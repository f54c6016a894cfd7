// A single-threaded epoll loop: callbacks run on the thread that called
// run(), one at a time, when their fd is ready. A Server given a loop
// (ServerOptions::loop) serves through it with no thread of its own, which is
// how Berth's shim answers every call, reaps its children and copies its
// container's pty on one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "berth/status.hpp"
#include "berth/unique_fd.hpp"

namespace berth::ttrpc {

class EventLoop {
 public:
  // EPOLLIN / EPOLLOUT, as epoll(7) spells them; the callback gets the
  // events that fired (EPOLLHUP and EPOLLERR included).
  using Callback = std::function<void(std::uint32_t events)>;

  static Result<std::unique_ptr<EventLoop>> create();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop() = default;

  // Calls `callback` whenever `fd` has one of `events`; replaces an earlier
  // watch of the same fd. The fd stays the caller's; unwatch it before
  // closing it.
  Status watch(int fd, std::uint32_t events, Callback callback);
  // Idempotent. Safe from inside any callback, including the fd's own.
  void unwatch(int fd);

  // Calls `idle` once the loop has had nothing to do for `after` since the
  // last callback (then not again until after the next one).
  void on_idle(std::chrono::milliseconds after, std::function<void()> idle) {
    idle_after_ = after;
    idle_ = std::move(idle);
  }

  // Runs callbacks until stop(). INTERNAL when epoll itself fails.
  Status run();
  // Makes run() return once the callback in progress returns. Only from the
  // loop's thread (a callback).
  void stop() { stopped_ = true; }

 private:
  explicit EventLoop(UniqueFd epoll) : epoll_(std::move(epoll)) {}

  UniqueFd epoll_;
  // Shared so a callback that unwatches itself is not destroyed while it runs.
  std::map<int, std::shared_ptr<Callback>> watches_;
  bool stopped_ = false;
  std::chrono::milliseconds idle_after_{0};
  std::function<void()> idle_;
};

}  // namespace berth::ttrpc

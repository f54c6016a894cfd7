// The container's cgroup, read straight from cgroupfs: Stats as containerd's
// cgroups Metrics (v1 on a v1 or hybrid host, v2 on a unified one), and OOM
// notification (v1: an eventfd on memory.oom_control; v2: memory.events
// watched with inotify).
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "berth/status.hpp"
#include "berth/unique_fd.hpp"
#include "ttrpc/event_loop.hpp"

namespace berth::shim {

class Cgroup {
 public:
  // The cgroup `pid` is in. NOT_FOUND when it has none we can read.
  static Result<Cgroup> of_process(pid_t pid);

  [[nodiscard]] bool unified() const { return unified_; }
  // A serialized io.containerd.cgroups.v1.Metrics or .v2.Metrics, and its
  // type URL.
  Result<std::pair<std::string, std::string>> metrics() const;

  // Calls `on_oom` on the loop each time the kernel's OOM killer acts in the
  // cgroup, until the returned watch is destroyed.
  class OomWatch;
  Result<std::unique_ptr<OomWatch>> watch_oom(ttrpc::EventLoop& loop, std::function<void()> on_oom) const;

 private:
  bool unified_ = false;
  std::string v2_dir_;                          // unified: /sys/fs/cgroup/<path>
  std::map<std::string, std::string> v1_dirs_;  // v1: controller -> directory
  [[nodiscard]] std::string v1(const std::string& controller) const;
};

class Cgroup::OomWatch {
 public:
  OomWatch(ttrpc::EventLoop& loop, UniqueFd fd) : loop_(loop), fd_(std::move(fd)) {}
  ~OomWatch() { loop_.unwatch(fd_.get()); }
  OomWatch(const OomWatch&) = delete;
  OomWatch& operator=(const OomWatch&) = delete;
  [[nodiscard]] int fd() const { return fd_.get(); }

 private:
  ttrpc::EventLoop& loop_;
  UniqueFd fd_;
};

}  // namespace berth::shim

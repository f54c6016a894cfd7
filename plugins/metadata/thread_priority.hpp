// The collector's CPU priority. A collection is long CPU work (marking,
// re-marking, the backends' walks) beside API calls that want answers in
// milliseconds; on a machine with few cores the scheduler gives it an even
// share, so each call it overlaps runs slower. It runs niced instead, and at
// the daemon's own priority while it holds the metadata writer lock: a
// niced holder preempted there would hold up every writer behind it.
#pragma once

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace berth::metadata {

class ThreadPriority {
 public:
  // Lowers the calling thread to `nice` for the object's life, if it can
  // also be raised back (root, or CAP_SYS_NICE): otherwise it stays as it is,
  // since a collector that cannot be raised under the lock must not be low.
  explicit ThreadPriority(int nice) : tid_(static_cast<id_t>(::syscall(SYS_gettid))) {
    errno = 0;
    const int was = ::getpriority(PRIO_PROCESS, tid_);
    if (errno != 0) return;
    normal_ = was;
    // Never above where the daemon runs: a daemon started niced stays so.
    const int low = std::max(was, nice);
    if (low == was) return;
    if (::setpriority(PRIO_PROCESS, tid_, low) != 0) return;
    if (::setpriority(PRIO_PROCESS, tid_, normal_) != 0) return;  // cannot come back up
    if (::setpriority(PRIO_PROCESS, tid_, low) != 0) return;
    low_ = low;
    lowered_ = true;
  }
  ~ThreadPriority() {
    if (lowered_) (void)::setpriority(PRIO_PROCESS, tid_, normal_);
  }
  ThreadPriority(const ThreadPriority&) = delete;
  ThreadPriority& operator=(const ThreadPriority&) = delete;

  // The daemon's priority for a scope: around the writer lock. Nothing
  // without a ThreadPriority (null) or on another thread than its own.
  class Raised {
   public:
    explicit Raised(const ThreadPriority* p) : p_(p != nullptr && p->lowered_ && p->mine() ? p : nullptr) {
      if (p_ != nullptr) (void)::setpriority(PRIO_PROCESS, p_->tid_, p_->normal_);
    }
    ~Raised() {
      if (p_ != nullptr) (void)::setpriority(PRIO_PROCESS, p_->tid_, p_->low_);
    }
    Raised(const Raised&) = delete;
    Raised& operator=(const Raised&) = delete;

   private:
    const ThreadPriority* p_;
  };

 private:
  [[nodiscard]] bool mine() const { return static_cast<id_t>(::syscall(SYS_gettid)) == tid_; }

  id_t tid_;
  int normal_ = 0;
  int low_ = 0;
  bool lowered_ = false;
};

}  // namespace berth::metadata

#include "group_sync.hpp"

namespace berth::metadata {

GroupSync::Ticket GroupSync::written() {
  std::lock_guard lock(mu_);
  return ++written_;
}

GroupSync::Ticket GroupSync::latest() {
  std::lock_guard lock(mu_);
  return written_;
}

Status GroupSync::wait(Ticket ticket) {
  std::unique_lock lock(mu_);
  const Ticket failed_before = failed_up_to_;
  while (durable_ < ticket) {
    // A flush that failed after this waiter came, and was to cover it.
    if (failed_up_to_ != failed_before && failed_up_to_ >= ticket) return failure_;
    if (flushing_) {
      flushed_.wait(lock);
      continue;
    }
    flushing_ = true;
    const Ticket target = written_;  // every write made before the flush starts
    lock.unlock();
    Status st = flush_();
    lock.lock();
    flushing_ = false;
    if (st.ok()) {
      durable_ = std::max(durable_, target);
    } else {
      failed_up_to_ = target;
      failure_ = st;
      flushed_.notify_all();
      return st;
    }
    flushed_.notify_all();
  }
  return {};
}

}  // namespace berth::metadata

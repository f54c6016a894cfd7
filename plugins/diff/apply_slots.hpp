// A bound on how many applies run at once (the walking differ's
// max_concurrent_applies). Each apply holds the gRPC thread that called it, a
// decompression thread of its own (prefetch_stream.hpp) and a few MiB of
// buffers, so without a bound the daemon's threads and memory grow with
// however many clients unpack at once. Beyond the bound an apply is refused
// with ResourceExhausted, not queued: a queued call would still hold its
// gRPC thread, and the client is better placed to decide when to retry.
#pragma once

#include <atomic>
#include <string>
#include <utility>

#include "berth/status.hpp"

namespace berth::diff {

class ApplySlots {
 public:
  // Held while an apply runs; gives its slot back when it dies.
  class Slot {
   public:
    Slot(Slot&& o) noexcept : running_(std::exchange(o.running_, nullptr)) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (running_ != nullptr) running_->fetch_sub(1);
    }

   private:
    friend class ApplySlots;
    explicit Slot(std::atomic<int>* running) : running_(running) {}
    std::atomic<int>* running_;
  };

  explicit ApplySlots(int max) : max_(max) {}

  // A slot, or ResourceExhausted naming the bound when all are taken.
  Result<Slot> take() {
    int n = running_.load();
    do {
      if (n >= max_) {
        return Status(Code::kResourceExhausted,
                      std::to_string(n) +
                          " applies are running, the walking differ's max_concurrent_applies = " +
                          std::to_string(max_) + "; retry when one has finished");
      }
    } while (!running_.compare_exchange_weak(n, n + 1));
    return Slot(&running_);
  }

 private:
  const int max_;
  std::atomic<int> running_{0};
};

}  // namespace berth::diff

// The first error any of a transfer's worker threads met: the cause, kept
// over the consequences (the other workers stopping) reported after it.
#pragma once

#include <mutex>
#include <utility>

#include "berth/status.hpp"

namespace berth::transfer {

class FirstError {
 public:
  void set(Status st) {
    std::lock_guard lock(mu_);
    if (status_.ok()) status_ = std::move(st);
  }
  Status get() {
    std::lock_guard lock(mu_);
    return status_;
  }

 private:
  std::mutex mu_;
  Status status_;
};

}  // namespace berth::transfer

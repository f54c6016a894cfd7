// Progress of one transfer, reported to the caller's ProgressFn from any
// worker thread: calls are serialized, and byte counts of a downloading or
// uploading blob are passed on at most every 100 ms (state changes always
// are), so a fast transfer does not flood a client's stream.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "berth/transfer.hpp"

namespace berth::transfer {

class ProgressReporter {
 public:
  explicit ProgressReporter(ProgressFn fn) : fn_(std::move(fn)) {}

  void report(const std::string& kind, const std::string& digest, TransferState state, int64_t offset,
              int64_t total);

 private:
  struct Last {
    TransferState state = TransferState::kWaiting;
    std::chrono::steady_clock::time_point at;
  };
  ProgressFn fn_;
  std::mutex mu_;
  std::map<std::string, Last> last_;  // by digest
};

}  // namespace berth::transfer

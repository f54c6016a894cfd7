// A second thread that hashes a buffer while the writer's thread copies the
// same buffer into the page cache. Hashing (~1.6 GB/s) and writing are each
// about half of an ingest's CPU time, so on two cores running them side by
// side brings a large ingest close to the slower of the two instead of their
// sum. The caller's buffer is only read, and the caller waits for the hash
// before it returns, so the worker never needs a copy.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <thread>

#include "berth/status.hpp"
#include "digest/sha256.hpp"

namespace berth::content {

class HashWorker {
 public:
  // nullptr when no thread can be started; the caller then hashes inline.
  static std::unique_ptr<HashWorker> start();

  HashWorker(const HashWorker&) = delete;
  HashWorker& operator=(const HashWorker&) = delete;
  ~HashWorker();  // joins the thread

  // Starts hashing `pieces`, in order, into `hash`. The hash, the span and
  // the bytes it points to must stay untouched by the caller until wait()
  // returns. One job at a time.
  void submit(digest::Sha256& hash, std::span<const std::string_view> pieces);
  // Blocks until the submitted job is done; its update's status.
  Status wait();

 private:
  HashWorker() = default;
  void run();

  enum class State { kIdle, kPending, kDone };

  std::mutex mu_;
  std::condition_variable job_cv_;
  std::condition_variable done_cv_;
  State state_ = State::kIdle;
  bool stop_ = false;
  digest::Sha256* hash_ = nullptr;
  std::span<const std::string_view> pieces_;
  Status result_;
  std::thread thread_;
};

}  // namespace berth::content

// A second thread that hashes what a writer writes while the writer's thread
// goes on. Hashing (~1.4 GB/s here) and writing are each about half of an
// ingest's CPU time, so on two cores running them side by side brings a
// large ingest close to the slower of the two instead of their sum.
//
// Jobs run in the order they were submitted. A writer either waits for its
// job before it goes on (the bytes are then the caller's, untouched until
// wait() returns), or queues jobs on staged copies that the job keeps alive
// (see StagedChunk) and waits only when it needs the digest.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <thread>
#include <vector>

#include "berth/status.hpp"
#include "digest/sha256.hpp"

namespace berth::content {

class HashWorker {
 public:
  // nullptr when no thread can be started; the caller then hashes inline.
  static std::unique_ptr<HashWorker> start();

  HashWorker(const HashWorker&) = delete;
  HashWorker& operator=(const HashWorker&) = delete;
  ~HashWorker();  // hashes what is queued, then joins the thread

  // Queues hashing `pieces`, in order, into `hash`, after what is queued.
  // The hash and the bytes must stay untouched by the caller until wait()
  // returns; `keep` (the owner of the bytes, say) is held until then.
  void submit(digest::Sha256& hash, std::span<const std::string_view> pieces,
              std::shared_ptr<const void> keep = nullptr);
  // Jobs queued or in progress.
  std::size_t pending();
  // Whether a job since the last wait failed (wait() says how).
  bool failed();
  // Blocks until every job is done; the first failure since the last wait.
  // After a failure the jobs queued behind it are dropped unhashed.
  Status wait();

 private:
  struct Job {
    digest::Sha256* hash;
    std::vector<std::string_view> pieces;
    std::shared_ptr<const void> keep;
  };

  HashWorker() = default;
  void run();

  std::mutex mu_;
  std::condition_variable job_cv_;
  std::condition_variable done_cv_;
  std::deque<Job> queue_;
  bool busy_ = false;  // a job is being hashed
  bool stop_ = false;
  Status result_;
  std::thread thread_;
};

}  // namespace berth::content

// The hashing threads of one content store, shared by all its writers.
//
// A large write is hashed on a second thread while it is written (see
// hash_worker.hpp). One thread per writer made the daemon's thread count grow
// with its clients (2,000 open Write streams, 2,000 more threads), so the
// store keeps at most one hashing thread per CPU: more could not run at once
// anyway. A writer borrows one for the length of one write; when all are busy
// it hashes on its own thread, which costs that write its overlap, nothing
// else.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "hash_worker.hpp"

namespace berth::content {

class HashPool : public std::enable_shared_from_this<HashPool> {
 public:
  // At most `max_threads` workers, started on first use and kept.
  static std::shared_ptr<HashPool> create(std::size_t max_threads);
  // One per CPU the process may run on.
  static std::size_t default_size();

  // A borrowed worker, given back when the lease ends. It keeps the pool
  // alive, so a writer may outlive its store.
  class Lease {
   public:
    Lease(std::shared_ptr<HashPool> pool, std::unique_ptr<HashWorker> worker)
        : pool_(std::move(pool)), worker_(std::move(worker)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) noexcept = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    HashWorker& operator*() const { return *worker_; }
    HashWorker* operator->() const { return worker_.get(); }

   private:
    std::shared_ptr<HashPool> pool_;
    std::unique_ptr<HashWorker> worker_;
  };

  // A free worker, or an empty lease when all are busy (or no thread can be
  // started): the caller then hashes inline.
  std::optional<Lease> try_acquire();

  // Workers started so far (for tests).
  std::size_t started() const;

 private:
  explicit HashPool(std::size_t max_threads) : max_threads_(max_threads) {}
  void give_back(std::unique_ptr<HashWorker> worker);

  const std::size_t max_threads_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<HashWorker>> idle_;
  std::size_t started_ = 0;
};

}  // namespace berth::content

// What the writers of one content store share and borrow for the length of
// one write: hashing threads (hash_pool.hpp) and aligned buffers
// (staging_pool.hpp). Each is made on first use, up to a cap, and kept; a
// writer that finds none free does without, so a burst of writers never costs
// more than the cap.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace berth::content {

template <class T>
class LendingPool : public std::enable_shared_from_this<LendingPool<T>> {
 public:
  // Makes one; nullptr when it cannot (no thread, no memory).
  using Make = std::function<std::unique_ptr<T>()>;

  // At most `max_items`, made by `make` on first use and kept.
  static std::shared_ptr<LendingPool> create(std::size_t max_items, Make make) {
    return std::shared_ptr<LendingPool>(
        new LendingPool(std::max<std::size_t>(max_items, 1), std::move(make)));
  }

  // A borrowed item, given back when the lease ends. It keeps the pool alive,
  // so a writer may outlive its store.
  class Lease {
   public:
    Lease(std::shared_ptr<LendingPool> pool, std::unique_ptr<T> item)
        : pool_(std::move(pool)), item_(std::move(item)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) noexcept = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (pool_ && item_) pool_->give_back(std::move(item_));
    }
    T& operator*() const { return *item_; }
    T* operator->() const { return item_.get(); }

   private:
    std::shared_ptr<LendingPool> pool_;
    std::unique_ptr<T> item_;
  };

  // A free item, or none when all are lent (or no more can be made).
  std::optional<Lease> try_acquire() { return acquire_within(std::chrono::milliseconds(0)); }

  // A free item, waiting up to `wait` for one to be given back when all are
  // lent: for a borrower whose own earlier loans are about to come back.
  std::optional<Lease> acquire_within(std::chrono::milliseconds wait) {
    std::unique_lock lock(mu_);
    if (idle_.empty() && made_ >= max_items_ && wait.count() > 0)
      returned_.wait_for(lock, wait, [&] { return !idle_.empty(); });
    if (!idle_.empty()) {
      auto item = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this->shared_from_this(), std::move(item));
    }
    if (made_ >= max_items_) return std::nullopt;
    ++made_;
    lock.unlock();
    // Made outside the lock: starting a thread can take a while.
    auto item = make_();
    if (!item) {
      std::lock_guard relock(mu_);
      --made_;
      return std::nullopt;
    }
    return Lease(this->shared_from_this(), std::move(item));
  }

  // Frees the idle items beyond `keep`, but only when none is lent: what a
  // burst of use made goes once it is over, and the next burst makes it
  // again.
  void shrink_idle(std::size_t keep) {
    std::vector<std::unique_ptr<T>> freed;  // freed outside the lock
    std::lock_guard lock(mu_);
    if (idle_.size() != made_ || idle_.size() <= keep) return;
    freed.assign(std::make_move_iterator(idle_.begin() + static_cast<std::ptrdiff_t>(keep)),
                 std::make_move_iterator(idle_.end()));
    idle_.resize(keep);
    made_ = keep;
  }

  // Items made so far (for tests).
  std::size_t started() const {
    std::lock_guard lock(mu_);
    return made_;
  }

 private:
  LendingPool(std::size_t max_items, Make make) : max_items_(max_items), make_(std::move(make)) {}
  void give_back(std::unique_ptr<T> item) {
    {
      std::lock_guard lock(mu_);
      idle_.push_back(std::move(item));
    }
    returned_.notify_one();
  }

  const std::size_t max_items_;
  const Make make_;
  mutable std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<T>> idle_;
  std::size_t made_ = 0;
};

}  // namespace berth::content

#include "staging_pool.hpp"

#include <stdlib.h>

#include <algorithm>

namespace berth::content {

std::shared_ptr<StagingPool> StagingPool::create(std::size_t max_buffers) {
  return std::shared_ptr<StagingPool>(new StagingPool(std::max<std::size_t>(max_buffers, 1)));
}

void StagingPool::FreeBuffer::operator()(char* p) const { ::free(p); }

std::optional<StagingPool::Lease> StagingPool::try_acquire() {
  std::unique_lock lock(mu_);
  if (!idle_.empty()) {
    Buffer buffer = std::move(idle_.back());
    idle_.pop_back();
    return Lease(shared_from_this(), std::move(buffer));
  }
  if (allocated_ >= max_buffers_) return std::nullopt;
  ++allocated_;
  lock.unlock();
  void* p = nullptr;
  if (::posix_memalign(&p, kAlign, kBufferBytes) != 0) {
    lock.lock();
    --allocated_;
    return std::nullopt;
  }
  return Lease(shared_from_this(), Buffer(static_cast<char*>(p)));
}

void StagingPool::give_back(Buffer buffer) {
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(buffer));
}

StagingPool::Lease::~Lease() {
  if (pool_ && buffer_) pool_->give_back(std::move(buffer_));
}

}  // namespace berth::content

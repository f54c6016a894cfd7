#include "staging_pool.hpp"

#include <stdlib.h>

namespace berth::content {

std::unique_ptr<StagingBuffer> StagingBuffer::allocate() {
  void* p = nullptr;
  if (::posix_memalign(&p, kAlign, kBytes) != 0) return nullptr;
  return std::unique_ptr<StagingBuffer>(new StagingBuffer(static_cast<char*>(p)));
}

StagingBuffer::~StagingBuffer() { ::free(data_); }

std::shared_ptr<StagingPool> make_staging_pool(std::size_t max_buffers) {
  return StagingPool::create(max_buffers, [] { return StagingBuffer::allocate(); });
}

}  // namespace berth::content

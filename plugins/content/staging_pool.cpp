#include "staging_pool.hpp"

#include <stdlib.h>

#include <algorithm>

namespace berth::content {

std::unique_ptr<StagingBuffer> StagingBuffer::allocate() {
  void* p = nullptr;
  if (::posix_memalign(&p, kAlign, kBytes) != 0) return nullptr;
  return std::unique_ptr<StagingBuffer>(new StagingBuffer(static_cast<char*>(p)));
}

StagingBuffer::~StagingBuffer() { ::free(data_); }

std::vector<std::string_view> StagedChunk::pieces() const {
  std::vector<std::string_view> out;
  std::size_t left = size;
  for (const auto& b : buffers) {
    const std::size_t n = std::min(left, StagingBuffer::kBytes);
    out.emplace_back(b->data(), n);
    left -= n;
  }
  return out;
}

std::shared_ptr<StagingPool> make_staging_pool(std::size_t max_buffers) {
  return StagingPool::create(max_buffers, [] { return StagingBuffer::allocate(); });
}

}  // namespace berth::content

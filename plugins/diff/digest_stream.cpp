#include "digest_stream.hpp"

namespace berth::diff {

Result<std::string_view> HashingStream::next() {
  auto chunk = inner_.next();
  if (!chunk.ok()) return chunk;
  BERTH_RETURN_IF_ERROR(sha_.update(*chunk));
  size_ += static_cast<int64_t>(chunk->size());
  return chunk;
}

}  // namespace berth::diff

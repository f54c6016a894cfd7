#include "apply_bounds.hpp"

#include <string>

namespace berth::diff {

Status over_limit(std::string_view key, int64_t limit, std::string_view what) {
  return {Code::kResourceExhausted, std::string(what) + " over " + std::string(key) + " = " +
                                        std::to_string(limit) +
                                        ", the walking differ's bound on one apply (raise it in "
                                        "[plugins.\"io.containerd.differ.v1.walking\"] to apply this layer)"};
}

Result<std::string_view> BoundedStream::next() {
  if (cancelled_) {
    if (Status st = cancelled_(); !st.ok()) {
      return st.with_context("apply stopped after " + std::to_string(bytes_) + " bytes of the layer");
    }
  }
  auto chunk = inner_.next();
  if (!chunk.ok()) return chunk.status();
  const auto size = static_cast<int64_t>(chunk->size());
  if (max_bytes_ > 0 && size > max_bytes_ - bytes_) {
    return over_limit("max_apply_bytes", max_bytes_, "the layer's uncompressed tar is");
  }
  bytes_ += size;
  return chunk;
}

}  // namespace berth::diff

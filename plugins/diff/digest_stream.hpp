// Hashing a byte stream on its way through: the diffID of the uncompressed
// tar when applying. The hash itself is libs/digest's checked SHA-256.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "decompress.hpp"
#include "digest/sha256.hpp"

namespace berth::diff {

// Passes chunks through while hashing and counting them.
class HashingStream final : public ChunkStream {
 public:
  explicit HashingStream(ChunkStream& inner) : inner_(inner) {}
  Result<std::string_view> next() override;
  [[nodiscard]] int64_t size() const { return size_; }
  // "sha256:<hex>" of every chunk passed so far.
  [[nodiscard]] Result<std::string> digest() const { return sha_.digest(); }

 private:
  ChunkStream& inner_;
  digest::Sha256 sha_;
  int64_t size_ = 0;
};

}  // namespace berth::diff

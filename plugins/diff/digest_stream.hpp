// SHA-256 over a byte stream: the diffID of the uncompressed tar when
// applying, and both digests when writing a layer.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "decompress.hpp"

namespace berth::diff {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view data);
  // "sha256:<hex>"; the object is spent afterwards.
  std::string finish();

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

// Passes chunks through while hashing and counting them.
class HashingStream final : public ChunkStream {
 public:
  explicit HashingStream(ChunkStream& inner) : inner_(inner) {}
  Result<std::string_view> next() override;
  [[nodiscard]] int64_t size() const { return size_; }
  std::string digest() { return sha_.finish(); }

 private:
  ChunkStream& inner_;
  Sha256 sha_;
  int64_t size_ = 0;
};

}  // namespace berth::diff

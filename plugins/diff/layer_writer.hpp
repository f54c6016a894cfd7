// The output side of compare: takes the uncompressed tar, hashes it (the
// diffID, for the "containerd.io/uncompressed" label), compresses it and
// hands the result to a sink.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "berth/status.hpp"
#include "byte_source.hpp"
#include "decompress.hpp"
#include "digest/sha256.hpp"

namespace berth::diff {

class Compressor;

class LayerWriter final : public ByteSink {
 public:
  static Result<std::unique_ptr<LayerWriter>> create(Compression compression, ByteSink& out);
  ~LayerWriter() override;

  Status write(std::string_view data) override;
  // Flushes the compressor; call once after the last write.
  Status finish();

  [[nodiscard]] int64_t uncompressed_size() const { return size_; }
  [[nodiscard]] Result<std::string> uncompressed_digest() const { return sha_.digest(); }

 private:
  LayerWriter(std::unique_ptr<Compressor> compressor, ByteSink& out);
  std::unique_ptr<Compressor> compressor_;
  ByteSink& out_;
  digest::Sha256 sha_;
  int64_t size_ = 0;
};

// Counts and hashes what passes through to another sink (the compressed
// blob's digest and size).
class DigestingSink final : public ByteSink {
 public:
  explicit DigestingSink(ByteSink& out) : out_(out) {}
  Status write(std::string_view data) override {
    BERTH_RETURN_IF_ERROR(sha_.update(data));
    size_ += static_cast<int64_t>(data.size());
    return out_.write(data);
  }
  [[nodiscard]] int64_t size() const { return size_; }
  [[nodiscard]] Result<std::string> digest() const { return sha_.digest(); }

 private:
  ByteSink& out_;
  digest::Sha256 sha_;
  int64_t size_ = 0;
};

}  // namespace berth::diff

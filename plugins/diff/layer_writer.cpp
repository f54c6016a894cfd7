#include "layer_writer.hpp"

#include <zlib.h>
#include <zstd.h>

#include <vector>

namespace berth::diff {

class Compressor {
 public:
  virtual ~Compressor() = default;
  // Compresses `data` (all of it), or with `finish` ends the stream.
  virtual Status feed(std::string_view data, bool finish, ByteSink& out) = 0;
};

namespace {

constexpr std::size_t kOutChunk = 1 << 20;

class NoCompressor final : public Compressor {
 public:
  Status feed(std::string_view data, bool, ByteSink& out) override {
    return data.empty() ? Status() : out.write(data);
  }
};

// zlib at its default level (6), what containerd's Go gzip writer uses; the
// layer written is a single gzip member.
class GzipCompressor final : public Compressor {
 public:
  GzipCompressor() : out_(kOutChunk) {
    ok_ = deflateInit2(&zs_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~GzipCompressor() override { deflateEnd(&zs_); }
  Status feed(std::string_view data, bool finish, ByteSink& out) override {
    if (!ok_) return internal("gzip: deflateInit2 failed");
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs_.avail_in = static_cast<uInt>(data.size());
    for (;;) {
      zs_.next_out = reinterpret_cast<Bytef*>(out_.data());
      zs_.avail_out = static_cast<uInt>(out_.size());
      const int rc = deflate(&zs_, finish ? Z_FINISH : Z_NO_FLUSH);
      if (rc == Z_STREAM_ERROR) return internal("gzip: deflate failed");
      const std::size_t n = out_.size() - zs_.avail_out;
      if (n > 0) BERTH_RETURN_IF_ERROR(out.write(std::string_view(out_.data(), n)));
      if (finish ? rc == Z_STREAM_END : (zs_.avail_in == 0 && zs_.avail_out != 0)) return {};
    }
  }

 private:
  z_stream zs_{};
  std::vector<char> out_;
  bool ok_ = false;
};

class ZstdCompressor final : public Compressor {
 public:
  ZstdCompressor() : cctx_(ZSTD_createCCtx()), out_(kOutChunk) {}
  ~ZstdCompressor() override { ZSTD_freeCCtx(cctx_); }
  Status feed(std::string_view data, bool finish, ByteSink& out) override {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    for (;;) {
      ZSTD_outBuffer o{out_.data(), out_.size(), 0};
      const std::size_t rc = ZSTD_compressStream2(cctx_, &o, &in, finish ? ZSTD_e_end : ZSTD_e_continue);
      if (ZSTD_isError(rc)) return internal(std::string("zstd: ") + ZSTD_getErrorName(rc));
      if (o.pos > 0) BERTH_RETURN_IF_ERROR(out.write(std::string_view(out_.data(), o.pos)));
      if (finish ? rc == 0 : in.pos == in.size) return {};
    }
  }

 private:
  ZSTD_CCtx* cctx_;
  std::vector<char> out_;
};

}  // namespace

LayerWriter::LayerWriter(std::unique_ptr<Compressor> compressor, ByteSink& out)
    : compressor_(std::move(compressor)), out_(out) {}

LayerWriter::~LayerWriter() = default;

Result<std::unique_ptr<LayerWriter>> LayerWriter::create(Compression compression, ByteSink& out) {
  std::unique_ptr<Compressor> c;
  switch (compression) {
    case Compression::kNone:
      c = std::make_unique<NoCompressor>();
      break;
    case Compression::kGzip:
      c = std::make_unique<GzipCompressor>();
      break;
    case Compression::kZstd:
      c = std::make_unique<ZstdCompressor>();
      break;
  }
  return std::unique_ptr<LayerWriter>(new LayerWriter(std::move(c), out));
}

Status LayerWriter::write(std::string_view data) {
  BERTH_RETURN_IF_ERROR(sha_.update(data));
  size_ += static_cast<int64_t>(data.size());
  return compressor_->feed(data, false, out_);
}

Status LayerWriter::finish() { return compressor_->feed({}, true, out_); }

}  // namespace berth::diff

// Where layer bytes come from and go to. The apply engine reads a blob
// through ByteSource so the plugin can hand it a content-store reader while
// tests and the bench tool hand it memory or a file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "berth/content_store.hpp"
#include "berth/status.hpp"
#include "berth/unique_fd.hpp"

namespace berth::diff {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to `len` bytes into `buf`; 0 only at the end.
  virtual Result<std::size_t> read(char* buf, std::size_t len) = 0;
};

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status write(std::string_view data) = 0;
};

// A committed blob, read sequentially with read_at.
class ContentReaderSource final : public ByteSource {
 public:
  explicit ContentReaderSource(ContentReader& reader) : reader_(reader) {}
  Result<std::size_t> read(char* buf, std::size_t len) override;

 private:
  ContentReader& reader_;
  int64_t offset_ = 0;
};

// An open file, read from its current offset.
class FdSource final : public ByteSource {
 public:
  explicit FdSource(UniqueFd fd) : fd_(std::move(fd)) {}
  static Result<FdSource> open(const std::string& path);
  Result<std::size_t> read(char* buf, std::size_t len) override;

 private:
  UniqueFd fd_;
};

// Bytes held by the caller, who keeps them alive.
class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::string_view data) : data_(data) {}
  Result<std::size_t> read(char* buf, std::size_t len) override;

 private:
  std::string_view data_;
};

// Collects everything into a string (tests).
class StringSink final : public ByteSink {
 public:
  Status write(std::string_view data) override {
    out.append(data);
    return {};
  }
  std::string out;
};

}  // namespace berth::diff

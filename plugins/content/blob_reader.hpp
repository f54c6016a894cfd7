// Random access to one committed blob through pread on an open descriptor:
// nothing of the blob is held in memory, and a blob removed while a reader is
// open stays readable through it.
#pragma once

#include <filesystem>
#include <memory>

#include "berth/content_store.hpp"
#include "berth/unique_fd.hpp"

namespace berth::content {

class BlobReader final : public ContentReader {
 public:
  // NotFound `content sha256:..: not found` when the blob is absent.
  static Result<std::unique_ptr<ContentReader>> open(std::filesystem::path path, std::string_view digest);
  // An ingest's data file while a writer appends to it: reads may go past
  // the size it had when opened. NotFound names `ref`.
  static Result<std::unique_ptr<ContentReader>> open_growing(std::filesystem::path path,
                                                             std::string_view ref);

  [[nodiscard]] int64_t size() const override { return size_; }
  Result<std::size_t> read_at(int64_t offset, char* buf, std::size_t len) override;

 private:
  static Result<std::unique_ptr<ContentReader>> open_file(std::filesystem::path path, const std::string& what,
                                                          bool growing);
  BlobReader(std::filesystem::path path, UniqueFd fd, int64_t size, bool growing)
      : path_(std::move(path)), fd_(std::move(fd)), size_(size), growing_(growing) {}

  std::filesystem::path path_;
  UniqueFd fd_;
  int64_t size_;
  bool growing_;
};

}  // namespace berth::content

// An append-only file of one-line changes, flushed one at a time: what a
// snapshotter writes on every Prepare, Commit and Remove instead of its whole
// record file, so a change costs one short write and one fdatasync however
// many snapshots there are.
//
// A line is whole or absent: open() drops (and cuts off) a last line that a
// crash left without its newline, and append() takes back a line that failed
// part way. Lines never contain '\n'.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "berth/status.hpp"
#include "berth/unique_fd.hpp"

namespace berth::snapshot {

class Journal {
 public:
  // Opens or creates `path` (mode 0600); `lines` gets every whole line in it,
  // in order.
  static Result<std::unique_ptr<Journal>> open(const std::filesystem::path& path,
                                               std::vector<std::string>& lines);

  // Durable once it returns OK. On failure the file is as it was before.
  Status append(std::string_view line);
  // Empties the file, durably (after its lines were written elsewhere).
  Status clear();

  [[nodiscard]] std::size_t lines() const { return lines_; }

 private:
  Journal(std::filesystem::path path, UniqueFd fd, int64_t size, std::size_t lines)
      : path_(std::move(path)), fd_(std::move(fd)), size_(size), lines_(lines) {}

  std::filesystem::path path_;
  UniqueFd fd_;
  int64_t size_;  // bytes of whole lines
  std::size_t lines_;
  bool broken_ = false;  // a failed append could not be cut off again
};

}  // namespace berth::snapshot

// What `berth images pull` and `push` show while the daemon transfers. On a
// terminal: a live bar per blob (bytes, rate, state: waiting, downloading or
// uploading, verified, exists, mounted, unpacking, done) and a total line,
// redrawn at most ten times a second. Otherwise (a pipe, a log): one plain
// line per state change, nothing that needs a terminal to read.
#pragma once

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace berth::cli {

class TransferProgressView {
 public:
  TransferProgressView(std::FILE* out, bool live);

  void update(const std::string& kind, const std::string& digest, const std::string& state, int64_t offset,
              int64_t total);
  // The last frame, drawn whatever the rate limit.
  void finish();

 private:
  struct Blob {
    std::string kind;
    std::string digest;
    std::string state;
    int64_t offset = 0;
    int64_t total = 0;
    std::chrono::steady_clock::time_point started{};  // first byte
    std::chrono::steady_clock::time_point ended{};    // moved
  };
  void draw();
  std::string line(const Blob& b, std::chrono::steady_clock::time_point now) const;

  std::FILE* out_;
  bool live_;
  std::vector<std::string> order_;  // digests, first seen first
  std::map<std::string, Blob> blobs_;
  std::size_t drawn_lines_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
};

// "12.3 MiB"
std::string human_bytes(double bytes);

}  // namespace berth::cli

// Runs a ChunkStream (decompression and hashing) on its own thread, a few
// chunks ahead of the consumer, so inflating the next megabyte overlaps with
// writing the files of the last one: what `tar -xzf` gets from running gzip
// as a separate process.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "decompress.hpp"

namespace berth::diff {

class PrefetchStream final : public ChunkStream {
 public:
  // `inner` is only touched by the worker thread until this object dies.
  explicit PrefetchStream(ChunkStream& inner, std::size_t depth = 4);
  ~PrefetchStream() override;
  PrefetchStream(const PrefetchStream&) = delete;
  PrefetchStream& operator=(const PrefetchStream&) = delete;

  Result<std::string_view> next() override;

 private:
  void run();

  ChunkStream& inner_;
  const std::size_t depth_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> ready_;  // an empty chunk marks the end
  std::vector<std::string> free_;  // buffers handed back, reused to avoid page faults
  std::string current_;
  Status error_;
  bool failed_ = false;
  bool stop_ = false;
  bool done_ = false;
  std::thread worker_;
};

}  // namespace berth::diff

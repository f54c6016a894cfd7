#include "prefetch_stream.hpp"

namespace berth::diff {

PrefetchStream::PrefetchStream(ChunkStream& inner, std::size_t depth)
    : inner_(inner), depth_(depth), worker_([this] { run(); }) {}

PrefetchStream::~PrefetchStream() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void PrefetchStream::run() {
  for (;;) {
    auto chunk = inner_.next();
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return stop_ || ready_.size() < depth_; });
    if (stop_) return;
    if (!chunk.ok()) {
      error_ = chunk.status();
      failed_ = true;
    } else {
      std::string buf;
      if (!free_.empty()) {
        buf = std::move(free_.back());
        free_.pop_back();
      }
      buf.assign(chunk->data(), chunk->size());
      ready_.push_back(std::move(buf));
      if (chunk->empty()) done_ = true;
    }
    cv_.notify_all();
    if (failed_ || done_) return;
  }
}

Result<std::string_view> PrefetchStream::next() {
  std::unique_lock lock(mu_);
  if (!current_.empty()) free_.push_back(std::move(current_));
  current_.clear();
  cv_.wait(lock, [&] { return !ready_.empty() || failed_; });
  if (ready_.empty()) return error_;
  current_ = std::move(ready_.front());
  ready_.pop_front();
  cv_.notify_all();
  return std::string_view(current_);
}

}  // namespace berth::diff

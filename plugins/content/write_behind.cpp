#include "write_behind.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <system_error>
#include <utility>

#include "files/fd_io.hpp"

namespace berth::content {
namespace {

// `pieces` without its first `skip` bytes.
std::vector<std::string_view> drop_prefix(const std::vector<std::string_view>& pieces, std::size_t skip) {
  std::vector<std::string_view> rest;
  for (std::string_view p : pieces) {
    if (skip >= p.size()) {
      skip -= p.size();
      continue;
    }
    rest.push_back(p.substr(skip));
    skip = 0;
  }
  return rest;
}

}  // namespace

std::unique_ptr<WriteBehind> WriteBehind::start() {
  std::unique_ptr<WriteBehind> worker(new WriteBehind());
  try {
    worker->thread_ = std::thread([w = worker.get()] { w->run(); });
  } catch (const std::system_error&) {
    return nullptr;
  }
  return worker;
}

WriteBehind::~WriteBehind() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void WriteBehind::submit(Write w) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(w));
  }
  work_cv_.notify_one();
}

std::size_t WriteBehind::pending() {
  std::lock_guard lock(mu_);
  return queue_.size() + in_progress_;
}

bool WriteBehind::failed() {
  std::lock_guard lock(mu_);
  return !outcome_.status.ok();
}

WriteBehind::Outcome WriteBehind::drain() {
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return queue_.empty() && in_progress_ == 0; });
  return std::exchange(outcome_, Outcome{});
}

void WriteBehind::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    // Stops only once the queue is empty: a queued write was accepted.
    work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;
    // Everything queued that continues the first write goes in one call.
    std::vector<Write> batch;
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
    while (!queue_.empty() && queue_.front().direct_fd == batch.back().direct_fd &&
           queue_.front().at == batch.back().at + static_cast<int64_t>(batch.back().chunk->size)) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    in_progress_ = batch.size();
    const bool failed = !outcome_.status.ok();
    const bool refused = outcome_.direct_refused;
    lock.unlock();
    // After a failure nothing more is written: the file must stay a prefix
    // of what the writer sent.
    Outcome result;
    if (!failed) result = write_now(batch, refused);
    if (result.status.ok() && !failed)
      result.status = flush_as_due(batch.front().cached_fd, batch.front().path, result);
    batch.clear();  // lets go of the chunks before the writer hears it is done
    lock.lock();
    if (outcome_.status.ok()) outcome_.status = std::move(result.status);
    outcome_.direct_refused = outcome_.direct_refused || result.direct_refused;
    in_progress_ = 0;
    done_cv_.notify_all();
  }
}

Status WriteBehind::flush_as_due(int fd, const std::filesystem::path& path, const Outcome& result) {
  if (fd != unflushed_fd_) {
    // Another writer's file (workers are lent to one writer at a time). A
    // new file under a number just closed keeps the count: one flush comes
    // early, nothing worse.
    unflushed_fd_ = fd;
    unflushed_ = 0;
  }
  unflushed_ += result.written;
  if (unflushed_ < kFlushEvery) return {};
  unflushed_ = 0;
  // The plain descriptor is always open; it flushes the whole file, what
  // went through O_DIRECT and what went through the page cache.
  if (::fdatasync(fd) != 0) return errno_status("flush " + path.string(), errno);
  return {};
}

WriteBehind::Outcome WriteBehind::write_now(std::span<const Write> batch, bool refused) {
  std::vector<std::string_view> pieces;
  for (const Write& w : batch) {
    const auto more = w.chunk->pieces();
    pieces.insert(pieces.end(), more.begin(), more.end());
  }
  const Write& first = batch.front();
  Outcome out;
  if (refused) {
    out.status = files::pwritev_all(first.cached_fd, pieces, first.at, first.path, &out.written);
    out.direct_refused = true;
    return out;
  }
  out.status = files::pwritev_all(first.direct_fd, pieces, first.at, first.path, &out.written);
  if (out.status.ok() || out.status.code() != Code::kInvalidArgument) return out;
  // Refused (EINVAL: the file system or device wants another alignment) or
  // cut short off a block boundary: keep what reached the file up to a block
  // and write the rest through the page cache.
  const std::size_t kept = out.written - out.written % StagingBuffer::kAlign;
  std::size_t rest = 0;
  out.status = files::pwritev_all(first.cached_fd, drop_prefix(pieces, kept),
                                  first.at + static_cast<int64_t>(kept), first.path, &rest);
  out.written = kept + rest;
  out.direct_refused = true;
  return out;
}

std::shared_ptr<WriteBehindPool> make_write_behind_pool(std::size_t max_threads) {
  return WriteBehindPool::create(max_threads, [] { return WriteBehind::start(); });
}

}  // namespace berth::content

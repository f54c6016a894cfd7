#include "growing_blob.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace berth::transfer {

void GrowingBlob::start(std::unique_ptr<ContentReader> ingest) {
  {
    std::lock_guard lock(mu_);
    ingest_ = std::move(ingest);
  }
  cv_.notify_all();
}

void GrowingBlob::advance(int64_t written) {
  {
    std::lock_guard lock(mu_);
    written_ = written;
  }
  cv_.notify_all();
}

void GrowingBlob::restart() {
  {
    std::lock_guard lock(mu_);
    written_ = 0;
    // A reader that has consumed nothing yet can simply go on.
    if (pos_ > 0) restarted_ = true;
  }
  cv_.notify_all();
}

void GrowingBlob::verified() {
  {
    std::lock_guard lock(mu_);
    verified_ = true;
  }
  cv_.notify_all();
}

void GrowingBlob::finish(Status status) {
  {
    std::lock_guard lock(mu_);
    if (done_) return;
    done_ = true;
    if (status.ok()) verified_ = true;
    final_ = std::move(status);
  }
  cv_.notify_all();
}

Status GrowingBlob::wait_until(std::unique_lock<std::mutex>& lock, const std::function<bool()>& done) {
  while (!done()) {
    cv_.wait_for(lock, std::chrono::milliseconds(100));
    if (done()) break;
    if (cancelled_) {
      lock.unlock();
      Status st = cancelled_();
      lock.lock();
      if (!st.ok()) return st;
    }
  }
  return {};
}

GrowingBlob::Ready GrowingBlob::wait_ready() {
  std::unique_lock lock(mu_);
  if (!wait_until(lock, [&] { return done_ || ingest_ != nullptr; }).ok()) return Ready::kFailed;
  if (done_) return final_.ok() ? Ready::kCommitted : Ready::kFailed;
  return Ready::kStream;
}

Status GrowingBlob::wait_verified() {
  std::unique_lock lock(mu_);
  BERTH_RETURN_IF_ERROR(wait_until(lock, [&] { return verified_ || done_; }));
  return verified_ ? Status() : final_;
}

Status GrowingBlob::wait() {
  std::unique_lock lock(mu_);
  BERTH_RETURN_IF_ERROR(wait_until(lock, [&] { return done_; }));
  return final_;
}

Result<std::size_t> GrowingBlob::read(char* buf, std::size_t len) {
  std::unique_lock lock(mu_);
  BERTH_RETURN_IF_ERROR(
      wait_until(lock, [&] { return restarted_ || written_ > pos_ || verified_ || done_; }));
  if (restarted_) return aborted("the download started over");
  if (written_ > pos_ && ingest_) {
    const auto n = static_cast<std::size_t>(std::min<int64_t>(written_ - pos_, static_cast<int64_t>(len)));
    const int64_t at = pos_;
    ContentReader* ingest = ingest_.get();
    lock.unlock();
    // Only this thread moves pos_; the downloader only appends beyond it.
    auto got = ingest->read_at(at, buf, n);
    if (!got.ok()) return got.status();
    lock.lock();
    if (restarted_) return aborted("the download started over");
    pos_ += static_cast<int64_t>(*got);
    return *got;
  }
  if (done_ && !final_.ok()) return final_;
  return std::size_t{0};  // verified, and every byte read
}

}  // namespace berth::transfer

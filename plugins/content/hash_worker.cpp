#include "hash_worker.hpp"

#include <system_error>

namespace berth::content {

std::unique_ptr<HashWorker> HashWorker::start() {
  std::unique_ptr<HashWorker> worker(new HashWorker());
  try {
    worker->thread_ = std::thread([w = worker.get()] { w->run(); });
  } catch (const std::system_error&) {
    return nullptr;
  }
  return worker;
}

HashWorker::~HashWorker() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  job_cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void HashWorker::submit(digest::Sha256& hash, std::span<const std::string_view> pieces) {
  {
    std::lock_guard lock(mu_);
    hash_ = &hash;
    pieces_ = pieces;
    state_ = State::kPending;
  }
  job_cv_.notify_one();
}

Status HashWorker::wait() {
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return state_ == State::kDone; });
  state_ = State::kIdle;
  return std::move(result_);
}

void HashWorker::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    job_cv_.wait(lock, [&] { return stop_ || state_ == State::kPending; });
    if (stop_) return;
    digest::Sha256* hash = hash_;
    const std::span<const std::string_view> pieces = pieces_;
    lock.unlock();
    Status st;
    for (std::string_view piece : pieces) {
      st = hash->update(piece);
      if (!st.ok()) break;
    }
    lock.lock();
    result_ = std::move(st);
    state_ = State::kDone;
    done_cv_.notify_one();
  }
}

}  // namespace berth::content

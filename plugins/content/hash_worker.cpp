#include "hash_worker.hpp"

#include <system_error>
#include <utility>

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

void HashWorker::submit(digest::Sha256& hash, std::span<const std::string_view> pieces,
                        std::shared_ptr<const void> keep) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Job{&hash, {pieces.begin(), pieces.end()}, std::move(keep)});
  }
  job_cv_.notify_one();
}

std::size_t HashWorker::pending() {
  std::lock_guard lock(mu_);
  return queue_.size() + (busy_ ? 1 : 0);
}

bool HashWorker::failed() {
  std::lock_guard lock(mu_);
  return !result_.ok();
}

Status HashWorker::wait() {
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return queue_.empty() && !busy_; });
  return std::exchange(result_, Status());
}

void HashWorker::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    // Stops only once the queue is empty: a writer may be waiting on it.
    job_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    const bool failed = !result_.ok();
    lock.unlock();
    Status st;
    for (std::size_t i = 0; i < job.pieces.size() && st.ok() && !failed; ++i)
      st = job.hash->update(job.pieces[i]);
    job = Job{};  // lets go of the bytes before the writer hears it is done
    lock.lock();
    if (result_.ok()) result_ = std::move(st);
    busy_ = false;
    done_cv_.notify_all();
  }
}

}  // namespace berth::content

#include "scheduler.hpp"

#include <utility>

#include "berth/log.hpp"

namespace berth::gc_plugin {
namespace {

// next_ while a collection runs.
constexpr auto kRunning = std::chrono::steady_clock::time_point::max();

}  // namespace

Scheduler::Scheduler(std::shared_ptr<GarbageCollector> collector, SchedulerConfig config)
    : collector_(std::move(collector)), config_(config) {
  if (config_.startup_delay.count() > 0) next_ = Clock::now() + config_.startup_delay;
  collector_->on_mutation([this](bool deletion) { mutated(deletion); });
  thread_ = std::thread([this] { run(); });
}

Scheduler::~Scheduler() { (void)close(); }

Status Scheduler::close() {
  collector_->on_mutation(nullptr);
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return {};
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  for (auto& w : waiters_) w->done = true;  // with the Unavailable they started with
  waiters_.clear();
  finished_.notify_all();
  return {};
}

void Scheduler::schedule_within(Clock::duration delay) {
  const auto at = Clock::now() + delay;
  if (!next_ || *next_ > at) {
    next_ = at;
    wake_.notify_all();
  }
}

void Scheduler::mutated(bool deletion) {
  std::lock_guard lock(mu_);
  if (deletion) ++deletions_;
  ++mutations_;
  const bool deletions_due = config_.deletion_threshold > 0 && deletions_ >= config_.deletion_threshold;
  const bool idle_due =
      !next_ && ((config_.deletion_threshold == 0 && deletions_ > 0) ||
                 (config_.mutation_threshold > 0 && mutations_ >= config_.mutation_threshold));
  if (deletions_due || idle_due) schedule_within(config_.schedule_delay);
}

Result<GcResult> Scheduler::schedule_and_wait() {
  auto waiter = std::make_shared<Waiter>();
  std::unique_lock lock(mu_);
  if (stopping_) return unavailable("garbage collector stopped");
  waiters_.push_back(waiter);
  triggered_ = true;
  schedule_within(config_.schedule_delay);
  finished_.wait(lock, [&] { return waiter->done; });
  return waiter->result;
}

Result<GcResult> Scheduler::dry_run() { return collector_->collect(true); }

void Scheduler::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (!next_) {
      wake_.wait(lock);
      continue;
    }
    if (Clock::now() < *next_) {
      wake_.wait_until(lock, *next_);
      continue;
    }
    // Due. Nothing asked for and nothing changed enough: look again later.
    if (!triggered_ && collected_once_ && deletions_ == 0 &&
        (config_.mutation_threshold == 0 || mutations_ < config_.mutation_threshold)) {
      next_ = Clock::now() + interval_;
      continue;
    }
    // Waiters arriving from here on wait for the next collection: what they
    // deleted may be newer than this one's snapshot.
    auto waiters = std::move(waiters_);
    waiters_.clear();
    triggered_ = false;
    deletions_ = 0;
    mutations_ = 0;
    // Scheduled, as far as changes made meanwhile can tell: they count
    // towards the next one, and only a waiter brings it forward.
    next_ = kRunning;
    lock.unlock();
    auto result = collector_->collect(false);
    lock.lock();
    collected_once_ = true;
    ++figures_.runs;
    if (!result.ok()) ++figures_.failures;
    if (result.ok()) {
      figures_.last_seconds = static_cast<double>(result->duration_ns) / 1e9;
      figures_.last_pause_seconds = static_cast<double>(result->pause_ns) / 1e9;
      figures_.seconds += figures_.last_seconds;
      figures_.pause_seconds += figures_.last_pause_seconds;
      for (const auto& r : result->removed) ++figures_.removed[r.kind];
      gc_time_ += std::chrono::nanoseconds(result->duration_ns);
      ++collections_;
      if (config_.pause_threshold > 0.0) {
        // The average collection over the pause threshold, less itself: at
        // most pause_threshold of real time goes to collections.
        const double avg =
            std::chrono::duration<double>(gc_time_).count() / static_cast<double>(collections_);
        interval_ = std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(avg / config_.pause_threshold - avg));
      }
    } else {
      log::error("gc: collection failed: {}", result.status().to_string());
    }
    // A waiter that came meanwhile keeps its schedule; otherwise look again
    // after the interval (a second later after a failure).
    if (next_ == kRunning)
      next_ = Clock::now() + interval_ + (result.ok() ? Clock::duration{} : std::chrono::seconds(1));
    for (auto& w : waiters) {
      w->result = result;
      w->done = true;
    }
    finished_.notify_all();
  }
}

}  // namespace berth::gc_plugin

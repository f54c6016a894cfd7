// A mutex that hands itself to waiters in the order they came (a ticket
// lock). The metadata writer lock is one: the garbage collector sweeps in
// many short updates back to back, and with a plain std::mutex the thread
// that just unlocked usually takes it again at once, so an API call waiting
// to write could sit behind the whole sweep instead of one chunk of it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace berth::metadata {

class TicketMutex {
 public:
  void lock() {
    std::unique_lock l(mu_);
    const uint64_t mine = next_++;
    turn_.wait(l, [&] { return serving_ == mine; });
  }
  void unlock() {
    {
      std::lock_guard l(mu_);
      ++serving_;
    }
    // Writers are few (the API's calls, the collector): waking them all to
    // find the next ticket costs less than a queue of condition variables.
    turn_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable turn_;
  uint64_t next_ = 0;     // the ticket the next lock() takes
  uint64_t serving_ = 0;  // the ticket that holds the lock
};

}  // namespace berth::metadata

// The event exchange: one in-process hub where publishers (the record
// services, the runtime, clients through the Events API) drop events and
// every subscriber whose filter matches gets its own copy, in order.
//
// Publishing never waits for a subscriber: each has a bounded queue, and one
// that falls kQueueLimit events behind is cut off (its next() answers
// ResourceExhausted) rather than holding up the daemon or growing without
// bound.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "berth/events.hpp"
#include "berth/instance.hpp"

namespace berth::events_plugin {

class Exchange final : public Instance, public EventExchange, public std::enable_shared_from_this<Exchange> {
 public:
  static constexpr std::size_t kQueueLimit = 4096;

  Status publish(std::string_view ns, std::string_view topic, EventPayload event) override;
  Status forward(Envelope envelope) override;
  std::unique_ptr<Subscription> subscribe(Filter filter) override;
  // Wakes every subscriber with Unavailable; later publishes are dropped.
  Status close() override;

  // One subscriber's queue; shared by the exchange and the Subscription.
  struct Queue {
    Filter filter;
    std::mutex mu;
    std::condition_variable ready;
    std::deque<Envelope> events;
    bool overflowed = false;
    bool closed = false;
  };
  void unsubscribe(const Queue* queue);

 private:
  void deliver(const Envelope& envelope);

  std::mutex mu_;  // guards queues_ and closed_; taken before a queue's mutex
  std::vector<std::shared_ptr<Queue>> queues_;
  bool closed_ = false;
};

}  // namespace berth::events_plugin

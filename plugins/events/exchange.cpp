#include "exchange.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "clock/clock.hpp"

namespace berth::events_plugin {
namespace {

// containerd's checks on every envelope (events/exchange: validateEnvelope).
Status validate_envelope(const Envelope& envelope) {
  if (Status st = validate_identifier(envelope.ns); !st.ok())
    return st.with_context("event envelope has invalid namespace");
  BERTH_RETURN_IF_ERROR(validate_topic(envelope.topic));
  if (envelope.timestamp == 0) return invalid_argument("timestamp must be set on forwarded event");
  return {};
}

class QueueSubscription final : public Subscription {
 public:
  QueueSubscription(std::shared_ptr<Exchange> exchange, std::shared_ptr<Exchange::Queue> queue)
      : exchange_(std::move(exchange)), queue_(std::move(queue)) {}
  QueueSubscription(const QueueSubscription&) = delete;
  QueueSubscription& operator=(const QueueSubscription&) = delete;
  ~QueueSubscription() override { exchange_->unsubscribe(queue_.get()); }

  Result<std::optional<Envelope>> next(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(queue_->mu);
    queue_->ready.wait_for(
        lock, timeout, [this] { return !queue_->events.empty() || queue_->overflowed || queue_->closed; });
    if (queue_->overflowed)
      return resource_exhausted("event subscriber fell more than " + std::to_string(Exchange::kQueueLimit) +
                                " events behind and was dropped; subscribe again");
    if (!queue_->events.empty()) {
      Envelope out = std::move(queue_->events.front());
      queue_->events.pop_front();
      return std::optional<Envelope>(std::move(out));
    }
    if (queue_->closed) return unavailable("the event exchange is shutting down");
    return std::optional<Envelope>();
  }

 private:
  std::shared_ptr<Exchange> exchange_;
  std::shared_ptr<Exchange::Queue> queue_;
};

}  // namespace

Status Exchange::publish(std::string_view ns, std::string_view topic, EventPayload event) {
  Envelope envelope{.timestamp = clock::now_ns(),
                    .ns = std::string(ns),
                    .topic = std::string(topic),
                    .event = std::move(event)};
  BERTH_RETURN_IF_ERROR(validate_envelope(envelope));
  deliver(envelope);
  return {};
}

Status Exchange::forward(Envelope envelope) {
  BERTH_RETURN_IF_ERROR(validate_envelope(envelope));
  deliver(envelope);
  return {};
}

std::unique_ptr<Subscription> Exchange::subscribe(Filter filter) {
  auto queue = std::make_shared<Queue>();
  queue->filter = std::move(filter);
  {
    std::lock_guard lock(mu_);
    queue->closed = closed_;
    if (!closed_) queues_.push_back(queue);
  }
  return std::make_unique<QueueSubscription>(shared_from_this(), std::move(queue));
}

void Exchange::unsubscribe(const Queue* queue) {
  std::lock_guard lock(mu_);
  std::erase_if(queues_, [queue](const auto& q) { return q.get() == queue; });
}

void Exchange::deliver(const Envelope& envelope) {
  const FieldLookup lookup = [&envelope](const std::vector<std::string>& path) {
    return envelope_field(envelope, path);
  };
  std::lock_guard lock(mu_);
  if (closed_) return;
  for (const auto& queue : queues_) {
    if (!queue->filter.match(lookup)) continue;
    {
      std::lock_guard qlock(queue->mu);
      if (queue->overflowed) continue;
      if (queue->events.size() >= kQueueLimit) {
        // Dropping the backlog frees its memory now; the subscriber learns
        // of the gap on its next read instead of missing events silently.
        queue->events.clear();
        queue->overflowed = true;
      } else {
        queue->events.push_back(envelope);
      }
    }
    queue->ready.notify_one();
  }
}

Status Exchange::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  for (const auto& queue : queues_) {
    {
      std::lock_guard qlock(queue->mu);
      queue->closed = true;
    }
    queue->ready.notify_all();
  }
  queues_.clear();
  return {};
}

}  // namespace berth::events_plugin

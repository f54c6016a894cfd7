#include "announce.hpp"

#include <string>
#include <utility>

#include "berth/log.hpp"

namespace berth::metadata {

void announce(Transaction& tx, const std::shared_ptr<EventPublisher>& events, std::string_view ns,
              std::string_view topic, EventPayload event) {
  if (!events) return;
  tx.after_commit(
      [events, ns = std::string(ns), topic = std::string(topic), event = std::move(event)]() mutable {
        if (Status st = events->publish(ns, topic, std::move(event)); !st.ok())
          log::warn("metadata: publish {} in namespace {}: {}", topic, ns, st.message());
      });
}

}  // namespace berth::metadata

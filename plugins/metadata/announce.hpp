// Events from the record stores: published once the caller's transaction
// commits (Transaction::after_commit), never for a change that was
// discarded, and never holding up the writer lock.
#pragma once

#include <memory>
#include <string_view>

#include "berth/events.hpp"
#include "berth/metadata.hpp"

namespace berth::metadata {

// Publishes `event` on `topic` in namespace `ns` after `tx` commits; does
// nothing when `events` is null (no exchange loaded). A failed publish is
// logged: the change it announces is made.
void announce(Transaction& tx, const std::shared_ptr<EventPublisher>& events, std::string_view ns,
              std::string_view topic, EventPayload event);

}  // namespace berth::metadata

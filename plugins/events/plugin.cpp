// io.containerd.event.v1.exchange: the daemon's event exchange
// (berth/events.hpp). It needs nothing, so it comes up first and every
// publisher that requires the type finds it.
#include "berth/plugin.hpp"

#include <memory>

#include "berth/events.hpp"
#include "exchange.hpp"

namespace {

berth::InitResult init_exchange(berth::InitContext&) {
  return std::make_shared<berth::events_plugin::Exchange>();
}

}  // namespace

BERTH_PLUGINS(berth::PluginSpec{
    .type = std::string(berth::kEventPluginType), .id = "exchange", .init = init_exchange})

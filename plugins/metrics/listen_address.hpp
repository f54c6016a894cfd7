// [metrics] address as containerd takes it (Go's "host:port") turned into
// the listening_ports option of the exposer's civetweb server.
#pragma once

#include <string>
#include <string_view>

#include "berth/status.hpp"

namespace berth::metrics_plugin {

// "127.0.0.1:1338" -> "127.0.0.1:1338", "[::1]:1338" -> "[::1]:1338",
// ":1338" -> "1338" (every interface), "localhost:1338" -> "127.0.0.1:1338".
// InvalidArgument naming the problem for anything else: a missing or
// non-numeric port, a port outside 1..65535, a host that is not an IP
// literal (no name is resolved: the daemon binds before DNS may be up).
Result<std::string> civetweb_listening_port(std::string_view address);

}  // namespace berth::metrics_plugin

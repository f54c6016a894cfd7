#include "listen_address.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace berth::metrics_plugin {

Result<std::string> civetweb_listening_port(std::string_view address) {
  const auto bad = [&](std::string_view why) {
    return invalid_argument("[metrics] address \"" + std::string(address) + "\": " + std::string(why) +
                            " (expected IP:PORT, e.g. \"127.0.0.1:1338\")");
  };
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos) return bad("no port");
  const std::string_view host = address.substr(0, colon);
  const std::string_view port_text = address.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size())
    return bad("the port is not a number");
  if (port == 0 || port > 65535) return bad("the port is outside 1..65535");
  const std::string port_s(port_text);
  if (host.empty()) return port_s;
  if (host == "localhost") return "127.0.0.1:" + port_s;
  if (host.front() == '[') {
    if (host.back() != ']') return bad("an IPv6 host lacks its closing ']'");
    const std::string v6(host.substr(1, host.size() - 2));
    in6_addr a6{};
    if (::inet_pton(AF_INET6, v6.c_str(), &a6) != 1) return bad("not an IPv6 address: " + v6);
    return std::string(host) + ":" + port_s;
  }
  const std::string v4(host);
  in_addr a4{};
  if (::inet_pton(AF_INET, v4.c_str(), &a4) != 1) return bad("not an IP address: " + v4);
  return v4 + ":" + port_s;
}

}  // namespace berth::metrics_plugin

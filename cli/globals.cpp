#include "globals.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "client.hpp"

namespace berth::cli {

namespace {

const OptionSpec kAddress{
    'a', "address", "ADDR",
    "daemon socket, a path or unix://PATH (default: $BERTH_ADDRESS or /run/berth/berth.sock)"};
const OptionSpec kNamespace{'n', "namespace", "NS",
                            "namespace to work in (default: $BERTH_NAMESPACE or default)"};
const OptionSpec kFormat{'\0', "format", "FORMAT", "output format: table or json (default: table)"};
const OptionSpec kTimeout{'\0', "timeout", "SECONDS", "how long to wait for the connection (default: 10)"};
const OptionSpec kDebug{'\0', "debug", "",
                        "print each unary call to the daemon on stderr: when, what, how long"};
const OptionSpec kHelp{'h', "help", "", "show help"};

const OptionSpec* const kSpecs[] = {&kAddress, &kNamespace, &kFormat, &kTimeout, &kDebug, &kHelp};

std::string from_env(const char* name, std::string_view fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : std::string(fallback);
}

}  // namespace

std::span<const OptionSpec* const> global_option_specs() { return kSpecs; }

void merge_globals(const ParsedArgs& from, std::span<const OptionSpec* const> shadowed, ParsedArgs& into) {
  for (const OptionSpec* spec : kSpecs) {
    bool is_shadowed = std::any_of(shadowed.begin(), shadowed.end(),
                                   [&](const OptionSpec* own) { return own->long_name == spec->long_name; });
    if (is_shadowed) continue;
    if (auto value = from.value(spec->long_name)) into.set(spec->long_name, std::move(*value));
  }
}

std::string resolve_globals(const ParsedArgs& args, GlobalOptions& out) {
  std::string address = args.value("address").value_or(from_env("BERTH_ADDRESS", kDefaultAddress));
  std::optional<std::string> path = socket_path(address);
  if (!path) return fmt::format("address {:?} is not a unix socket path", address);
  out.socket_path = *path;

  out.ns = args.value("namespace").value_or(from_env("BERTH_NAMESPACE", kDefaultNamespace));
  if (out.ns.empty()) return "the namespace must not be empty";

  if (auto format = args.value("format")) {
    if (*format == "table") {
      out.format = Format::kTable;
    } else if (*format == "json") {
      out.format = Format::kJson;
    } else {
      return fmt::format("unknown format {:?} (table or json)", *format);
    }
  }

  if (auto timeout = args.value("timeout")) {
    double seconds = 0;
    const char* end = timeout->data() + timeout->size();
    auto [ptr, ec] = std::from_chars(timeout->data(), end, seconds);
    // Less than a millisecond would round to not waiting at all.
    if (ec != std::errc() || ptr != end || !(seconds >= 0.001 && seconds <= 86400)) {
      return fmt::format("--timeout wants seconds from 0.001 to 86400, not {:?}", *timeout);
    }
    out.connect_timeout = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  }
  out.debug = args.has("debug");
  return {};
}

}  // namespace berth::cli

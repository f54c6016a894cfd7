#include "hello_config.hpp"

#include <string_view>

#include "berth/config.hpp"

namespace hello {
namespace {

constexpr std::string_view kGreeting = "greeting";
constexpr std::string_view kRepeat = "repeat";

}  // namespace

// HelloConfig's member defaults must match these. They apply only to a key missing
// from the effective config, which the host's overlay onto this text rules out.
const char* const kDefaultConfig =
    "greeting = \"hello\"\n"
    "repeat = 1\n";

berth::Result<HelloConfig> parse_config(const toml::table& table) {
  const HelloConfig defaults;
  auto greeting = berth::config_value<std::string>(table, kGreeting, defaults.greeting);
  if (!greeting.ok()) return greeting.status();
  if (greeting->empty()) return berth::invalid_argument("config key 'greeting' must not be empty");

  auto repeat = berth::config_value<int64_t>(table, kRepeat, defaults.repeat);
  if (!repeat.ok()) return repeat.status();
  if (*repeat < kMinRepeat || *repeat > kMaxRepeat) {
    return berth::invalid_argument("config key 'repeat' must be between " + std::to_string(kMinRepeat) +
                                   " and " + std::to_string(kMaxRepeat) + ", got " + std::to_string(*repeat));
  }
  return HelloConfig{.greeting = std::move(greeting).value(), .repeat = *repeat};
}

}  // namespace hello

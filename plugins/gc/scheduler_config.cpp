#include "scheduler_config.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <utility>

#include "berth/config.hpp"

namespace berth::gc_plugin {
namespace {

Status bad_duration(std::string_view text, std::string_view why) {
  return invalid_argument("invalid duration \"" + std::string(text) + "\": " + std::string(why));
}

// Nanoseconds per unit, or 0 for an unknown unit.
double unit_ns(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  if (unit == "m") return 60e9;
  if (unit == "h") return 3600e9;
  return 0;
}

Result<std::chrono::nanoseconds> duration_value(const toml::table& table, std::string_view key,
                                                std::chrono::nanoseconds fallback) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return fallback;
  auto text = node->value_exact<std::string>();
  if (!text)
    return invalid_argument("config key '" + std::string(key) +
                            "' must be a duration string such as \"100ms\"");
  auto d = parse_go_duration(*text);
  if (!d.ok()) return d.status().with_context("config key '" + std::string(key) + "'");
  return d;
}

}  // namespace

Result<std::chrono::nanoseconds> parse_go_duration(std::string_view text) {
  std::string_view s = text;
  if (s.empty()) return bad_duration(text, "empty");
  if (s.front() == '-') return bad_duration(text, "must not be negative");
  if (s.front() == '+') s.remove_prefix(1);
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return bad_duration(text, "no number");
  double total = 0;
  while (!s.empty()) {
    std::size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    const std::string number(s.substr(0, i));
    if (number.empty() || number == "." || std::count(number.begin(), number.end(), '.') > 1)
      return bad_duration(text, "expected a number");
    s.remove_prefix(i);
    std::size_t j = 0;
    while (j < s.size() && !std::isdigit(static_cast<unsigned char>(s[j])) && s[j] != '.') ++j;
    const double per = unit_ns(s.substr(0, j));
    if (per == 0)
      return bad_duration(text,
                          j == 0 ? "missing unit" : "unknown unit \"" + std::string(s.substr(0, j)) + "\"");
    s.remove_prefix(j);
    total += std::stod(number) * per;
  }
  if (total > 9.2e18) return bad_duration(text, "too long");
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(total)));
}

Result<SchedulerConfig> parse_scheduler_config(const toml::table& table) {
  SchedulerConfig c;
  auto pause = config_value<double>(table, "pause_threshold", c.pause_threshold);
  if (!pause.ok()) return pause.status();
  if (!(*pause >= 0.0 && *pause <= 0.5))
    return invalid_argument("config key 'pause_threshold' must be between 0 and 0.5, not " +
                            std::to_string(*pause));
  c.pause_threshold = *pause;
  for (auto [key, field] : {std::pair{"deletion_threshold", &c.deletion_threshold},
                            std::pair{"mutation_threshold", &c.mutation_threshold}}) {
    auto v = config_value<int64_t>(table, key, *field);
    if (!v.ok()) return v.status();
    if (*v < 0) return invalid_argument("config key '" + std::string(key) + "' must not be negative");
    *field = *v;
  }
  auto delay = duration_value(table, "schedule_delay", c.schedule_delay);
  if (!delay.ok()) return delay.status();
  c.schedule_delay = *delay;
  auto startup = duration_value(table, "startup_delay", c.startup_delay);
  if (!startup.ok()) return startup.status();
  c.startup_delay = *startup;
  return c;
}

}  // namespace berth::gc_plugin

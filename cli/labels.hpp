// Helpers shared by the content and leases commands: KEY=VALUE labels and
// timestamps, printed the way ctr prints them.
#pragma once

#include <fmt/format.h>
#include <google/protobuf/map.h>
#include <google/protobuf/timestamp.pb.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clock/clock.hpp"

namespace berth::cli {

// A lease with this label (an RFC 3339 time) is collected once it has passed.
inline constexpr std::string_view kLeaseExpireLabel = "containerd.io/gc.expire";

// KEY=VALUE arguments as ctr reads them: a bare KEY means KEY=true, and an
// empty value is kept (for `label`, that removes the label).
inline bool parse_label_args(std::span<const std::string> args, std::map<std::string, std::string>& labels,
                             std::string& error) {
  for (const std::string& arg : args) {
    auto eq = arg.find('=');
    std::string key = arg.substr(0, eq);
    if (key.empty()) {
      error = fmt::format("label {:?} has no key (want KEY=VALUE)", arg);
      return false;
    }
    labels[key] = eq == std::string::npos ? "true" : arg.substr(eq + 1);
  }
  return true;
}

inline std::string join_label_map(const google::protobuf::Map<std::string, std::string>& labels) {
  std::vector<std::string> pairs;
  for (const auto& [key, value] : labels) pairs.push_back(fmt::format("{}={}", key, value));
  std::sort(pairs.begin(), pairs.end());
  return pairs.empty() ? "-" : fmt::format("{}", fmt::join(pairs, ","));
}

inline std::map<std::string, std::string> label_map(
    const google::protobuf::Map<std::string, std::string>& labels) {
  return {labels.begin(), labels.end()};
}

// RFC 3339 in UTC, seconds precision: "2024-05-01T12:00:00Z".
inline std::string rfc3339(std::chrono::system_clock::time_point tp) { return clock::rfc3339(tp); }

inline std::chrono::system_clock::time_point to_time_point(const google::protobuf::Timestamp& ts) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::seconds(ts.seconds()) +
                                                                      std::chrono::nanoseconds(ts.nanos())));
}

inline std::string rfc3339(const google::protobuf::Timestamp& ts) { return rfc3339(to_time_point(ts)); }

// Docker's units.HumanDuration, which ctr uses for AGE: "About a minute", "3 hours".
inline std::string human_duration(std::chrono::system_clock::duration d) {
  using namespace std::chrono;
  long long s = duration_cast<seconds>(d).count();
  if (s < 1) return "Less than a second";
  if (s == 1) return "1 second";
  if (s < 60) return fmt::format("{} seconds", s);
  long long m = s / 60;
  if (m == 1) return "About a minute";
  if (m < 60) return fmt::format("{} minutes", m);
  long long h = (s + 1800) / 3600;
  if (h == 1) return "About an hour";
  if (h < 48) return fmt::format("{} hours", h);
  if (h < 24 * 7 * 2) return fmt::format("{} days", h / 24);
  if (h < 24 * 30 * 2) return fmt::format("{} weeks", h / 24 / 7);
  if (h < 24 * 365 * 2) return fmt::format("{} months", h / 24 / 30);
  return fmt::format("{} years", h / 24 / 365);
}

}  // namespace berth::cli

// Wall-clock time as containerd stores it: nanoseconds since the epoch.
#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::clock {

// CLOCK_REALTIME now, in nanoseconds since the epoch.
int64_t now_ns();
// A timespec (st_mtim, say) in nanoseconds since the epoch.
int64_t to_ns(const struct timespec& ts);
// RFC 3339 in UTC, seconds precision: "2024-05-01T12:00:00Z" (what
// containerd.io/gc.expire holds).
std::string rfc3339(std::chrono::system_clock::time_point tp);
// Parses RFC 3339 as Go's time.RFC3339 reads it ("2024-05-01T12:00:00Z",
// fractional seconds and a "+02:00" offset allowed) into nanoseconds since
// the epoch; nullopt for anything else.
std::optional<int64_t> parse_rfc3339(std::string_view text);

}  // namespace berth::clock

// Wall-clock time as containerd stores it: nanoseconds since the epoch.
#pragma once

#include <time.h>

#include <cstdint>

namespace berth::clock {

// CLOCK_REALTIME now, in nanoseconds since the epoch.
int64_t now_ns();
// A timespec (st_mtim, say) in nanoseconds since the epoch.
int64_t to_ns(const struct timespec& ts);

}  // namespace berth::clock

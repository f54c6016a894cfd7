// berth::log's sink for the shim: lines on stderr, which serving mode points
// at the bundle's `log` fifo (containerd reads it into its own log). Here
// instead of libberth-sdk's spdlog bridge, which the shim does not load.
#include "berth/log.hpp"

#include <time.h>
#include <unistd.h>

#include <string>

namespace berth::log {

namespace {
bool g_debug = false;
}

void set_debug(bool on) { g_debug = on; }

bool enabled(Level level) { return g_debug || level >= Level::kInfo; }

void write(Level level, std::string_view message) {
  static constexpr const char* kNames[] = {"trace", "debug", "info", "warning", "error"};
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  tm utc{};
  ::gmtime_r(&now.tv_sec, &utc);
  char stamp[32];
  ::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
  std::string line = std::string("time=\"") + stamp + "\" level=" + kNames[static_cast<int>(level)] +
                     " msg=\"" + std::string(message) + "\" runtime=io.containerd.berth.v2\n";
  // Best effort: a full or absent log must never stop the shim.
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace berth::log

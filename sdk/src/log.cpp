#include "berth/log.hpp"

#include <spdlog/spdlog.h>

namespace berth::log {
namespace {
spdlog::level::level_enum to_spd(Level level) {
  switch (level) {
    case Level::kTrace:
      return spdlog::level::trace;
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarn:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}
}  // namespace

// The daemon installs its logger as spdlog's default; this library and the
// daemon share libspdlog.so, so plugins write through it.
void write(Level level, std::string_view message) { spdlog::log(to_spd(level), "{}", message); }
bool enabled(Level level) { return spdlog::should_log(to_spd(level)); }

}  // namespace berth::log

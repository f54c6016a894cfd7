// The io.containerd.gc.v1.scheduler plugin's configuration: containerd's keys
// and defaults, each value checked.
#pragma once

#include <toml++/toml.h>

#include <chrono>
#include <cstdint>
#include <string_view>

#include "berth/status.hpp"

namespace berth::gc_plugin {

inline constexpr const char* kDefaultConfig =
    "# At most this fraction of real time is spent collecting (0 .. 0.5): the\n"
    "# next collection waits at least the average collection time / pause_threshold.\n"
    "pause_threshold = 0.02\n"
    "# Collect as soon as this many deletions happened (0: any deletion\n"
    "# schedules a collection when none is scheduled).\n"
    "deletion_threshold = 0\n"
    "# Collect at the next scheduled time once this many changes happened (0: never for changes alone).\n"
    "mutation_threshold = 100\n"
    "# How long after being triggered a collection starts (Go duration: \"0\", \"10ms\", \"1s\").\n"
    "schedule_delay = \"0s\"\n"
    "# The first collection, this long after start.\n"
    "startup_delay = \"100ms\"\n";

struct SchedulerConfig {
  double pause_threshold = 0.02;
  int64_t deletion_threshold = 0;
  int64_t mutation_threshold = 100;
  std::chrono::nanoseconds schedule_delay{0};
  std::chrono::nanoseconds startup_delay{std::chrono::milliseconds(100)};
};

// InvalidArgument naming the key for a value of the wrong type or out of range.
Result<SchedulerConfig> parse_scheduler_config(const toml::table& table);

// A Go duration ("300ms", "1.5h", "2h45m", "0"), as containerd's config reads
// them; InvalidArgument for anything else. Negative ones are refused.
Result<std::chrono::nanoseconds> parse_go_duration(std::string_view text);

}  // namespace berth::gc_plugin

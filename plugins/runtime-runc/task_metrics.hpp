// A task's cgroup statistics, as the shim's Stats gives them to Tasks.Metrics
// (an io.containerd.cgroups.v1.Metrics or .v2.Metrics), turned into metric
// families under the names containerd's cgroups collector gives them
// (container_cpu_total_nanoseconds, container_memory_usage_usage_bytes, ...;
// v2: container_cpu_usage_usec, container_memory_usage_bytes, ...), each
// sample labelled container_id and namespace. As in containerd, every
// figure is a gauge: they are the cgroup's readings, reset when the task is.
#pragma once

#include <string_view>
#include <vector>

#include "berth/any_value.hpp"
#include "berth/metrics.hpp"
#include "berth/status.hpp"

namespace berth::runtime_runc {

// Appends the figures of task `ns`/`id` to `out`, one family per figure
// (families of one name from several tasks are merged by the metrics
// plugin). InvalidArgument when `stats` is of another type or does not parse.
Status append_task_metrics(const AnyValue& stats, std::string_view ns, std::string_view id,
                           std::vector<metrics::Family>& out);

}  // namespace berth::runtime_runc

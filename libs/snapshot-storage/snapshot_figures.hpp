// A snapshotter's figures for the metrics endpoint, the same for every
// snapshotter: how many snapshots of each kind it holds and the disk they
// use (Snapshotter::usage: a committed snapshot's recorded size, an active
// one's measured now).
#pragma once

#include <string_view>
#include <vector>

#include "berth/metrics.hpp"
#include "berth/snapshotter.hpp"

namespace berth::snapshot {

// berth_snapshots{snapshotter,kind}, berth_snapshot_usage_bytes{snapshotter}
// and berth_snapshot_usage_inodes{snapshotter}, `name` being the
// snapshotter's id ("overlayfs"). A snapshot removed during the walk is
// skipped.
std::vector<metrics::Family> snapshot_figures(Snapshotter& snapshotter, std::string_view name);

}  // namespace berth::snapshot

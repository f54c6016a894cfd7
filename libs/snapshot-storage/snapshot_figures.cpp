#include "snapshot-storage/snapshot_figures.hpp"

#include <map>
#include <string>

namespace berth::snapshot {

std::vector<metrics::Family> snapshot_figures(Snapshotter& snapshotter, std::string_view name) {
  std::vector<std::string> keys;
  std::map<SnapshotKind, std::size_t> kinds{
      {SnapshotKind::kView, 0}, {SnapshotKind::kActive, 0}, {SnapshotKind::kCommitted, 0}};
  Status walked = snapshotter.walk({}, [&](const SnapshotInfo& info) {
    ++kinds[info.kind];
    keys.push_back(info.name);
    return true;
  });
  if (!walked.ok()) return {};
  SnapshotUsage total;
  for (const auto& key : keys) {
    auto u = snapshotter.usage(key);
    if (!u.ok()) continue;
    total.size += u->size;
    total.inodes += u->inodes;
  }
  const std::string id(name);
  metrics::Family count{.name = "berth_snapshots",
                        .help = "Snapshots the snapshotter holds, by kind",
                        .kind = metrics::Kind::kGauge,
                        .samples = {}};
  for (const auto& [kind, n] : kinds) {
    count.samples.push_back({.labels = {{"snapshotter", id}, {"kind", std::string(snapshot_kind_name(kind))}},
                             .value = static_cast<double>(n)});
  }
  return {std::move(count),
          {.name = "berth_snapshot_usage_bytes",
           .help = "Disk used by the snapshotter's snapshots, each counted alone (not its parents)",
           .kind = metrics::Kind::kGauge,
           .samples = {{.labels = {{"snapshotter", id}}, .value = static_cast<double>(total.size)}}},
          {.name = "berth_snapshot_usage_inodes",
           .help = "Inodes used by the snapshotter's snapshots, each counted alone (not its parents)",
           .kind = metrics::Kind::kGauge,
           .samples = {{.labels = {{"snapshotter", id}}, .value = static_cast<double>(total.inodes)}}}};
}

}  // namespace berth::snapshot

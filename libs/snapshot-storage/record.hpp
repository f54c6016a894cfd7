// The records one snapshotter keeps of its snapshots.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "berth/snapshotter.hpp"

namespace berth::snapshot {

// Names the snapshot's directory (<root>/snapshots/<id>): a small number
// keeps the overlay lowerdir lists of deep images short.
using SnapshotId = uint64_t;

struct Record {
  SnapshotId id = 0;
  SnapshotInfo info;
  SnapshotUsage usage;  // of a committed snapshot: what it used at commit
};

// Everything metadata.json holds.
struct State {
  SnapshotId next_id = 1;
  std::map<std::string, Record, std::less<>> records;  // by key
};

}  // namespace berth::snapshot

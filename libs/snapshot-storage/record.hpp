// The records one snapshotter keeps of its snapshots.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

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

// One change to a State, as one journal line: records removed by key, then
// records put (replacing any of the same key), and next_id raised to at
// least `next_id`. A commit is one change (its active key removed, the
// committed name put), so a crash never leaves half of it. Applying a change
// twice gives what applying it once does, so replaying a journal over a
// record file that already holds some of its changes is safe.
struct Change {
  std::vector<std::string> removed;
  std::vector<Record> put;
  SnapshotId next_id = 0;
};

void apply(State& state, Change change);

}  // namespace berth::snapshot

// A namespace's snapshot records for one snapshotter, in the metadata
// database (keys.hpp, snapshots/<snapshotter>): each client key with its
// backend key, kind, parent, times, labels and children, and the sequence
// that makes backend keys unique.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/metadata.hpp"
#include "berth/snapshotter.hpp"
#include "berth/status.hpp"

namespace berth::metadata {

// `snapshot "<key>"`, for messages.
std::string quote_snapshot(std::string_view key);
// InvalidArgument naming `what` for an empty key, or one holding NUL (it
// ends key components).
Status check_snapshot_key(std::string_view what, std::string_view key);

struct SnapshotRecord {
  SnapshotInfo info;
  std::string backend_key;
  std::vector<std::string> children;
};

// The record of `key` under snapshotter `sn` in namespace `ns`, nullopt if
// there is none.
Result<std::optional<SnapshotRecord>> read_snapshot(Transaction& tx, std::string_view ns, std::string_view sn,
                                                    std::string_view key);
// Every snapshot under snapshotter `sn` in namespace `ns`, in key order.
Result<std::vector<SnapshotInfo>> list_snapshots(Transaction& tx, std::string_view ns, std::string_view sn);

// Writes the record of `info` (its name is the key) with its backend key.
Status put_snapshot(Transaction& tx, std::string_view ns, std::string_view sn, const SnapshotInfo& info,
                    std::string_view backend_key);
// Replaces the labels of `key` (empty values dropped) and sets its updated_at.
Status put_snapshot_labels(Transaction& tx, std::string_view ns, std::string_view sn, std::string_view key,
                           const Labels& labels, TimestampNs updated_at);
// Deletes the record of `key`, labels and children list included.
Status delete_snapshot(Transaction& tx, std::string_view ns, std::string_view sn, std::string_view key);
// Notes `child` in (or removes it from) the children of `parent`.
Status add_child(Transaction& tx, std::string_view ns, std::string_view sn, std::string_view parent,
                 std::string_view child);
Status remove_child(Transaction& tx, std::string_view ns, std::string_view sn, std::string_view parent,
                    std::string_view child);

// The next number of the snapshot sequence, shared by every namespace and
// snapshotter, within the caller's transaction.
Result<uint64_t> next_snapshot_sequence(Transaction& tx);

}  // namespace berth::metadata

// metadata.json: the State of a snapshotter as JSON.
//
//   {"version": 1, "next_id": 4, "snapshots": {"<key>": {"id": 3,
//    "kind": "committed", "parent": "<key>", "labels": {...},
//    "created_at": ns, "updated_at": ns, "size": bytes, "inodes": n}}}
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "snapshot-storage/record.hpp"

namespace berth::snapshot {

std::string encode_state(const State& state);
// DataLoss naming `path` when the text is not a State this code wrote.
Result<State> decode_state(std::string_view text, const std::filesystem::path& path);

}  // namespace berth::snapshot

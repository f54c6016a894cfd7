// metadata.json: the State of a snapshotter as JSON.
//
//   {"version": 1, "next_id": 4, "snapshots": {"<key>": {"id": 3,
//    "kind": "committed", "parent": "<key>", "labels": {...},
//    "created_at": ns, "updated_at": ns, "size": bytes, "inodes": n}}}
//
// metadata.journal: the changes since metadata.json was written, one per line.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "snapshot-storage/record.hpp"

namespace berth::snapshot {

std::string encode_state(const State& state);
// DataLoss naming `path` when the text is not a State this code wrote.
Result<State> decode_state(std::string_view text, const std::filesystem::path& path);

// A Change as one line of JSON (no newline):
//   {"v": 1, "removed": ["<key>"], "put": {"<key>": {<as in snapshots>}}, "next_id": 5}
std::string encode_change(const Change& change);
// DataLoss naming `path` and the line number when the line is not one
// encode_change wrote.
Result<Change> decode_change(std::string_view line, const std::filesystem::path& path, std::size_t line_no);

}  // namespace berth::snapshot

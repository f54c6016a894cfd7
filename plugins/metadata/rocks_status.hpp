// RocksDB's status codes mapped onto berth::Status, so callers can tell a
// lock held by another process or a full disk from corruption.
#pragma once

#include <rocksdb/status.h>

#include <string_view>

#include "berth/status.hpp"

namespace berth::metadata {

// `what` names the operation and the database ("open /var/lib/.../meta.db").
// OK maps to OK.
Status from_rocks(const rocksdb::Status& s, std::string_view what);

}  // namespace berth::metadata

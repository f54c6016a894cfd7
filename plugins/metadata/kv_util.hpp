// Small helpers over berth::Transaction shared by the stores in this plugin.
#pragma once

#include <string_view>

#include "berth/metadata.hpp"

namespace berth::metadata {

// Deletes every key starting with `prefix`, in the caller's transaction.
inline Status delete_prefix(Transaction& tx, std::string_view prefix) {
  Status failed;
  BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view key, std::string_view) {
    failed = tx.del(key);
    return failed.ok();
  }));
  return failed;
}

// Whether any key starts with `prefix`; costs one seek.
inline Result<bool> has_any(Transaction& tx, std::string_view prefix) {
  bool any = false;
  BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view, std::string_view) {
    any = true;
    return false;
  }));
  return any;
}

}  // namespace berth::metadata

#include "rocks_status.hpp"

#include <string>

namespace berth::metadata {
namespace {

bool is_lock_error(const rocksdb::Status& s) {
  // RocksDB reports a held LOCK file as a plain IOError; its text is the only
  // way to tell it apart ("While lock file: .../LOCK: Resource temporarily
  // unavailable", or "lock hold by current process" within one process).
  const std::string text = s.ToString();
  return s.IsIOError() && (text.find("/LOCK:") != std::string::npos ||
                           text.find("lock hold by current process") != std::string::npos);
}

}  // namespace

Status from_rocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return {};
  std::string msg = std::string(what) + ": ";
  if (is_lock_error(s)) {
    return unavailable(msg +
                       "database is locked: another process holds it, or it is already open in this one (" +
                       s.ToString() + ")");
  }
  msg += s.ToString();
  if (s.IsNotFound()) return not_found(std::move(msg));
  if (s.IsCorruption()) return data_loss(std::move(msg));
  if (s.IsNoSpace() || s.IsMemoryLimit()) return {Code::kResourceExhausted, std::move(msg)};
  if (s.IsInvalidArgument()) return invalid_argument(std::move(msg));
  if (s.IsNotSupported()) return unimplemented(std::move(msg));
  if (s.IsBusy() || s.IsTryAgain() || s.IsTimedOut() || s.IsIncomplete()) return unavailable(std::move(msg));
  if (s.IsAborted()) return aborted(std::move(msg));
  return internal(std::move(msg));
}

}  // namespace berth::metadata

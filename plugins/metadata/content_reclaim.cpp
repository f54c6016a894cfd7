#include "content_reclaim.hpp"

#include <string>

#include "blob_records.hpp"

namespace berth::metadata {

Status ContentReclaimer::remove(std::string_view ns, std::string_view digest) {
  std::lock_guard lock(mu_);
  bool last = false;
  BERTH_RETURN_IF_ERROR(md_.update([&](Transaction& tx) {
    auto held = has_blob(tx, ns, digest);
    if (!held.ok()) return held.status();
    if (!*held) return not_found_digest(digest);
    BERTH_RETURN_IF_ERROR(delete_blob(tx, ns, digest));
    auto elsewhere = held_elsewhere(tx, ns, digest);
    if (!elsewhere.ok()) return elsewhere.status();
    last = !*elsewhere;
    return Status();
  }));
  if (!last) return {};
  // A crash right here leaves an unreferenced blob, which the garbage
  // collector will remove once there is one.
  Status st = backend_.remove(digest);
  if (!st.ok() && st.code() != Code::kNotFound)
    return st.with_context("remove content " + std::string(digest));
  return {};
}

}  // namespace berth::metadata

// What stops a runaway apply: the bounds on what one apply may write (the
// walking differ's config keys max_apply_bytes and max_apply_entries) and
// the caller's cancellation.
#pragma once

#include <cstdint>
#include <string_view>

#include "berth/diff.hpp"
#include "berth/status.hpp"
#include "decompress.hpp"

namespace berth::diff {

// ResourceExhausted saying which bound `what` went over, naming the config
// key and its value so an operator knows what to raise.
Status over_limit(std::string_view key, int64_t limit, std::string_view what);

// Passes the uncompressed tar through, and before handing out each chunk
// asks `cancelled` and counts the bytes against `max_bytes`. Every byte the
// tar reader sees comes through here (file bodies, headers, data it skips,
// padding after the end), so a gzip bomb and an abandoned call both stop
// within one chunk whatever the layer holds.
class BoundedStream final : public ChunkStream {
 public:
  // `max_bytes` 0: no bound. `inner` and `cancelled` outlive this object.
  BoundedStream(ChunkStream& inner, int64_t max_bytes, const CancelCheck& cancelled)
      : inner_(inner), max_bytes_(max_bytes), cancelled_(cancelled) {}

  // The next chunk; over_limit("max_apply_bytes") for a chunk that would go
  // over the bound, or the CancelCheck's status once that is not OK.
  Result<std::string_view> next() override;

 private:
  ChunkStream& inner_;
  const int64_t max_bytes_;
  const CancelCheck& cancelled_;
  int64_t bytes_ = 0;
};

}  // namespace berth::diff

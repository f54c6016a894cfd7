// What the transfer plugin has moved since the daemon started, for the
// metrics endpoint: bytes received from registries (every byte of every
// blob fetch, retries included: what crossed the network) and blob bytes
// sent to them (blobs a registry already had, or mounted, send none).
#pragma once

#include <atomic>
#include <cstdint>

namespace berth::transfer {

struct TransferFigures {
  std::atomic<uint64_t> pulled_bytes{0};
  std::atomic<uint64_t> pushed_bytes{0};
  std::atomic<uint64_t> pulls{0};   // pulls finished, successful or not
  std::atomic<uint64_t> pushes{0};  // pushes finished, successful or not
};

}  // namespace berth::transfer

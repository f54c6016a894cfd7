// What the transfer plugin has moved since the daemon started, for the
// metrics endpoint: bytes pulls received from registries (manifests,
// configs and layers, retries included: what crossed the network; counted
// by HostClients) and blob bytes pushes sent (blobs a registry already had,
// or mounted, send none).
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

#include "transfer_lease.hpp"

#include <chrono>
#include <random>

#include "clock/clock.hpp"

namespace berth::transfer {
namespace {

constexpr std::string_view kExpireLabel = "containerd.io/gc.expire";
// A transfer's own lease outlives a killed daemon by this much: long enough
// for the next try to resume, short enough for the collector to reclaim it.
constexpr auto kLeaseLifetime = std::chrono::hours(24);

}  // namespace

Result<TransferLease> TransferLease::create(Metadata& metadata, LeaseStore& leases, std::string_view prefix,
                                            const std::string& ns) {
  std::random_device rd;
  Lease lease{.id = std::string(prefix) + "-" + std::to_string(clock::now_ns()) + "-" + std::to_string(rd())};
  lease.labels[std::string(kExpireLabel)] = clock::rfc3339(std::chrono::system_clock::now() + kLeaseLifetime);
  BERTH_RETURN_IF_ERROR(
      metadata.update([&](Transaction& tx) { return leases.create(tx, ns, lease).status(); }));
  return TransferLease(lease.id);
}

Status TransferLease::remove(Metadata& metadata, LeaseStore& leases, const std::string& ns) const {
  return metadata.update([&](Transaction& tx) { return leases.remove(tx, ns, id_); });
}

std::function<Status(std::string_view key)> snapshot_holder(Metadata& metadata, LeaseStore& leases,
                                                            const ContentScope& scope,
                                                            const std::string& snapshotter) {
  if (!scope.lease) return {};
  return [&metadata, &leases, ns = scope.ns, lease = *scope.lease,
          type = "snapshots/" + snapshotter](std::string_view key) {
    const LeaseResource resource{std::string(key), type};
    return metadata.update([&](Transaction& tx) { return leases.add_resource(tx, ns, lease, resource); });
  };
}

}  // namespace berth::transfer

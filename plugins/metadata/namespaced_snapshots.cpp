#include "namespaced_snapshots.hpp"

#include <utility>

#include "namespaced_snapshotter.hpp"

namespace berth::metadata {

std::vector<std::string> MetadataSnapshots::names() const {
  std::vector<std::string> out;
  out.reserve(backends_.size());
  for (const auto& [name, _] : backends_) out.push_back(name);
  return out;
}

Result<std::unique_ptr<Snapshotter>> MetadataSnapshots::get(const ContentScope& scope,
                                                            std::string_view name) {
  // The namespace and the lease become key components: a '/' in the one or
  // a NUL in the other would address someone else's keys.
  BERTH_RETURN_IF_ERROR(validate_identifier(scope.ns).with_context("namespace"));
  if (scope.lease) BERTH_RETURN_IF_ERROR(validate_lease_id(*scope.lease));
  auto it = backends_.find(name);
  if (it == backends_.end()) {
    std::string have;
    for (const auto& [n, _] : backends_) have += (have.empty() ? "" : ", ") + n;
    return not_found("snapshotter " + std::string(name) +
                     " was not found (loaded: " + (have.empty() ? "none" : have) + ")");
  }
  return std::unique_ptr<Snapshotter>(
      std::make_unique<NamespacedSnapshotter>(*md_, leases_, scope, it->first, it->second, events_));
}

}  // namespace berth::metadata

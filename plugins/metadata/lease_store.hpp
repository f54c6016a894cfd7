// Leases with containerd's semantics and messages, stored through any
// berth::Transaction under the layout in keys.hpp. The instance of the
// io.containerd.service.v1 plugin "leases-service"; it holds no state, as
// every call runs in the caller's transaction. The content and snapshot
// records attach resources through their own KvLeaseStore, in the
// transaction that records them, as containerd's metadata package does.
#pragma once

#include <string_view>
#include <vector>

#include "berth/instance.hpp"
#include "berth/leases.hpp"
#include "berth/metadata.hpp"

namespace berth::metadata {

class KvLeaseStore final : public Instance, public LeaseStore {
 public:
  // InvalidArgument for a bad id (validate_lease_id) or label. Creates the
  // namespace too when nobody has yet, as containerd does.
  // Labels with an empty value are dropped, from the store and the result.
  Result<Lease> create(Transaction& tx, std::string_view ns, const Lease& lease) override;
  // NotFound `lease "x": not found` when absent.
  Status remove(Transaction& tx, std::string_view ns, std::string_view id) override;
  Result<Lease> get(Transaction& tx, std::string_view ns, std::string_view id) override;
  // InvalidArgument for a filter that does not parse. An unknown namespace
  // simply has no leases.
  Result<std::vector<Lease>> list(Transaction& tx, std::string_view ns,
                                  const std::vector<std::string>& filters) override;
  // The resource is checked before the lease is looked up, so a malformed
  // request is InvalidArgument whether or not the lease exists.
  Status add_resource(Transaction& tx, std::string_view ns, std::string_view lease,
                      const LeaseResource& resource) override;
  // Removing a resource the lease does not hold is not an error.
  Status delete_resource(Transaction& tx, std::string_view ns, std::string_view lease,
                         const LeaseResource& resource) override;
  // Sorted by (type, id).
  Result<std::vector<LeaseResource>> list_resources(Transaction& tx, std::string_view ns,
                                                    std::string_view lease) override;
};

// InvalidArgument for an empty lease id or one holding NUL. Lease ids are
// deliberately not identifiers (validate_identifier): containerd accepts any
// non-empty id, and its clients make their own for every pull with
// leases.WithRandomID ("<nanoseconds>-<4 base64url chars>", such as
// "81-a_-B"), about one in sixteen of which is not an identifier.
Status validate_lease_id(std::string_view id);

// InvalidArgument unless `resource` is something a lease can hold: "content"
// with a valid digest, "ingests" with a non-empty ref, or
// "snapshots/<snapshotter>" with a non-empty key.
Status validate_lease_resource(const LeaseResource& resource);

}  // namespace berth::metadata

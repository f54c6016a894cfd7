// Leases keep resources (content, ingests, snapshots) from the garbage
// collector while a client works with them, as containerd's leases do.
//
// Offered by the io.containerd.service.v1 plugin "leases-service"
// (berth/services.hpp). Every call runs inside a transaction of the metadata
// database (berth/metadata.hpp) that the caller opens, so a caller may
// record a resource and attach it to a lease in one commit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "berth/metadata.hpp"
#include "berth/status.hpp"
#include "berth/validate.hpp"

namespace berth {

struct Lease {
  std::string id;
  int64_t created_at = 0;  // ns since the epoch
  Labels labels;           // "containerd.io/gc.expire" (RFC 3339) ends it
};

// What a lease holds: type is "content", "ingests" or "snapshots/<snapshotter>".
struct LeaseResource {
  std::string id;
  std::string type;

  friend bool operator==(const LeaseResource&, const LeaseResource&) = default;
};

// Leases, per namespace.
class LeaseStore {
 public:
  virtual ~LeaseStore();
  // InvalidArgument for an empty id (or one holding NUL; lease ids are not
  // identifiers: clients make random ones) or a bad label; AlreadyExists if
  // present. Fills created_at.
  virtual Result<Lease> create(Transaction& tx, std::string_view ns, const Lease& lease) = 0;
  // NotFound if absent. Removes the lease's resource references too.
  virtual Status remove(Transaction& tx, std::string_view ns, std::string_view id) = 0;
  virtual Result<Lease> get(Transaction& tx, std::string_view ns, std::string_view id) = 0;
  // Sorted by id. Filter fields: id, labels.<key>.
  virtual Result<std::vector<Lease>> list(Transaction& tx, std::string_view ns,
                                          const std::vector<std::string>& filters) = 0;
  // NotFound if the lease is absent; InvalidArgument for an unknown type.
  // Adding a resource twice is not an error.
  virtual Status add_resource(Transaction& tx, std::string_view ns, std::string_view lease,
                              const LeaseResource& resource) = 0;
  virtual Status delete_resource(Transaction& tx, std::string_view ns, std::string_view lease,
                                 const LeaseResource& resource) = 0;
  virtual Result<std::vector<LeaseResource>> list_resources(Transaction& tx, std::string_view ns,
                                                            std::string_view lease) = 0;
};

}  // namespace berth

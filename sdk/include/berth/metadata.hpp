// The metadata store: every namespaced object Berth keeps (namespaces now;
// content references, leases, images, containers, snapshot keys later) lives
// in one transactional key/value store, so one transaction can change several
// kinds of object at once and the garbage collector sees a consistent whole.
//
// Interface type: "io.containerd.metadata.v1".
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/status.hpp"
#include "berth/validate.hpp"

namespace berth {

inline constexpr std::string_view kMetadataPluginType = "io.containerd.metadata.v1";

// One transaction. Reads see the transaction's own writes. Not thread-safe:
// use a transaction from the thread that received it.
class Transaction {
 public:
  virtual ~Transaction();
  [[nodiscard]] virtual bool writable() const = 0;
  [[nodiscard]] virtual Result<std::optional<std::string>> get(std::string_view key) = 0;
  virtual Status put(std::string_view key, std::string_view value) = 0;
  virtual Status del(std::string_view key) = 0;
  // Visits keys starting with `prefix` in byte order; `fn` returns false to stop.
  virtual Status scan(std::string_view prefix,
                      const std::function<bool(std::string_view key, std::string_view value)>& fn) = 0;
};

struct Namespace {
  std::string name;
  Labels labels;
};

// Namespaces. Every call runs inside a caller's transaction.
class NamespaceStore {
 public:
  virtual ~NamespaceStore();
  // AlreadyExists if present; InvalidArgument for a bad name or label.
  virtual Status create(Transaction& tx, const Namespace& ns) = 0;
  virtual Result<Namespace> get(Transaction& tx, std::string_view name) = 0;
  virtual Result<std::vector<Namespace>> list(Transaction& tx) = 0;
  // Sets labels; an empty value removes the label.
  virtual Status set_labels(Transaction& tx, std::string_view name, const Labels& labels) = 0;
  // Replaces all labels.
  virtual Status replace_labels(Transaction& tx, std::string_view name, const Labels& labels) = 0;
  // FailedPrecondition when the namespace still holds objects; NotFound if absent.
  virtual Status remove(Transaction& tx, std::string_view name) = 0;
};

// Leases keep resources (content, ingests, snapshots) from the garbage
// collector while a client works with them, as containerd's leases do.
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

// Leases, per namespace. Every call runs inside a caller's transaction.
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

class Metadata {
 public:
  virtual ~Metadata();

  // Read-write transaction. Writers are serialised; the transaction commits
  // durably (fsync) when `fn` returns OK and is discarded otherwise.
  virtual Status update(const std::function<Status(Transaction&)>& fn) = 0;
  // Read-only transaction on a consistent snapshot; runs concurrently with others.
  virtual Status view(const std::function<Status(Transaction&)>& fn) = 0;

  virtual NamespaceStore& namespaces() = 0;
  virtual LeaseStore& leases() = 0;
};

}  // namespace berth

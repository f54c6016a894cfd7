// The metadata database: one transactional key/value store that holds every
// namespaced record Berth keeps (namespaces, leases, content and snapshot
// records; images and containers to come), so one transaction can change
// several kinds of record at once and a garbage collector sees one
// consistent whole.
//
// Interface type: "io.containerd.metadata.v1". The plugin offers only the
// database and its transactions. The records of each kind are kept by an
// object of their own, registered as an io.containerd.service.v1 plugin
// (berth/services.hpp) and found by its interface.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "berth/status.hpp"

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
  // Runs `fn` once the transaction has committed, after the writer lock is
  // released; never if it is discarded. For what must follow a durable change
  // and never announce one that did not happen: events. Writable only.
  virtual void after_commit(std::function<void()> fn) = 0;
};

class Metadata {
 public:
  virtual ~Metadata();

  // Read-write transaction. Writers are serialised; the transaction commits
  // durably (fsync) when `fn` returns OK and is discarded otherwise.
  virtual Status update(const std::function<Status(Transaction&)>& fn) = 0;
  // Read-only transaction on a consistent snapshot; runs concurrently with others.
  virtual Status view(const std::function<Status(Transaction&)>& fn) = 0;
};

}  // namespace berth

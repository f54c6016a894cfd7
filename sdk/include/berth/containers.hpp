// Container records, as containerd's: the metadata of a container (its OCI
// spec, the runtime that runs it, its image and root filesystem snapshot,
// labels and extensions) with no process attached; a task (berth/tasks.hpp,
// to come) runs it.
//
// Offered by the io.containerd.service.v1 plugin "containers-service"
// (berth/services.hpp). Every call runs inside a transaction of the metadata
// database (berth/metadata.hpp) that the caller opens; changes are announced
// (/containers/create|update|delete, berth/events.hpp) once it commits.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/any_value.hpp"
#include "berth/metadata.hpp"
#include "berth/status.hpp"
#include "berth/validate.hpp"

namespace berth {

struct Container {
  std::string id;
  Labels labels;
  std::string image;
  struct Runtime {
    std::string name;  // "io.containerd.runc.v2"
    std::optional<AnyValue> options;
  } runtime;
  std::optional<AnyValue> spec;
  std::string snapshotter;
  std::string snapshot_key;
  int64_t created_at = 0;  // ns since the epoch
  int64_t updated_at = 0;
  std::map<std::string, AnyValue> extensions;
};

class ContainerStore {
 public:
  virtual ~ContainerStore();
  // NotFound `container "x" in namespace "ns": not found`.
  virtual Result<Container> get(Transaction& tx, std::string_view ns, std::string_view id) = 0;
  // Sorted by id. Filter fields: id, image, runtime.name, labels.<key>.
  virtual Result<std::vector<Container>> list(Transaction& tx, std::string_view ns,
                                              const std::vector<std::string>& filters) = 0;
  // AlreadyExists if the id is taken; InvalidArgument (containerd's
  // messages) for an id that is not an identifier, no runtime name, no spec,
  // a snapshot key without a snapshotter, an empty extension name or bad
  // labels. Sets both times to now.
  virtual Result<Container> create(Transaction& tx, std::string_view ns, const Container& container) = 0;
  // Replaces the fields named in `fieldpaths` ("labels", "labels.<key>",
  // "spec", "extensions", "extensions.<name>", "image", "snapshotkey"; none:
  // all of those, and then the snapshotter and runtime name must be
  // unchanged) and sets the update time. NotFound if absent; InvalidArgument
  // for another field or an invalid result.
  virtual Result<Container> update(Transaction& tx, std::string_view ns, const Container& container,
                                   const std::vector<std::string>& fieldpaths) = 0;
  // NotFound if absent.
  virtual Status remove(Transaction& tx, std::string_view ns, std::string_view id) = 0;
};

}  // namespace berth

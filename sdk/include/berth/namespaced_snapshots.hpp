// Snapshots as clients see them: per namespace, and held by the request's
// lease. Each snapshotter backend (berth/snapshotter.hpp) knows nothing of
// namespaces; this layer maps each namespace's keys onto backend keys and
// keeps the parents, kinds and labels clients see, as containerd's metadata
// snapshotter does.
//
// Offered by the io.containerd.service.v1 plugin "snapshots-service"
// (berth/services.hpp), which wraps every loaded snapshotter plugin; the
// Snapshots and Diff API services use it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "berth/namespaced_content.hpp"
#include "berth/snapshotter.hpp"
#include "berth/status.hpp"

namespace berth {

class NamespacedSnapshots {
 public:
  virtual ~NamespacedSnapshots();
  // The snapshotter plugin ids it wraps ("overlayfs", "native"), sorted.
  [[nodiscard]] virtual std::vector<std::string> names() const = 0;
  // The snapshotter `name` seen from `scope`; NotFound if there is none, with
  // the names there are. The object is only valid while the snapshots
  // service is.
  virtual Result<std::unique_ptr<Snapshotter>> get(const ContentScope& scope, std::string_view name) = 0;
};

}  // namespace berth

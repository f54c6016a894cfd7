// berth::NamespacedSnapshots over the loaded snapshotter plugins: containerd's
// metadata snapshotter. Each backend is unaware of namespaces; this layer
// keeps, per namespace and snapshotter, the client's keys (mapped to unique
// backend keys), parents, kinds, labels and children under the layout in
// keys.hpp, and attaches snapshots made under a lease to it.
//
// Ordering: the backend call runs inside the metadata transaction that
// records it, so the two change together or (when the backend fails) not at
// all. Should the record's commit fail after the backend succeeded, the
// backend snapshot is removed again. Snapshot calls are therefore serialised
// with every other metadata write, which is what containerd's bolt store
// does as well.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "berth/metadata.hpp"
#include "berth/snapshotter.hpp"

namespace berth::metadata {

class MetadataSnapshots final : public NamespacedSnapshots {
 public:
  // `md` must outlive this object and every snapshotter view it hands out.
  explicit MetadataSnapshots(Metadata& md) : md_(md) {}

  // Called at init, before any request: the backends by plugin id.
  void add_backend(std::string name, std::shared_ptr<Snapshotter> backend);

  [[nodiscard]] std::vector<std::string> names() const override;
  Result<std::unique_ptr<Snapshotter>> get(const ContentScope& scope, std::string_view name) override;

 private:
  class View;

  std::map<std::string, std::shared_ptr<Snapshotter>, std::less<>> backends_;
  Metadata& md_;
};

}  // namespace berth::metadata

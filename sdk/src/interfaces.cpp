// Key functions of the SDK's interfaces. Defining them here, in the shared
// libberth-sdk.so, gives each interface one vtable and one type_info for the
// whole process, which is what makes dynamic_cast between an Instance and an
// interface work for plugins loaded RTLD_LOCAL.
#include <sys/utsname.h>

#include "berth/containers.hpp"
#include "berth/content_store.hpp"
#include "berth/diff.hpp"
#include "berth/filters.hpp"
#include "berth/gc.hpp"
#include "berth/grpc_service.hpp"
#include "berth/images.hpp"
#include "berth/init_context.hpp"
#include "berth/instance.hpp"
#include "berth/leases.hpp"
#include "berth/metadata.hpp"
#include "berth/metrics.hpp"
#include "berth/namespaced_content.hpp"
#include "berth/namespaced_snapshots.hpp"
#include "berth/namespaces.hpp"
#include "berth/plugin_info.hpp"
#include "berth/snapshotter.hpp"
#include "berth/tasks.hpp"
#include "berth/transfer.hpp"
#include "berth/ttrpc_service.hpp"

namespace berth {

Instance::~Instance() = default;
Status Instance::close() { return {}; }
InitContext::~InitContext() = default;
PluginSet::~PluginSet() = default;
Transaction::~Transaction() = default;
NamespaceStore::~NamespaceStore() = default;
Metadata::~Metadata() = default;
LeaseStore::~LeaseStore() = default;
ImageStore::~ImageStore() = default;
ContainerStore::~ContainerStore() = default;
GrpcService::~GrpcService() = default;
TtrpcRegistry::~TtrpcRegistry() = default;
TtrpcService::~TtrpcService() = default;
ContentReader::~ContentReader() = default;
ContentWriter::~ContentWriter() = default;
Status ContentWriter::write_pieces(std::span<const std::string_view> pieces) {
  for (std::string_view piece : pieces) BERTH_RETURN_IF_ERROR(write(piece));
  return {};
}
ContentStore::~ContentStore() = default;
NamespacedContent::~NamespacedContent() = default;
NamespacedWriter::~NamespacedWriter() = default;
Snapshotter::~Snapshotter() = default;
std::vector<Status> Snapshotter::remove_all(const std::vector<std::string>& keys) {
  std::vector<Status> out;
  out.reserve(keys.size());
  for (const auto& key : keys) out.push_back(remove(key));
  return out;
}
NamespacedSnapshots::~NamespacedSnapshots() = default;
Differ::~Differ() = default;
LayerSource::~LayerSource() = default;
Transfer::~Transfer() = default;
GarbageCollector::~GarbageCollector() = default;
GcScheduler::~GcScheduler() = default;

int64_t GcResult::count(std::string_view kind) const {
  int64_t n = 0;
  for (const auto& r : removed) n += r.kind == kind ? 1 : 0;
  return n;
}
TaskRuntime::~TaskRuntime() = default;
MetricsSource::~MetricsSource() = default;
Counter::~Counter() = default;
Histogram::~Histogram() = default;
MetricsSink::~MetricsSink() = default;

Result<std::unique_ptr<ContentReader>> ContentStore::ingest_reader(std::string_view ref) {
  return unimplemented("this content store cannot read ingest " + std::string(ref) + " while it is written");
}

Result<std::unique_ptr<ContentReader>> NamespacedContent::ingest_reader(const ContentScope&,
                                                                        std::string_view ref) {
  return unimplemented("this content service cannot read ingest " + std::string(ref) +
                       " while it is written");
}

Result<Descriptor> Differ::apply_stream(LayerSource&, const Descriptor& layer, const std::vector<Mount>&,
                                        std::string_view, const CancelCheck&) {
  return unimplemented("this differ cannot apply layer " + layer.digest + " while it downloads");
}

std::optional<std::string> snapshot_field(const SnapshotInfo& info, const std::vector<std::string>& path) {
  if (path.empty()) return std::nullopt;
  if (path[0] == "name") return info.name;
  if (path[0] == "parent") {
    if (info.parent.empty()) return std::nullopt;
    return info.parent;
  }
  if (path[0] == "kind") return std::string(snapshot_kind_name(info.kind));
  return label_field(info.labels, path);
}

std::string_view snapshot_kind_name(SnapshotKind kind) {
  switch (kind) {
    case SnapshotKind::kView:
      return "view";
    case SnapshotKind::kActive:
      return "active";
    case SnapshotKind::kCommitted:
      return "committed";
    case SnapshotKind::kUnknown:
      break;
  }
  return "unknown";
}

std::string_view transfer_state_name(TransferState state) {
  switch (state) {
    case TransferState::kWaiting:
      return "waiting";
    case TransferState::kDownloading:
      return "downloading";
    case TransferState::kVerified:
      return "verified";
    case TransferState::kExists:
      return "exists";
    case TransferState::kUnpacking:
      return "unpacking";
    case TransferState::kDone:
      return "done";
    case TransferState::kUploading:
      return "uploading";
    case TransferState::kMounted:
      return "mounted";
  }
  return "unknown";
}

Platform host_platform() {
  struct utsname u {};
  std::string machine = ::uname(&u) == 0 ? u.machine : "";
  // Go's GOARCH names, which OCI platforms use.
  if (machine == "x86_64") return {"linux", "amd64", ""};
  if (machine == "aarch64") return {"linux", "arm64", "v8"};
  if (machine == "i686" || machine == "i386") return {"linux", "386", ""};
  if (machine.starts_with("armv7")) return {"linux", "arm", "v7"};
  return {"linux", machine, ""};
}

std::string_view plugin_state_name(PluginState state) {
  switch (state) {
    case PluginState::kOk:
      return "ok";
    case PluginState::kSkip:
      return "skip";
    case PluginState::kError:
      return "error";
    case PluginState::kInitialising:
      return "initialising";
  }
  return "error";
}

}  // namespace berth

#include "container_create.hpp"

#include <fmt/format.h>
#include <google/protobuf/empty.pb.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <span>

#include "berth/mount.hpp"
#include "cmd_pull.hpp"
#include "github.com/containerd/containerd/api/services/containers/v1/containers.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/images/v1/images.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/leases/v1/leases.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/snapshots/v1/snapshots.grpc.pb.h"
#include "github.com/containerd/containerd/runtime/v2/runc/options/oci.pb.h"
#include "image_manifest.hpp"
#include "labels.hpp"
#include "snapshotter_option.hpp"

namespace berth::cli {
namespace {

namespace images = containerd::services::images::v1;
namespace leases = containerd::services::leases::v1;
namespace snapshots = containerd::services::snapshots::v1;

// ctr's container lease: expires in a day should the client die before
// deleting it, so an interrupted create is collected.
constexpr auto kLeaseLifetime = std::chrono::hours(24);

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

// ctr's --mount: type=bind,src=/a,dst=/b,options=rbind:ro. A bind mount
// without options is rbind, as a bind mount of a tree is meant to be.
bool parse_mount(std::string_view text, runtime_spec::SpecMount& out, std::string& error) {
  out = {};
  for (std::string_view field : split(text, ',')) {
    auto eq = field.find('=');
    if (eq == std::string_view::npos) {
      error = fmt::format("mount {:?}: {:?} is not KEY=VALUE", text, field);
      return false;
    }
    const std::string_view key = field.substr(0, eq);
    const std::string_view value = field.substr(eq + 1);
    if (key == "type") {
      out.type = value;
    } else if (key == "src" || key == "source") {
      out.source = value;
    } else if (key == "dst" || key == "destination" || key == "target") {
      out.destination = value;
    } else if (key == "options") {
      for (auto o : split(value, ':'))
        if (!o.empty()) out.options.emplace_back(o);
    } else {
      error = fmt::format("mount {:?}: unknown key {:?} (want type, src, dst, options)", text, key);
      return false;
    }
  }
  if (out.type.empty()) out.type = "bind";
  if (out.destination.empty() || out.destination.front() != '/') {
    error = fmt::format("mount {:?}: dst must be an absolute path", text);
    return false;
  }
  if (out.type == "bind") {
    if (out.source.empty() || out.source.front() != '/') {
      error = fmt::format("mount {:?}: a bind mount needs an absolute src", text);
      return false;
    }
    if (out.options.empty()) out.options = {"rbind"};
  }
  return true;
}

bool parse_bytes(std::string_view text, uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out > 0;
}

bool parse_cpus(const std::string& text, double& out) {
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size() && out > 0;
}

grpc::Status interrupted_status() {
  return {grpc::StatusCode::CANCELLED, "interrupted by a signal before the container was created"};
}

// ALREADY_EXISTS when the namespace has a container `id`. Asked only where
// it matters (before a pull, and when Prepare finds the snapshot key taken:
// the other container's), not on every run.
grpc::Status refuse_existing(Client& client, const std::string& id) {
  containers::GetContainerRequest get;
  get.set_id(id);
  containers::GetContainerResponse existing;
  auto st = client.call(&containers::Containers::Stub::Get, get, &existing);
  if (st.ok()) return {grpc::StatusCode::ALREADY_EXISTS, fmt::format("container {:?} already exists", id)};
  if (st.error_code() != grpc::StatusCode::NOT_FOUND) return st;
  return grpc::Status::OK;
}

// The image, pulled (and unpacked into the snapshotter) when the namespace
// has no image of that name, as ctr run pulls.
grpc::Status find_or_pull(Client& client, const ContainerOptions& o, ResolvedImage& image,
                          std::string& what) {
  what = "image " + o.image;
  images::GetImageRequest get;
  get.set_name(o.image);
  images::GetImageResponse found;
  auto st = client.call(&images::Images::Stub::Get, get, &found);
  if (st.error_code() == grpc::StatusCode::NOT_FOUND) {
    // Not pulled for a container that cannot be made.
    if (auto taken = refuse_existing(client, o.id); !taken.ok()) {
      what = "create container " + o.id;
      return taken;
    }
    transfer::PullRequest pull_request;
    pull_request.set_reference(o.image);
    pull_request.set_snapshotter(o.snapshotter);
    if (auto pulled_st = pull(client, pull_request, ::isatty(STDERR_FILENO) != 0, *found.mutable_image());
        !pulled_st.ok()) {
      return {pulled_st.error_code(),
              fmt::format("not in the namespace, and pulling it failed: {}", pulled_st.error_message())};
    }
  } else if (!st.ok()) {
    return st;
  }
  return resolve_target(client, from_pb(found.image().target()), platforms::host(), image);
}

// The spec, with the image's users looked up in the snapshot, mounted
// read-only here for as long as that takes (containerd's client does the
// same: it needs root on the daemon's host, as running a container does).
Result<nlohmann::json> build_spec(
    const ContainerOptions& o, const std::string& ns, const ResolvedImage& image,
    const google::protobuf::RepeatedPtrField<containerd::types::Mount>& rootfs) {
  runtime_spec::SpecInput in;
  in.id = o.id;
  in.namespace_name = ns;
  in.image = image.config.process;
  in.overrides = o.spec;
  std::optional<TempMount> mounted;
  if (::geteuid() == 0 && !rootfs.empty()) {
    std::vector<Mount> mounts;
    for (const auto& m : rootfs) {
      Mount mount{m.type(), m.source(), m.target(), {m.options().begin(), m.options().end()}};
      mount.options.emplace_back("ro");
      mounts.push_back(std::move(mount));
    }
    auto temp = TempMount::create(mounts, std::filesystem::temp_directory_path());
    if (!temp.ok()) return temp.status();
    mounted.emplace(std::move(*temp));
    in.rootfs = mounted->path();
  }
  auto spec = runtime_spec::make_spec(in);
  if (mounted) {
    if (Status st = mounted->release(); !st.ok() && spec.ok()) return st;
  }
  if (!spec.ok() && !in.rootfs.empty()) {
    // The temporary mount means nothing to the user: name the image.
    std::string message = spec.status().message();
    for (auto at = message.find(in.rootfs.string()); at != std::string::npos;
         at = message.find(in.rootfs.string()))
      message.erase(at, in.rootfs.string().size());
    return Status(spec.status().code(), message + " of image " + o.image);
  }
  return spec;
}

}  // namespace

std::vector<OptionSpec> container_option_specs() {
  return {
      {'e', "env", "K=V", "set an environment variable (K alone removes it); may be repeated"},
      {'\0', "mount", "SPEC", "add a mount: type=bind,src=/a,dst=/b,options=rbind:ro; may be repeated"},
      {'\0', "net-host", "", "share the host's network namespace"},
      {'\0', "memory-limit", "BYTES", "the memory limit in bytes"},
      {'\0', "cpus", "N", "CPU quota in CPUs (1.5 = one and a half)"},
      {'u', "user", "USER[:GROUP]", "run as USER (name or uid) and GROUP, looked up in the image"},
      {'\0', "cwd", "DIR", "the working directory (default: the image's, else /)"},
      {'t', "tty", "", "give the process a terminal"},
      {'\0', "read-only", "", "mount the root filesystem read-only"},
      {'\0', "label", "K=V", "a label for the container record; may be repeated"},
      {'\0', "runtime", "NAME", "the runtime (default: io.containerd.runc.v2)"},
      {'\0', "runc-binary", "PATH", "the OCI runtime binary the runc shim runs (crun, say)"},
      kSnapshotterOption,
  };
}

bool parse_container_options(const Invocation& inv, ContainerOptions& out, std::string& error) {
  const auto& args = inv.args();
  const auto& pos = inv.positionals();
  out.image = pos.at(0);
  out.id = pos.at(1);
  out.spec.args.assign(pos.begin() + 2, pos.end());
  out.spec.env = args.values("env");
  for (const std::string& m : args.values("mount")) {
    runtime_spec::SpecMount mount;
    if (!parse_mount(m, mount, error)) return false;
    out.spec.mounts.push_back(std::move(mount));
  }
  out.spec.host_network = args.has("net-host");
  if (auto v = args.value("memory-limit")) {
    uint64_t bytes = 0;
    if (!parse_bytes(*v, bytes)) {
      error = fmt::format("--memory-limit {:?} is not a positive number of bytes", *v);
      return false;
    }
    out.spec.memory_limit_bytes = bytes;
  }
  if (auto v = args.value("cpus")) {
    double cpus = 0;
    if (!parse_cpus(*v, cpus)) {
      error = fmt::format("--cpus {:?} is not a positive number", *v);
      return false;
    }
    out.spec.cpus = cpus;
  }
  if (auto v = args.value("user")) {
    if (v->empty()) {
      error = "--user needs a user";
      return false;
    }
    out.spec.user = *v;
  }
  if (auto v = args.value("cwd")) out.spec.cwd = *v;
  out.spec.terminal = args.has("tty");
  out.spec.readonly_rootfs = args.has("read-only");
  if (!parse_label_args(args.values("label"), out.labels, error)) return false;
  if (auto v = args.value("runtime")) out.runtime = *v;
  if (out.runtime.empty()) {
    error = "--runtime needs a name";
    return false;
  }
  out.runc_binary = args.value("runc-binary").value_or("");
  out.snapshotter = snapshotter_name(inv);
  return true;
}

grpc::Status create_container(Client& client, const std::string& ns, const ContainerOptions& o,
                              const std::function<bool()>& interrupted, UndoStack& undo,
                              CreatedContainer& out, std::string& what) {
  UndoStack local;
  ResolvedImage image;
  if (auto st = find_or_pull(client, o, image, what); !st.ok()) return st;
  if (image.chain.empty())
    return {grpc::StatusCode::FAILED_PRECONDITION, "the image has no layers to make a root filesystem of"};
  const std::string& chain = image.chain.back();
  if (interrupted()) return interrupted_status();

  // Everything below is made under a lease, so the collector leaves the
  // snapshot alone until the container record refers to it.
  what = "create container " + o.id;
  leases::CreateRequest lease_request;
  (*lease_request.mutable_labels())[std::string(kLeaseExpireLabel)] =
      rfc3339(std::chrono::system_clock::now() + kLeaseLifetime);
  leases::CreateResponse lease;
  if (auto st = client.call(&leases::Leases::Stub::Create, lease_request, &lease); !st.ok()) return st;
  // Always deleted, also on success: the container holds its snapshot then.
  // Nothing waits for its answer (the container record holds the snapshot
  // by then, or nothing is left to hold), so it goes beside the next calls.
  struct LeaseEnd {
    Client& client;
    std::string id;
    ~LeaseEnd() {
      client.set_lease("");
      leases::DeleteRequest del;
      del.set_id(id);
      client.call_in_background(&leases::Leases::Stub::Delete, std::move(del));
    }
  } lease_end{client, lease.lease().id()};
  client.set_lease(lease.lease().id());

  snapshots::PrepareSnapshotRequest prepare;
  prepare.set_snapshotter(o.snapshotter);
  prepare.set_key(o.id);
  prepare.set_parent(chain);
  snapshots::PrepareSnapshotResponse prepared;
  if (auto st = client.call(&snapshots::Snapshots::Stub::Prepare, prepare, &prepared); !st.ok()) {
    if (st.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
      if (auto taken = refuse_existing(client, o.id); !taken.ok()) return taken;
    }
    what = fmt::format("prepare snapshot {} in {}", o.id, o.snapshotter);
    if (st.error_code() == grpc::StatusCode::NOT_FOUND)
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("image {} is not unpacked in snapshotter {} ({})", o.image, o.snapshotter,
                          st.error_message())};
    return st;
  }
  local.push([&client, snapshotter = o.snapshotter, key = o.id] {
    snapshots::RemoveSnapshotRequest rm;
    rm.set_snapshotter(snapshotter);
    rm.set_key(key);
    google::protobuf::Empty empty;
    (void)client.call(&snapshots::Snapshots::Stub::Remove, rm, &empty);
  });
  if (interrupted()) return interrupted_status();

  auto spec = build_spec(o, ns, image, prepared.mounts());
  if (!spec.ok()) {
    what = "spec for container " + o.id;
    return to_grpc(spec.status());
  }

  containers::CreateContainerRequest create;
  auto& c = *create.mutable_container();
  c.set_id(o.id);
  c.set_image(o.image);
  c.mutable_labels()->insert(o.labels.begin(), o.labels.end());
  if (!image.config.process.stop_signal.empty() && !o.labels.contains(std::string(kStopSignalLabel)))
    (*c.mutable_labels())[std::string(kStopSignalLabel)] = image.config.process.stop_signal;
  c.mutable_runtime()->set_name(o.runtime);
  if (!o.runc_binary.empty()) {
    containerd::runc::v1::Options runc;
    runc.set_binary_name(o.runc_binary);
    auto* options = c.mutable_runtime()->mutable_options();
    options->set_type_url(std::string(kRuncOptionsTypeUrl));
    options->set_value(runc.SerializeAsString());
  }
  c.mutable_spec()->set_type_url(std::string(kSpecTypeUrl));
  c.mutable_spec()->set_value(spec->dump());
  c.set_snapshotter(o.snapshotter);
  c.set_snapshot_key(o.id);
  containers::CreateContainerResponse created;
  if (auto st = client.call(&containers::Containers::Stub::Create, create, &created); !st.ok()) return st;
  out.record = created.container();
  out.rootfs = prepared.mounts();

  local.dismiss();
  undo.push([&client, record = out.record] { (void)delete_container(client, record); });
  return grpc::Status::OK;
}

grpc::Status delete_container(Client& client, const containers::Container& c) {
  if (!c.snapshot_key().empty()) {
    snapshots::RemoveSnapshotRequest rm;
    rm.set_snapshotter(c.snapshotter());
    rm.set_key(c.snapshot_key());
    google::protobuf::Empty empty;
    auto removed = client.call(&snapshots::Snapshots::Stub::Remove, rm, &empty);
    if (!removed.ok() && removed.error_code() != grpc::StatusCode::NOT_FOUND) return removed;
  }
  containers::DeleteContainerRequest del;
  del.set_id(c.id());
  google::protobuf::Empty empty;
  return client.call(&containers::Containers::Stub::Delete, del, &empty);
}

}  // namespace berth::cli

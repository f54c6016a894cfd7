#include "cmd_images_mount.hpp"

#include <fmt/format.h>
#include <google/protobuf/empty.pb.h>
#include <sys/mount.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "berth/mount.hpp"
#include "github.com/containerd/containerd/api/services/images/v1/images.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/leases/v1/leases.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/snapshots/v1/snapshots.grpc.pb.h"
#include "image_manifest.hpp"
#include "labels.hpp"
#include "output.hpp"
#include "snapshotter_option.hpp"

namespace berth::cli {
namespace {

namespace images = containerd::services::images::v1;
namespace leases = containerd::services::leases::v1;
namespace snapshots = containerd::services::snapshots::v1;
using SnapshotsStub = snapshots::Snapshots::Stub;
using LeasesStub = leases::Leases::Stub;

// ctr's mount lease lasts a day: a mount nobody unmounts is not kept forever.
constexpr auto kMountLeaseLifetime = std::chrono::hours(24);

// The --platform option, or this host's.
bool platform_option(Invocation& inv, platforms::Platform& out, int& exit) {
  out = platforms::host();
  auto text = inv.args().value("platform");
  if (!text) return true;
  auto parsed = platforms::parse(*text);
  if (!parsed.ok()) {
    exit = inv.usage_error(parsed.status().message());
    return false;
  }
  out = std::move(*parsed);
  return true;
}

// Takes back what a mount made if it fails before the end: the snapshot
// (only when this mount made it), then the lease, so a failed mount leaves
// nothing for the collector to wait a day for.
class MountUndo {
 public:
  MountUndo(Client& client, std::string snapshotter, std::string key)
      : client_(client), snapshotter_(std::move(snapshotter)), key_(std::move(key)) {}
  MountUndo(const MountUndo&) = delete;
  MountUndo& operator=(const MountUndo&) = delete;
  ~MountUndo() {
    if (done_) return;
    google::protobuf::Empty empty;
    if (snapshot_made_) {
      snapshots::RemoveSnapshotRequest remove;
      remove.set_snapshotter(snapshotter_);
      remove.set_key(key_);
      (void)client_.call(&SnapshotsStub::Remove, remove, &empty);
    }
    leases::DeleteRequest del;
    del.set_id(key_);
    (void)client_.call(&LeasesStub::Delete, del, &empty);
  }
  void snapshot_made() { snapshot_made_ = true; }
  void keep() { done_ = true; }

 private:
  Client& client_;
  std::string snapshotter_;
  std::string key_;
  bool snapshot_made_ = false;
  bool done_ = false;
};

std::vector<Mount> from_pb(const google::protobuf::RepeatedPtrField<containerd::types::Mount>& mounts) {
  std::vector<Mount> out;
  for (const auto& m : mounts) {
    out.push_back({m.type(), m.source(), m.target(), {m.options().begin(), m.options().end()}});
  }
  return out;
}

// The calls ctr makes (CTR-RPCS.md, images mount): a lease named DIR that
// holds the snapshot DIR, then under it a view (or an active snapshot with
// --rw) of the image's chain ID, mounted on DIR here. The same DIR is what
// `unmount --rm` removes, by ctr or by berth.
int run_mount(Invocation& inv) {
  const std::string& ref = inv.positionals()[0];
  const std::string& dir = inv.positionals()[1];
  const std::string snapshotter = snapshotter_name(inv);
  const bool rw = inv.args().has("rw");
  platforms::Platform platform;
  if (int exit = kExitOk; !platform_option(inv, platform, exit)) return exit;
  const std::string what = fmt::format("mount {} on {}", ref, dir);
  // Before any call, so a typo leaves no lease behind.
  std::error_code ec;
  const auto type = std::filesystem::status(dir, ec).type();
  if (type == std::filesystem::file_type::not_found) return fail_local(what, "no such directory");
  if (ec) return fail_local(what, ec.message());
  if (type != std::filesystem::file_type::directory) return fail_local(what, "not a directory");

  Client& client = inv.client();
  leases::CreateRequest lease;
  lease.set_id(dir);
  auto& labels = *lease.mutable_labels();
  labels[std::string(kLeaseExpireLabel)] = rfc3339(std::chrono::system_clock::now() + kMountLeaseLifetime);
  labels["containerd.io/gc.ref.snapshot." + snapshotter] = dir;
  leases::CreateResponse created;
  if (auto st = client.call(&LeasesStub::Create, lease, &created); !st.ok()) {
    if (st.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
      st = {st.error_code(),
            fmt::format("a lease named {} exists: is an image mounted there already? (berth images "
                        "unmount --rm {})",
                        dir, dir)};
    }
    return inv.fail(what, st);
  }
  MountUndo undo(client, snapshotter, dir);
  client.set_lease(dir);

  ResolvedImage image;
  if (auto st = resolve_image(client, ref, platform, image); !st.ok()) return inv.fail(what, st);
  if (image.chain.empty())
    return inv.fail(what, {grpc::StatusCode::FAILED_PRECONDITION, "image " + ref + " has no layers"});
  const std::string& chain = image.chain.back();
  snapshots::StatSnapshotRequest stat;
  stat.set_snapshotter(snapshotter);
  stat.set_key(chain);
  snapshots::StatSnapshotResponse info;
  if (auto st = client.call(&SnapshotsStub::Stat, stat, &info); !st.ok()) {
    if (st.error_code() == grpc::StatusCode::NOT_FOUND) {
      st = {grpc::StatusCode::FAILED_PRECONDITION,
            fmt::format("image {} is not unpacked in snapshotter {}; pull or import it first", ref,
                        snapshotter)};
    }
    return inv.fail(what, st);
  }

  grpc::Status made;
  google::protobuf::RepeatedPtrField<containerd::types::Mount> mounts;
  if (rw) {
    snapshots::PrepareSnapshotRequest prepare;
    prepare.set_snapshotter(snapshotter);
    prepare.set_key(dir);
    prepare.set_parent(chain);
    snapshots::PrepareSnapshotResponse prepared;
    made = client.call(&SnapshotsStub::Prepare, prepare, &prepared);
    mounts = prepared.mounts();
  } else {
    snapshots::ViewSnapshotRequest view;
    view.set_snapshotter(snapshotter);
    view.set_key(dir);
    view.set_parent(chain);
    snapshots::ViewSnapshotResponse viewed;
    made = client.call(&SnapshotsStub::View, view, &viewed);
    mounts = viewed.mounts();
  }
  if (made.ok()) {
    undo.snapshot_made();
  } else if (made.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
    // Left by an earlier mount whose lease is gone: mount it again, as ctr does.
    snapshots::MountsRequest request;
    request.set_snapshotter(snapshotter);
    request.set_key(dir);
    snapshots::MountsResponse response;
    made = client.call(&SnapshotsStub::Mounts, request, &response);
    mounts = response.mounts();
  }
  if (!made.ok()) return inv.fail(what, made);

  if (Status st = mount_all(from_pb(mounts), dir); !st.ok()) return fail_local(what, st.message());
  undo.keep();
  if (inv.json()) {
    print_json({{"target", dir},
                {"image", ref},
                {"manifest", image.manifest.descriptor.digest},
                {"snapshotter", snapshotter},
                {"snapshot", dir},
                {"parent", chain},
                {"rw", rw}});
  } else {
    fmt::print("{}\n", dir);
  }
  return kExitOk;
}

// Deletes the lease and removes the snapshot a mount named `dir`, as ctr's
// `unmount --rm` does (CTR-RPCS.md); either gone already is no error.
// `removed` says whether there was anything to remove.
grpc::Status remove_mount_records(Invocation& inv, const std::string& dir, bool& removed, std::string& what) {
  Client& client = inv.client();
  google::protobuf::Empty empty;
  removed = false;
  leases::DeleteRequest del;
  del.set_id(dir);
  auto st = client.call(&LeasesStub::Delete, del, &empty);
  if (!st.ok() && st.error_code() != grpc::StatusCode::NOT_FOUND) {
    what = "remove lease " + dir;
    return st;
  }
  removed = st.ok();
  snapshots::RemoveSnapshotRequest remove;
  remove.set_snapshotter(snapshotter_name(inv));
  remove.set_key(dir);
  st = client.call(&SnapshotsStub::Remove, remove, &empty);
  if (!st.ok() && st.error_code() != grpc::StatusCode::NOT_FOUND) {
    what = "remove snapshot " + dir;
    return st;
  }
  removed = removed || st.ok();
  return grpc::Status::OK;
}

// ctr unmounts without a call, then with --rm removes what the mount made.
// Nothing mounted on DIR is an error, except that --rm still removes a
// mount's lease and snapshot left behind (after a reboot, say).
int run_unmount(Invocation& inv) {
  const std::string& dir = inv.positionals()[0];
  const bool rm = inv.args().has("rm");
  const std::string what = "unmount " + dir;
  bool mounted = true;
  if (::umount2(dir.c_str(), UMOUNT_NOFOLLOW) != 0) {
    const int err = errno;
    if (err == ENOENT) return fail_local(what, "no such directory");
    if (err == EBUSY) return fail_local(what, "it is busy (a process has a file open or its cwd below it)");
    if (err != EINVAL) return fail_local(what, std::strerror(err));
    if (!rm) return fail_local(what, "nothing is mounted there");
    mounted = false;
  }
  // Anything else stacked on DIR (an image mounted there twice).
  if (Status st = unmount_all(dir); !st.ok()) return fail_local(what, st.message());
  if (rm) {
    bool removed = false;
    std::string failed;
    if (auto st = remove_mount_records(inv, dir, removed, failed); !st.ok()) return inv.fail(failed, st);
    if (!mounted && !removed)
      return fail_local(what, "nothing is mounted there, and no lease or snapshot has its name");
    if (!mounted)
      fmt::print(stderr, "berth: nothing was mounted on {}; removed its lease and snapshot\n", dir);
  }
  if (inv.json()) {
    print_json({{"target", dir}, {"unmounted", mounted}, {"removed", rm}});
  } else {
    fmt::print("{}\n", dir);
  }
  return kExitOk;
}

struct LayerUsage {
  int64_t size = 0;
  int64_t inodes = 0;
};

// Each blob of the manifest with the size the manifest gives it and, for a
// layer, the usage of the snapshot its chain ID names (none: not unpacked).
int run_usage(Invocation& inv) {
  const std::string& ref = inv.positionals()[0];
  const std::string snapshotter = snapshotter_name(inv);
  platforms::Platform platform;
  if (int exit = kExitOk; !platform_option(inv, platform, exit)) return exit;
  const std::string what = "usage of image " + ref;
  Client& client = inv.client();
  ResolvedImage image;
  if (auto st = resolve_image(client, ref, platform, image); !st.ok()) return inv.fail(what, st);
  const oci::Manifest& manifest = image.manifest.manifest;

  std::vector<std::optional<LayerUsage>> usage(manifest.layers.size());
  for (std::size_t i = 0; i < manifest.layers.size() && i < image.chain.size(); ++i) {
    snapshots::UsageRequest request;
    request.set_snapshotter(snapshotter);
    request.set_key(image.chain[i]);
    snapshots::UsageResponse response;
    auto st = client.call(&SnapshotsStub::Usage, request, &response);
    if (st.error_code() == grpc::StatusCode::NOT_FOUND) continue;
    if (!st.ok()) return inv.fail(fmt::format("{}: snapshot {}", what, image.chain[i]), st);
    usage[i] = LayerUsage{response.size(), response.inodes()};
  }

  int64_t total = manifest.config.size;
  LayerUsage unpacked;
  bool all_unpacked = !manifest.layers.empty();
  for (std::size_t i = 0; i < manifest.layers.size(); ++i) {
    total += manifest.layers[i].size;
    if (usage[i]) {
      unpacked.size += usage[i]->size;
      unpacked.inodes += usage[i]->inodes;
    } else {
      all_unpacked = false;
    }
  }

  if (inv.json()) {
    nlohmann::ordered_json blobs = nlohmann::ordered_json::array();
    auto blob = [](std::string_view kind, const Descriptor& d) {
      return nlohmann::ordered_json{
          {"kind", kind}, {"media_type", d.media_type}, {"digest", d.digest}, {"size", d.size}};
    };
    blobs.push_back(blob("config", manifest.config));
    for (std::size_t i = 0; i < manifest.layers.size(); ++i) {
      auto entry = blob("layer", manifest.layers[i]);
      entry["chain_id"] = i < image.chain.size() ? image.chain[i] : "";
      entry["snapshot"] = usage[i]
                              ? nlohmann::ordered_json{{"size", usage[i]->size}, {"inodes", usage[i]->inodes}}
                              : nlohmann::ordered_json(nullptr);
      blobs.push_back(std::move(entry));
    }
    print_json({{"name", ref},
                {"manifest", image.manifest.descriptor.digest},
                {"platform", platforms::format(platform)},
                {"snapshotter", snapshotter},
                {"blobs", std::move(blobs)},
                {"size", total},
                {"unpacked", all_unpacked},
                {"snapshot_size", unpacked.size},
                {"snapshot_inodes", unpacked.inodes}});
    return kExitOk;
  }
  Table table({"KIND", "DIGEST", "SIZE", "SNAPSHOT", "SNAPSHOT SIZE", "INODES"});
  table.add_row({"config", manifest.config.digest, human_size(manifest.config.size), "-", "-", "-"});
  for (std::size_t i = 0; i < manifest.layers.size(); ++i) {
    const std::string chain = i < image.chain.size() ? image.chain[i] : "-";
    if (usage[i]) {
      table.add_row({"layer", manifest.layers[i].digest, human_size(manifest.layers[i].size), chain,
                     human_size(usage[i]->size), std::to_string(usage[i]->inodes)});
    } else {
      table.add_row({"layer", manifest.layers[i].digest, human_size(manifest.layers[i].size), chain,
                     "not unpacked", "-"});
    }
  }
  table.add_row(
      {"total", "", human_size(total), "", human_size(unpacked.size), std::to_string(unpacked.inodes)});
  table.print();
  return kExitOk;
}

const OptionSpec kPlatformOption{'\0', "platform", "PLATFORM",
                                 "the manifest for PLATFORM (linux/arm64; default: this host's)"};

}  // namespace

Command images_mount_command() {
  return {
      .name = "mount",
      .summary = "mount an unpacked image on a directory",
      .synopsis = "REF DIR",
      .description =
          "Mount the root filesystem of image REF (its manifest for this host's platform)\n"
          "read-only on the directory DIR, as `ctr images mount` does: under a lease named\n"
          "DIR that expires in 24 hours, the snapshotter makes a view (with --rw: an active\n"
          "snapshot) named DIR of the unpacked image, which is mounted here; berth must run\n"
          "on the daemon's host as root. The image must be unpacked in the snapshotter.\n"
          "Undo with `berth images unmount --rm DIR`. Prints DIR.",
      .options = {kSnapshotterOption,
                  {'\0', "rw", "", "mount read-write (changes stay in the snapshot DIR)"},
                  kPlatformOption},
      .min_args = 2,
      .max_args = 2,
      .run = run_mount,
  };
}

Command images_unmount_command() {
  return {
      .name = "unmount",
      .aliases = {"umount"},
      .summary = "unmount an image mounted with images mount",
      .synopsis = "DIR",
      .description =
          "Unmount what is mounted on DIR (an error if nothing is). With --rm, also\n"
          "delete the lease and remove the snapshot `images mount` named DIR.",
      .options = {kSnapshotterOption, {'\0', "rm", "", "remove the lease and the snapshot DIR too"}},
      .min_args = 1,
      .max_args = 1,
      .run = run_unmount,
  };
}

Command images_usage_command() {
  return {
      .name = "usage",
      .summary = "show the size of an image and of its unpacked layers",
      .synopsis = "REF",
      .description =
          "For image REF's manifest for this host's platform: the config and each layer\n"
          "with the size the manifest gives it and, for each layer unpacked in the\n"
          "snapshotter, the disk usage and inodes of its snapshot (named by its chain ID);\n"
          "then the totals.",
      .options = {kSnapshotterOption, kPlatformOption},
      .min_args = 1,
      .max_args = 1,
      .run = run_usage,
  };
}

}  // namespace berth::cli

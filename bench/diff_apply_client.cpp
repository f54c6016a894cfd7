// bench/diff_apply_client: one image-unpack step against any daemon that
// speaks containerd's API (berthd or containerd), timed at the Apply call:
// Prepare a snapshot KEY (no parent), Diff.Apply the layer blob DIGEST (which
// must already be in the daemon's content store) into its mounts, Remove the
// snapshot. Prints the seconds Apply took and the applied (uncompressed)
// digest, so bench/apply.sh compares daemons on exactly the same call. With
// `keep`, the snapshot stays (so no deletion runs between timed applies).
//
//   diff_apply_client SOCKET SNAPSHOTTER KEY MEDIA_TYPE DIGEST SIZE [keep]
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "github.com/containerd/containerd/api/services/diff/v1/diff.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/snapshots/v1/snapshots.grpc.pb.h"

namespace {

namespace diff_v1 = containerd::services::diff::v1;
namespace snapshots_v1 = containerd::services::snapshots::v1;

void scope(grpc::ClientContext& ctx) { ctx.AddMetadata("containerd-namespace", "default"); }

int fail(const char* what, const grpc::Status& st) {
  std::fprintf(stderr, "diff_apply_client: %s: %s\n", what, st.error_message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7 && !(argc == 8 && std::string(argv[7]) == "keep")) {
    std::fprintf(stderr, "usage: %s SOCKET SNAPSHOTTER KEY MEDIA_TYPE DIGEST SIZE [keep]\n", argv[0]);
    return 2;
  }
  const bool keep = argc == 8;
  const std::string snapshotter = argv[2];
  const std::string key = argv[3];
  auto channel = grpc::CreateChannel(std::string("unix:") + argv[1], grpc::InsecureChannelCredentials());
  auto snapshots = snapshots_v1::Snapshots::NewStub(channel);
  auto diff = diff_v1::Diff::NewStub(channel);

  snapshots_v1::PrepareSnapshotRequest prep;
  prep.set_snapshotter(snapshotter);
  prep.set_key(key);
  snapshots_v1::PrepareSnapshotResponse mounts;
  {
    grpc::ClientContext ctx;
    scope(ctx);
    if (auto st = snapshots->Prepare(&ctx, prep, &mounts); !st.ok()) return fail("prepare", st);
  }

  diff_v1::ApplyRequest apply;
  apply.mutable_diff()->set_media_type(argv[4]);
  apply.mutable_diff()->set_digest(argv[5]);
  apply.mutable_diff()->set_size(std::strtoll(argv[6], nullptr, 10));
  *apply.mutable_mounts() = mounts.mounts();
  diff_v1::ApplyResponse applied;
  grpc::Status applied_status;
  const auto t0 = std::chrono::steady_clock::now();
  {
    grpc::ClientContext ctx;
    scope(ctx);
    applied_status = diff->Apply(&ctx, apply, &applied);
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - t0;

  grpc::Status removed;
  if (!keep) {
    snapshots_v1::RemoveSnapshotRequest rm;
    rm.set_snapshotter(snapshotter);
    rm.set_key(key);
    google::protobuf::Empty empty;
    grpc::ClientContext ctx;
    scope(ctx);
    removed = snapshots->Remove(&ctx, rm, &empty);
  }
  if (!applied_status.ok()) return fail("apply", applied_status);
  if (!removed.ok()) return fail("remove", removed);
  std::printf("%.3f %s\n", took.count(), applied.applied().digest().c_str());
  return 0;
}

// The Diff service over gRPC against the real berthd and both snapshotters:
// a layer applied into a prepared snapshot as an image unpack does it
// (Prepare, Apply, Commit, then a View), and `ctr snapshots diff` making a
// layer from two snapshots.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "../support/temp_dir.hpp"
#include "github.com/containerd/containerd/api/services/diff/v1/diff.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/snapshots/v1/snapshots.grpc.pb.h"
#include "harness.hpp"

namespace berth::test {
namespace {

namespace diff_v1 = containerd::services::diff::v1;
namespace snapshots_v1 = containerd::services::snapshots::v1;

constexpr const char* kGzipLayer = "application/vnd.oci.image.layer.v1.tar+gzip";

std::string sh(const std::string& cmd) {
  auto r = run({"/bin/sh", "-c", cmd});
  EXPECT_EQ(r.exit_code, 0) << cmd << "\n" << r.output;
  return r.output;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class DiffApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() / "daemon");
    std::string why;
    ASSERT_TRUE(daemon_.start({}, why)) << why;
    auto channel = grpc::CreateChannel("unix:" + daemon_.address(), grpc::InsecureChannelCredentials());
    snapshots_ = snapshots_v1::Snapshots::NewStub(channel);
    diff_ = diff_v1::Diff::NewStub(channel);
  }

  static std::unique_ptr<grpc::ClientContext> ctx() {
    auto c = std::make_unique<grpc::ClientContext>();
    c->AddMetadata("containerd-namespace", "default");
    return c;
  }

  struct Layer {
    std::string digest;   // of the gzip blob
    int64_t size = 0;     // of the gzip blob
    std::string diff_id;  // of the tar inside
  };

  // tar+gzip of directory `src` (its contents, numeric owners), ingested with ctr.
  Layer make_layer(const std::string& name, const std::filesystem::path& src) {
    const auto blob = dir_.path() / (name + ".tar.gz");
    sh("tar --numeric-owner -C '" + src.string() + "' -cf - . | gzip -n > '" + blob.string() + "'");
    Layer l;
    l.digest = "sha256:" + sh("sha256sum < '" + blob.string() + "'").substr(0, 64);
    l.diff_id = "sha256:" + sh("gzip -dc < '" + blob.string() + "' | sha256sum").substr(0, 64);
    l.size = static_cast<int64_t>(std::filesystem::file_size(blob));
    auto r = run({"/bin/sh", "-c",
                  "exec ctr -a '" + daemon_.address() + "' content ingest --expected-digest " + l.digest +
                      " " + name + " < '" + blob.string() + "'"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return l;
  }

  // Prepare KEY on PARENT, Apply LAYER into it, Commit it as NAME; the
  // Apply's status.
  grpc::Status unpack(const Layer& layer, const std::string& name, const std::string& parent,
                      const std::string& diff_id) {
    snapshots_v1::PrepareSnapshotRequest prep;
    prep.set_snapshotter(GetParam());
    prep.set_key("extract-" + name);
    prep.set_parent(parent);
    snapshots_v1::PrepareSnapshotResponse mounts;
    auto st = snapshots_->Prepare(ctx().get(), prep, &mounts);
    if (!st.ok()) return st;

    diff_v1::ApplyRequest apply;
    apply.mutable_diff()->set_media_type(kGzipLayer);
    apply.mutable_diff()->set_digest(layer.digest);
    apply.mutable_diff()->set_size(layer.size);
    (*apply.mutable_diff()->mutable_annotations())["containerd.io/uncompressed"] = diff_id;
    *apply.mutable_mounts() = mounts.mounts();
    diff_v1::ApplyResponse applied;
    st = diff_->Apply(ctx().get(), apply, &applied);
    if (!st.ok()) return st;
    EXPECT_EQ(applied.applied().digest(), layer.diff_id);
    EXPECT_EQ(applied.applied().media_type(), "application/vnd.oci.image.layer.v1.tar");

    snapshots_v1::CommitSnapshotRequest commit;
    commit.set_snapshotter(GetParam());
    commit.set_name(name);
    commit.set_key("extract-" + name);
    google::protobuf::Empty empty;
    return snapshots_->Commit(ctx().get(), commit, &empty);
  }

  // A view of `name` mounted on `target` until the returned guard dies.
  void view_and_mount(const std::string& name, const std::filesystem::path& target) {
    snapshots_v1::ViewSnapshotRequest view;
    view.set_snapshotter(GetParam());
    view.set_key("view-" + name);
    view.set_parent(name);
    snapshots_v1::ViewSnapshotResponse mounts;
    auto st = snapshots_->View(ctx().get(), view, &mounts);
    ASSERT_TRUE(st.ok()) << st.error_message();
    for (const auto& m : mounts.mounts()) {
      std::string options;
      for (const auto& o : m.options()) options += (options.empty() ? "" : ",") + o;
      sh("mount -t " + m.type() + " -o '" + options + "' '" + m.source() + "' '" + target.string() + "'");
    }
  }

  TempDir dir_;
  Berthd daemon_{BERTHD_PATH, dir_.path() / "daemon"};
  std::unique_ptr<snapshots_v1::Snapshots::Stub> snapshots_;
  std::unique_ptr<diff_v1::Diff::Stub> diff_;
};

TEST_P(DiffApiTest, LayersAppliedIntoSnapshotsStackWithWhiteouts) {
  const auto base = dir_.path() / "base";
  std::filesystem::create_directories(base / "etc");
  std::ofstream(base / "etc" / "hostname") << "berth\n";
  std::ofstream(base / "keep") << "kept\n";
  std::ofstream(base / "remove-me") << "soon gone\n";
  std::filesystem::create_symlink("etc/hostname", base / "link");
  const Layer l1 = make_layer("l1", base);

  const auto upper = dir_.path() / "upper";
  std::filesystem::create_directories(upper / "etc");
  std::ofstream(upper / "etc" / "hostname") << "changed\n";
  std::ofstream(upper / ".wh.remove-me");  // an OCI whiteout
  const Layer l2 = make_layer("l2", upper);

  // A third layer holding only a hardlink to a file of the first: GNU tar
  // keeps the link entry when the file's own entry is deleted from the tar.
  const auto links = dir_.path() / "links";
  std::filesystem::create_directories(links);
  std::ofstream(links / "keep") << "kept\n";
  std::filesystem::create_hard_link(links / "keep", links / "hl");
  const auto l3_tar = dir_.path() / "l3.tar";
  sh("tar --numeric-owner -C '" + links.string() + "' -cf '" + l3_tar.string() +
     "' ./keep ./hl && tar --delete -f '" + l3_tar.string() + "' ./keep && gzip -n '" + l3_tar.string() +
     "'");
  Layer l3;
  const auto l3_blob = dir_.path() / "l3.tar.gz";
  l3.digest = "sha256:" + sh("sha256sum < '" + l3_blob.string() + "'").substr(0, 64);
  l3.diff_id = "sha256:" + sh("gzip -dc < '" + l3_blob.string() + "' | sha256sum").substr(0, 64);
  l3.size = static_cast<int64_t>(std::filesystem::file_size(l3_blob));
  sh("exec ctr -a '" + daemon_.address() + "' content ingest l3 < '" + l3_blob.string() + "'");

  auto st = unpack(l1, "layer1", "", l1.diff_id);
  ASSERT_TRUE(st.ok()) << st.error_message() << "\n" << daemon_.log();
  st = unpack(l2, "layer2", "layer1", l2.diff_id);
  ASSERT_TRUE(st.ok()) << st.error_message() << "\n" << daemon_.log();
  st = unpack(l3, "layer3", "layer2", l3.diff_id);
  ASSERT_TRUE(st.ok()) << st.error_message() << "\n" << daemon_.log();

  TempDir mnt;
  view_and_mount("layer3", mnt.path());
  // The link made in layer 3 to layer 1's file (copied up on overlayfs).
  EXPECT_EQ(slurp(mnt.path() / "hl"), "kept\n");
  EXPECT_EQ(slurp(mnt.path() / "etc" / "hostname"), "changed\n");
  EXPECT_EQ(slurp(mnt.path() / "keep"), "kept\n");
  EXPECT_FALSE(std::filesystem::exists(mnt.path() / "remove-me"));
  EXPECT_FALSE(std::filesystem::exists(mnt.path() / ".wh.remove-me"));
  EXPECT_EQ(std::filesystem::read_symlink(mnt.path() / "link"), "etc/hostname");
  ASSERT_EQ(::umount2(mnt.path().c_str(), 0), 0);
}

TEST_P(DiffApiTest, AWrongDiffIdIsFailedPrecondition) {
  const auto src = dir_.path() / "src";
  std::filesystem::create_directories(src);
  std::ofstream(src / "f") << "x";
  const Layer l = make_layer("l", src);
  auto st = unpack(l, "bad", "", "sha256:" + std::string(64, '0'));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << st.error_message();
}

TEST_P(DiffApiTest, AnUnknownLayerIsNotFoundAndABadMediaTypeUnimplemented) {
  snapshots_v1::PrepareSnapshotRequest prep;
  prep.set_snapshotter(GetParam());
  prep.set_key("target");
  snapshots_v1::PrepareSnapshotResponse mounts;
  ASSERT_TRUE(snapshots_->Prepare(ctx().get(), prep, &mounts).ok());
  diff_v1::ApplyRequest apply;
  apply.mutable_diff()->set_media_type(kGzipLayer);
  apply.mutable_diff()->set_digest("sha256:" + std::string(64, 'a'));
  *apply.mutable_mounts() = mounts.mounts();
  diff_v1::ApplyResponse applied;
  EXPECT_EQ(diff_->Apply(ctx().get(), apply, &applied).error_code(), grpc::StatusCode::NOT_FOUND);
  apply.mutable_diff()->set_media_type("application/x-rar");
  EXPECT_EQ(diff_->Apply(ctx().get(), apply, &applied).error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_P(DiffApiTest, CtrSnapshotsDiffMakesTheLayerOfAChange) {
  const std::string ctr =
      "exec ctr -a '" + daemon_.address() + "' snapshots --snapshotter " + GetParam() + " ";
  TempDir mnt;
  sh(ctr + "prepare base-active");
  sh(sh(ctr + "mounts '" + mnt.path().string() + "' base-active"));
  std::ofstream(mnt.path() / "old") << "old\n";
  std::ofstream(mnt.path() / "same") << "same\n";
  ASSERT_EQ(::umount2(mnt.path().c_str(), 0), 0);
  sh(ctr + "commit base base-active");
  sh(ctr + "prepare child base");
  sh(sh(ctr + "mounts '" + mnt.path().string() + "' child"));
  std::filesystem::remove(mnt.path() / "old");
  std::ofstream(mnt.path() / "new") << "new\n";
  ASSERT_EQ(::umount2(mnt.path().c_str(), 0), 0);

  // ctr writes the layer (tar+gzip) to stdout.
  const auto layer = dir_.path() / "diff.tar.gz";
  auto r = run({"/bin/sh", "-c", ctr + "diff child > '" + layer.string() + "'"});
  ASSERT_EQ(r.exit_code, 0) << r.output << "\n" << daemon_.log();
  const std::string listing = sh("tar -tzf '" + layer.string() + "'");
  EXPECT_NE(listing.find("new"), std::string::npos) << listing;
  EXPECT_NE(listing.find(".wh.old"), std::string::npos) << listing;
  EXPECT_EQ(listing.find("same"), std::string::npos) << listing;
}

INSTANTIATE_TEST_SUITE_P(Snapshotters, DiffApiTest, ::testing::Values("overlayfs", "native"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace berth::test

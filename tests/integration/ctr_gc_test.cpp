// The garbage collector end to end: Debian's ctr (and, where ctr has no way
// to, the Content API) against berthd with its gc scheduler at containerd's
// defaults. An image removed with --sync leaves nothing on disk; what a live
// lease or a container holds stays; an import racing collections loses
// nothing; `berth gc` says what it removed.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>

#include "../support/digest.hpp"
#include "ctr_fixture.hpp"
#include "github.com/containerd/containerd/api/services/content/v1/content.grpc.pb.h"

namespace berth::test {
namespace {

namespace content_v1 = containerd::services::content::v1;

constexpr const char* kName = "docker.io/library/gc-test:1.0";

class CtrGcTest : public CtrFixture {
 protected:
  static std::size_t entries(const std::filesystem::path& dir) {
    std::error_code ec;
    std::size_t n = 0;
    for (auto it = std::filesystem::directory_iterator(dir, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
      ++n;
    return n;
  }
  std::size_t blob_files() const {
    return entries(daemon_.root() / "io.containerd.content.v1.content" / "blobs" / "sha256");
  }
  std::size_t overlay_snapshots() const {
    return entries(daemon_.root() / "io.containerd.snapshotter.v1.overlayfs" / "snapshots");
  }
  bool blob_on_disk(const std::string& digest) const {
    return std::filesystem::exists(daemon_.root() / "io.containerd.content.v1.content" / "blobs" / "sha256" /
                                   digest.substr(7));
  }

  // Commits `data` through the Content API in the default namespace under `lease`.
  void write_under_lease(const std::string& lease, const std::string& data) {
    auto channel = grpc::CreateChannel("unix:" + daemon_.address(), grpc::InsecureChannelCredentials());
    auto content = content_v1::Content::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.AddMetadata("containerd-namespace", "default");
    ctx.AddMetadata("containerd-lease", lease);
    auto stream = content->Write(&ctx);
    content_v1::WriteContentRequest req;
    req.set_action(content_v1::COMMIT);
    req.set_ref("leased-blob");
    req.set_total(static_cast<int64_t>(data.size()));
    req.set_offset(0);
    req.set_data(data);
    req.set_expected(sha256_of(data));
    ASSERT_TRUE(stream->Write(req));
    content_v1::WriteContentResponse resp;
    ASSERT_TRUE(stream->Read(&resp));
    stream->WritesDone();
    while (stream->Read(&resp)) {
    }
    auto st = stream->Finish();
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
};

TEST_F(CtrGcTest, AnImageRemovedWithSyncLeavesNoBlobOrSnapshotOnDisk) {
  ASSERT_FALSE(import_test_image(dir_.path() / "image.tar", kName).empty());
  EXPECT_GT(blob_files(), 0u);
  EXPECT_GT(overlay_snapshots(), 0u);

  ok({"images", "rm", "--sync", kName});
  EXPECT_EQ(blob_files(), 0u);
  EXPECT_EQ(overlay_snapshots(), 0u);
  EXPECT_EQ(ok({"content", "ls", "-q"}), "");
  EXPECT_EQ(ok({"snapshots", "ls"}).find("sha256:"), std::string::npos);
}

TEST_F(CtrGcTest, WhatALiveLeaseHoldsSurvivesUntilTheLeaseGoes) {
  ok({"leases", "create", "--id", "keep"});
  const std::string data = "held by a lease";
  write_under_lease("keep", data);
  const std::string digest = sha256_of(data);
  // A view of an image under ctr's mount lease: it keeps the whole chain.
  ASSERT_FALSE(import_test_image(dir_.path() / "image.tar", kName).empty());
  const auto target = dir_.path() / "mnt";
  std::filesystem::create_directories(target);
  ok({"images", "mount", kName, target.string()});

  ok({"images", "rm", "--sync", kName});
  EXPECT_TRUE(blob_on_disk(digest));
  EXPECT_NE(ok({"content", "ls", "-q"}).find(digest), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(target / "bin/busybox"));
  EXPECT_GT(overlay_snapshots(), 0u);

  ok({"images", "unmount", "--rm", target.string()});
  ok({"leases", "rm", "--sync", "keep"});
  EXPECT_FALSE(blob_on_disk(digest));
  EXPECT_EQ(blob_files(), 0u);
  EXPECT_EQ(overlay_snapshots(), 0u);
}

TEST_F(CtrGcTest, AContainersSnapshotSurvivesWhileTheContainerExists) {
  ASSERT_FALSE(import_test_image(dir_.path() / "image.tar", kName).empty());
  ok({"containers", "create", kName, "c1"});
  ok({"images", "rm", "--sync", kName});
  EXPECT_EQ(blob_files(), 0u);  // the container holds its snapshot, not the image's content
  EXPECT_NE(ok({"snapshots", "ls"}).find("c1"), std::string::npos);
  EXPECT_GT(overlay_snapshots(), 0u);

  ok({"containers", "rm", "c1"});
  berth_ok({"gc"});
  EXPECT_EQ(overlay_snapshots(), 0u);
  EXPECT_EQ(ok({"snapshots", "ls"}).find("sha256:"), std::string::npos);
}

TEST_F(CtrGcTest, CollectionsDuringAnImportDeleteNothingItNeeds) {
  const auto archive = dir_.path() / "image.tar";
  ASSERT_FALSE(make_test_image(archive, kName, {"EXTRA_LAYERS=3:1"}).empty());
  std::atomic<bool> stop{false};
  std::atomic<int> runs{0};
  std::thread collector([&] {
    while (!stop) {
      if (berth({"gc"}).exit_code == 0) ++runs;
    }
  });
  auto imported = daemon_.ctr({"images", "import", archive.string()});
  stop = true;
  collector.join();
  ASSERT_EQ(imported.exit_code, 0) << imported.output << "\nberthd log:\n" << daemon_.log();
  EXPECT_GT(runs.load(), 0);
  berth_ok({"gc"});
  const std::string check = ok({"images", "check"});
  EXPECT_TRUE(std::regex_search(check, std::regex("complete \\(([0-9]+)/\\1\\) .* true"))) << check;
  const auto target = dir_.path() / "mnt";
  std::filesystem::create_directories(target);
  ok({"images", "mount", kName, target.string()});
  EXPECT_TRUE(std::filesystem::exists(target / "bin/busybox"));
  ok({"images", "unmount", "--rm", target.string()});
}

TEST_F(CtrGcTest, BerthGcPrintsWhatItRemovesAndADryRunRemovesNothing) {
  ASSERT_FALSE(import_test_image(dir_.path() / "image.tar", kName).empty());
  ok({"images", "rm", kName});  // without --sync: the next collection takes it
  const std::string dry = berth_ok({"gc", "--dry-run", "--format", "json"});
  EXPECT_NE(dry.find("\"dry_run\": true"), std::string::npos) << dry;
  const std::string real = berth_ok({"gc"});
  // Either the scheduler's own collection after the delete took everything
  // already, or this one did and says so.
  if (real.find("removed 0 objects") == std::string::npos) {
    EXPECT_NE(real.find("blob"), std::string::npos) << real;
  }
  EXPECT_EQ(blob_files(), 0u);
  EXPECT_EQ(overlay_snapshots(), 0u);
  EXPECT_NE(berth_ok({"gc", "--dry-run"}).find("would remove 0 objects"), std::string::npos);
}

}  // namespace
}  // namespace berth::test

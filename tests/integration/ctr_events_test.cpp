// `ctr events` against berthd: every kind of record announces its changes
// (images, containers, snapshots, namespaces, content) with containerd's
// topics and types, whoever made them, so ctr decodes and prints each.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <regex>
#include <string>

#include "ctr_fixture.hpp"

namespace berth::test {
namespace {

constexpr const char* kImage = "docker.io/library/berth-test:1.0";
constexpr const char* kTag = "docker.io/library/berth-test:2.0";

class CtrEventsTest : public CtrFixture {
 protected:
  void SetUp() override {
    CtrFixture::SetUp();
    archive_ = dir_.path() / "image.tar";
    ASSERT_FALSE(import_test_image(archive_, kImage).empty());
    events_ = std::make_unique<CtrEvents>(daemon_, dir_.path() / "events.txt");
    // ctr subscribes in the background: label the image until its update shows.
    ASSERT_TRUE(events_->subscribe(
        [&](int i) {
          ok({"images", "label", kImage, "probe=" + std::to_string(i)});
        },
        "/images/update"))
        << events_->output();
  }

  std::filesystem::path archive_;
  std::unique_ptr<CtrEvents> events_;
};

// `ctr events` sees every change to image records, whoever made it: ctr
// through the Images API, and the daemon's own import (berth images import).
TEST_F(CtrEventsTest, ImageChanges) {
  const auto other = dir_.path() / "other.tar";
  auto made = run({"bash", BERTH_MAKE_OCI_IMAGE, other.string(), "docker.io/library/berth-other:1"});
  ASSERT_EQ(made.exit_code, 0) << made.output;

  berth_ok({"images", "import", other.string()});
  ok({"images", "tag", kImage, kTag});
  ok({"images", "rm", kTag});
  const std::string seen = events_->wait_for("/images/delete");
  EXPECT_TRUE(std::regex_search(
      seen, std::regex(R"((^|\n)[0-9-]+ [0-9:.]+ \+0000 UTC default /images/update \{"name":")" +
                       std::string(kImage) + R"(","labels":\{.*"probe":"[0-9]+")")))
      << seen;
  EXPECT_TRUE(std::regex_search(
      seen, std::regex(R"( default /images/create \{"name":"docker.io/library/berth-other:1")")))
      << seen;
  EXPECT_TRUE(
      std::regex_search(seen, std::regex(std::string(R"( default /images/create \{"name":")") + kTag)))
      << seen;
  EXPECT_TRUE(
      std::regex_search(seen, std::regex(std::string(R"( default /images/delete \{"name":")") + kTag)))
      << seen;
}

TEST_F(CtrEventsTest, ContainerAndSnapshotChanges) {
  ok({"containers", "create", kImage, "c1"});
  ok({"containers", "label", "c1", "a=b"});
  ok({"containers", "rm", "c1"});
  const std::string seen = events_->wait_for("/containers/delete");
  EXPECT_TRUE(std::regex_search(
      seen,
      std::regex(R"( default /containers/create \{"id":"c1","image":"docker.io/library/berth-test:1.0",)"
                 R"("runtime":\{"name":"io.containerd.runc.v2")")))
      << seen;
  EXPECT_TRUE(std::regex_search(seen, std::regex(R"( default /containers/update \{"id":"c1",.*"a":"b")")))
      << seen;
  EXPECT_TRUE(std::regex_search(seen, std::regex(R"( default /containers/delete \{"id":"c1"\})"))) << seen;
  // ctr prepared the container's snapshot and removed it with the container.
  EXPECT_TRUE(std::regex_search(
      seen, std::regex(R"( default /snapshot/prepare \{"key":"c1","parent":"sha256:[0-9a-f]{64}"\})")))
      << seen;
  EXPECT_TRUE(std::regex_search(seen, std::regex(R"( default /snapshot/remove \{"key":"c1"\})"))) << seen;
}

TEST_F(CtrEventsTest, NamespaceAndContentChanges) {
  ok({"namespaces", "create", "team", "owner=a"});
  ok({"namespaces", "label", "team", "owner=b"});
  ok({"namespaces", "rm", "team"});
  // A blob nothing needs: removing it announces its digest.
  const auto blob = dir_.path() / "blob";
  std::ofstream(blob) << "some bytes";
  auto ingested = run(
      {"/bin/sh", "-c", "ctr -a '" + daemon_.address() + "' content ingest loose < '" + blob.string() + "'"});
  ASSERT_EQ(ingested.exit_code, 0) << ingested.output;
  const std::string digest = "sha256:" + run({"sha256sum", blob.string()}).output.substr(0, 64);
  ok({"content", "rm", digest});
  const std::string seen = events_->wait_for("/content/delete");
  EXPECT_TRUE(std::regex_search(
      seen, std::regex(R"( team /namespaces/create \{"name":"team","labels":\{"owner":"a"\}\})")))
      << seen;
  EXPECT_TRUE(std::regex_search(
      seen, std::regex(R"( team /namespaces/update \{"name":"team","labels":\{"owner":"b"\}\})")))
      << seen;
  EXPECT_TRUE(std::regex_search(seen, std::regex(R"( team /namespaces/delete \{"name":"team"\})"))) << seen;
  EXPECT_TRUE(
      std::regex_search(seen, std::regex(" default /content/delete \\{\"digest\":\"" + digest + "\"\\}")))
      << seen;
}

}  // namespace
}  // namespace berth::test

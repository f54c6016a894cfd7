// The distribution client against Debian's docker-registry on loopback, with
// an image pushed by skopeo: resolve by tag and digest, blobs verified while
// they stream, and the errors of a registry that lacks or lies.
#include "distribution/distribution.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "loopback_registry.hpp"
#include "oci/oci.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"

namespace berth::distribution {
namespace {

class DistributionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_unique<test::LoopbackRegistry>(dir_ / "registry");
    ASSERT_TRUE(registry_->ok()) << registry_->why();
    const auto archive = dir_ / "image.tar";
    const std::string cmd = std::string("bash ") + BERTH_MAKE_OCI_IMAGE + " " + archive.string() + " t:1";
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    char line[128] = {};
    ASSERT_NE(std::fgets(line, sizeof(line), p), nullptr);
    ASSERT_EQ(::pclose(p), 0);
    manifest_ = std::string(line).substr(0, 71);
    const std::string pushed = registry_->push_archive(archive, "berth/t:1");
    ASSERT_EQ(pushed, "") << pushed;
    client_ = std::make_unique<Client>(registry::default_host(registry_->host(), {}));
  }

  test::TempDir dir_;
  std::unique_ptr<test::LoopbackRegistry> registry_;
  std::unique_ptr<Client> client_;
  std::string manifest_;
};

TEST_F(DistributionTest, ResolvesATagAndADigestToTheManifest) {
  auto by_tag = client_->resolve("berth/t", "1");
  ASSERT_OK(by_tag.status());
  EXPECT_EQ(by_tag->first.digest, manifest_);
  EXPECT_EQ(by_tag->first.media_type, oci::kOciManifest);
  EXPECT_EQ(by_tag->first.size, static_cast<int64_t>(by_tag->second.size()));
  auto by_digest = client_->resolve("berth/t", manifest_);
  ASSERT_OK(by_digest.status());
  EXPECT_EQ(by_digest->second, by_tag->second);
  EXPECT_CODE(client_->resolve("berth/t", "nope").status(), Code::kNotFound);
  EXPECT_CODE(client_->resolve("berth/missing", "1").status(), Code::kNotFound);
}

TEST_F(DistributionTest, BlobsAreVerifiedWhileTheyStream) {
  auto resolved = client_->resolve("berth/t", "1");
  ASSERT_OK(resolved.status());
  auto manifest = oci::parse_manifest(resolved->second, resolved->first);
  ASSERT_OK(manifest.status());
  for (const Descriptor& d : {manifest->config, manifest->layers.at(0)}) {
    std::string bytes;
    ASSERT_OK(client_->fetch_blob("berth/t", d, [&](std::string_view chunk) {
      bytes.append(chunk);
      return ok_status();
    }));
    EXPECT_EQ(static_cast<int64_t>(bytes.size()), d.size);
  }
  // A descriptor that says less than the registry sends, or more, or another
  // digest: DataLoss naming the blob.
  Descriptor shorter = manifest->config;
  shorter.size -= 1;
  auto st = client_->fetch_blob("berth/t", shorter, [](std::string_view) { return ok_status(); });
  EXPECT_CODE(st, Code::kDataLoss);
  EXPECT_NE(st.message().find("is longer than"), std::string::npos) << st.message();
  Descriptor longer = manifest->config;
  longer.size += 1;
  st = client_->fetch_blob("berth/t", longer, [](std::string_view) { return ok_status(); });
  EXPECT_CODE(st, Code::kDataLoss);
  EXPECT_NE(st.message().find("ended after"), std::string::npos) << st.message();
  Descriptor unknown = manifest->config;
  unknown.digest = "sha256:" + std::string(64, 'e');
  EXPECT_CODE(client_->fetch_blob("berth/t", unknown, [](std::string_view) { return ok_status(); }),
              Code::kNotFound);
  // The sink may stop the transfer with its own error.
  EXPECT_CODE(client_->fetch_blob("berth/t", manifest->config,
                                  [](std::string_view) { return internal("disk full"); }),
              Code::kInternal);
}

TEST_F(DistributionTest, AnUnreachableRegistryIsUnavailableNamingIt) {
  registry_.reset();  // killed: nothing listens on its port any more
  auto r = client_->resolve("berth/t", "1");
  EXPECT_CODE(r.status(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("127.0.0.1:"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace berth::distribution

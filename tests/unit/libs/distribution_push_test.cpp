// The push half of the distribution client against Debian's docker-registry
// on loopback: blobs checked for, uploaded whole and in chunks, mounted from
// another repository, manifests and indexes put, read back by the client and
// by skopeo; and the registry's refusals as clear errors. Fake servers stand
// in where the real registry cannot misbehave on cue.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>

#include "child_process.hpp"
#include "digest.hpp"
#include "distribution/distribution.hpp"
#include "fake_http_server.hpp"
#include "loopback_registry.hpp"
#include "oci/oci.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"

namespace berth::distribution {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A BlobReader over bytes in memory; records the offset of every read.
BlobReader reader_of(const std::string& bytes, std::set<int64_t>* offsets = nullptr) {
  return [&bytes, offsets](int64_t offset, char* buf, std::size_t len) -> Result<std::size_t> {
    if (offsets != nullptr) offsets->insert(offset);
    const auto o = std::min(static_cast<std::size_t>(offset), bytes.size());
    const std::size_t n = std::min(len, bytes.size() - o);
    std::memcpy(buf, bytes.data() + o, n);
    return n;
  };
}

Descriptor describe(std::string media_type, const std::string& bytes) {
  return {std::move(media_type), test::sha256_of(bytes), static_cast<int64_t>(bytes.size()), {}};
}

// make_oci_image.sh's image, taken apart: the manifest, its config and its
// one layer (a gzipped busybox, about a megabyte), bytes and descriptors.
struct Image {
  Descriptor manifest;
  std::string manifest_bytes;
  Descriptor config;
  std::string config_bytes;
  Descriptor layer;
  std::string layer_bytes;
};

class DistributionPushTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    image_dir_ = new test::TempDir();
    const auto archive = *image_dir_ / "image.tar";
    std::string out;
    ASSERT_EQ(
        test::run_shell("bash " + std::string(BERTH_MAKE_OCI_IMAGE) + " " + archive.string() +
                            " t:1 && tar -xf " + archive.string() + " -C " + image_dir_->path().string(),
                        out),
        0)
        << out;
    image_ = new Image();
    const std::string digest = out.substr(0, 71);
    const auto blob = [](const std::string& d) {
      return read_file(*image_dir_ / ("blobs/sha256/" + d.substr(7)));
    };
    image_->manifest_bytes = blob(digest);
    image_->manifest = describe(std::string(oci::kOciManifest), image_->manifest_bytes);
    auto m = oci::parse_manifest(image_->manifest_bytes, image_->manifest);
    ASSERT_OK(m.status());
    image_->config = m->config;
    image_->config_bytes = blob(m->config.digest);
    image_->layer = m->layers.at(0);
    image_->layer_bytes = blob(m->layers.at(0).digest);
  }
  static void TearDownTestSuite() {
    delete image_;
    delete image_dir_;
  }

  void SetUp() override {
    registry_ = std::make_unique<test::LoopbackRegistry>(dir_ / "registry");
    ASSERT_TRUE(registry_->ok()) << registry_->why();
    client_ =
        std::make_unique<Client>(registry::default_host(registry_->host(), {}),
                                 RetryPolicy{.attempts = 2, .first_backoff = std::chrono::milliseconds(10)});
  }

  // Pushes the image's blobs and manifest to `repo` as `tag`.
  void push_image(const std::string& repo, const std::string& tag, const UploadOptions& options = {}) {
    const Image& im = *image_;
    ASSERT_OK(client_->push_blob(repo, im.config, reader_of(im.config_bytes), options));
    ASSERT_OK(client_->push_blob(repo, im.layer, reader_of(im.layer_bytes), options));
    ASSERT_OK(client_->put_manifest(repo, tag, im.manifest, im.manifest_bytes));
  }

  // The blob `desc` of `repo` as the client fetches it.
  std::string fetched(const std::string& repo, const Descriptor& desc) {
    std::string bytes;
    Status st = client_->fetch_blob(repo, desc, [&](std::string_view c) {
      bytes.append(c);
      return ok_status();
    });
    EXPECT_OK(st);
    return bytes;
  }

  static test::TempDir* image_dir_;
  static Image* image_;
  test::TempDir dir_;
  std::unique_ptr<test::LoopbackRegistry> registry_;
  std::unique_ptr<Client> client_;
};

test::TempDir* DistributionPushTest::image_dir_ = nullptr;
Image* DistributionPushTest::image_ = nullptr;

TEST_F(DistributionPushTest, BlobExistsIsFalseUntilPushed) {
  const Image& im = *image_;
  auto before = client_->blob_exists("berth/p", im.config);
  ASSERT_OK(before.status());
  EXPECT_FALSE(*before);
  ASSERT_OK(client_->push_blob("berth/p", im.config, reader_of(im.config_bytes)));
  auto after = client_->blob_exists("berth/p", im.config);
  ASSERT_OK(after.status());
  EXPECT_TRUE(*after);
  // Another repository of the same registry does not have it.
  EXPECT_FALSE(*client_->blob_exists("berth/other", im.config));
  // The registry's size for the digest is not the descriptor's.
  Descriptor wrong_size = im.config;
  wrong_size.size += 1;
  auto mismatch = client_->blob_exists("berth/p", wrong_size);
  EXPECT_CODE(mismatch.status(), Code::kDataLoss);
  EXPECT_NE(mismatch.status().message().find(im.config.digest), std::string::npos)
      << mismatch.status().message();
}

// Pushed whole, then read back by the client and by skopeo (another
// implementation), byte for byte.
TEST_F(DistributionPushTest, AMonolithicPushReadsBackByteIdentical) {
  const Image& im = *image_;
  std::set<int64_t> offsets;
  ASSERT_OK(client_->push_blob("berth/p", im.layer, reader_of(im.layer_bytes, &offsets)));
  ASSERT_OK(client_->push_blob("berth/p", im.config, reader_of(im.config_bytes)));
  ASSERT_OK(client_->put_manifest("berth/p", "1", im.manifest, im.manifest_bytes));

  auto resolved = client_->resolve("berth/p", "1");
  ASSERT_OK(resolved.status());
  EXPECT_EQ(resolved->first, im.manifest);
  EXPECT_EQ(resolved->second, im.manifest_bytes);
  EXPECT_EQ(fetched("berth/p", im.layer), im.layer_bytes);
  EXPECT_EQ(fetched("berth/p", im.config), im.config_bytes);

  const auto copy = dir_ / "copy";
  std::string out;
  ASSERT_EQ(test::run_shell("skopeo copy --src-tls-verify=false docker://" + registry_->host() +
                                "/berth/p:1 dir:" + copy.string(),
                            out),
            0)
      << out;
  EXPECT_EQ(read_file(copy / "manifest.json"), im.manifest_bytes);
  EXPECT_EQ(read_file(copy / im.layer.digest.substr(7)), im.layer_bytes);
  EXPECT_EQ(read_file(copy / im.config.digest.substr(7)), im.config_bytes);
}

// Forced into chunks of an odd size: PATCH after PATCH, each to the Location
// the last answer named, then the PUT that ends it. The reads start at every
// chunk boundary, which one monolithic body would not do.
TEST_F(DistributionPushTest, AChunkedPushFollowsTheLocationEachTime) {
  const Image& im = *image_;
  ASSERT_GT(im.layer.size, 300'000);
  const UploadOptions chunked{.monolithic_max = 1000, .chunk_size = 100'003};
  std::set<int64_t> offsets;
  ASSERT_OK(client_->push_blob("berth/c", im.layer, reader_of(im.layer_bytes, &offsets), chunked));
  for (int64_t at = 0; at < im.layer.size; at += chunked.chunk_size)
    EXPECT_TRUE(offsets.contains(at)) << "no read at chunk start " << at;
  ASSERT_OK(client_->push_blob("berth/c", im.config, reader_of(im.config_bytes), chunked));
  ASSERT_OK(client_->put_manifest("berth/c", "1", im.manifest, im.manifest_bytes));
  EXPECT_EQ(fetched("berth/c", im.layer), im.layer_bytes);

  // A blob of exactly one chunk, and an empty one.
  const std::string one(static_cast<std::size_t>(chunked.chunk_size), 'x');
  ASSERT_OK(
      client_->push_blob("berth/c", describe("application/octet-stream", one), reader_of(one), chunked));
  const std::string none;
  ASSERT_OK(client_->push_blob("berth/c", describe("application/octet-stream", none), reader_of(none)));
  EXPECT_TRUE(*client_->blob_exists("berth/c", describe("application/octet-stream", one)));
}

TEST_F(DistributionPushTest, ABlobMountsFromAnotherRepositoryWithoutUpload) {
  const Image& im = *image_;
  ASSERT_OK(client_->push_blob("berth/a", im.layer, reader_of(im.layer_bytes)));
  auto mounted = client_->mount_blob("berth/b", im.layer, "berth/a");
  ASSERT_OK(mounted.status());
  EXPECT_TRUE(*mounted) << "the registry answered 201";
  EXPECT_TRUE(*client_->blob_exists("berth/b", im.layer));
  EXPECT_EQ(fetched("berth/b", im.layer), im.layer_bytes);

  // The source lacks it: the registry opens an upload instead, which the
  // client cancels; nothing is mounted.
  auto not_there = client_->mount_blob("berth/d", im.config, "berth/a");
  ASSERT_OK(not_there.status());
  EXPECT_FALSE(*not_there);
  EXPECT_FALSE(*client_->blob_exists("berth/d", im.config));
  // docker-registry 2.8 removes a cancelled upload's data (and leaves
  // its hash states behind).
  const auto uploads = dir_ / "registry/storage/docker/registry/v2/repositories/berth/d/_uploads";
  int open_uploads = 0;
  if (std::filesystem::exists(uploads)) {
    for (const auto& e : std::filesystem::directory_iterator(uploads))
      open_uploads += std::filesystem::exists(e.path() / "data") ? 1 : 0;
  }
  EXPECT_EQ(open_uploads, 0) << "the upload the registry opened was cancelled";
}

TEST_F(DistributionPushTest, IndexesAndManifestListsPut) {
  const Image& im = *image_;
  push_image("berth/i", im.manifest.digest);
  for (const std::string_view type : {oci::kOciIndex, oci::kDockerManifestList}) {
    const std::string index =
        R"({"schemaVersion":2,"mediaType":")" + std::string(type) + R"(","manifests":[{"mediaType":")" +
        std::string(oci::kOciManifest) + R"(","digest":")" + im.manifest.digest + R"(","size":)" +
        std::to_string(im.manifest.size) + R"(,"platform":{"architecture":"amd64","os":"linux"}}]})";
    const Descriptor desc = describe(std::string(type), index);
    ASSERT_OK(client_->put_manifest("berth/i", "multi", desc, index));
    auto resolved = client_->resolve("berth/i", "multi");
    ASSERT_OK(resolved.status());
    EXPECT_EQ(resolved->first, desc);
    EXPECT_EQ(resolved->second, index);
    // By its digest too.
    ASSERT_OK(client_->put_manifest("berth/i", desc.digest, desc, index));
  }
}

TEST_F(DistributionPushTest, BytesThatAreNotTheDescriptorAreRefusedByTheRegistry) {
  const std::string bytes = "not what the descriptor says";
  Descriptor lie = describe("application/octet-stream", "something else");
  lie.size = static_cast<int64_t>(bytes.size());
  for (const UploadOptions& options :
       {UploadOptions{}, UploadOptions{.monolithic_max = 0, .chunk_size = 7}}) {
    Status st = client_->push_blob("berth/p", lie, reader_of(bytes), options);
    EXPECT_CODE(st, Code::kInvalidArgument);
    EXPECT_NE(st.message().find("DIGEST_INVALID"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(lie.digest), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(registry_->host()), std::string::npos) << st.message();
  }
  EXPECT_FALSE(*client_->blob_exists("berth/p", lie));
  // A reader that ends early is the caller's data lost, not the registry's.
  Descriptor longer = describe("application/octet-stream", bytes);
  longer.size += 10;
  EXPECT_CODE(client_->push_blob("berth/p", longer, reader_of(bytes)), Code::kDataLoss);
}

TEST_F(DistributionPushTest, ManifestsTheRegistryRefuseAreClearErrors) {
  const Image& im = *image_;
  // Its blobs are not in the repository.
  Status st = client_->put_manifest("berth/empty", "1", im.manifest, im.manifest_bytes);
  EXPECT_CODE(st, Code::kInvalidArgument);
  EXPECT_NE(st.message().find("MANIFEST_BLOB_UNKNOWN"), std::string::npos) << st.message();
  // Bytes that are not the descriptor's, refused before anything is sent.
  EXPECT_CODE(client_->put_manifest("berth/p", "1", im.manifest, im.manifest_bytes + " "),
              Code::kInvalidArgument);
  EXPECT_CODE(client_->put_manifest("berth/p", im.config.digest, im.manifest, im.manifest_bytes),
              Code::kInvalidArgument);
}

// Upper case is outside the grammar of repository names: docker-registry
// has no route for it and answers 404 to the upload's start.
TEST_F(DistributionPushTest, ARepositoryNameTheRegistryRefusesIsAClearError) {
  const Image& im = *image_;
  Status st = client_->push_blob("Berth/P", im.config, reader_of(im.config_bytes));
  EXPECT_CODE(st, Code::kNotFound);
  for (const std::string& want : {"registry " + registry_->host(), std::string("Berth/P"),
                                  std::string("does not take pushes to that repository name")})
    EXPECT_NE(st.message().find(want), std::string::npos) << st.message();
  st = client_->put_manifest("Berth/P", "1", im.manifest, im.manifest_bytes);
  EXPECT_CODE(st, Code::kNotFound);
  EXPECT_NE(st.message().find("Berth/P"), std::string::npos) << st.message();
}

// --- Fake registries, for what the real one does not do on cue.

// An upload session at a relative Location, then one at another origin:
// the push follows both, and the other origin never sees the credentials.
TEST(DistributionPushFake, LocationsRelativeAndAbsoluteAndCredentialsStayHome) {
  const std::string bytes = "hello, registry";
  const Descriptor desc = describe("application/octet-stream", bytes);
  std::mutex mu;
  std::vector<std::string> elsewhere_requests;
  test::FakeServer elsewhere([&](const std::string& request) {
    std::lock_guard lock(mu);
    elsewhere_requests.push_back(request);
    return test::FakeServer::answer("201 Created", "Docker-Content-Digest: " + desc.digest + "\r\n", "");
  });
  std::vector<std::string> home_requests;
  test::FakeServer home([&](const std::string& request) {
    std::lock_guard lock(mu);
    home_requests.push_back(request);
    if (request.find("Authorization: Basic dXNlcjpwYXNz") == std::string::npos)
      return test::FakeServer::answer("401 Unauthorized", "WWW-Authenticate: Basic realm=\"fake\"\r\n", "");
    if (request.starts_with("POST /v2/x/blobs/uploads/ "))
      return test::FakeServer::answer("202 Accepted", "Location: u1?_state=a%3Db\r\n", "");
    if (request.starts_with("PATCH /v2/x/blobs/uploads/u1?_state=a%3Db ")) {
      return test::FakeServer::answer("202 Accepted",
                                      "Range: 0-" + std::to_string(bytes.size() - 1) +
                                          "\r\nLocation: http://" + elsewhere.host() + "/up/u2\r\n",
                                      "");
    }
    return test::FakeServer::answer("400 Bad Request", "", "unexpected");
  });
  Client client(registry::default_host(home.host(), {}), RetryPolicy{.attempts = 1},
                Credentials{"user", "pass"});
  ASSERT_OK(client.push_blob("x", desc, reader_of(bytes), {.monolithic_max = 0, .chunk_size = 1 << 20}));
  ASSERT_EQ(elsewhere_requests.size(), 1u);
  EXPECT_TRUE(elsewhere_requests[0].starts_with("PUT /up/u2?digest=sha256%3A")) << elsewhere_requests[0];
  EXPECT_EQ(elsewhere_requests[0].find("Authorization"), std::string::npos) << elsewhere_requests[0];
  // The chunk went to the relative Location, resolved against the POST's URL.
  bool patched = false;
  for (const auto& r : home_requests) patched |= r.starts_with("PATCH /v2/x/blobs/uploads/u1?_state=a%3Db ");
  EXPECT_TRUE(patched);
}

// A registry that says it stored another digest, and one that is
// unavailable at first: the upload starts over from its first byte.
TEST(DistributionPushFake, TheAnswerDigestMustMatchAndAnUnavailableUploadStartsOver) {
  const std::string bytes = "some blob";
  const Descriptor desc = describe("application/octet-stream", bytes);
  std::atomic<int> posts{0};
  std::atomic<bool> lie{true};
  test::FakeServer server([&](const std::string& request) {
    if (request.starts_with("POST ")) {
      return ++posts == 1
                 ? test::FakeServer::answer("503 Service Unavailable", "", "")
                 : test::FakeServer::answer("202 Accepted", "Location: /v2/x/blobs/uploads/u\r\n", "");
    }
    if (request.starts_with("PUT /v2/x/blobs/uploads/u?digest=")) {
      const bool whole = request.ends_with("\r\n\r\n" + bytes);
      const std::string digest = lie ? "sha256:" + std::string(64, '0') : desc.digest;
      return whole ? test::FakeServer::answer("201 Created", "Docker-Content-Digest: " + digest + "\r\n", "")
                   : test::FakeServer::answer("400 Bad Request", "", "short body");
    }
    return test::FakeServer::answer("204 No Content", "", "");
  });
  Client client(registry::default_host(server.host(), {}),
                RetryPolicy{.attempts = 3, .first_backoff = std::chrono::milliseconds(5)});
  Status st = client.push_blob("x", desc, reader_of(bytes));
  EXPECT_CODE(st, Code::kDataLoss);
  EXPECT_NE(st.message().find("stored digest sha256:000"), std::string::npos) << st.message();
  EXPECT_EQ(posts, 2) << "503 first, then the upload";
  lie = false;
  EXPECT_OK(client.push_blob("x", desc, reader_of(bytes)));
}

}  // namespace
}  // namespace berth::distribution

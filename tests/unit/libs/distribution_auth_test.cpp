// The distribution client against docker-registry with TLS (a CA the test
// makes) and authentication: HTTP basic from an htpasswd, and the bearer
// flow with a token server the test runs (token_server.py). Pull and push
// both; refusals name the registry.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "digest.hpp"
#include "distribution/distribution.hpp"
#include "loopback_registry.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"
#include "test_ca.hpp"
#include "token_server.hpp"

namespace berth::distribution {
namespace {

constexpr char kUser[] = "berth";
constexpr char kPassword[] = "s3cret pass";

BlobReader reader_of(const std::string& bytes) {
  return [&bytes](int64_t offset, char* buf, std::size_t len) -> Result<std::size_t> {
    const auto o = std::min(static_cast<std::size_t>(offset), bytes.size());
    const std::size_t n = std::min(len, bytes.size() - o);
    std::memcpy(buf, bytes.data() + o, n);
    return n;
  };
}

Descriptor describe(std::string media_type, const std::string& bytes) {
  return {std::move(media_type), test::sha256_of(bytes), static_cast<int64_t>(bytes.size()), {}};
}

// A small image made here: a config, a "layer", and the manifest naming them.
struct Image {
  std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  std::string layer = std::string(100'000, 'L');
  Descriptor config_desc = describe("application/vnd.oci.image.config.v1+json", config);
  Descriptor layer_desc = describe("application/vnd.oci.image.layer.v1.tar", layer);
  std::string manifest = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                         R"("config":{"mediaType":")" +
                         config_desc.media_type + R"(","digest":")" + config_desc.digest + R"(","size":)" +
                         std::to_string(config_desc.size) + R"(},"layers":[{"mediaType":")" +
                         layer_desc.media_type + R"(","digest":")" + layer_desc.digest + R"(","size":)" +
                         std::to_string(layer_desc.size) + "}]}";
  Descriptor manifest_desc = describe("application/vnd.oci.image.manifest.v1+json", manifest);
};

class DistributionAuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_dir_ = new test::TempDir();
    ca_ = new test::TestCa(ca_dir_->path());
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete ca_dir_;
  }
  void SetUp() override { ASSERT_TRUE(ca_->ok()) << ca_->why(); }

  // The registry over https, trusting the test CA unless told otherwise.
  static registry::RegistryHost https_host(const std::string& host, bool trust_ca = true) {
    registry::RegistryHost h;
    h.scheme = "https";
    h.host = host;
    if (trust_ca) h.ca_files = {ca_->ca_cert()};
    return h;
  }

  static RetryPolicy quick() { return {.attempts = 2, .first_backoff = std::chrono::milliseconds(10)}; }

  // Pushes the image to `repo` as `tag` and reads it back, byte for byte.
  static void push_and_pull(Client& client, const std::string& repo, const std::string& tag) {
    const Image im;
    ASSERT_OK(client.push_blob(repo, im.config_desc, reader_of(im.config)));
    ASSERT_OK(client.push_blob(repo, im.layer_desc, reader_of(im.layer),
                               {.monolithic_max = 0, .chunk_size = 30'000}));
    ASSERT_OK(client.put_manifest(repo, tag, im.manifest_desc, im.manifest));
    auto resolved = client.resolve(repo, tag);
    ASSERT_OK(resolved.status());
    EXPECT_EQ(resolved->second, im.manifest);
    std::string layer;
    ASSERT_OK(client.fetch_blob(repo, im.layer_desc, [&](std::string_view c) {
      layer.append(c);
      return ok_status();
    }));
    EXPECT_EQ(layer, im.layer);
  }

  static test::TempDir* ca_dir_;
  static test::TestCa* ca_;
  test::TempDir dir_;
};

test::TempDir* DistributionAuthTest::ca_dir_ = nullptr;
test::TestCa* DistributionAuthTest::ca_ = nullptr;

// --- HTTP basic over TLS.

class BasicAuthTest : public DistributionAuthTest {
 protected:
  void SetUp() override {
    DistributionAuthTest::SetUp();
    registry_ = std::make_unique<test::LoopbackRegistry>(dir_ / "registry",
                                                         test::RegistryOptions{.tls_cert = ca_->server_cert(),
                                                                               .tls_key = ca_->server_key(),
                                                                               .user = kUser,
                                                                               .password = kPassword});
    ASSERT_TRUE(registry_->ok()) << registry_->why();
  }
  std::unique_ptr<test::LoopbackRegistry> registry_;
};

TEST_F(BasicAuthTest, PushesAndPullsOverTlsWithTheTestCa) {
  Client client(https_host(registry_->host()), quick(), Credentials{kUser, kPassword});
  push_and_pull(client, "berth/basic", "1");
}

TEST_F(BasicAuthTest, WrongCredentialsAreUnauthenticatedNamingTheRegistry) {
  Client client(https_host(registry_->host()), quick(), Credentials{kUser, "wrong"});
  auto r = client.resolve("berth/basic", "1");
  EXPECT_CODE(r.status(), Code::kUnauthenticated);
  EXPECT_NE(r.status().message().find("registry " + registry_->host()), std::string::npos)
      << r.status().message();
  const Image im;
  Status st = client.push_blob("berth/basic", im.config_desc, reader_of(im.config));
  EXPECT_CODE(st, Code::kUnauthenticated);
  EXPECT_NE(st.message().find(registry_->host()), std::string::npos) << st.message();
  EXPECT_CODE(client.blob_exists("berth/basic", im.config_desc).status(), Code::kUnauthenticated);
}

TEST_F(BasicAuthTest, AnonymousIsRefused) {
  Client client(https_host(registry_->host()), quick());
  auto r = client.resolve("berth/basic", "1");
  EXPECT_CODE(r.status(), Code::kUnauthenticated);
  EXPECT_NE(r.status().message().find("asks for credentials"), std::string::npos) << r.status().message();
  const Image im;
  EXPECT_CODE(client.put_manifest("berth/basic", "1", im.manifest_desc, im.manifest), Code::kUnauthenticated);
}

TEST_F(BasicAuthTest, AnUntrustedCaIsRefusedUnlessSkipVerify) {
  Client untrusted(https_host(registry_->host(), /*trust_ca=*/false), quick(), Credentials{kUser, kPassword});
  auto r = untrusted.resolve("berth/basic", "1");
  EXPECT_CODE(r.status(), Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("certificate"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(registry_->host()), std::string::npos) << r.status().message();

  registry::RegistryHost skip = https_host(registry_->host(), false);
  skip.skip_verify = true;
  Client skipping(skip, quick(), Credentials{kUser, kPassword});
  push_and_pull(skipping, "berth/skip", "1");
}

// --- Bearer tokens from a token server.

class BearerAuthTest : public DistributionAuthTest {
 protected:
  void SetUp() override {
    DistributionAuthTest::SetUp();
    tokens_ = std::make_unique<test::TokenServer>(
        dir_ / "token", *ca_, test::TokenServerOptions{.user = kUser, .password = kPassword});
    ASSERT_TRUE(tokens_->ok()) << tokens_->why();
    registry_ = std::make_unique<test::LoopbackRegistry>(
        dir_ / "registry",
        test::RegistryOptions{.tls_cert = ca_->server_cert(),
                              .tls_key = ca_->server_key(),
                              .token = test::RegistryOptions::Token{.realm = tokens_->realm(),
                                                                    .service = tokens_->options().service,
                                                                    .issuer = tokens_->options().issuer,
                                                                    .root_cert = ca_->signing_cert()}});
    ASSERT_TRUE(registry_->ok()) << registry_->why();
  }

  [[nodiscard]] bool asked_for(const std::string& scopes) const {
    const auto all = tokens_->requests();
    return std::find(all.begin(), all.end(), scopes) != all.end();
  }

  std::unique_ptr<test::TokenServer> tokens_;
  std::unique_ptr<test::LoopbackRegistry> registry_;
};

TEST_F(BearerAuthTest, PushAndPullWithTokensPerScope) {
  Client client(https_host(registry_->host()), quick(), Credentials{kUser, kPassword});
  push_and_pull(client, "berth/bearer", "1");
  EXPECT_TRUE(asked_for("repository:berth/bearer:pull,push")) << testing::PrintToString(tokens_->requests());
  EXPECT_TRUE(asked_for("repository:berth/bearer:pull")) << testing::PrintToString(tokens_->requests());
  // One token per scope, cached: not one for each of the pushes' requests.
  EXPECT_EQ(tokens_->requests().size(), 2u) << testing::PrintToString(tokens_->requests());

  // A mount asks for the source's pull scope too.
  const Image im;
  auto mounted = client.mount_blob("berth/copy", im.layer_desc, "berth/bearer");
  ASSERT_OK(mounted.status());
  EXPECT_TRUE(*mounted);
  EXPECT_TRUE(asked_for("repository:berth/bearer:pull repository:berth/copy:pull,push"))
      << testing::PrintToString(tokens_->requests());
}

TEST_F(BearerAuthTest, AnonymousAndWrongPasswordsGetNoToken) {
  for (const auto& credentials : {std::optional<Credentials>(), std::optional(Credentials{kUser, "wrong"})}) {
    Client client(https_host(registry_->host()), quick(), credentials);
    auto r = client.resolve("berth/bearer", "1");
    EXPECT_CODE(r.status(), Code::kUnauthenticated);
    EXPECT_NE(r.status().message().find("refused a token"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("registry " + registry_->host()), std::string::npos)
        << r.status().message();
    const Image im;
    EXPECT_CODE(client.push_blob("berth/bearer", im.config_desc, reader_of(im.config)),
                Code::kUnauthenticated);
  }
  EXPECT_TRUE(asked_for("!repository:berth/bearer:pull")) << testing::PrintToString(tokens_->requests());
}

}  // namespace
}  // namespace berth::distribution

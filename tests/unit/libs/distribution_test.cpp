// The distribution client against Debian's docker-registry on loopback, with
// an image pushed by skopeo: resolve by tag and digest, blobs verified while
// they stream, and the errors of a registry that lacks or lies.
#include "distribution/distribution.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>

#include "fake_http_server.hpp"
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
    client_ =
        std::make_unique<Client>(registry::default_host(registry_->host(), {}),
                                 RetryPolicy{.attempts = 2, .first_backoff = std::chrono::milliseconds(10)});
  }

  // The manifest of the image SetUp pushed, resolved by its tag.
  Result<oci::Manifest> pushed_manifest() {
    auto resolved = client_->resolve("berth/t", "1");
    if (!resolved.ok()) return resolved.status();
    return oci::parse_manifest(resolved->second, resolved->first);
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
  auto manifest = pushed_manifest();
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

// A download broken after some bytes goes on from there with HTTP Range, and
// the whole blob is still verified: a wrong prefix is caught.
TEST_F(DistributionTest, ABrokenDownloadResumesWithRange) {
  auto manifest = pushed_manifest();
  ASSERT_OK(manifest.status());
  const Descriptor layer = manifest->layers.at(0);
  std::string whole;
  ASSERT_OK(client_->fetch_blob("berth/t", layer, [&](std::string_view c) {
    whole.append(c);
    return ok_status();
  }));
  const int64_t kept = layer.size / 3;
  std::string rest;
  ASSERT_OK(client_->stream_blob("berth/t", layer, kept, [&](std::string_view c) {
    rest.append(c);
    return ok_status();
  }));
  EXPECT_EQ(rest, whole.substr(static_cast<std::size_t>(kept)));
  EXPECT_CODE(
      client_->stream_blob("berth/t", layer, layer.size + 1, [](std::string_view) { return ok_status(); }),
      Code::kInvalidArgument);
}

TEST_F(DistributionTest, StreamingChecksTheLengthAndLeavesTheDigestToTheSink) {
  auto manifest = pushed_manifest();
  ASSERT_OK(manifest.status());
  const Descriptor layer = manifest->layers.at(0);
  // The registry serves it under its digest, and the bytes are what they
  // are: a sink that hashes them finds them out.
  Descriptor shorter = layer;
  shorter.size -= 1;
  EXPECT_CODE(client_->stream_blob("berth/t", shorter, 0, [](std::string_view) { return ok_status(); }),
              Code::kDataLoss);
  Descriptor longer = layer;
  longer.size += 1;
  EXPECT_CODE(client_->stream_blob("berth/t", longer, 0, [](std::string_view) { return ok_status(); }),
              Code::kDataLoss);
  int64_t seen = 0;
  ASSERT_OK(client_->stream_blob("berth/t", layer, 0, [&](std::string_view c) {
    seen += static_cast<int64_t>(c.size());
    return ok_status();
  }));
  EXPECT_EQ(seen, layer.size);
}

TEST_F(DistributionTest, AnUnreachableRegistryIsUnavailableNamingIt) {
  registry_.reset();  // killed: nothing listens on its port any more
  auto r = client_->resolve("berth/t", "1");
  EXPECT_CODE(r.status(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("127.0.0.1:"), std::string::npos) << r.status().message();
}

// A registry that answers 503 to its first `failures` requests, then serves
// one manifest: what a registry restarting behind a load balancer looks like.
std::unique_ptr<test::FakeServer> flaky_registry(int failures) {
  auto count = std::make_shared<std::atomic<int>>(0);
  return std::make_unique<test::FakeServer>([count, failures](const std::string&) {
    if ((*count)++ < failures) return test::FakeServer::answer("503 Service Unavailable", "", "");
    return test::FakeServer::answer("200 OK", "Content-Type: application/vnd.oci.image.manifest.v1+json\r\n",
                                    "{}");
  });
}

TEST(DistributionRetry, AnUnavailableRegistryIsTriedAgainWithBackoff) {
  auto flaky = flaky_registry(2);
  Client client(registry::default_host(flaky->host(), {}),
                {.attempts = 4, .first_backoff = std::chrono::milliseconds(5)});
  auto r = client.resolve("x", "1");
  ASSERT_OK(r.status());
  EXPECT_EQ(r->second, "{}");
  EXPECT_EQ(flaky->requests(), 3);
}

TEST(DistributionRetry, GivesUpAfterItsAttemptsWithTheLastError) {
  auto flaky = flaky_registry(5);
  Client client(registry::default_host(flaky->host(), {}),
                {.attempts = 2, .first_backoff = std::chrono::milliseconds(5)});
  auto r = client.resolve("x", "1");
  EXPECT_CODE(r.status(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("HTTP 503"), std::string::npos) << r.status().message();
  EXPECT_EQ(flaky->requests(), 2);
}

TEST(DistributionAuth, ChallengesParse) {
  auto c = parse_challenge(
      R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push")");
  ASSERT_OK(c.status());
  EXPECT_EQ(c->scheme, "bearer");
  EXPECT_EQ(c->params.at("realm"), "https://auth.example/token");
  EXPECT_EQ(c->params.at("scope"), "repository:a/b:pull,push") << "a comma inside quotes stays";
  EXPECT_EQ(parse_challenge(R"(Basic realm="Registry Realm")")->scheme, "basic");
  EXPECT_CODE(parse_challenge("Bearer service=x").status(), Code::kInvalidArgument);
  EXPECT_EQ(basic_authorization({"user", "pass"}), "Basic dXNlcjpwYXNz");
}

// The bearer flow: 401 with a challenge, a token from its realm (asked with
// the user's credentials), the request again with it; the token is reused.
TEST(DistributionAuth, BearerTokensAreFetchedFromTheRealmAndCached) {
  std::atomic<int> token_requests{0};
  std::string host;
  test::FakeServer server([&](const std::string& request) {
    if (request.starts_with("GET /token?")) {
      ++token_requests;
      if (request.find("Authorization: Basic dXNlcjpwYXNz") == std::string::npos ||
          request.find("scope=repository%3Ax%3Apull") == std::string::npos)
        return test::FakeServer::answer("401 Unauthorized", "", "");
      return test::FakeServer::answer("200 OK", "", R"({"token":"t1","expires_in":300})");
    }
    if (request.find("Authorization: Bearer t1") == std::string::npos) {
      return test::FakeServer::answer("401 Unauthorized",
                                      "WWW-Authenticate: Bearer realm=\"http://" + host +
                                          "/token\",service=\"fake\",scope=\"repository:x:pull\"\r\n",
                                      R"({"errors":[{"code":"UNAUTHORIZED"}]})");
    }
    return test::FakeServer::answer("200 OK", "Content-Type: application/vnd.oci.image.manifest.v1+json\r\n",
                                    "{}");
  });
  host = server.host();
  Client client(registry::default_host(host, {}), RetryPolicy{}, Credentials{"user", "pass"});
  ASSERT_OK(client.resolve("x", "1").status());
  ASSERT_OK(client.resolve("x", "1").status());
  EXPECT_EQ(token_requests, 1) << "the token is cached for its scope";

  Client wrong(registry::default_host(host, {}), RetryPolicy{}, Credentials{"user", "nope"});
  auto refused = wrong.resolve("x", "1");
  EXPECT_CODE(refused.status(), Code::kUnauthenticated);
  EXPECT_NE(refused.status().message().find("refused a token"), std::string::npos)
      << refused.status().message();
}

TEST(DistributionAuth, BasicAuthenticationNeedsCredentials) {
  test::FakeServer server([](const std::string& request) {
    if (request.find("Authorization: Basic dXNlcjpwYXNz") == std::string::npos)
      return test::FakeServer::answer("401 Unauthorized", "WWW-Authenticate: Basic realm=\"fake\"\r\n", "");
    return test::FakeServer::answer("200 OK", "Content-Type: application/vnd.oci.image.manifest.v1+json\r\n",
                                    "{}");
  });
  Client with(registry::default_host(server.host(), {}), RetryPolicy{}, Credentials{"user", "pass"});
  ASSERT_OK(with.resolve("x", "1").status());
  Client without(registry::default_host(server.host(), {}));
  auto r = without.resolve("x", "1");
  EXPECT_CODE(r.status(), Code::kUnauthenticated);
  EXPECT_NE(r.status().message().find("asks for credentials"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace berth::distribution

// The distribution client against Debian's docker-registry on loopback, with
// an image pushed by skopeo: resolve by tag and digest, blobs verified while
// they stream, and the errors of a registry that lacks or lies.
#include "distribution/distribution.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

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

// A download broken after some bytes goes on from there with HTTP Range, and
// the whole blob is still verified: a wrong prefix is caught.
TEST_F(DistributionTest, ABrokenDownloadResumesWithRange) {
  auto resolved = client_->resolve("berth/t", "1");
  ASSERT_OK(resolved.status());
  auto manifest = oci::parse_manifest(resolved->second, resolved->first);
  ASSERT_OK(manifest.status());
  const Descriptor layer = manifest->layers.at(0);
  std::string whole;
  ASSERT_OK(client_->fetch_blob("berth/t", layer, [&](std::string_view c) {
    whole.append(c);
    return ok_status();
  }));
  const int64_t kept = layer.size / 3;
  auto prefix = digest::Sha256::create();
  ASSERT_OK(prefix.status());
  ASSERT_OK(prefix->update(whole.substr(0, static_cast<std::size_t>(kept))));
  std::string rest;
  ASSERT_OK(client_->resume_blob("berth/t", layer, kept, std::move(*prefix), [&](std::string_view c) {
    rest.append(c);
    return ok_status();
  }));
  EXPECT_EQ(rest, whole.substr(static_cast<std::size_t>(kept)));

  auto wrong = digest::Sha256::create();
  ASSERT_OK(wrong.status());
  ASSERT_OK(wrong->update(std::string(static_cast<std::size_t>(kept), 'x')));
  auto st = client_->resume_blob("berth/t", layer, kept, std::move(*wrong),
                                 [](std::string_view) { return ok_status(); });
  EXPECT_CODE(st, Code::kDataLoss);
  auto empty = digest::Sha256::create();
  EXPECT_CODE(client_->resume_blob("berth/t", layer, layer.size + 1, std::move(*empty),
                                   [](std::string_view) { return ok_status(); }),
              Code::kInvalidArgument);
}

TEST_F(DistributionTest, AnUnreachableRegistryIsUnavailableNamingIt) {
  registry_.reset();  // killed: nothing listens on its port any more
  auto r = client_->resolve("berth/t", "1");
  EXPECT_CODE(r.status(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("127.0.0.1:"), std::string::npos) << r.status().message();
}

// A registry that answers 503 to its first `failures` requests, then serves
// one manifest: what a registry restarting behind a load balancer looks like.
class FlakyRegistry {
 public:
  FlakyRegistry(int failures, std::string body) : failures_(failures), body_(std::move(body)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    ::listen(fd_, 8);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FlakyRegistry() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  FlakyRegistry(const FlakyRegistry&) = delete;
  FlakyRegistry& operator=(const FlakyRegistry&) = delete;

  [[nodiscard]] std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] int requests() const { return requests_; }

 private:
  void serve() {
    for (;;) {
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      char buf[4096];
      (void)::recv(c, buf, sizeof(buf), 0);  // the request; its content does not matter here
      const bool fail = requests_++ < failures_;
      const std::string answer =
          fail ? "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
               : "HTTP/1.1 200 OK\r\nContent-Type: "
                 "application/vnd.oci.image.manifest.v1+json\r\nContent-Length: " +
                     std::to_string(body_.size()) + "\r\nConnection: close\r\n\r\n" + body_;
      (void)::send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  int failures_;
  std::string body_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

TEST(DistributionRetry, AnUnavailableRegistryIsTriedAgainWithBackoff) {
  FlakyRegistry flaky(2, "{}");
  Client client(registry::default_host(flaky.host(), {}),
                {.attempts = 4, .first_backoff = std::chrono::milliseconds(5)});
  auto r = client.resolve("x", "1");
  ASSERT_OK(r.status());
  EXPECT_EQ(r->second, "{}");
  EXPECT_EQ(flaky.requests(), 3);
}

TEST(DistributionRetry, GivesUpAfterItsAttemptsWithTheLastError) {
  FlakyRegistry flaky(5, "{}");
  Client client(registry::default_host(flaky.host(), {}),
                {.attempts = 2, .first_backoff = std::chrono::milliseconds(5)});
  auto r = client.resolve("x", "1");
  EXPECT_CODE(r.status(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("HTTP 503"), std::string::npos) << r.status().message();
  EXPECT_EQ(flaky.requests(), 2);
}

}  // namespace
}  // namespace berth::distribution

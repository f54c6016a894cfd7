// `berth images push`: berthd pushes (berth.services.transfer.v1 Push) what
// `berth pull` put in its content store, and skopeo, a second and
// independent client, checks what the registry then holds. Registries are
// Debian's docker-registry on loopback ports, logging every request they
// answer so a test can see whether a blob was uploaded or mounted.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "ctr_fixture.hpp"
#include "loopback_registry.hpp"
#include "test_ca.hpp"
#include "test_data.hpp"

namespace berth::test {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The lines (numbers) of the registry's log for requests of `method` to
// URIs starting with `prefix` (docker-registry at level info logs each it
// answered; it quotes a URI only when it has to).
std::vector<std::size_t> request_lines(const LoopbackRegistry& registry, const std::string& method,
                                       const std::string& prefix) {
  std::vector<std::size_t> out;
  const auto all = lines(registry.log());
  for (std::size_t i = 0; i < all.size(); ++i) {
    const std::string& line = all[i];
    if (line.find("msg=\"response completed") == std::string::npos) continue;
    if (line.find("http.request.method=" + method + " ") == std::string::npos) continue;
    if (line.find("http.request.uri=" + prefix) != std::string::npos ||
        line.find("http.request.uri=\"" + prefix) != std::string::npos)
      out.push_back(i);
  }
  return out;
}

std::size_t requests(const LoopbackRegistry& registry, const std::string& method, const std::string& prefix) {
  return request_lines(registry, method, prefix).size();
}

// Every file of skopeo's dir: copy of `image` (the manifest and its blobs,
// named by digest), by name. `global` goes before skopeo's command.
std::map<std::string, std::string> skopeo_dir(const std::filesystem::path& dir, const std::string& image,
                                              const std::string& global = "") {
  std::map<std::string, std::string> files;
  auto r = run({"bash", "-c",
                "skopeo " + global + " copy --src-tls-verify=false 'docker://" + image +
                    "' 'dir:" + dir.string() + "' 2>&1"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  if (r.exit_code != 0) return files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    files[e.path().filename().string()] = read_file(e.path());
  return files;
}

// The digest of the manifest or index the registry serves for `image`.
std::string remote_digest(const std::string& image, const std::string& extra = "") {
  auto r = run({"bash", "-c",
                "skopeo inspect --raw --tls-verify=false " + extra + " 'docker://" + image +
                    "' | sha256sum | cut -d' ' -f1"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return "sha256:" + r.output.substr(0, r.output.find('\n'));
}

class BerthPushTest : public CtrFixture {
 protected:
  void SetUp() override {
    CtrFixture::SetUp();
    registry_ =
        std::make_unique<LoopbackRegistry>(dir_.path() / "registry", RegistryOptions{.log_level = "info"});
    ASSERT_TRUE(registry_->ok()) << registry_->why();
    host_ = registry_->host();
    const auto archive = dir_.path() / "image.tar";
    manifest_ = make_test_image(archive, "berth-test:1.0");
    ASSERT_FALSE(manifest_.empty());
    const std::string pushed = registry_->push_archive(archive, "berth-test:1.0");
    ASSERT_EQ(pushed, "") << pushed;
    ref_ = host_ + "/berth-test:1.0";
  }

  // The namespace's blobs with their labels, as ctr lists them.
  std::string content() { return ok({"content", "ls"}); }

  std::string host_;
  std::string manifest_;
  std::string ref_;
  std::unique_ptr<LoopbackRegistry> registry_;
};

TEST_F(BerthPushTest, PushToAnotherRepositoryMountsAndWritesTheSameImage) {
  berth_ok({"pull", "--plain-http", ref_});
  const std::string copy = host_ + "/copies/pushed:2.0";
  auto pushed = berth({"images", "push", "--plain-http", ref_, copy});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.output << daemon_.log();
  // Plain progress lines (stderr is no terminal), then "REMOTE DIGEST".
  EXPECT_NE(pushed.output.find(copy + " " + manifest_), std::string::npos) << pushed.output;
  EXPECT_TRUE(std::regex_search(pushed.output, std::regex("layer +sha256:[0-9a-f]{64} mounted")))
      << pushed.output;
  EXPECT_TRUE(std::regex_search(pushed.output, std::regex("config +sha256:[0-9a-f]{64} mounted")))
      << pushed.output;
  // Mounted, not sent: no upload session was ever opened in the new repository.
  EXPECT_EQ(requests(*registry_, "PUT", "/v2/copies/pushed/blobs/uploads/"), 0u) << registry_->log();
  EXPECT_EQ(requests(*registry_, "PATCH", "/v2/copies/pushed/blobs/uploads/"), 0u) << registry_->log();
  EXPECT_EQ(requests(*registry_, "PUT", "/v2/copies/pushed/manifests/2.0"), 1u) << registry_->log();

  EXPECT_EQ(remote_digest(copy), manifest_);
  const auto original = skopeo_dir(dir_.path() / "original", ref_);
  const auto copied = skopeo_dir(dir_.path() / "copied", copy);
  EXPECT_EQ(original.size(), 4u);  // manifest, config, layer, version
  EXPECT_EQ(original, copied);

  // The blobs now name both repositories as their source.
  EXPECT_NE(content().find("containerd.io/distribution.source.127.0.0.1=berth-test,copies/pushed"),
            std::string::npos)
      << content();

  // Again: everything is there already.
  auto again = berth({"images", "push", "--plain-http", ref_, copy});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(std::regex_search(again.output, std::regex("layer +sha256:[0-9a-f]{64} exists")))
      << again.output;
}

TEST_F(BerthPushTest, PushToAnotherRegistryUploadsTheBytes) {
  berth_ok({"pull", "--plain-http", ref_});
  LoopbackRegistry other(dir_.path() / "other", RegistryOptions{.log_level = "info"});
  ASSERT_TRUE(other.ok()) << other.why();
  // Same host name, another port: the source label (host without port)
  // names berth-test, which this registry lacks, so the mount falls back to
  // an upload.
  const std::string target = other.host() + "/uploaded";
  auto pushed = berth({"images", "push", "--plain-http", "--max-concurrent-uploads", "1", ref_, target});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.output << daemon_.log();
  EXPECT_TRUE(std::regex_search(pushed.output, std::regex("layer +sha256:[0-9a-f]{64} uploading")))
      << pushed.output;
  EXPECT_TRUE(std::regex_search(pushed.output, std::regex("layer +sha256:[0-9a-f]{64} done")))
      << pushed.output;
  EXPECT_EQ(requests(other, "PUT", "/v2/uploaded/blobs/uploads/"), 2u) << other.log();  // config and layer
  EXPECT_EQ(remote_digest(target + ":latest"), manifest_);
  EXPECT_EQ(skopeo_dir(dir_.path() / "original", ref_),
            skopeo_dir(dir_.path() / "uploaded", target + ":latest"));
}

TEST_F(BerthPushTest, PushesAWholeIndexOrOnePlatform) {
  const auto archive = dir_.path() / "multi.tar";
  auto made = run({"bash", BERTH_MAKE_MULTIARCH_IMAGE, archive.string(), "multi:1.0"});
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const auto digests = lines(made.output);
  ASSERT_EQ(digests.size(), 4u) << made.output;
  const std::string& index = digests[0];
  const std::string& amd64 = digests[1];
  const std::string& arm64 = digests[2];
  const std::string& arm64_layer = digests[3];
  ASSERT_EQ(registry_->push_archive(archive, "multi:1.0"), "");
  const std::string ref = host_ + "/multi:1.0";
  ASSERT_EQ(remote_digest(ref), index);

  // Only this host's platform pulled: the whole index cannot go, and the
  // error names what is missing; the tag is never written.
  berth_ok({"pull", "--plain-http", "--platform", "linux/amd64", ref});
  auto partial = berth({"images", "push", "--plain-http", ref, host_ + "/partial:1.0"});
  EXPECT_NE(partial.exit_code, 0) << partial.output;
  EXPECT_NE(partial.output.find("FailedPrecondition"), std::string::npos) << partial.output;
  EXPECT_NE(partial.output.find(arm64 + " (linux/arm64) of index " + index), std::string::npos)
      << partial.output;
  EXPECT_EQ(requests(*registry_, "PUT", "/v2/partial/"), 0u) << registry_->log();
  EXPECT_EQ(requests(*registry_, "POST", "/v2/partial/"), 0u) << registry_->log();

  // One platform: its manifest alone, as the image.
  auto one = berth({"images", "push", "--plain-http", "--platform", "linux/amd64", ref, host_ + "/one:1.0"});
  ASSERT_EQ(one.exit_code, 0) << one.output << daemon_.log();
  EXPECT_EQ(remote_digest(host_ + "/one:1.0"), amd64);

  // Every platform pulled: the index goes whole, with both manifests.
  berth_ok({"pull", "--plain-http", "--all-platforms", ref});
  auto whole = berth({"images", "push", "--plain-http", ref, host_ + "/whole:1.0"});
  ASSERT_EQ(whole.exit_code, 0) << whole.output << daemon_.log();
  EXPECT_NE(whole.output.find(host_ + "/whole:1.0 " + index), std::string::npos) << whole.output;
  EXPECT_EQ(remote_digest(host_ + "/whole:1.0"), index);
  EXPECT_EQ(remote_digest(host_ + "/whole@" + arm64), arm64);
  EXPECT_EQ(remote_digest(host_ + "/whole@" + amd64), amd64);
  const auto arm = skopeo_dir(dir_.path() / "arm64", host_ + "/whole:1.0", "--override-arch arm64");
  EXPECT_TRUE(arm.contains(arm64_layer.substr(7))) << "the arm64 layer was not pushed";
  // Manifests by digest, then the index by tag, last.
  const auto index_put = request_lines(*registry_, "PUT", "/v2/whole/manifests/1.0");
  const auto arm_put = request_lines(*registry_, "PUT", "/v2/whole/manifests/" + arm64);
  ASSERT_EQ(index_put.size(), 1u) << registry_->log();
  ASSERT_EQ(arm_put.size(), 1u) << registry_->log();
  EXPECT_LT(arm_put[0], index_put[0]);
}

TEST_F(BerthPushTest, MissingLayerFailsBeforeAnythingIsSent) {
  berth_ok({"pull", "--plain-http", ref_});
  const std::string manifest = ok({"content", "get", manifest_});
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(manifest, m, std::regex(R"re("layers":\[\{[^}]*"digest":"(sha256:[0-9a-f]{64})")re")))
      << manifest;
  const std::string layer = m[1];
  ok({"content", "rm", layer});
  auto pushed = berth({"images", "push", "--plain-http", ref_, host_ + "/broken:1.0"});
  EXPECT_NE(pushed.exit_code, 0) << pushed.output;
  EXPECT_NE(pushed.output.find("FailedPrecondition"), std::string::npos) << pushed.output;
  EXPECT_NE(pushed.output.find("layer " + layer + " of manifest " + manifest_), std::string::npos)
      << pushed.output;
  EXPECT_EQ(requests(*registry_, "PUT", "/v2/broken/"), 0u) << registry_->log();
  auto inspected = run({"skopeo", "inspect", "--tls-verify=false", "docker://" + host_ + "/broken:1.0"});
  EXPECT_NE(inspected.exit_code, 0) << inspected.output;

  auto missing = berth({"images", "push", "--plain-http", "no-such-image", host_ + "/x:1"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("NotFound"), std::string::npos) << missing.output;
}

TEST_F(BerthPushTest, PushesToABasicAuthTlsRegistryWithTheUsersCredentials) {
  berth_ok({"pull", "--plain-http", ref_});
  TestCa ca(dir_.path() / "ca");
  ASSERT_TRUE(ca.ok()) << ca.why();
  LoopbackRegistry secure(
      dir_.path() / "secure",
      RegistryOptions{
          .tls_cert = ca.server_cert(), .tls_key = ca.server_key(), .user = "pusher", .password = "s3cret"});
  ASSERT_TRUE(secure.ok()) << secure.why();
  // The test CA through containerd's hosts directory.
  const auto hosts = dir_.path() / "hosts";
  std::filesystem::create_directories(hosts / secure.host());
  std::ofstream(hosts / secure.host() / "hosts.toml")
      << "server = \"https://" << secure.host() << "\"\nca = \"" << ca.ca_cert().string() << "\"\n";
  const std::string target = secure.host() + "/private/app:1.0";

  auto refused = berth({"images", "push", "--hosts-dir", hosts.string(), "-u", "pusher:wrong", ref_, target});
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_NE(refused.output.find("Unauthenticated"), std::string::npos) << refused.output;
  auto anonymous = berth({"images", "push", "--hosts-dir", hosts.string(), ref_, target});
  EXPECT_NE(anonymous.exit_code, 0) << anonymous.output;
  EXPECT_NE(anonymous.output.find("Unauthenticated"), std::string::npos) << anonymous.output;
  // Without the CA the certificate is not trusted.
  auto untrusted = berth({"images", "push", "-u", "pusher:s3cret", ref_, target});
  EXPECT_NE(untrusted.exit_code, 0) << untrusted.output;

  auto pushed = berth({"images", "push", "--hosts-dir", hosts.string(), "-u", "pusher:s3cret", ref_, target});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.output << daemon_.log();
  EXPECT_EQ(remote_digest(target, "--creds pusher:s3cret"), manifest_);
}

}  // namespace
}  // namespace berth::test

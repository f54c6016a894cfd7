// `berth pull` against berthd: the daemon pulls from Debian's docker-registry
// on a free loopback port (the image pushed there with skopeo) and Debian's
// ctr checks the result: complete, unpacked, labelled as containerd labels a
// pull, no lease left. Then what goes wrong: bad references, missing images,
// a registry whose answers lie, a download cut mid-blob (resumed with
// Range), and berthd killed in the middle of a pull (the next pull goes on
// from what was verified). A loopback proxy (tests/support/tcp_proxy.py)
// slows or cuts downloads and counts the bytes that went through.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "child_process.hpp"
#include "ctr_fixture.hpp"
#include "loopback_registry.hpp"
#include "test_ca.hpp"
#include "token_server.hpp"

namespace berth::test {
namespace {

namespace fs = std::filesystem;

// tests/support/tcp_proxy.py in front of the registry.
class Proxy {
 public:
  Proxy(const fs::path& dir, const std::string& upstream, const std::vector<std::string>& flags)
      : port_file_(dir / "proxy.port"), log_(dir / "proxy.log") {
    std::vector<std::string> args{BERTH_TCP_PROXY,     upstream, "--port-file",
                                  port_file_.string(), "--log",  log_.string()};
    args.insert(args.end(), flags.begin(), flags.end());
    process_ = std::make_unique<ChildProcess>("/usr/bin/python3", args);
    ok_ = process_->started() && process_->wait_for_line("ready");
    if (ok_) {
      std::ifstream in(port_file_);
      in >> port_;
    }
  }
  [[nodiscard]] bool ok() const { return ok_ && port_ > 0; }
  [[nodiscard]] std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  // Bytes sent to clients over every connection that has ended.
  [[nodiscard]] int64_t bytes_down() const {
    std::ifstream in(log_);
    std::string word;
    int64_t n = 0;
    int64_t total = 0;
    while (in >> word >> n) total += n;
    return total;
  }
  void clear_log() const { std::ofstream(log_, std::ios::trunc); }

 private:
  fs::path port_file_;
  fs::path log_;
  std::unique_ptr<ChildProcess> process_;
  bool ok_ = false;
  int port_ = 0;
};

class BerthPullTest : public CtrFixture {
 protected:
  void SetUp() override {
    CtrFixture::SetUp();
    registry_ = std::make_unique<LoopbackRegistry>(dir_.path() / "registry");
    ASSERT_TRUE(registry_->ok()) << registry_->why();
    host_ = registry_->host();
  }

  // Makes an image (busybox plus `extra` layers of `mib` MiB) and pushes it
  // as `repo_tag`; returns its manifest digest.
  // `env`: more of make_oci_image.sh's settings ("WHITEOUTS=1").
  std::string push_image(const std::string& repo_tag, int extra = 0, int mib = 0,
                         const std::string& arch = "amd64", const std::vector<std::string>& env = {}) {
    const auto archive = dir_.path() / (std::to_string(counter_++) + ".tar");
    std::vector<std::string> settings{"EXTRA_LAYERS=" + std::to_string(extra) + ":" + std::to_string(mib),
                                      "ARCH=" + arch};
    settings.insert(settings.end(), env.begin(), env.end());
    std::string manifest = make_test_image(archive, repo_tag, settings);
    const std::string pushed = registry_->push_archive(archive, repo_tag);
    EXPECT_EQ(pushed, "") << pushed;
    return manifest;
  }

  CommandResult pull(const std::string& ref, std::vector<std::string> extra = {}) const {
    std::vector<std::string> args{"pull", "--plain-http"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(ref);
    return berth(args);
  }

  // ctr's view: nothing but what a finished pull leaves.
  void expect_clean_namespace() {
    EXPECT_EQ(ok({"images", "ls", "-q"}), "");
    EXPECT_EQ(ok({"leases", "ls", "-q"}), "");
    EXPECT_EQ(ok({"content", "ls", "-q"}), "");
    EXPECT_EQ(ok({"snapshots", "ls"}).find("sha256:"), std::string::npos);
  }

  void expect_no_leases() { EXPECT_EQ(ok({"leases", "ls", "-q"}), ""); }

  std::string host_;
  std::unique_ptr<LoopbackRegistry> registry_;
  int counter_ = 0;
};

TEST_F(BerthPullTest, PullsByTagAndUnpacksAsContainerdWould) {
  const std::string manifest = push_image("berth/busybox:1", 2, 1);
  const std::string ref = host_ + "/berth/busybox:1";
  auto pulled = pull(ref);
  ASSERT_EQ(pulled.exit_code, 0) << pulled.output << daemon_.log();
  EXPECT_NE(pulled.output.find(ref + " " + manifest), std::string::npos) << pulled.output;

  const std::string check = ok({"images", "check"});
  EXPECT_TRUE(std::regex_search(check, std::regex(" complete \\(4/4\\) .* true"))) << check;
  const std::string content = ok({"content", "ls"});
  EXPECT_NE(content.find("containerd.io/distribution.source.127.0.0.1=berth/busybox"), std::string::npos)
      << content;
  for (const char* label : {"containerd.io/gc.ref.content.config=", "containerd.io/gc.ref.content.l.0=",
                            "containerd.io/gc.ref.content.l.2=", "containerd.io/uncompressed=",
                            "containerd.io/gc.ref.snapshot.overlayfs="})
    EXPECT_NE(content.find(label), std::string::npos) << label << "\n" << content;
  // The pull's own lease is gone: the image and its labels hold everything.
  EXPECT_EQ(ok({"leases", "ls", "-q"}), "");

  // Pulled again: nothing is fetched, every blob exists.
  auto again = pull(ref);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(again.output.find("downloading"), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("exists"), std::string::npos) << again.output;
}

// A layer deleting a file of the one below (an OCI whiteout), one making a
// directory opaque, and hardlinks in both: the tree berthd's pull unpacks is
// the one ctr's own pull (through berthd's diff service) unpacks, and the
// one containerd would: whiteouts applied, never shown, hardlinks kept.
TEST_F(BerthPullTest, WhiteoutsAndHardlinksUnpackAsContainerdWould) {
  push_image("berth/layered:1", 0, 0, "amd64", {"WHITEOUTS=1"});
  const std::string ref = host_ + "/berth/layered:1";
  auto pulled = pull(ref);
  ASSERT_EQ(pulled.exit_code, 0) << pulled.output;
  ok({"-n", "byctr", "images", "pull", "--plain-http", ref});
  for (const std::string ns : {"default", "byctr"}) {
    SCOPED_TRACE(ns);
    const fs::path mnt = dir_.path() / ("mnt-" + ns);
    fs::create_directories(mnt);
    ok({"-n", ns, "images", "mount", ref, mnt.string()});
    EXPECT_TRUE(fs::exists(mnt / "bin/busybox"));
    EXPECT_TRUE(fs::exists(mnt / "etc/app/keep"));
    EXPECT_FALSE(fs::exists(mnt / "etc/app/gone")) << "whited out";
    EXPECT_FALSE(fs::exists(mnt / "etc/app/.wh.gone"));
    EXPECT_TRUE(fs::equivalent(mnt / "etc/app/keep", mnt / "etc/app/linked")) << "one inode";
    EXPECT_TRUE(fs::equivalent(mnt / "etc/app/h1", mnt / "etc/app/h2")) << "one inode";
    EXPECT_FALSE(fs::exists(mnt / "var/old/a")) << "hidden by the opaque directory";
    EXPECT_FALSE(fs::exists(mnt / "var/old/b"));
    EXPECT_FALSE(fs::exists(mnt / "var/old/.wh..wh..opq"));
    EXPECT_TRUE(fs::exists(mnt / "var/old/new"));
    ok({"-n", ns, "images", "unmount", "--rm", mnt.string()});
  }
}

TEST_F(BerthPullTest, PullsByDigestAndWithoutUnpacking) {
  const std::string manifest = push_image("berth/busybox:1");
  const std::string by_digest = host_ + "/berth/busybox@" + manifest;
  auto pulled = pull(by_digest, {"--skip-unpack"});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.output;
  EXPECT_NE(ok({"images", "ls", "-q"}).find(by_digest), std::string::npos);
  EXPECT_TRUE(std::regex_search(ok({"images", "check"}), std::regex("complete \\(2/2\\) .* false")));
  EXPECT_EQ(ok({"snapshots", "ls"}).find("sha256:"), std::string::npos);
  // Into the native snapshotter, labelled for it.
  ASSERT_EQ(pull(by_digest, {"--snapshotter", "native"}).exit_code, 0);
  EXPECT_NE(ok({"content", "ls"}).find("containerd.io/gc.ref.snapshot.native="), std::string::npos);
  EXPECT_NE(ok({"snapshots", "--snapshotter", "native", "ls"}).find("sha256:"), std::string::npos);
}

TEST_F(BerthPullTest, PicksThePlatformFromAnIndex) {
  // An index of linux/amd64 and linux/arm64 (tests/support/make_multiarch_image.sh).
  const auto archive = dir_.path() / "multi.tar";
  auto made = run({"bash", BERTH_MAKE_MULTIARCH_IMAGE, archive.string(), "m:1", "amd64", "arm64"});
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const std::string pushed = registry_->push_archive(archive, "berth/multi:1");
  ASSERT_EQ(pushed, "") << pushed;

  const std::string ref = host_ + "/berth/multi:1";
  ASSERT_EQ(pull(ref, {"--platform", "linux/arm64", "--skip-unpack"}).exit_code, 0);
  // Only the arm64 manifest was fetched: the index names one child.
  std::string content = ok({"content", "ls"});
  EXPECT_NE(content.find("containerd.io/gc.ref.content.m.0="), std::string::npos) << content;
  EXPECT_EQ(content.find("containerd.io/gc.ref.content.m.1="), std::string::npos) << content;
  auto all = pull(ref, {"--all-platforms"});
  ASSERT_EQ(all.exit_code, 0) << all.output;
  content = ok({"content", "ls"});
  EXPECT_NE(content.find("containerd.io/gc.ref.content.m.1="), std::string::npos) << content;
  // The host's platform (amd64 here) is the one unpacked.
  EXPECT_NE(content.find("containerd.io/gc.ref.snapshot.overlayfs="), std::string::npos) << content;
  auto missing = pull(ref, {"--platform", "linux/s390x"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("no manifest for linux/s390x"), std::string::npos) << missing.output;
}

TEST_F(BerthPullTest, BadReferencesAndMissingImagesAreClearErrorsLeavingNothing) {
  push_image("berth/busybox:1");
  auto bad = pull(host_ + "/Berth/busybox:1");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("InvalidArgument"), std::string::npos) << bad.output;
  auto missing = pull(host_ + "/berth/busybox:2");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("NotFound"), std::string::npos) << missing.output;
  auto no_snapshotter = pull(host_ + "/berth/busybox:1", {"--snapshotter", "zfs"});
  EXPECT_NE(no_snapshotter.output.find("snapshotter zfs is not loaded"), std::string::npos)
      << no_snapshotter.output;
  auto nobody = pull("127.0.0.1:1/berth/busybox:1");
  EXPECT_EQ(nobody.exit_code, 1);
  EXPECT_NE(nobody.output.find("Unavailable"), std::string::npos) << nobody.output;
  expect_clean_namespace();
}

TEST_F(BerthPullTest, ALayerWhoseDiffIdLiesLeavesNothingHalfMade) {
  // The config names a diffID the layer does not have: the unpack fails,
  // and the blobs and snapshots the pull made are taken back.
  const auto archive = dir_.path() / "lying.tar";
  ASSERT_EQ(run({"bash", BERTH_MAKE_OCI_IMAGE, archive.string(), "l:1"}).exit_code, 0);
  const auto layout = dir_.path() / "lying";
  fs::create_directories(layout);
  ASSERT_EQ(run({"tar", "-xf", archive.string(), "-C", layout.string()}).exit_code, 0);
  // Rewrite the config with a wrong diffID and push the layout by skopeo,
  // which recomputes the manifest.
  auto rewritten = run({"python3", "-c", R"(
import hashlib, json, os, sys
root = sys.argv[1]
blobs = os.path.join(root, 'blobs', 'sha256')
index = json.load(open(os.path.join(root, 'index.json')))
mdesc = index['manifests'][0]
manifest = json.load(open(os.path.join(blobs, mdesc['digest'][7:])))
config = json.load(open(os.path.join(blobs, manifest['config']['digest'][7:])))
config['rootfs']['diff_ids'] = ['sha256:' + '0' * 64]
data = json.dumps(config).encode()
h = hashlib.sha256(data).hexdigest()
open(os.path.join(blobs, h), 'wb').write(data)
manifest['config']['digest'] = 'sha256:' + h
manifest['config']['size'] = len(data)
mdata = json.dumps(manifest).encode()
mh = hashlib.sha256(mdata).hexdigest()
open(os.path.join(blobs, mh), 'wb').write(mdata)
mdesc['digest'] = 'sha256:' + mh
mdesc['size'] = len(mdata)
json.dump(index, open(os.path.join(root, 'index.json'), 'w'))
)",
                        layout.string()});
  ASSERT_EQ(rewritten.exit_code, 0) << rewritten.output;
  auto copied = run({"skopeo", "copy", "--dest-tls-verify=false", "oci:" + layout.string(),
                     "docker://" + host_ + "/berth/lying:1"});
  ASSERT_EQ(copied.exit_code, 0) << copied.output;
  auto pulled = pull(host_ + "/berth/lying:1");
  EXPECT_EQ(pulled.exit_code, 1);
  EXPECT_NE(pulled.output.find("FailedPrecondition"), std::string::npos) << pulled.output;
  expect_clean_namespace();
}

TEST_F(BerthPullTest, ADownloadCutMidBlobGoesOnWithRange) {
  push_image("berth/big:1", 1, 8);
  Proxy proxy(dir_.path(), host_, {"--cut-after", std::to_string(3 << 20)});
  ASSERT_TRUE(proxy.ok());
  auto pulled = pull(proxy.host() + "/berth/big:1");
  ASSERT_EQ(pulled.exit_code, 0) << pulled.output << daemon_.log();
  EXPECT_TRUE(std::regex_search(ok({"images", "check"}), std::regex("complete \\(3/3\\) .* true")));
  // Everything came through once: the cut blob was not fetched again from
  // its start (busybox's layer is about 1 MiB, the big one 8 MiB).
  const int64_t down = proxy.bytes_down();
  EXPECT_LT(down, int64_t{10} << 20) << down;
}

TEST_F(BerthPullTest, APullInterruptedByKillingBerthdGoesOnFromWhatItVerified) {
  push_image("berth/big:1", 1, 16);
  Proxy proxy(dir_.path(), host_, {"--rate", std::to_string(4 << 20)});
  ASSERT_TRUE(proxy.ok());
  const std::string ref = proxy.host() + "/berth/big:1";
  auto first = std::async(std::launch::async, [&] { return pull(ref); });
  // Wait until the big layer's ingest holds a few MiB, then kill berthd.
  bool partial = false;
  for (int i = 0; i < 200 && !partial; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::smatch m;
    const std::string active = daemon_.ctr({"content", "active"}).output;
    static const std::regex offset("layer-sha256:\\S+\\s+(\\d+(\\.\\d+)?)(MiB|MB)");
    partial = std::regex_search(active, m, offset) && std::stod(m[1]) >= 4;
  }
  ASSERT_TRUE(partial) << daemon_.ctr({"content", "active"}).output;
  restart(SIGKILL);
  EXPECT_NE(first.get().exit_code, 0);
  proxy.clear_log();

  auto second = pull(ref);
  ASSERT_EQ(second.exit_code, 0) << second.output << daemon_.log();
  EXPECT_TRUE(std::regex_search(ok({"images", "check"}), std::regex("complete \\(3/3\\) .* true")));
  // What the killed pull had verified was not fetched again.
  const int64_t down = proxy.bytes_down();
  EXPECT_LT(down, int64_t{13} << 20) << down;
}

TEST_F(BerthPullTest, AMirrorInTheHostsDirectoryServesThePull) {
  // The image is only on the mirror; the reference names an upstream that
  // does not have it.
  const std::string manifest = push_image("berth/busybox:1");
  LoopbackRegistry upstream(dir_.path() / "upstream");
  ASSERT_TRUE(upstream.ok()) << upstream.why();
  const auto hosts = dir_.path() / "hosts";
  fs::create_directories(hosts / upstream.host());
  std::ofstream(hosts / upstream.host() / "hosts.toml")
      << "server = \"http://" << upstream.host() << "\"\n[host.\"http://" << host_
      << "\"]\n  capabilities = [\"pull\", \"resolve\"]\n";
  auto pulled = berth({"pull", "--hosts-dir", hosts.string(), upstream.host() + "/berth/busybox:1"});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.output << daemon_.log();
  EXPECT_NE(pulled.output.find(manifest), std::string::npos) << pulled.output;
  // Without the hosts directory the upstream is asked, and has nothing.
  ok({"images", "rm", upstream.host() + "/berth/busybox:1"});
  EXPECT_NE(pull(upstream.host() + "/berth/busybox:1").exit_code, 0);
}

TEST_F(BerthPullTest, BearerTokensFromATokenServerOverTls) {
  TestCa ca(dir_.path() / "ca");
  ASSERT_TRUE(ca.ok()) << ca.why();
  TokenServer tokens(dir_.path() / "tokens", ca, TokenServerOptions{.user = "puller", .password = "s3cret"});
  ASSERT_TRUE(tokens.ok()) << tokens.why();
  LoopbackRegistry secure(dir_.path() / "secure",
                          RegistryOptions{.tls_cert = ca.server_cert(),
                                          .tls_key = ca.server_key(),
                                          .token = RegistryOptions::Token{.realm = tokens.realm(),
                                                                          .service = tokens.options().service,
                                                                          .issuer = tokens.options().issuer,
                                                                          .root_cert = ca.signing_cert()}});
  ASSERT_TRUE(secure.ok()) << secure.why();
  // skopeo pushes the image with the same credentials and CA.
  const auto archive = dir_.path() / "image.tar";
  auto made = run({"bash", BERTH_MAKE_OCI_IMAGE, archive.string(), "t:1"});
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const auto certs = dir_.path() / "certs";
  fs::create_directories(certs);
  fs::copy_file(ca.ca_cert(), certs / "ca.crt");
  auto pushed = run({"skopeo", "copy", "--dest-creds", "puller:s3cret", "--dest-cert-dir", certs.string(),
                     "oci-archive:" + archive.string(), "docker://" + secure.host() + "/private/app:1"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.output;

  const auto hosts = dir_.path() / "hosts";
  fs::create_directories(hosts / secure.host());
  std::ofstream(hosts / secure.host() / "hosts.toml")
      << "server = \"https://" << secure.host() << "\"\nca = \"" << ca.ca_cert().string() << "\"\n";
  const std::string ref = secure.host() + "/private/app:1";
  auto wrong = berth({"pull", "--hosts-dir", hosts.string(), "-u", "puller:wrong", ref});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.output.find("Unauthenticated"), std::string::npos) << wrong.output;
  auto untrusted = berth({"pull", "-u", "puller:s3cret", ref});
  EXPECT_NE(untrusted.exit_code, 0);
  auto pulled = berth({"pull", "--hosts-dir", hosts.string(), "-u", "puller:s3cret", ref});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.output << daemon_.log();
  EXPECT_TRUE(std::regex_search(ok({"images", "check"}), std::regex("complete \\(2/2\\) .* true")));
  expect_no_leases();
}

// The metrics endpoint counts what pulls bring: every blob's bytes (at
// least), and each pull finished. Fetched with curl from [metrics] address.
TEST_F(BerthPullTest, TheMetricsEndpointCountsBytesPulled) {
  push_image("berth/busybox:1", 1, 1);
  // A loopback port nothing listens on now.
  int port = 0;
  {
    auto py = run({"/usr/bin/python3", "-c",
                   "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"});
    ASSERT_EQ(py.exit_code, 0) << py.output;
    port = std::stoi(py.output);
  }
  const auto config = dir_.path() / "metrics.toml";
  std::ofstream(config) << "version = 2\n[metrics]\naddress = \"127.0.0.1:" << port << "\"\n";
  daemon_.stop(SIGTERM);
  std::string why;
  ASSERT_TRUE(daemon_.start({"--config", config.string()}, why)) << why;
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/v1/metrics";
  const auto figure = [&](const std::string& name) -> double {
    auto scraped = run({"curl", "-fsS", url});
    EXPECT_EQ(scraped.exit_code, 0) << scraped.output;
    std::smatch m;
    if (!std::regex_search(scraped.output, m, std::regex("\\n" + name + " ([0-9.e+]+)\\n"))) {
      ADD_FAILURE() << name << " is not in:\n" << scraped.output;
      return -1;
    }
    return std::stod(m[1]);
  };
  EXPECT_EQ(figure("berth_transfer_pulled_bytes_total"), 0);
  EXPECT_EQ(figure("berth_transfer_pulls_total"), 0);

  auto pulled = pull(host_ + "/berth/busybox:1");
  ASSERT_EQ(pulled.exit_code, 0) << pulled.output << daemon_.log();
  // The blobs' sizes as the store holds them: what had to come over the wire.
  double blob_bytes = 0;
  for (const auto& e :
       fs::directory_iterator(daemon_.root() / "io.containerd.content.v1.content/blobs/sha256"))
    blob_bytes += static_cast<double>(fs::file_size(e.path()));
  EXPECT_GT(blob_bytes, 1 << 20);
  EXPECT_GE(figure("berth_transfer_pulled_bytes_total"), blob_bytes);
  EXPECT_EQ(figure("berth_transfer_pulls_total"), 1);
  EXPECT_EQ(figure("berth_content_bytes"), blob_bytes);
}

}  // namespace
}  // namespace berth::test

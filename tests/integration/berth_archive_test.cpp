// Image archives through the daemon (berth.services.transfer.v1 Import and
// Export, driven by `berth images import/export`), checked with independent
// readers and writers: Debian's ctr (import, export, check, mount), skopeo's
// oci-archive: and docker-archive:, and hostile archives made by
// tests/support/edit_oci_archive.py, each refused with nothing recorded and
// no lease left.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "ctr_fixture.hpp"

namespace berth::test {
namespace {

constexpr const char* kName = "docker.io/library/berth-archive:1.0";
const std::string kEditArchive =
    std::filesystem::path(BERTH_MAKE_OCI_IMAGE).parent_path().string() + "/edit_oci_archive.py";

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The blobs/sha256/... entries of a tar.
std::set<std::string> blob_entries(const std::filesystem::path& tar) {
  auto listed = run({"tar", "-tf", tar.string()});
  std::set<std::string> out;
  std::istringstream lines(listed.output);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("blobs/sha256/") && line.size() > 13) out.insert(line);
  return out;
}

class BerthArchiveTest : public CtrFixture {
 protected:
  void SetUp() override {
    CtrFixture::SetUp();
    archive_ = make_image("image.tar", {});
  }

  std::filesystem::path make_image(const std::string& file, const std::vector<std::string>& env) {
    const auto path = dir_.path() / file;
    std::vector<std::string> argv{"env"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {"bash", BERTH_MAKE_OCI_IMAGE, path.string(), kName});
    auto made = run(argv);
    EXPECT_EQ(made.exit_code, 0) << made.output;
    if (env.empty()) manifest_ = made.output.substr(0, made.output.find('\n'));
    return path;
  }

  std::filesystem::path edit(const std::string& mode, const std::vector<std::filesystem::path>& inputs) {
    const auto out = dir_.path() / (mode + ".tar");
    std::vector<std::string> argv{"python3", kEditArchive, mode, out.string()};
    for (const auto& in : inputs) argv.push_back(in.string());
    auto made = run(argv);
    EXPECT_EQ(made.exit_code, 0) << made.output;
    return out;
  }

  std::string ns_ok(const std::string& ns, std::vector<std::string> args) {
    args.insert(args.begin(), {"-n", ns});
    return ok(args);
  }

  // The namespace holds no image and no lease.
  void expect_nothing_recorded(const std::string& ns = "default") {
    EXPECT_EQ(ns_ok(ns, {"images", "ls", "-q"}), "");
    const std::string leases = ns_ok(ns, {"leases", "ls"});
    EXPECT_EQ(leases.find('\n'), leases.size() - 1) << "a lease was left:\n" << leases;
  }

  // The top snapshot the config's gc.ref.snapshot label names.
  std::string unpacked_chain(const std::string& ns) {
    std::smatch m;
    const std::string content = ns_ok(ns, {"content", "ls"});
    if (!std::regex_search(content, m,
                           std::regex("containerd.io/gc.ref.snapshot.overlayfs=(sha256:[0-9a-f]{64})")))
      return "";
    return m[1];
  }

  std::filesystem::path archive_;
  std::string manifest_;
};

TEST_F(BerthArchiveTest, ImportIsCompleteUnpackedAndReadyToRun) {
  EXPECT_EQ(berth_ok({"images", "import", "-q", archive_.string()}), std::string(kName) + "\n");

  const std::string check = ok({"images", "check"});
  EXPECT_TRUE(std::regex_search(
      check, std::regex(std::string(kName) + " .*" + manifest_ + " +complete \\(2/2\\) .* true")))
      << check;
  // containerd's labels, from the index down to the snapshot.
  const std::string content = ok({"content", "ls"});
  // (The index names the manifest with gc.ref.content.m.0, but nothing
  // references the index once the import's lease is gone: the collector may
  // have taken it already, as containerd's does.)
  EXPECT_NE(content.find("containerd.io/gc.ref.content.config=sha256:"), std::string::npos) << content;
  EXPECT_NE(content.find("containerd.io/gc.ref.content.l.0=sha256:"), std::string::npos) << content;
  EXPECT_NE(content.find("containerd.io/uncompressed=sha256:"), std::string::npos) << content;
  const std::string chain = unpacked_chain("default");
  ASSERT_FALSE(chain.empty()) << content;
  EXPECT_NE(ok({"snapshots", "info", chain}).find("\"Kind\": \"Committed\""), std::string::npos);
  const std::string leases = ok({"leases", "ls"});
  EXPECT_EQ(leases.find('\n'), leases.size() - 1) << leases;

  // What `ctr run` needs: a view of the image's rootfs.
  const auto target = dir_.path() / "mnt";
  std::filesystem::create_directories(target);
  ok({"images", "mount", kName, target.string()});
  EXPECT_TRUE(std::filesystem::exists(target / "bin/busybox"));
  ok({"images", "unmount", "--rm", target.string()});

  // Again from stdin, gzip-compressed, into another namespace, as JSON.
  auto piped = run({"bash", "-c",
                    "gzip -c '" + archive_.string() + "' | '" + BERTH_CLI_PATH + "' --address '" +
                        daemon_.address() + "' -n piped --format json images import -q -"});
  ASSERT_EQ(piped.exit_code, 0) << piped.output;
  EXPECT_NE(piped.output.find("\"name\": \"" + std::string(kName) + "\""), std::string::npos) << piped.output;
  EXPECT_NE(piped.output.find("\"digest\": \"" + manifest_ + "\""), std::string::npos) << piped.output;
  EXPECT_EQ(unpacked_chain("piped"), chain);

  // --no-unpack: the content and the record only.
  EXPECT_EQ(berth_ok({"-n", "content-only", "images", "import", "-q", "--no-unpack", archive_.string()}),
            std::string(kName) + "\n");
  EXPECT_EQ(unpacked_chain("content-only"), "");
}

TEST_F(BerthArchiveTest, ImportsSkopeoDockerArchiveAndOciArchive) {
  const auto docker = dir_.path() / "docker.tar";
  auto copied = run({"skopeo", "copy", "oci-archive:" + archive_.string(),
                     "docker-archive:" + docker.string() + ":berth/from-docker:2.0"});
  ASSERT_EQ(copied.exit_code, 0) << copied.output;
  EXPECT_EQ(berth_ok({"images", "import", "-q", docker.string()}), "docker.io/berth/from-docker:2.0\n");
  const std::string check = ok({"images", "check"});
  EXPECT_TRUE(std::regex_search(check, std::regex("from-docker:2.0 .*complete \\(2/2\\) .* true"))) << check;

  // skopeo's oci-archive: names its entry by a bare tag: --base-name names it.
  const auto oci = dir_.path() / "oci.tar";
  copied =
      run({"skopeo", "copy", "oci-archive:" + archive_.string(), "oci-archive:" + oci.string() + ":3.0"});
  ASSERT_EQ(copied.exit_code, 0) << copied.output;
  auto unnamed = berth({"-n", "oci", "images", "import", "-q", oci.string()});
  EXPECT_NE(unnamed.exit_code, 0);
  EXPECT_NE(unnamed.output.find("InvalidArgument: the image archive names no image"), std::string::npos)
      << unnamed.output;
  expect_nothing_recorded("oci");
  EXPECT_EQ(
      berth_ok({"-n", "oci", "images", "import", "-q", "--base-name", "example.com/skopeo", oci.string()}),
      "example.com/skopeo:3.0\n");
  EXPECT_FALSE(unpacked_chain("oci").empty());
}

TEST_F(BerthArchiveTest, ExportIsReadBySkopeoAndIsByteIdenticalAcrossRoundTrips) {
  berth_ok({"images", "import", "-q", archive_.string()});
  const auto first = dir_.path() / "first.tar";
  const auto second = dir_.path() / "second.tar";
  EXPECT_EQ(berth_ok({"images", "export", first.string(), kName}), "");
  berth_ok({"images", "export", second.string(), kName});
  EXPECT_EQ(slurp(first), slurp(second)) << "export -> export differs";
  // The same blobs as the archive imported (index.json is the exporter's own).
  EXPECT_EQ(blob_entries(first), blob_entries(archive_));

  auto inspect = run({"skopeo", "inspect", "oci-archive:" + first.string()});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
  EXPECT_NE(inspect.output.find("\"Digest\": \"" + manifest_ + "\""), std::string::npos) << inspect.output;
  inspect = run({"skopeo", "inspect", "docker-archive:" + first.string()});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
  EXPECT_NE(inspect.output.find("\"Architecture\": \"amd64\""), std::string::npos) << inspect.output;
  // skopeo reads every blob back and checks its digest.
  auto copied =
      run({"skopeo", "copy", "oci-archive:" + first.string(), "dir:" + (dir_.path() / "dir").string()});
  EXPECT_EQ(copied.exit_code, 0) << copied.output;

  // import -> export -> import -> export: the same bytes.
  berth_ok({"-n", "again", "images", "import", "-q", first.string()});
  const auto third = dir_.path() / "third.tar";
  berth_ok({"-n", "again", "images", "export", third.string(), kName});
  EXPECT_EQ(slurp(first), slurp(third)) << "an import of an export exports differently";

  // To stdout; a missing image fails before a byte is written, naming it.
  auto piped = run({"bash", "-c",
                    "'" + std::string(BERTH_CLI_PATH) + "' --address '" + daemon_.address() +
                        "' images export - " + kName + " | cmp - '" + first.string() + "'"});
  EXPECT_EQ(piped.exit_code, 0) << piped.output;
  const auto missing = dir_.path() / "missing.tar";
  auto failed = berth({"images", "export", missing.string(), kName, "docker.io/library/nope:1"});
  EXPECT_NE(failed.exit_code, 0);
  EXPECT_NE(failed.output.find("NotFound: image docker.io/library/nope:1 not found"), std::string::npos)
      << failed.output;
  EXPECT_FALSE(std::filesystem::exists(missing)) << "a failed export left its file";
}

TEST_F(BerthArchiveTest, CtrAndBerthReadEachOthersArchives) {
  berth_ok({"images", "import", "-q", archive_.string()});
  const auto berths = dir_.path() / "berth.tar";
  berth_ok({"images", "export", berths.string(), kName});
  ns_ok("by-ctr", {"images", "import", berths.string()});
  const std::string check = ns_ok("by-ctr", {"images", "check"});
  EXPECT_TRUE(std::regex_search(check, std::regex(std::string(kName) + " .*complete \\(2/2\\) .* true")))
      << check;

  const auto ctrs = dir_.path() / "ctr.tar";
  ok({"images", "export", ctrs.string(), kName});
  EXPECT_EQ(berth_ok({"-n", "by-berth", "images", "import", "-q", ctrs.string()}), std::string(kName) + "\n");
  EXPECT_EQ(ns_ok("by-berth", {"images", "ls", "-q"}), std::string(kName) + "\n");
  EXPECT_FALSE(unpacked_chain("by-berth").empty());
}

TEST_F(BerthArchiveTest, HostileArchivesAreRefusedWithNothingRecorded) {
  struct Case {
    std::string mode;
    std::string error;
  };
  const std::vector<Case> cases{
      {"traversal", "InvalidArgument: archive entry \"../escaped\" climbs out of the archive"},
      {"lying-blob", "DataLoss: image archive entry \"blobs/sha256/"},
      {"big-index", "InvalidArgument: application/vnd.oci.image.index.v1+json"},
      {"big-config", "more than the 20 MiB a config may have"},
      {"wrong-diffid", "FailedPrecondition: unpack " + std::string(kName)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.mode);
    const auto hostile = edit(c.mode, {archive_});
    auto r = berth({"-n", c.mode, "images", "import", "-q", hostile.string()});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find(c.error), std::string::npos) << r.output;
    expect_nothing_recorded(c.mode);
  }
  // The daemon is fine: a good archive still imports.
  EXPECT_EQ(berth_ok({"images", "import", "-q", archive_.string()}), std::string(kName) + "\n");
}

TEST_F(BerthArchiveTest, AClientThatGoesAwayMidImportLeavesNothing) {
  // Part of the archive, then a client killed while the daemon waits for more.
  auto killed = run({"bash", "-c",
                     "(head -c 300000 '" + archive_.string() + "'; sleep 3) | timeout -s KILL 1 '" +
                         BERTH_CLI_PATH + "' --address '" + daemon_.address() + "' images import -q -"});
  EXPECT_NE(killed.exit_code, 0) << killed.output;
  // The daemon notices the call is gone and drops its lease and ingest.
  for (int i = 0; i < 50; ++i) {
    const std::string leases = ok({"leases", "ls"});
    if (leases.find('\n') == leases.size() - 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  expect_nothing_recorded();
  const std::string active = ok({"content", "active"});
  EXPECT_EQ(active.find('\n'), active.size() - 1) << "an ingest was left:\n" << active;
  EXPECT_EQ(berth_ok({"images", "import", "-q", archive_.string()}), std::string(kName) + "\n");
}

TEST_F(BerthArchiveTest, PlatformsOfAnIndex) {
  const auto arm = make_image("arm64.tar", {"ARCH=arm64"});
  const auto multi = edit("index", {archive_, arm});

  // The host's platform by default (this machine is amd64).
  berth_ok({"images", "import", "-q", multi.string()});
  EXPECT_TRUE(
      std::regex_search(ok({"images", "ls"}), std::regex("index.v1\\+json .* linux/amd64,linux/arm64")));
  const std::string check = ok({"images", "check"});
  EXPECT_TRUE(std::regex_search(check, std::regex("complete \\(2/2\\) .* true"))) << check;
  EXPECT_NE(ok({"content", "ls"}).find("gc.ref.content.m.0=" + manifest_), std::string::npos);

  // An arm64 archive alone: not for this host, unless asked for.
  auto refused = berth({"-n", "arm", "images", "import", "-q", arm.string()});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("NotFound: unpack " + std::string(kName) + ": image " + kName +
                                " has no manifest for linux/amd64 (it has: linux/arm64)"),
            std::string::npos)
      << refused.output;
  expect_nothing_recorded("arm");
  berth_ok({"-n", "arm", "images", "import", "-q", "--platform", "linux/arm64", multi.string()});
  EXPECT_FALSE(unpacked_chain("arm").empty());

  // Every platform, then each exported alone.
  berth_ok({"-n", "all", "images", "import", "-q", "--all-platforms", multi.string()});
  const auto arm_out = dir_.path() / "arm-out.tar";
  const auto host_out = dir_.path() / "host-out.tar";
  const auto all_out = dir_.path() / "all-out.tar";
  berth_ok({"-n", "all", "images", "export", "--platform", "linux/arm64", arm_out.string(), kName});
  berth_ok({"-n", "all", "images", "export", host_out.string(), kName});
  berth_ok({"-n", "all", "images", "export", "--all-platforms", all_out.string(), kName});
  const std::string amd_blob = "blobs/sha256/" + manifest_.substr(7);
  EXPECT_FALSE(blob_entries(arm_out).contains(amd_blob));
  EXPECT_TRUE(blob_entries(host_out).contains(amd_blob));
  EXPECT_EQ(blob_entries(all_out).size(), blob_entries(arm_out).size() + 2) << "a manifest and a config more";
  auto inspect = run({"skopeo", "inspect", "--raw", "oci-archive:" + all_out.string()});
  EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
  EXPECT_NE(inspect.output.find("arm64"), std::string::npos) << inspect.output;
}

}  // namespace
}  // namespace berth::test

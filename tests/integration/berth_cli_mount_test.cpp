// `berth images mount`, `unmount` and `usage` against the real berthd, on
// images imported with Debian's ctr, checked with ctr (leases, snapshots,
// and its own `images mount` / `unmount --rm` on the same directories).
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "ctr_fixture.hpp"

namespace berth::test {
namespace {

constexpr const char* kName = "docker.io/library/berth-test:1.0";

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class BerthCliMountTest : public CtrFixture {
 protected:
  void SetUp() override {
    CtrFixture::SetUp();
    std::filesystem::create_directories(mnt_);
  }
  void TearDown() override {
    // A failed test must not leave the mount for TempDir to delete through.
    while (::umount2(mnt_.c_str(), MNT_DETACH) == 0) {
    }
  }

  // An image archive of busybox and `extra` layers of 1 MiB; returns its path.
  std::filesystem::path make_image(const std::string& name, int extra = 0) {
    auto archive = dir_.path() / (std::to_string(archives_++) + ".tar");
    auto made = run({"env", "EXTRA_LAYERS=" + std::to_string(extra) + ":1", "bash", BERTH_MAKE_OCI_IMAGE,
                     archive.string(), name});
    EXPECT_EQ(made.exit_code, 0) << made.output;
    return archive;
  }
  void import(const std::string& name, int extra = 0, bool unpack = true) {
    const auto archive = make_image(name, extra);
    if (unpack) {
      ok({"images", "import", archive.string()});
    } else {
      ok({"images", "import", "--no-unpack", archive.string()});
    }
  }
  bool mounted() const {
    std::ifstream in("/proc/self/mounts");
    std::string line;
    while (std::getline(in, line)) {
      if (line.find(" " + mnt_.string() + " ") != std::string::npos) return true;
    }
    return false;
  }
  std::string leases() { return ok({"leases", "ls", "-q"}); }
  std::string snapshots() { return ok({"snapshots", "ls"}); }

  const std::filesystem::path mnt_ = dir_.path() / "mnt";
  int archives_ = 0;
};

// The calls ctr makes: a lease named DIR holding a view named DIR of the
// image's chain ID, mounted read-only on DIR; unmount --rm takes back both.
TEST_F(BerthCliMountTest, MountsAViewUnderALeaseAndUnmountRmLeavesNothing) {
  import(kName);
  const std::string dir = mnt_.string();
  EXPECT_EQ(berth_ok({"images", "mount", kName, dir}), dir + "\n");
  ASSERT_TRUE(mounted());
  EXPECT_EQ(slurp(mnt_ / "bin/busybox"), slurp("/bin/busybox"));
  EXPECT_EQ(std::filesystem::read_symlink(mnt_ / "bin/sh"), "busybox");
  EXPECT_NE(::access(mnt_.c_str(), W_OK), 0) << "a view is mounted read-only";
  EXPECT_EQ(errno, EROFS);

  const std::string lease = ok({"leases", "ls"});
  EXPECT_NE(lease.find("containerd.io/gc.ref.snapshot.overlayfs=" + dir), std::string::npos) << lease;
  EXPECT_NE(lease.find("containerd.io/gc.expire="), std::string::npos) << lease;
  EXPECT_TRUE(std::regex_search(snapshots(), std::regex(dir + " +sha256:[0-9a-f]{64} +View"))) << snapshots();

  // The same directory twice: the lease is taken, as with ctr.
  auto twice = berth({"images", "mount", kName, dir});
  EXPECT_EQ(twice.exit_code, 1) << twice.output;
  EXPECT_NE(twice.output.find("AlreadyExists"), std::string::npos) << twice.output;
  EXPECT_NE(twice.output.find("unmount --rm"), std::string::npos) << twice.output;

  EXPECT_EQ(berth_ok({"images", "unmount", "--rm", dir}), dir + "\n");
  EXPECT_FALSE(mounted());
  EXPECT_FALSE(std::filesystem::exists(mnt_ / "bin/busybox"));
  EXPECT_EQ(leases(), "");
  EXPECT_EQ(snapshots().find(dir), std::string::npos) << snapshots();
  EXPECT_NE(snapshots().find("Committed"), std::string::npos) << "the image stays unpacked";
}

// --rw: an active snapshot over three layers (an overlay with two lowerdirs);
// a write lands in it and stays until the snapshot is removed.
TEST_F(BerthCliMountTest, ReadWriteMountKeepsWritesInItsSnapshot) {
  import(kName, 2);
  const std::string dir = mnt_.string();
  EXPECT_EQ(berth_ok({"images", "mount", "--rw", kName, dir}), dir + "\n");
  EXPECT_TRUE(std::filesystem::exists(mnt_ / "data/1"));
  EXPECT_TRUE(std::filesystem::exists(mnt_ / "data/2"));
  std::ofstream(mnt_ / "written") << "hello";
  EXPECT_EQ(slurp(mnt_ / "written"), "hello");
  EXPECT_TRUE(std::regex_search(snapshots(), std::regex(dir + " +sha256:[0-9a-f]{64} +Active")))
      << snapshots();

  // Unmounted without --rm: the lease and the snapshot stay, as with ctr.
  EXPECT_EQ(berth_ok({"images", "unmount", dir}), dir + "\n");
  EXPECT_FALSE(std::filesystem::exists(mnt_ / "written"));
  EXPECT_EQ(leases(), dir + "\n");
  // With nothing mounted, --rm still removes what the mount left.
  auto rm = berth({"images", "unmount", "--rm", dir});
  EXPECT_EQ(rm.exit_code, 0) << rm.output;
  EXPECT_NE(rm.output.find("nothing was mounted on " + dir), std::string::npos) << rm.output;
  EXPECT_EQ(leases(), "");
  EXPECT_EQ(snapshots().find(dir), std::string::npos) << snapshots();
}

// An image imported without unpacking is refused by name, with nothing left.
TEST_F(BerthCliMountTest, AnImageThatIsNotUnpackedIsRefusedClearly) {
  import(kName, 0, /*unpack=*/false);
  auto r = berth({"images", "mount", kName, mnt_.string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(std::string("image ") + kName + " is not unpacked in snapshotter overlayfs"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("pull or import it first"), std::string::npos) << r.output;
  EXPECT_FALSE(mounted());
  EXPECT_EQ(leases(), "") << "a failed mount takes back its lease";
  EXPECT_EQ(snapshots().find(mnt_.string()), std::string::npos) << snapshots();

  // Unpacked in overlayfs is not unpacked in native.
  import(kName);
  auto native = berth({"images", "mount", "--snapshotter", "native", kName, mnt_.string()});
  EXPECT_EQ(native.exit_code, 1) << native.output;
  EXPECT_NE(native.output.find("not unpacked in snapshotter native"), std::string::npos) << native.output;

  auto missing = berth({"images", "mount", "nope:1", mnt_.string()});
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("NotFound"), std::string::npos) << missing.output;
  auto other = berth({"images", "mount", "--platform", "linux/s390x", kName, mnt_.string()});
  EXPECT_EQ(other.exit_code, 1) << other.output;
  EXPECT_NE(other.output.find("no manifest for linux/s390x"), std::string::npos) << other.output;
  auto nodir = berth({"images", "mount", kName, (dir_.path() / "absent").string()});
  EXPECT_EQ(nodir.exit_code, 1) << nodir.output;
  EXPECT_NE(nodir.output.find("no such directory"), std::string::npos) << nodir.output;
  EXPECT_EQ(leases(), "");
}

TEST_F(BerthCliMountTest, UnmountingWhatIsNotMountedFailsClearly) {
  auto r = berth({"images", "unmount", mnt_.string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output, "berth: unmount " + mnt_.string() + ": nothing is mounted there\n");
  auto rm = berth({"images", "unmount", "--rm", mnt_.string()});
  EXPECT_EQ(rm.exit_code, 1) << rm.output;
  EXPECT_NE(rm.output.find("no lease or snapshot has its name"), std::string::npos) << rm.output;
  auto absent = berth({"images", "unmount", (dir_.path() / "absent").string()});
  EXPECT_EQ(absent.exit_code, 1) << absent.output;
  EXPECT_NE(absent.output.find("no such directory"), std::string::npos) << absent.output;
}

// Mounts made by one client are unmounted and removed by the other.
TEST_F(BerthCliMountTest, CtrAndBerthMountsInteroperate) {
  import(kName, 1);
  const std::string dir = mnt_.string();
  berth_ok({"images", "mount", kName, dir});
  EXPECT_TRUE(std::filesystem::exists(mnt_ / "data/1"));
  ok({"images", "unmount", "--rm", dir});
  EXPECT_FALSE(mounted());
  EXPECT_EQ(leases(), "");
  EXPECT_EQ(snapshots().find(dir), std::string::npos) << snapshots();

  ok({"images", "mount", kName, dir});
  EXPECT_TRUE(std::filesystem::exists(mnt_ / "bin/busybox"));
  EXPECT_EQ(berth_ok({"images", "unmount", "--rm", dir}), dir + "\n");
  EXPECT_FALSE(mounted());
  EXPECT_EQ(leases(), "");
  EXPECT_EQ(snapshots().find(dir), std::string::npos) << snapshots();
}

// usage: the manifest's config and layers with their sizes, each layer's
// snapshot usage once unpacked, and totals.
TEST_F(BerthCliMountTest, UsageTotalsMatchTheBlobSizes) {
  import(kName, 2, /*unpack=*/false);
  auto doc = nlohmann::json::parse(berth_ok({"--format", "json", "images", "usage", kName}));
  // The sizes the manifest gives, read with ctr.
  const auto manifest = nlohmann::json::parse(ok({"content", "get", doc["manifest"].get<std::string>()}));
  int64_t want = manifest["config"]["size"].get<int64_t>();
  for (const auto& layer : manifest["layers"]) want += layer["size"].get<int64_t>();
  ASSERT_EQ(doc["blobs"].size(), 4u) << doc.dump();
  EXPECT_EQ(doc["blobs"][0]["kind"], "config");
  EXPECT_EQ(doc["blobs"][0]["digest"], manifest["config"]["digest"]);
  int64_t listed = 0;
  for (std::size_t i = 0; i < doc["blobs"].size(); ++i) {
    listed += doc["blobs"][i]["size"].get<int64_t>();
    if (i > 0) {
      EXPECT_EQ(doc["blobs"][i]["digest"], manifest["layers"][i - 1]["digest"]);
      EXPECT_TRUE(doc["blobs"][i]["snapshot"].is_null()) << "not unpacked yet";
    }
  }
  EXPECT_EQ(listed, want);
  EXPECT_EQ(doc["size"], want);
  EXPECT_EQ(doc["unpacked"], false);
  EXPECT_EQ(doc["snapshot_size"], 0);

  import(kName, 2);  // now unpacked
  doc = nlohmann::json::parse(berth_ok({"--format", "json", "images", "usage", kName}));
  EXPECT_EQ(doc["size"], want);
  EXPECT_EQ(doc["unpacked"], true);
  int64_t snapshot_total = 0;
  for (std::size_t i = 1; i < doc["blobs"].size(); ++i) {
    const auto& layer = doc["blobs"][i];
    // Each layer's usage is its own snapshot's, as `snapshots usage` gives it.
    auto one = nlohmann::json::parse(
        berth_ok({"--format", "json", "snapshots", "usage", layer["chain_id"].get<std::string>()}));
    EXPECT_EQ(layer["snapshot"]["size"], one[0]["size"]);
    EXPECT_EQ(layer["snapshot"]["inodes"], one[0]["inodes"]);
    snapshot_total += layer["snapshot"]["size"].get<int64_t>();
  }
  EXPECT_GE(snapshot_total, 2 << 20) << "two layers of 1 MiB each";
  EXPECT_EQ(doc["snapshot_size"], snapshot_total);

  const std::string table = berth_ok({"images", "usage", kName});
  EXPECT_TRUE(std::regex_search(table, std::regex("^KIND +DIGEST +SIZE +SNAPSHOT +SNAPSHOT SIZE +INODES\n")))
      << table;
  EXPECT_TRUE(std::regex_search(table, std::regex("\nconfig +sha256:[0-9a-f]{64} +[0-9]+ B +- +- +-\n")))
      << table;
  EXPECT_TRUE(
      std::regex_search(table, std::regex("\nlayer +sha256:[0-9a-f]{64} +1\\.0 MiB +sha256:[0-9a-f]{64} "
                                          "+1\\.0 MiB +[0-9]+\n")))
      << table;
  EXPECT_TRUE(std::regex_search(table, std::regex("\ntotal +3\\.0 MiB +[0-9.]+ MiB +[0-9]+\n$"))) << table;

  auto missing = berth({"images", "usage", "nope:1"});
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("NotFound"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace berth::test

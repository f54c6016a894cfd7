#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "runtime-spec/spec.hpp"
#include "runtime-spec/user.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"

namespace berth::runtime_spec {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Strings = std::vector<std::string>;
using Ids = std::vector<uint32_t>;

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A rootfs with the users and groups the user tests resolve.
class ImageUsers : public ::testing::Test {
 protected:
  void SetUp() override {
    write(root_ / "etc/passwd",
          "root:x:0:0:root:/root:/bin/sh\n"
          "# a comment\n"
          "daemon:x:1:1::/:/bin/false\n"
          "app:x:1000:1000::/home/app:/bin/sh\n"
          "42:x:4242:4242:a user named like a number::\n");
    write(root_ / "etc/group",
          "root:x:0:\n"
          "wheel:x:10:root,app\n"
          "audio:x:29:app\n"
          "app:x:1000:app\n"
          "staff:x:50:\n"
          "video:x:44:daemon\n");
  }
  test::TempDir root_;
};

TEST_F(ImageUsers, EmptyIsRootWithRootsGroups) {
  auto u = resolve_user("", root_.path());
  ASSERT_OK(u.status());
  EXPECT_EQ(u->uid, 0u);
  EXPECT_EQ(u->gid, 0u);
  EXPECT_EQ(u->additional_gids, (Ids{0, 10}));
}

TEST_F(ImageUsers, NameGivesUidGidAndSupplementaryGroups) {
  auto u = resolve_user("app", root_.path());
  ASSERT_OK(u.status());
  EXPECT_EQ(u->uid, 1000u);
  EXPECT_EQ(u->gid, 1000u);
  // "app" lists app but is the user's own group: not supplementary.
  EXPECT_EQ(u->additional_gids, (Ids{1000, 10, 29}));
}

TEST_F(ImageUsers, UidTakesItsPasswdGroupAndItsNamesGroups) {
  auto u = resolve_user("1", root_.path());
  ASSERT_OK(u.status());
  EXPECT_EQ(u->uid, 1u);
  EXPECT_EQ(u->gid, 1u);
  EXPECT_EQ(u->additional_gids, (Ids{1, 44}));
  auto unknown = resolve_user("777", root_.path());
  ASSERT_OK(unknown.status());
  EXPECT_EQ(unknown->uid, 777u);
  EXPECT_EQ(unknown->gid, 0u);
  EXPECT_EQ(unknown->additional_gids, (Ids{0}));
}

TEST_F(ImageUsers, NumericUserIsNeverLookedUpAsAName) {
  // /etc/passwd has a user *named* "42" with uid 4242; "42" is uid 42.
  auto u = resolve_user("42", root_.path());
  ASSERT_OK(u.status());
  EXPECT_EQ(u->uid, 42u);
  EXPECT_EQ(u->gid, 0u);
}

TEST_F(ImageUsers, NameColonGroupAndUidColonGid) {
  auto named = resolve_user("app:staff", root_.path());
  ASSERT_OK(named.status());
  EXPECT_EQ(named->uid, 1000u);
  EXPECT_EQ(named->gid, 50u);
  EXPECT_EQ(named->additional_gids, (Ids{50, 10, 29}));

  auto numeric = resolve_user("1000:29", root_.path());
  ASSERT_OK(numeric.status());
  EXPECT_EQ(numeric->uid, 1000u);
  EXPECT_EQ(numeric->gid, 29u);
  EXPECT_EQ(numeric->additional_gids, (Ids{10, 29})) << "the gid is already among app's groups";

  auto mixed = resolve_user("5:staff", root_.path());
  ASSERT_OK(mixed.status());
  EXPECT_EQ(mixed->uid, 5u);
  EXPECT_EQ(mixed->gid, 50u);

  auto no_root = resolve_user("5:6", "");
  ASSERT_OK(no_root.status());
  EXPECT_EQ(no_root->uid, 5u);
  EXPECT_EQ(no_root->gid, 6u);
}

TEST_F(ImageUsers, UnknownNamesAreNotFoundNamingTheFile) {
  auto u = resolve_user("nobody", root_.path());
  EXPECT_CODE(u.status(), Code::kNotFound);
  EXPECT_NE(u.status().message().find("\"nobody\""), std::string::npos) << u.status().message();
  EXPECT_NE(u.status().message().find((root_ / "etc/passwd").string()), std::string::npos)
      << u.status().message();
  auto g = resolve_user("app:nogroup", root_.path());
  EXPECT_CODE(g.status(), Code::kNotFound);
  EXPECT_NE(g.status().message().find("etc/group"), std::string::npos) << g.status().message();
  EXPECT_CODE(resolve_user("app", "").status(), Code::kFailedPrecondition);
}

TEST_F(ImageUsers, IdsAboveInt32MaxAndMalformedStringsAreRefused) {
  EXPECT_CODE(resolve_user("2147483648", root_.path()).status(), Code::kInvalidArgument);
  EXPECT_CODE(resolve_user("0:4294967295", root_.path()).status(), Code::kInvalidArgument);
  EXPECT_CODE(resolve_user("99999999999999999999999", root_.path()).status(), Code::kInvalidArgument);
  auto max = resolve_user("2147483647", root_.path());
  ASSERT_OK(max.status());
  EXPECT_EQ(max->uid, kMaxId);
  EXPECT_CODE(resolve_user("a:b:c", root_.path()).status(), Code::kInvalidArgument);
  EXPECT_CODE(resolve_user(":0", root_.path()).status(), Code::kInvalidArgument);
}

TEST(ImageUsersEscape, SymlinkedPasswdResolvesInsideTheRootfs) {
  test::TempDir outside;
  write(outside / "passwd", "evil:x:666:666::/:/bin/sh\n");
  test::TempDir root;
  fs::create_directories(root / "etc");
  // Absolute and relative escapes both land inside the root, where there is
  // no such file.
  fs::create_symlink(outside / "passwd", root / "etc/passwd");
  auto abs = resolve_user("evil", root.path());
  EXPECT_CODE(abs.status(), Code::kNotFound);
  fs::remove(root / "etc/passwd");
  fs::create_symlink(fs::relative(outside / "passwd", root / "etc"), root / "etc/passwd");
  EXPECT_CODE(resolve_user("evil", root.path()).status(), Code::kNotFound);
  // A symlink that stays inside is followed.
  fs::remove(root / "etc/passwd");
  write(root / "lib/passwd", "good:x:7:8::/:/bin/sh\n");
  fs::create_symlink("/lib/passwd", root / "etc/passwd");
  auto good = resolve_user("good", root.path());
  ASSERT_OK(good.status());
  EXPECT_EQ(good->uid, 7u);
  EXPECT_EQ(good->gid, 8u);
}

SpecInput input() {
  SpecInput in;
  in.id = "c1";
  in.namespace_name = "default";
  in.image.entrypoint = {"/entry"};
  in.image.cmd = {"serve", "--port=80"};
  in.image.env = {"PATH=/app/bin", "MODE=prod", "LANG=C"};
  return in;
}

TEST(MakeSpec, ContainerdDefaults) {
  SpecInput in = input();
  in.image = {};
  in.image.cmd = {"/bin/sh"};
  auto s = make_spec(in);
  ASSERT_OK(s.status());
  const json& j = *s;
  EXPECT_EQ(j["ociVersion"], "1.0.2");
  EXPECT_EQ(j["hostname"], "c1");
  EXPECT_EQ(j["root"], (json{{"path", "rootfs"}, {"readonly", false}}));
  EXPECT_EQ(j["process"]["args"], (json{"/bin/sh"}));
  EXPECT_EQ(j["process"]["cwd"], "/");
  EXPECT_EQ(j["process"]["env"], (json{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}));
  EXPECT_EQ(j["process"]["user"], (json{{"uid", 0}, {"gid", 0}, {"additionalGids", {0}}}));
  EXPECT_EQ(j["process"]["noNewPrivileges"], true);
  EXPECT_EQ(j["process"]["terminal"], false);
  EXPECT_EQ(j["process"]["capabilities"]["bounding"].size(), 14u);
  EXPECT_EQ(j["process"]["rlimits"], (json{{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}));
  EXPECT_EQ(j["linux"]["cgroupsPath"], "/default/c1");
  EXPECT_EQ(j["linux"]["namespaces"], (json{{{"type", "pid"}},
                                            {{"type", "ipc"}},
                                            {{"type", "uts"}},
                                            {{"type", "mount"}},
                                            {{"type", "network"}}}));
  EXPECT_EQ(j["linux"]["resources"]["devices"][0], (json{{"allow", false}, {"access", "rwm"}}));
  EXPECT_FALSE(j["linux"]["resources"].contains("memory"));
  EXPECT_FALSE(j["linux"]["resources"].contains("cpu"));
  EXPECT_EQ(j["linux"]["maskedPaths"][2], "/proc/kcore");
  EXPECT_EQ(j["linux"]["readonlyPaths"][3], "/proc/sys");
  Strings dests;
  for (const auto& m : j["mounts"]) dests.push_back(m["destination"]);
  EXPECT_EQ(dests, (Strings{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup",
                            "/run"}));
  EXPECT_EQ(j["mounts"][6]["options"].back(), "ro");
}

TEST(MakeSpec, ArgsFromEntrypointAndCmdOrOverride) {
  SpecInput in = input();
  auto s = make_spec(in);
  ASSERT_OK(s.status());
  EXPECT_EQ((*s)["process"]["args"], (json{"/entry", "serve", "--port=80"}));
  in.overrides.args = {"debug"};
  s = make_spec(in);
  ASSERT_OK(s.status());
  EXPECT_EQ((*s)["process"]["args"], (json{"/entry", "debug"})) << "args replace Cmd, not Entrypoint";
  in.image.entrypoint.clear();
  in.overrides.args = {"/bin/true", "x"};
  s = make_spec(in);
  ASSERT_OK(s.status());
  EXPECT_EQ((*s)["process"]["args"], (json{"/bin/true", "x"}));
  in.overrides.args.clear();
  in.image.cmd.clear();
  EXPECT_CODE(make_spec(in).status(), Code::kInvalidArgument);
}

TEST(MakeSpec, EnvOverridesReplaceTheImagesKeys) {
  SpecInput in = input();
  in.overrides.env = {"MODE=dev", "EXTRA=1", "LANG"};
  auto s = make_spec(in);
  ASSERT_OK(s.status());
  EXPECT_EQ((*s)["process"]["env"], (json{"PATH=/app/bin", "MODE=dev", "EXTRA=1"}));
  in.image.env = {"A=1"};
  in.overrides.env = {};
  s = make_spec(in);
  ASSERT_OK(s.status());
  EXPECT_EQ((*s)["process"]["env"][0], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  EXPECT_EQ((*s)["process"]["env"][1], "A=1");
  in.overrides.env = {"=x"};
  EXPECT_CODE(make_spec(in).status(), Code::kInvalidArgument);
}

TEST(MakeSpec, Cwd) {
  SpecInput in = input();
  in.image.working_dir = "/srv";
  auto s = make_spec(in);
  ASSERT_OK(s.status());
  EXPECT_EQ((*s)["process"]["cwd"], "/srv");
  in.overrides.cwd = "/tmp";
  s = make_spec(in);
  ASSERT_OK(s.status());
  EXPECT_EQ((*s)["process"]["cwd"], "/tmp");
  in.overrides.cwd = "relative";
  EXPECT_CODE(make_spec(in).status(), Code::kInvalidArgument);
}

TEST_F(ImageUsers, SpecUserFromImageOrOverride) {
  SpecInput in = input();
  in.rootfs = root_.path();
  in.image.user = "app";
  auto s = make_spec(in);
  ASSERT_OK(s.status());
  EXPECT_EQ((*s)["process"]["user"],
            (json{{"uid", 1000}, {"gid", 1000}, {"additionalGids", {1000, 10, 29}}}));
  in.overrides.user = "0:0";
  s = make_spec(in);
  ASSERT_OK(s.status());
  EXPECT_EQ((*s)["process"]["user"]["uid"], 0);
  in.overrides.user = "ghost";
  EXPECT_CODE(make_spec(in).status(), Code::kNotFound);
}

TEST(MakeSpec, HostNetworkDropsTheNetworkNamespace) {
  SpecInput in = input();
  in.overrides.host_network = true;
  auto s = make_spec(in);
  ASSERT_OK(s.status());
  for (const auto& ns : (*s)["linux"]["namespaces"]) EXPECT_NE(ns["type"], "network");
  EXPECT_EQ((*s)["linux"]["namespaces"].size(), 4u);
}

TEST(MakeSpec, MemoryCpuTerminalAndReadonlyRootfs) {
  SpecInput in = input();
  in.overrides.memory_limit_bytes = 64u << 20;
  in.overrides.cpus = 1.5;
  in.overrides.terminal = true;
  in.overrides.readonly_rootfs = true;
  auto s = make_spec(in);
  ASSERT_OK(s.status());
  EXPECT_EQ((*s)["linux"]["resources"]["memory"]["limit"], 64 << 20);
  EXPECT_EQ((*s)["linux"]["resources"]["cpu"], (json{{"quota", 150000}, {"period", 100000}}));
  EXPECT_EQ((*s)["process"]["terminal"], true);
  EXPECT_EQ((*s)["root"]["readonly"], true);
  in.overrides.cpus = 0;
  EXPECT_CODE(make_spec(in).status(), Code::kInvalidArgument);
  in.overrides.cpus = -1;
  EXPECT_CODE(make_spec(in).status(), Code::kInvalidArgument);
}

TEST(MakeSpec, MountsComeAfterTheDefaults) {
  SpecInput in = input();
  in.overrides.mounts = {{"bind", "/srv/data", "/data", {"rbind", "ro"}}};
  auto s = make_spec(in);
  ASSERT_OK(s.status());
  const auto& mounts = (*s)["mounts"];
  ASSERT_GT(mounts.size(), 1u);
  EXPECT_EQ(mounts.back(), (json{{"destination", "/data"},
                                 {"type", "bind"},
                                 {"source", "/srv/data"},
                                 {"options", {"rbind", "ro"}}}));
  in.overrides.mounts = {{"bind", "/srv/data", "data", {}}};
  EXPECT_CODE(make_spec(in).status(), Code::kInvalidArgument);
  in.overrides.mounts = {{"", "/srv/data", "/data", {}}};
  EXPECT_CODE(make_spec(in).status(), Code::kInvalidArgument);
}

// The spec is one runc accepts: a busybox container runs `true` under it.
TEST(MakeSpec, RuncRunsABusyboxContainerWithIt) {
  if (::geteuid() != 0) GTEST_SKIP() << "runc needs root to create a container";
  if (!fs::exists("/usr/sbin/runc") || !fs::exists("/bin/busybox"))
    GTEST_SKIP() << "needs /usr/sbin/runc and a static /bin/busybox (busybox-static)";
  test::TempDir bundle;
  test::TempDir state;
  fs::create_directories(bundle / "rootfs/bin");
  fs::copy_file("/bin/busybox", bundle / "rootfs/bin/busybox");
  write(bundle / "rootfs/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n");
  write(bundle / "rootfs/etc/group", "root:x:0:\nnogroup:x:65534:\n");

  SpecInput in = input();
  in.id = "berth-spec-test-" + std::to_string(::getpid());
  // Per process, so the parent cgroup runc makes is ours to remove.
  in.namespace_name = "berth-spec-test-" + std::to_string(::getpid());
  in.rootfs = bundle / "rootfs";
  in.image.entrypoint.clear();
  in.overrides.args = {"/bin/busybox", "true"};
  in.overrides.memory_limit_bytes = 64u << 20;
  in.overrides.cpus = 0.5;
  in.overrides.readonly_rootfs = true;
  auto s = make_spec(in);
  ASSERT_OK(s.status());
  write(bundle / "config.json", s->dump(2));

  const std::string runc = "/usr/sbin/runc --root " + state.path().string();
  std::string out;
  const int rc =
      test::run_shell(runc + " run --bundle " + bundle.path().string() + " " + in.id + " </dev/null", out);
  std::string ignored;
  test::run_shell(runc + " delete -f " + in.id, ignored);
  EXPECT_EQ(rc, 0) << out;

  // And as a user resolved from the image, which must exist for runc too.
  in.id += "-nobody";
  in.overrides.user = "nobody";
  s = make_spec(in);
  ASSERT_OK(s.status());
  write(bundle / "config.json", s->dump(2));
  const int rc2 =
      test::run_shell(runc + " run --bundle " + bundle.path().string() + " " + in.id + " </dev/null", out);
  test::run_shell(runc + " delete -f " + in.id, ignored);
  EXPECT_EQ(rc2, 0) << out;
  // runc deletes the containers' cgroups, not the namespace's parent ones
  // (one per controller on cgroup v1, one on v2).
  test::run_shell("rmdir /sys/fs/cgroup/" + in.namespace_name + " /sys/fs/cgroup/*/" + in.namespace_name,
                  ignored);
}

}  // namespace
}  // namespace berth::runtime_spec

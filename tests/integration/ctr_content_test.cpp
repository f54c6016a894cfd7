// The Content service driven by Debian's real `ctr content ...`.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include "ctr_fixture.hpp"
#include "test_data.hpp"

namespace berth::test {
namespace {

class CtrContentTest : public CtrFixture {
 protected:
  std::vector<std::string> daemon_args() override { return collect_only_when_asked(); }
  // Writes `data` to a file in the test directory; returns its sha256 digest.
  std::string make_blob(const std::string& name, const std::string& data) {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << data;
    auto r = run({"sha256sum", path.string()});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return "sha256:" + r.output.substr(0, 64);
  }

  // `ctr [-n ns] content ingest [flags] ref < file` (ctr reads the blob from stdin).
  CommandResult ingest(const std::string& ns, const std::string& ref, const std::string& file,
                       const std::vector<std::string>& flags = {}) {
    std::string cmd = "exec ctr -a '" + daemon_.address() + "' -n '" + ns + "' content ingest";
    for (const auto& f : flags) cmd += " '" + f + "'";
    cmd += " '" + ref + "' < '" + (dir_ / file).string() + "'";
    return run({"/bin/sh", "-c", cmd});
  }

  // `ctr [-n ns] content get digest > out`; returns the exit code, the bytes in `out`.
  int get(const std::string& ns, const std::string& digest, std::string& out) {
    const auto path = dir_ / "get.out";
    std::string cmd = "exec ctr -a '" + daemon_.address() + "' -n '" + ns + "' content get '" + digest +
                      "' > '" + path.string() + "'";
    auto r = run({"/bin/sh", "-c", cmd});
    out = read_file(path);
    if (r.exit_code != 0) out = r.output;
    return r.exit_code;
  }
};

TEST_F(CtrContentTest, IngestListGetLabelRemove) {
  const std::string data = pattern_bytes(3'000'000, 7);
  const std::string digest = make_blob("blob", data);

  auto r = ingest("default", "ref-1", "blob");
  ASSERT_EQ(r.exit_code, 0) << r.output << "\nberthd log:\n" << daemon_.log();

  auto ls = ok({"content", "ls"});
  EXPECT_TRUE(std::regex_search(ls, std::regex(digest + "\\s+3MB\\s"))) << ls;
  auto quiet = ok({"content", "ls", "-q"});
  EXPECT_EQ(quiet, digest + "\n");

  std::string got;
  ASSERT_EQ(get("default", digest, got), 0) << got;
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data) << "content get returned different bytes";

  ok({"content", "label", digest, "team=blue", "tier=1"});
  ls = ok({"content", "ls"});
  EXPECT_NE(ls.find("team=blue"), std::string::npos) << ls;
  EXPECT_NE(ls.find("tier=1"), std::string::npos) << ls;
  // A filter on a label selects the blob; one on another value does not.
  EXPECT_EQ(ok({"content", "ls", "-q", "labels.team==blue"}), digest + "\n");
  EXPECT_EQ(ok({"content", "ls", "-q", "labels.team==red"}), "");

  ok({"content", "rm", digest});
  EXPECT_EQ(ok({"content", "ls", "-q"}), "");
  EXPECT_NE(get("default", digest, got), 0);
  EXPECT_NE(got.find("not found"), std::string::npos) << got;
}

TEST_F(CtrContentTest, IngestEmptyAndSmallBlobs) {
  const std::string empty = make_blob("empty", "");
  ASSERT_EQ(ingest("default", "empty", "empty").exit_code, 0);
  std::string got = "x";
  ASSERT_EQ(get("default", empty, got), 0) << got;
  EXPECT_EQ(got, "");

  const std::string small = make_blob("small", "hello berth\n");
  ASSERT_EQ(ingest("default", "small", "small").exit_code, 0);
  ASSERT_EQ(get("default", small, got), 0) << got;
  EXPECT_EQ(got, "hello berth\n");
}

TEST_F(CtrContentTest, ExpectedDigestAndSizeAreVerified) {
  const std::string data = pattern_bytes(100'000, 3);
  const std::string digest = make_blob("blob", data);
  const std::string wrong = "sha256:" + std::string(64, '0');

  auto bad_digest = ingest("default", "bad-digest", "blob", {"--expected-digest", wrong});
  EXPECT_NE(bad_digest.exit_code, 0) << bad_digest.output;
  EXPECT_NE(bad_digest.output.find("failed precondition"), std::string::npos) << bad_digest.output;

  auto bad_size = ingest("default", "bad-size", "blob", {"--expected-size", "99999"});
  EXPECT_NE(bad_size.exit_code, 0) << bad_size.output;
  auto too_big = ingest("default", "too-big", "blob", {"--expected-size", "100001"});
  EXPECT_NE(too_big.exit_code, 0) << too_big.output;
  EXPECT_EQ(ok({"content", "ls", "-q"}), "");

  auto good = ingest("default", "good", "blob", {"--expected-digest", digest, "--expected-size", "100000"});
  ASSERT_EQ(good.exit_code, 0) << good.output << "\nberthd log:\n" << daemon_.log();
  EXPECT_EQ(ok({"content", "ls", "-q"}), digest + "\n");
  std::string got;
  ASSERT_EQ(get("default", digest, got), 0) << got;
  EXPECT_TRUE(got == data);

  // Ingesting it again in the same namespace: AlreadyExists, which ctr accepts.
  auto again = ingest("default", "again", "blob", {"--expected-digest", digest});
  EXPECT_EQ(again.exit_code, 0) << again.output;
  // ListStatuses (ctr sends an empty filter) works.
  ok({"content", "active"});
}

TEST_F(CtrContentTest, NamespacesAreIsolated) {
  const std::string data = pattern_bytes(2'500'000, 11);
  const std::string digest = make_blob("blob", data);
  ASSERT_EQ(ingest("a", "ref", "blob").exit_code, 0);

  std::string got;
  EXPECT_NE(get("b", digest, got), 0);
  EXPECT_NE(got.find("not found"), std::string::npos) << got;
  EXPECT_EQ(ok({"-n", "b", "content", "ls", "-q"}), "");
  auto label = daemon_.ctr({"-n", "b", "content", "label", digest, "k=v"});
  EXPECT_NE(label.exit_code, 0) << label.output;
  auto rm = daemon_.ctr({"-n", "b", "content", "rm", digest});
  (void)rm;  // ctr may or may not report a missing blob; it must stay in "a".
  ASSERT_EQ(get("a", digest, got), 0) << got;
  EXPECT_TRUE(got == data);

  // The blob is in the store already: b's ingest commits without a WRITE.
  auto in_b = ingest("b", "ref", "blob", {"--expected-digest", digest, "--expected-size", "2500000"});
  ASSERT_EQ(in_b.exit_code, 0) << in_b.output << "\nberthd log:\n" << daemon_.log();
  ASSERT_EQ(get("b", digest, got), 0) << got;
  EXPECT_TRUE(got == data);

  // Labels are per namespace; removing from one leaves the other.
  ok({"-n", "a", "content", "label", digest, "owner=a"});
  EXPECT_EQ(ok({"-n", "b", "content", "ls"}).find("owner=a"), std::string::npos);
  ok({"-n", "a", "content", "rm", digest});
  EXPECT_NE(get("a", digest, got), 0);
  ASSERT_EQ(get("b", digest, got), 0) << got;
  EXPECT_TRUE(got == data);
}

TEST_F(CtrContentTest, ContentSurvivesARestart) {
  const std::string data = pattern_bytes(200'000, 5);
  const std::string digest = make_blob("blob", data);
  ASSERT_EQ(ingest("default", "ref", "blob").exit_code, 0);
  ok({"content", "label", digest, "keep=yes"});
  daemon_.stop(SIGTERM);
  std::string why;
  ASSERT_TRUE(daemon_.start(daemon_args(), why)) << why;
  EXPECT_NE(ok({"content", "ls"}).find("keep=yes"), std::string::npos);
  std::string got;
  ASSERT_EQ(get("default", digest, got), 0) << got;
  EXPECT_TRUE(got == data);
}

}  // namespace
}  // namespace berth::test

namespace berth::test {
namespace {

using CtrLeasesTest = CtrFixture;

TEST_F(CtrLeasesTest, CreateListRemove) {
  auto created = ok({"leases", "create", "--id", "build-1", "team=infra"});
  EXPECT_NE(created.find("build-1"), std::string::npos) << created;
  auto dup = daemon_.ctr({"leases", "create", "--id", "build-1"});
  EXPECT_NE(dup.exit_code, 0);
  EXPECT_NE(dup.output.find("already exists"), std::string::npos) << dup.output;

  ok({"leases", "create", "--id", "build-2"});
  auto ls = ok({"leases", "ls"});
  EXPECT_TRUE(std::regex_search(ls, std::regex("build-1 +[^\n]+team=infra"))) << ls;
  EXPECT_NE(ls.find("containerd.io/gc.expire"), std::string::npos) << ls;  // ctr adds it
  EXPECT_NE(ls.find("build-2"), std::string::npos) << ls;

  auto filtered = ok({"leases", "ls", "labels.team==infra"});
  EXPECT_NE(filtered.find("build-1"), std::string::npos) << filtered;
  EXPECT_EQ(filtered.find("build-2"), std::string::npos) << filtered;

  ok({"leases", "rm", "build-1"});
  auto after = ok({"leases", "ls", "-q"});
  EXPECT_EQ(after, "build-2\n");
  auto missing = daemon_.ctr({"leases", "rm", "build-1"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("not found"), std::string::npos) << missing.output;

  // Leases belong to their namespace.
  EXPECT_EQ(ok({"-n", "other", "leases", "ls", "-q"}), "");
}

TEST_F(CtrLeasesTest, RandomIdWhenNoneIsGiven) {
  auto created = ok({"leases", "create"});
  EXPECT_TRUE(std::regex_search(created, std::regex("[0-9]+-[0-9a-f]{6}"))) << created;
  auto bad = daemon_.ctr({"leases", "create", "--id", "big", "k=" + std::string(5000, 'v')});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("maximum size"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace berth::test

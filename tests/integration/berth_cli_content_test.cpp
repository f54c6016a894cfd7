// `berth content ...` and `berth leases ...` against the real berthd, checked
// with Debian's ctr where the two must agree.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include "ctr_fixture.hpp"
#include "test_data.hpp"

namespace berth::test {
namespace {

std::string quote(const std::string& s) { return "'" + s + "'"; }

class BerthCliContentTest : public CtrFixture {
 protected:
  std::vector<std::string> daemon_args() override { return collect_only_when_asked(); }
  // Writes `data` to a file in the test directory; returns its sha256 digest.
  std::string make_blob(const std::string& name, const std::string& data) {
    std::ofstream(dir_ / name, std::ios::binary) << data;
    auto r = run({"sha256sum", (dir_ / name).string()});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return "sha256:" + r.output.substr(0, 64);
  }
  // `<tool> ... > out` through the shell; the bytes of out, or the output on failure.
  int to_file(const std::string& cmd, std::string& out) {
    const auto path = dir_ / "out.bin";
    auto r = run({"/bin/sh", "-c", cmd + " > " + quote(path.string())});
    out = r.exit_code == 0 ? read_file(path) : r.output;
    return r.exit_code;
  }
  CommandResult berth_ingest(const std::string& ref, const std::string& file,
                             const std::vector<std::string>& flags = {}) {
    std::string cmd =
        "exec " + quote(BERTH_CLI_PATH) + " --address " + quote(daemon_.address()) + " content ingest";
    for (const auto& f : flags) cmd += " " + quote(f);
    cmd += " " + quote(ref) + " < " + quote((dir_ / file).string());
    return run({"/bin/sh", "-c", cmd});
  }
  std::string ctr_prefix() const { return "exec ctr -a " + quote(daemon_.address()) + " -n default "; }
  std::string berth_prefix() const {
    return "exec " + quote(BERTH_CLI_PATH) + " --address " + quote(daemon_.address()) + " ";
  }
};

TEST_F(BerthCliContentTest, IngestThenCtrGetReturnsTheSameBytes) {
  const std::string data = pattern_bytes(3 * 1024 * 1024 + 12345, 7);
  const std::string digest = make_blob("blob", data);
  auto ingested = berth_ingest(
      "big", "blob", {"--expected-size", std::to_string(data.size()), "--label", "a=1", "--label", "b=2"});
  ASSERT_EQ(ingested.exit_code, 0) << ingested.output << "\nberthd log:\n" << daemon_.log();
  EXPECT_EQ(ingested.output, digest + "\n");

  std::string got;
  ASSERT_EQ(to_file(ctr_prefix() + "content get " + quote(digest), got), 0) << got;
  EXPECT_TRUE(got == data) << "ctr content get returned " << got.size() << " bytes";
  ASSERT_EQ(to_file(berth_prefix() + "content get " + quote(digest), got), 0) << got;
  EXPECT_TRUE(got == data) << "berth content get returned " << got.size() << " bytes";

  // ctr sees the labels berth set at commit.
  auto ctr_ls = ok({"content", "ls"});
  EXPECT_NE(ctr_ls.find("a=1"), std::string::npos) << ctr_ls;
  EXPECT_NE(ctr_ls.find("b=2"), std::string::npos) << ctr_ls;
}

TEST_F(BerthCliContentTest, ListLabelGetRemove) {
  const std::string one = make_blob("one", "hello berth\n");
  const std::string two = make_blob("two", pattern_bytes(200'000, 9));
  ASSERT_EQ(berth_ingest("one", "one").exit_code, 0);
  // Ingested with ctr, listed with berth.
  auto r = run({"/bin/sh", "-c", ctr_prefix() + "content ingest two < " + quote((dir_ / "two").string())});
  ASSERT_EQ(r.exit_code, 0) << r.output;

  auto quiet = berth_ok({"content", "ls", "-q"});
  std::vector<std::string> sorted{one, two};
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(quiet, sorted[0] + "\n" + sorted[1] + "\n");

  auto table = berth_ok({"content", "ls"});
  EXPECT_TRUE(std::regex_search(table, std::regex("^DIGEST +SIZE +AGE +LABELS\n"))) << table;
  EXPECT_TRUE(std::regex_search(table, std::regex(one + " +12 +[^\n]+ +-\n"))) << table;
  EXPECT_TRUE(std::regex_search(table, std::regex(two + " +200000 "))) << table;

  berth_ok({"content", "label", one, "team=infra", "keep"});
  table = berth_ok({"content", "ls"});
  EXPECT_NE(table.find("keep=true,team=infra"), std::string::npos) << table;
  EXPECT_NE(ok({"content", "ls"}).find("team=infra"), std::string::npos);  // ctr agrees
  auto filtered = berth_ok({"content", "ls", "-q", "labels.team==infra"});
  EXPECT_EQ(filtered, one + "\n");
  berth_ok({"content", "label", one, "team="});
  table = berth_ok({"content", "ls"});
  EXPECT_EQ(table.find("team=infra"), std::string::npos) << table;
  EXPECT_NE(table.find("keep=true"), std::string::npos) << table;

  auto json = berth_ok({"content", "ls", "--format", "json"});
  EXPECT_NE(json.find("\"digest\": \"" + one + "\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"size\": 12"), std::string::npos) << json;

  std::string got;
  ASSERT_EQ(to_file(berth_prefix() + "content get " + quote(one), got), 0) << got;
  EXPECT_EQ(got, "hello berth\n");

  auto rm = berth_ok({"content", "rm", one});
  EXPECT_EQ(rm, one + "\n");
  EXPECT_EQ(berth_ok({"content", "ls", "-q"}), two + "\n");
  auto missing = berth({"content", "rm", one});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("NotFound"), std::string::npos) << missing.output;
  auto get_missing = berth({"content", "get", one});
  EXPECT_EQ(get_missing.exit_code, 1);
  EXPECT_NE(get_missing.output.find("NotFound"), std::string::npos) << get_missing.output;
}

// A regular file is mapped and sent from where stdin stands; a pipe is read.
TEST_F(BerthCliContentTest, IngestsFromAPipeAndFromWhereAFileStands) {
  const std::string data = pattern_bytes(5 * 1024 * 1024 + 321, 11);
  const std::string digest = make_blob("blob", data);
  const std::string tail_digest = make_blob("tail", data.substr(1000));
  const std::string berth = berth_prefix() + "content ingest ";
  const std::string blob = quote((dir_ / "blob").string());

  auto piped = run({"/bin/sh", "-c", "cat " + blob + " | " + berth + "piped"});
  ASSERT_EQ(piped.exit_code, 0) << piped.output;
  EXPECT_EQ(piped.output, digest + "\n");

  auto tail =
      run({"/bin/sh", "-c", "{ dd bs=1000 count=1 of=/dev/null 2>/dev/null; " + berth + "tail; } < " + blob});
  ASSERT_EQ(tail.exit_code, 0) << tail.output;
  EXPECT_EQ(tail.output, tail_digest + "\n");

  std::string got;
  ASSERT_EQ(to_file(ctr_prefix() + "content get " + quote(tail_digest), got), 0) << got;
  EXPECT_TRUE(got == data.substr(1000)) << "ctr content get returned " << got.size() << " bytes";

  // An empty file and an empty pipe: the empty blob. The second finds it
  // there at its commit (no digest was given ahead), which is success.
  std::ofstream(dir_ / "empty", std::ios::binary).flush();
  const std::string empty = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  auto from_file = run({"/bin/sh", "-c", berth + "empty-file < " + quote((dir_ / "empty").string())});
  EXPECT_EQ(from_file.exit_code, 0) << from_file.output;
  EXPECT_EQ(from_file.output, empty + "\n");
  auto from_pipe = run({"/bin/sh", "-c", "true | " + berth + "empty-pipe"});
  EXPECT_EQ(from_pipe.exit_code, 0) << from_pipe.output;
  EXPECT_EQ(from_pipe.output, empty + "\n");
}

// A client killed part way leaves the ingest in the daemon; the next one of
// the same ref sends the mapped file from where that ingest stands.
TEST_F(BerthCliContentTest, AnInterruptedIngestResumesFromWhatTheDaemonHolds) {
  const std::string data = pattern_bytes(9 * 1024 * 1024 + 77, 5);
  const std::string digest = make_blob("blob", data);
  make_blob("head", data.substr(0, 5 * 1024 * 1024));
  const std::string berth = berth_prefix() + "content ingest ";
  // The first 4 MiB message goes; the client then waits on the pipe for the
  // next and is killed.
  run({"/bin/sh", "-c",
       "{ cat " + quote((dir_ / "head").string()) + "; sleep 5; } | timeout -s KILL 3 " + BERTH_CLI_PATH +
           " --address " + quote(daemon_.address()) + " content ingest cut"});
  EXPECT_NE(ok({"content", "active"}).find("cut"), std::string::npos);

  auto resumed = run({"/bin/sh", "-c", berth + "cut < " + quote((dir_ / "blob").string())});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(resumed.output, digest + "\n");
  std::string got;
  ASSERT_EQ(to_file(ctr_prefix() + "content get " + quote(digest), got), 0) << got;
  EXPECT_TRUE(got == data) << "ctr content get returned " << got.size() << " bytes";
}

TEST_F(BerthCliContentTest, WrongExpectedDigestFails) {
  const std::string digest = make_blob("blob", pattern_bytes(100'000, 3));
  const std::string wrong = "sha256:" + std::string(64, '0');
  auto bad = berth_ingest("bad", "blob", {"--expected-digest", wrong});
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("berth: ingest bad: FailedPrecondition: "), std::string::npos) << bad.output;
  auto bad_size = berth_ingest("bad-size", "blob", {"--expected-size", "99999"});
  EXPECT_EQ(bad_size.exit_code, 1) << bad_size.output;
  EXPECT_EQ(berth_ok({"content", "ls", "-q"}), "");

  auto good = berth_ingest("good", "blob", {"--expected-digest", digest});
  ASSERT_EQ(good.exit_code, 0) << good.output;
  EXPECT_EQ(good.output, digest + "\n");
  // Again: the blob exists already, which is success.
  auto again = berth_ingest("again", "blob", {"--expected-digest", digest});
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(again.output, digest + "\n");
}

TEST_F(BerthCliContentTest, LeasesCreateListRemove) {
  auto created = berth_ok({"leases", "create", "--id", "build-1", "team=infra"});
  EXPECT_EQ(created, "build-1\n");
  auto dup = berth({"leases", "create", "--id", "build-1"});
  EXPECT_EQ(dup.exit_code, 1);
  EXPECT_NE(dup.output.find("AlreadyExists"), std::string::npos) << dup.output;
  berth_ok({"leases", "create", "--id", "build-2", "--expires", "0"});
  auto random = berth_ok({"leases", "create", "--expires", "1h30m"});
  EXPECT_TRUE(std::regex_match(random, std::regex("[0-9]+-[A-Za-z0-9]+\n"))) << random;
  EXPECT_EQ(berth({"leases", "create", "--expires", "soon"}).exit_code, 2);

  auto table = berth_ok({"leases", "ls"});
  EXPECT_TRUE(std::regex_search(table, std::regex("^ID +CREATED +LABELS\n"))) << table;
  EXPECT_TRUE(std::regex_search(
      table, std::regex("build-1 +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +containerd.io/gc.expire="
                        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z,team=infra\n")))
      << table;
  EXPECT_TRUE(std::regex_search(table, std::regex("build-2 +[^ ]+ +-\n"))) << table;
  // ctr sees them too.
  auto ctr_ls = ok({"leases", "ls"});
  EXPECT_NE(ctr_ls.find("build-1"), std::string::npos) << ctr_ls;

  EXPECT_EQ(berth_ok({"leases", "ls", "-q", "labels.team==infra"}), "build-1\n");
  auto json = berth_ok({"leases", "ls", "--format", "json"});
  EXPECT_NE(json.find("\"id\": \"build-2\""), std::string::npos) << json;

  EXPECT_EQ(berth_ok({"leases", "rm", "build-1", random.substr(0, random.size() - 1)}), "build-1\n" + random);
  EXPECT_EQ(berth_ok({"leases", "ls", "-q"}), "build-2\n");
  auto missing = berth({"leases", "rm", "build-1"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("berth: remove lease build-1: NotFound"), std::string::npos)
      << missing.output;
  EXPECT_EQ(berth_ok({"-n", "other", "leases", "ls", "-q"}), "");
}

}  // namespace
}  // namespace berth::test

// Conformance of the local content store (plugins/content) with the
// berth::ContentStore contract and containerd's local store semantics.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "clock/clock.hpp"
#include "local_store.hpp"
#include "temp_dir.hpp"
#include "test_util.hpp"

namespace berth::content {
namespace {

using berth::test::TempDir;
using namespace berth::content::test;

constexpr std::string_view kEmptyDigest =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

class ContentStore : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = LocalStore::open(dir_ / "root");
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_ = std::move(*s);
  }

  [[nodiscard]] std::filesystem::path blobs() const { return dir_ / "root" / "blobs" / "sha256"; }
  [[nodiscard]] std::filesystem::path ingests() const { return dir_ / "root" / "ingest"; }

  std::unique_ptr<ContentWriter> open_writer(std::string_view ref, int64_t total = 0,
                                             std::string_view expected = "") {
    auto w = store_->writer(ref, total, expected);
    EXPECT_TRUE(w.ok()) << w.status().to_string();
    return w.ok() ? std::move(*w) : nullptr;
  }

  TempDir dir_;
  std::shared_ptr<LocalStore> store_;
};

TEST_F(ContentStore, WritesCommitsAndReadsBack) {
  const std::string data = "hello, content store";
  auto w = open_writer("ref-1", static_cast<int64_t>(data.size()));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->write(data.substr(0, 7)));
  ASSERT_OK(w->write(data.substr(7)));
  EXPECT_EQ(w->digest(), sha256_of(data));
  auto committed = w->commit(static_cast<int64_t>(data.size()), sha256_of(data));
  ASSERT_TRUE(committed.ok()) << committed.status().to_string();
  EXPECT_EQ(*committed, sha256_of(data));

  auto read = read_blob(*store_, *committed);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(*read, data);
  auto info = store_->info(*committed);
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  EXPECT_EQ(info->digest, *committed);
  EXPECT_EQ(info->size, static_cast<int64_t>(data.size()));
  EXPECT_GT(info->created_at, 0);
  EXPECT_TRUE(info->labels.empty());
}

TEST_F(ContentStore, LaysOutCommittedBlobsReadOnlyAndRemovesTheIngest) {
  const std::string data = pattern(5000);
  auto digest = put_blob(*store_, "layout", data);
  ASSERT_TRUE(digest.ok()) << digest.status().to_string();
  const auto path = blobs() / digest->substr(7);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0444u);
  EXPECT_EQ(st.st_size, 5000);
  EXPECT_EQ(entries(blobs()), std::vector<std::string>{digest->substr(7)});
  EXPECT_TRUE(entries(ingests()).empty());
  EXPECT_CODE(store_->status("layout"), Code::kNotFound);
}

TEST_F(ContentStore, CommitWithoutExpectationsReturnsTheComputedDigest) {
  auto w = open_writer("free");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->write("abc"));
  auto d = w->commit(0, "");
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  // FIPS 180-2's test vector, so the digest is SHA-256 and not merely self-consistent.
  EXPECT_EQ(*d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(ContentStore, CommitsAnEmptyBlob) {
  auto w = open_writer("empty");
  ASSERT_NE(w, nullptr);
  auto d = w->commit(0, kEmptyDigest);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  auto r = store_->reader(kEmptyDigest);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)->size(), 0);
  char c;
  auto n = (*r)->read_at(0, &c, 1);
  ASSERT_TRUE(n.ok()) << n.status().to_string();
  EXPECT_EQ(*n, 0u);
}

TEST_F(ContentStore, ReadsAtAnyOffset) {
  const std::string data = pattern(100'000, 7);
  auto digest = put_blob(*store_, "offsets", data);
  ASSERT_TRUE(digest.ok()) << digest.status().to_string();
  auto r = store_->reader(*digest);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)->size(), 100'000);

  std::string buf(5000, '\0');
  for (int64_t off : {0L, 1L, 4095L, 4096L, 50'001L, 94'999L}) {
    auto n = (*r)->read_at(off, buf.data(), buf.size());
    ASSERT_TRUE(n.ok()) << n.status().to_string();
    ASSERT_EQ(*n, 5000u) << off;
    EXPECT_EQ(buf, data.substr(off, 5000)) << off;
  }
  // Short near the end, empty at the end, OutOfRange past it.
  auto tail = (*r)->read_at(99'000, buf.data(), buf.size());
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(*tail, 1000u);
  EXPECT_EQ(buf.substr(0, 1000), data.substr(99'000));
  auto end = (*r)->read_at(100'000, buf.data(), buf.size());
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, 0u);
  EXPECT_CODE((*r)->read_at(100'001, buf.data(), buf.size()), Code::kOutOfRange);
  EXPECT_CODE((*r)->read_at(-1, buf.data(), buf.size()), Code::kInvalidArgument);
}

TEST_F(ContentStore, AReaderKeepsWorkingAfterTheBlobIsRemoved) {
  const std::string data = pattern(10'000, 3);
  auto digest = put_blob(*store_, "unlinked", data);
  ASSERT_TRUE(digest.ok());
  auto r = store_->reader(*digest);
  ASSERT_TRUE(r.ok());
  ASSERT_OK(store_->remove(*digest));
  auto back = read_all(**r);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(*back, data);
}

TEST_F(ContentStore, ResumesAfterTheWriterIsClosed) {
  const std::string data = pattern(300'000, 11);
  {
    auto w = open_writer("resume", static_cast<int64_t>(data.size()), sha256_of(data));
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->write(std::string_view(data).substr(0, 123'457)));
  }  // closed without commit
  auto st = store_->status("resume");
  ASSERT_TRUE(st.ok()) << st.status().to_string();
  EXPECT_EQ(st->offset, 123'457);
  EXPECT_EQ(st->total, 300'000);
  EXPECT_EQ(st->expected, sha256_of(data));

  auto w = open_writer("resume");
  ASSERT_NE(w, nullptr);
  auto ws = w->status();
  ASSERT_TRUE(ws.ok());
  EXPECT_EQ(ws->offset, 123'457);
  EXPECT_EQ(ws->total, 300'000);  // remembered from the first writer
  EXPECT_EQ(ws->started_at, st->started_at);
  // The digest state is restored by re-reading what was written.
  EXPECT_EQ(w->digest(), sha256_of(std::string_view(data).substr(0, 123'457)));
  ASSERT_OK(w->write(std::string_view(data).substr(123'457)));
  auto d = w->commit(0, "");
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(*d, sha256_of(data));
  auto back = read_blob(*store_, *d);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == data);
}

TEST_F(ContentStore, ResumesAfterTheStoreIsReopened) {
  const std::string data = pattern(2'000'000, 5);
  {
    auto w = open_writer("restart");
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->write(std::string_view(data).substr(0, 1'500'000)));
  }
  store_.reset();
  auto reopened = LocalStore::open(dir_ / "root");
  ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
  auto w = (*reopened)->writer("restart", 0, "");
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  EXPECT_EQ((*w)->status()->offset, 1'500'000);
  ASSERT_OK((*w)->write(std::string_view(data).substr(1'500'000)));
  auto d = (*w)->commit(2'000'000, sha256_of(data));
  ASSERT_TRUE(d.ok()) << d.status().to_string();
}

TEST_F(ContentStore, ResumeRejectsAContradictingTotalOrDigest) {
  {
    auto w = open_writer("contradict", 10, sha256_of("0123456789"));
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->write("01234"));
  }
  auto before = store_->status("contradict");
  ASSERT_TRUE(before.ok());
  EXPECT_CODE(store_->writer("contradict", 11, ""), Code::kFailedPrecondition);
  EXPECT_CODE(store_->writer("contradict", 0, sha256_of("x")), Code::kFailedPrecondition);
  // Nothing was changed by the refusals.
  auto st = store_->status("contradict");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->offset, 5);
  EXPECT_EQ(st->total, 10);
  EXPECT_EQ(st->expected, sha256_of("0123456789"));
  EXPECT_EQ(st->updated_at, before->updated_at);
  auto w = open_writer("contradict", 10, sha256_of("0123456789"));
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->write("56789"));
  EXPECT_TRUE(w->commit(0, "").ok());
}

TEST_F(ContentStore, ResumeMayAddATotalAndDigestLater) {
  const std::string data = "later";
  {
    auto w = open_writer("later");
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->write("la"));
  }
  auto w = open_writer("later", 5, sha256_of(data));
  ASSERT_NE(w, nullptr);
  auto st = store_->status("later");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->total, 5);
  EXPECT_EQ(st->expected, sha256_of(data));
  ASSERT_OK(w->write("ter"));
  EXPECT_TRUE(w->commit(0, "").ok());
}

TEST_F(ContentStore, TruncateCutsBackAndRestarts) {
  const std::string data = pattern(400'000, 9);
  auto w = open_writer("truncate");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->write(data));
  ASSERT_OK(w->truncate(150'000));
  EXPECT_EQ(w->status()->offset, 150'000);
  EXPECT_EQ(store_->status("truncate")->offset, 150'000);
  EXPECT_EQ(w->digest(), sha256_of(std::string_view(data).substr(0, 150'000)));
  EXPECT_CODE(w->truncate(150'001), Code::kInvalidArgument);
  EXPECT_CODE(w->truncate(-1), Code::kInvalidArgument);

  ASSERT_OK(w->truncate(0));
  EXPECT_EQ(w->status()->offset, 0);
  EXPECT_EQ(w->digest(), std::string(kEmptyDigest));
  const std::string other = pattern(1000, 10);
  ASSERT_OK(w->write(other));
  auto d = w->commit(1000, sha256_of(other));
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(*read_blob(*store_, *d), other);
}

TEST_F(ContentStore, TruncateWorksOnAResumedIngest) {
  const std::string data = pattern(10'000, 12);
  {
    auto w = open_writer("truncate-resumed");
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->write(data));
  }
  auto w = open_writer("truncate-resumed");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->truncate(4000));
  ASSERT_OK(w->write(std::string_view(data).substr(4000)));
  auto d = w->commit(10'000, sha256_of(data));
  ASSERT_TRUE(d.ok()) << d.status().to_string();
}

// A write the kernel takes only part of (here: the file size limit) leaves
// the offset and the digest covering exactly the bytes that reached the file,
// both for writes hashed inline and for large ones hashed on the worker.
// Large write_pieces() go around the page cache (O_DIRECT, through an aligned
// staging buffer; staging_pool.hpp); small ones and write() go through it. Offsets that
// are not block-aligned, pieces that end mid-block and writes larger than a
// staging buffer must all land where they belong, readable at once.
TEST_F(ContentStore, LargeWritesAtAnyOffsetAndInPiecesLandInOrder) {
  const std::string data = pattern(5'000'000, 41);
  const std::string_view all(data);
  auto w = open_writer("direct");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->write(all.substr(0, 777)));          // small, misaligns what follows
  ASSERT_OK(w->write(all.substr(777, 1'500'000)));  // misaligned head, then O_DIRECT, then a tail
  const std::string_view pieces[] = {all.substr(1'500'777, 3), all.substr(1'500'780, 700'001),
                                     all.substr(2'200'781, 0), all.substr(2'200'781, 1'299'219)};
  ASSERT_OK(w->write_pieces(pieces));  // 2 MB in four pieces, one empty
  auto st = w->status();
  ASSERT_TRUE(st.ok()) << st.status().to_string();
  EXPECT_EQ(st->offset, 3'500'000);
  EXPECT_EQ(w->digest(), sha256_of(all.substr(0, 3'500'000)));
  // What the writer says it holds is in the file, for a resumed writer too.
  w.reset();
  w = open_writer("direct");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->digest(), sha256_of(all.substr(0, 3'500'000)));
  const std::string_view rest[] = {all.substr(3'500'000)};
  ASSERT_OK(w->write_pieces(rest));
  auto d = w->commit(5'000'000, sha256_of(data));
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  auto read = read_blob(*store_, *d);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_TRUE(*read == data);
}

TEST_F(ContentStore, AFailedWriteKeepsTheDigestInStepWithTheData) {
  const std::string data = pattern(1'000'000, 31);
  struct rlimit old_limit {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  const auto old_handler = signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of death
  auto w = open_writer("partial-write");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->write(std::string_view(data).substr(0, 1000)));

  struct rlimit limit = old_limit;
  limit.rlim_cur = 300'000;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
  // Hashed in parallel and written on this thread, where the limit cuts it.
  const Status big = w->write(std::string_view(data).substr(1000, 500'000));
  limit.rlim_cur = 300'100;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
  const Status small = w->write(std::string_view(data).substr(300'000, 1000));  // hashed inline
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  signal(SIGXFSZ, old_handler);

  EXPECT_FALSE(big.ok());
  EXPECT_FALSE(small.ok());
  auto st = w->status();
  ASSERT_TRUE(st.ok()) << st.status().to_string();
  EXPECT_EQ(st->offset, 300'100);
  EXPECT_EQ(w->digest(), sha256_of(std::string_view(data).substr(0, 300'100)));
  ASSERT_OK(w->write(std::string_view(data).substr(300'100)));
  auto d = w->commit(1'000'000, sha256_of(data));
  ASSERT_TRUE(d.ok()) << d.status().to_string();
}

// write_pieces (Content.Write's path) copies large writes aside and returns;
// they are hashed and written behind it. One that then fails must not pass
// unnoticed, and must leave the file a prefix of what was sent, which a new
// writer resumes from with the right digest.
TEST_F(ContentStore, AWriteThatFailsBehindTheWriterBreaksItAndTheIngestResumesFromTheFile) {
  const std::string data = pattern(3'000'000, 37);
  struct rlimit old_limit {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  const auto old_handler = signal(SIGXFSZ, SIG_IGN);
  auto w = open_writer("failed-behind");
  ASSERT_NE(w, nullptr);
  struct rlimit limit = old_limit;
  limit.rlim_cur = 1'500'000;  // inside the second write, off any block boundary
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
  Status failed;
  for (std::size_t at = 0; at < data.size() && failed.ok(); at += 1'000'000) {
    const std::string_view piece[] = {std::string_view(data).substr(at, 1'000'000)};
    failed = w->write_pieces(piece);
  }
  // At the latest, the digest or the commit finds it.
  const std::string digest = w->digest();
  auto committed = w->commit(3'000'000, sha256_of(data));
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  signal(SIGXFSZ, old_handler);
  EXPECT_TRUE(digest.empty());
  ASSERT_FALSE(committed.ok());
  EXPECT_NE(committed.status().message().find("close and reopen the writer"), std::string::npos)
      << committed.status().to_string();
  EXPECT_FALSE(w->status().ok());
  EXPECT_TRUE(entries(blobs()).empty());
  w.reset();

  auto again = open_writer("failed-behind");
  ASSERT_NE(again, nullptr);
  auto st = again->status();
  ASSERT_TRUE(st.ok()) << st.status().to_string();
  ASSERT_GT(st->offset, 0);
  ASSERT_LE(st->offset, 1'500'000);
  const auto kept = static_cast<std::size_t>(st->offset);
  EXPECT_EQ(again->digest(), sha256_of(std::string_view(data).substr(0, kept)));
  const std::string_view rest[] = {std::string_view(data).substr(kept)};
  ASSERT_OK(again->write_pieces(rest));
  auto d = again->commit(3'000'000, sha256_of(data));
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  auto read = read_blob(*store_, *d);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(*read, data);
}

TEST_F(ContentStore, CommitWithTheWrongDigestFailsAndPublishesNothing) {
  const std::string data = "some bytes";
  const std::string wrong = sha256_of("other bytes");
  auto w = open_writer("wrong-digest");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->write(data));
  auto d = w->commit(0, wrong);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Code::kFailedPrecondition) << d.status().to_string();
  EXPECT_NE(d.status().message().find(wrong), std::string::npos) << d.status().message();
  EXPECT_NE(d.status().message().find(sha256_of(data)), std::string::npos) << d.status().message();
  EXPECT_TRUE(entries(blobs()).empty());
  EXPECT_CODE(store_->info(sha256_of(data)), Code::kNotFound);
  // The ingest keeps its data, and the writer can still finish the job.
  EXPECT_EQ(store_->status("wrong-digest")->offset, static_cast<int64_t>(data.size()));
  auto right = w->commit(0, sha256_of(data));
  ASSERT_TRUE(right.ok()) << right.status().to_string();
}

TEST_F(ContentStore, CommitWithTheWrongSizeFailsAndPublishesNothing) {
  auto w = open_writer("wrong-size");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->write("12345"));
  auto d = w->commit(6, "");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Code::kFailedPrecondition) << d.status().to_string();
  EXPECT_NE(d.status().message().find("unexpected size 5, expected 6"), std::string::npos)
      << d.status().message();
  EXPECT_TRUE(entries(blobs()).empty());
  EXPECT_EQ(store_->status("wrong-size")->offset, 5);
}

TEST_F(ContentStore, CommitChecksTheTotalAndDigestGivenAtTheStart) {
  {
    auto w = open_writer("short", 10);
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->write("12345"));
    EXPECT_CODE(w->commit(0, ""), Code::kFailedPrecondition);
  }
  {
    auto w = open_writer("mismatch", 0, sha256_of("expected"));
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->write("received"));
    auto d = w->commit(0, "");
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), Code::kFailedPrecondition) << d.status().to_string();
    EXPECT_NE(d.status().message().find(sha256_of("expected")), std::string::npos);
  }
  EXPECT_TRUE(entries(blobs()).empty());
}

TEST_F(ContentStore, CommitOfAPresentBlobIsAlreadyExistsAndTheBlobStaysUsable) {
  const std::string data = pattern(70'000, 21);
  auto first = put_blob(*store_, "first", data);
  ASSERT_TRUE(first.ok()) << first.status().to_string();

  auto w = open_writer("second");  // no expected digest, so the writer opens
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->write(data));
  auto d = w->commit(static_cast<int64_t>(data.size()), sha256_of(data));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Code::kAlreadyExists) << d.status().to_string();
  EXPECT_CODE(store_->status("second"), Code::kNotFound);  // the ingest is gone
  EXPECT_TRUE(entries(ingests()).empty());
  EXPECT_CODE(w->write("more"), Code::kFailedPrecondition);  // and the writer is done
  auto back = read_blob(*store_, *first);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_TRUE(*back == data);
  // The ref is free again.
  EXPECT_NE(open_writer("second"), nullptr);
}

TEST_F(ContentStore, AWriterExpectingAPresentBlobIsRefusedAtOnce) {
  auto d = put_blob(*store_, "have", "have");
  ASSERT_TRUE(d.ok());
  auto w = store_->writer("again", 4, *d);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), Code::kAlreadyExists) << w.status().to_string();
  EXPECT_TRUE(entries(ingests()).empty());
}

TEST_F(ContentStore, ASecondWriterOnARefInUseIsUnavailable) {
  auto w = open_writer("busy");
  ASSERT_NE(w, nullptr);
  auto second = store_->writer("busy", 0, "");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kUnavailable);
  EXPECT_EQ(second.status().message(), "ref \"busy\" locked");
  EXPECT_CODE(store_->abort("busy"), Code::kUnavailable);  // abort waits for the writer too
  // Other refs are unaffected.
  EXPECT_NE(open_writer("idle"), nullptr);
  w.reset();
  EXPECT_NE(open_writer("busy"), nullptr);
}

TEST_F(ContentStore, ASecondStoreOnTheSameRootCannotTakeALockedRef) {
  auto w = open_writer("shared");
  ASSERT_NE(w, nullptr);
  auto other = LocalStore::open(dir_ / "root");
  ASSERT_TRUE(other.ok());
  // The other store has its own lock table; only the flock stops it.
  auto second = (*other)->writer("shared", 0, "");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kUnavailable) << second.status().to_string();
  EXPECT_NE(second.status().message().find("ref \"shared\" locked"), std::string::npos);
  w.reset();
  EXPECT_TRUE((*other)->writer("shared", 0, "").ok());
}

TEST_F(ContentStore, ConcurrentWritersOnOneRefGetItOneAtATime) {
  constexpr int kThreads = 8;
  std::atomic<int> won{0};
  std::atomic<int> refused{0};
  std::atomic<int> other{0};
  std::vector<std::unique_ptr<ContentWriter>> winners(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto w = store_->writer("race", 0, "");
      if (w.ok()) {
        ++won;
        winners[i] = std::move(*w);
      } else if (w.status().code() == Code::kUnavailable) {
        ++refused;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(refused.load(), kThreads - 1);
  EXPECT_EQ(other.load(), 0);
}

TEST_F(ContentStore, AbortRemovesTheIngest) {
  {
    auto w = open_writer("abort-me");
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->write("partial"));
  }
  ASSERT_OK(store_->abort("abort-me"));
  EXPECT_CODE(store_->status("abort-me"), Code::kNotFound);
  EXPECT_TRUE(entries(ingests()).empty());
  EXPECT_CODE(store_->abort("abort-me"), Code::kNotFound);
  EXPECT_CODE(store_->abort("never-was"), Code::kNotFound);
  // A new writer on the ref starts from nothing.
  auto w = open_writer("abort-me");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->status()->offset, 0);
}

TEST_F(ContentStore, StatusAndListStatusesDescribeIngests) {
  const TimestampNs before = berth::clock::now_ns();
  auto a = open_writer("a", 100, sha256_of("x"));
  auto b = open_writer("some/ref:with/slashes");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_OK(a->write("0123456789"));
  ASSERT_OK(b->write("xyz"));

  auto sa = store_->status("a");
  ASSERT_TRUE(sa.ok()) << sa.status().to_string();
  EXPECT_EQ(sa->ref, "a");
  EXPECT_EQ(sa->offset, 10);
  EXPECT_EQ(sa->total, 100);
  EXPECT_EQ(sa->expected, sha256_of("x"));
  EXPECT_GE(sa->started_at, before);
  EXPECT_GE(sa->updated_at, sa->started_at);
  auto wa = a->status();
  ASSERT_TRUE(wa.ok());
  EXPECT_EQ(wa->offset, 10);
  EXPECT_EQ(wa->started_at, sa->started_at);

  std::ofstream(ingests() / "stray-file") << "not an ingest";
  auto all = store_->list_statuses();
  ASSERT_TRUE(all.ok()) << all.status().to_string();
  std::map<std::string, IngestStatus> by_ref;
  for (auto& s : *all) by_ref[s.ref] = s;
  ASSERT_EQ(by_ref.size(), 2u);
  EXPECT_EQ(by_ref["a"].offset, 10);
  EXPECT_EQ(by_ref["some/ref:with/slashes"].offset, 3);
  EXPECT_EQ(by_ref["some/ref:with/slashes"].total, 0);
  EXPECT_EQ(by_ref["some/ref:with/slashes"].expected, "");

  auto c = b->commit(0, "");
  ASSERT_TRUE(c.ok());
  all = store_->list_statuses();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].ref, "a");
  EXPECT_CODE(store_->status("nope"), Code::kNotFound);
}

TEST_F(ContentStore, RefsAreStoredByHashSoAnyTextIsARef) {
  const std::string long_ref(600, 'r');
  for (const std::string& ref :
       {std::string("../../escape"), std::string("a/b/c"), long_ref, std::string("..")}) {
    auto w = open_writer(ref);
    ASSERT_NE(w, nullptr) << ref;
    ASSERT_OK(w->write(ref));
  }
  for (const auto& name : entries(ingests())) {
    EXPECT_EQ(name.size(), 64u) << name;
  }
  EXPECT_EQ(entries(ingests()).size(), 4u);
  EXPECT_EQ(store_->status(long_ref)->ref, long_ref);
  EXPECT_EQ(entries(dir_.path()), std::vector<std::string>{"root"});  // nothing escaped the root
}

TEST_F(ContentStore, AnInterruptedIngestSetupIsStartedAfresh) {
  // A writer killed while creating its ingest leaves a directory without a ref.
  auto w = open_writer("setup");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->write("stale"));
  w.reset();
  const auto names = entries(ingests());
  ASSERT_EQ(names.size(), 1u);
  std::filesystem::remove(ingests() / names[0] / "ref");
  EXPECT_CODE(store_->status("setup"), Code::kNotFound);
  EXPECT_TRUE(store_->list_statuses()->empty());
  w = open_writer("setup");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->status()->offset, 0);
  ASSERT_OK(w->write("fresh"));
  auto d = w->commit(5, sha256_of("fresh"));
  ASSERT_TRUE(d.ok()) << d.status().to_string();
}

TEST_F(ContentStore, APartialBlobIsNeverVisible) {
  const std::string data = pattern(1'000'000, 4);
  auto w = open_writer("partial");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->write(std::string_view(data).substr(0, 999'999)));
  EXPECT_TRUE(entries(blobs()).empty());
  int walked = 0;
  ASSERT_OK(store_->walk([&](const ContentInfo&) { return ++walked, true; }));
  EXPECT_EQ(walked, 0);
  EXPECT_CODE(store_->info(sha256_of(data)), Code::kNotFound);
  ASSERT_OK(w->write(std::string_view(data).substr(999'999)));
  ASSERT_TRUE(w->commit(0, "").ok());
  EXPECT_EQ(entries(blobs()).size(), 1u);
}

TEST_F(ContentStore, RemoveDeletesABlob) {
  auto d = put_blob(*store_, "rm", "remove me");
  ASSERT_TRUE(d.ok());
  ASSERT_OK(store_->remove(*d));
  EXPECT_CODE(store_->info(*d), Code::kNotFound);
  EXPECT_CODE(store_->reader(*d), Code::kNotFound);
  auto again = store_->remove(*d);
  EXPECT_EQ(again.code(), Code::kNotFound);
  EXPECT_NE(again.message().find(*d), std::string::npos) << again.message();
  // And it can be written again.
  EXPECT_TRUE(put_blob(*store_, "rm", "remove me").ok());
}

TEST_F(ContentStore, WalkVisitsEveryBlobAndNothingElse) {
  std::set<std::string> want;
  for (int i = 0; i < 5; ++i) {
    auto d = put_blob(*store_, "walk-" + std::to_string(i), pattern(100 + i, i));
    ASSERT_TRUE(d.ok());
    want.insert(*d);
  }
  // Strays that are not blobs: a temporary file, a wrong-case name, a directory.
  std::ofstream(blobs() / "tmp-upload-123") << "junk";
  std::ofstream(blobs() / std::string(64, 'A')) << "junk";
  std::filesystem::create_directory(blobs() / std::string(64, 'b'));
  auto w = open_writer("walk-ingest");  // ingests are not blobs either
  ASSERT_OK(w->write("pending"));

  std::set<std::string> seen;
  ASSERT_OK(store_->walk([&](const ContentInfo& info) {
    seen.insert(info.digest);
    EXPECT_EQ(info.size, store_->info(info.digest)->size);
    return true;
  }));
  EXPECT_EQ(seen, want);

  int visited = 0;
  ASSERT_OK(store_->walk([&](const ContentInfo&) { return ++visited < 2; }));
  EXPECT_EQ(visited, 2);
}

TEST_F(ContentStore, MalformedDigestsAreInvalidArguments) {
  for (const std::string& bad :
       {std::string(""), std::string("sha256:"), std::string("sha256:abc"),
        std::string("md5:d41d8cd98f00b204e9800998ecf8427e"), "sha256:" + std::string(64, 'A'),
        "sha256:" + std::string(63, 'a') + "g", "sha512:" + std::string(128, 'a'), std::string(64, 'a'),
        "sha256:../../" + std::string(58, 'a')}) {
    SCOPED_TRACE(bad);
    EXPECT_CODE(store_->info(bad), Code::kInvalidArgument);
    EXPECT_CODE(store_->reader(bad), Code::kInvalidArgument);
    EXPECT_CODE(store_->remove(bad), Code::kInvalidArgument);
    if (!bad.empty()) {
      EXPECT_CODE(store_->writer("bad-digest", 0, bad), Code::kInvalidArgument);
      auto w = open_writer("bad-commit");
      ASSERT_NE(w, nullptr);
      EXPECT_CODE(w->commit(0, bad), Code::kInvalidArgument);
    }
  }
  EXPECT_TRUE(entries(blobs()).empty());
}

TEST_F(ContentStore, AnEmptyRefIsAnInvalidArgument) {
  EXPECT_CODE(store_->writer("", 0, ""), Code::kInvalidArgument);
  EXPECT_CODE(store_->status(""), Code::kInvalidArgument);
  EXPECT_CODE(store_->abort(""), Code::kInvalidArgument);
  EXPECT_CODE(store_->writer("neg", -1, ""), Code::kInvalidArgument);
}

TEST_F(ContentStore, AFinishedWriterRefusesFurtherUse) {
  auto w = open_writer("done");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->write("done"));
  ASSERT_TRUE(w->commit(0, "").ok());
  EXPECT_CODE(w->write("x"), Code::kFailedPrecondition);
  EXPECT_CODE(w->truncate(0), Code::kFailedPrecondition);
  EXPECT_CODE(w->commit(0, ""), Code::kFailedPrecondition);
  EXPECT_CODE(w->status(), Code::kFailedPrecondition);
}

TEST_F(ContentStore, WritersOutliveTheStore) {
  auto w = open_writer("orphan");
  ASSERT_NE(w, nullptr);
  store_.reset();
  ASSERT_OK(w->write("still here"));
  EXPECT_TRUE(w->commit(0, sha256_of("still here")).ok());
}

TEST_F(ContentStore, ManyWritersInParallelOnDifferentRefs) {
  constexpr int kThreads = 6;
  std::vector<std::thread> threads;
  std::vector<Status> results(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      const std::string data = pattern(600'000, 100 + i);
      auto w = store_->writer("parallel-" + std::to_string(i), 0, "");
      if (!w.ok()) return void(results[i] = w.status());
      for (std::size_t off = 0; off < data.size(); off += 200'000) {
        if (Status st = (*w)->write(std::string_view(data).substr(off, 200'000)); !st.ok())
          return void(results[i] = st);
      }
      auto d = (*w)->commit(0, sha256_of(data));
      if (!d.ok()) results[i] = d.status();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_OK(r);
  EXPECT_EQ(entries(blobs()).size(), static_cast<std::size_t>(kThreads));
}

}  // namespace
}  // namespace berth::content

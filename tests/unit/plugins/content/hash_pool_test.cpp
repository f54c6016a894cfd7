// The content store's hashing threads: at most one per CPU however many
// writers there are, borrowed per write, and never a wrong digest when all
// are busy.
#include "hash_pool.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "local_store.hpp"
#include "staging_pool.hpp"
#include "temp_dir.hpp"
#include "test_util.hpp"

namespace berth::content {
namespace {

using berth::test::TempDir;
using namespace berth::content::test;

std::size_t threads_of_this_process() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

TEST(HashPool, LendsAtMostItsSizeAndTakesLeasesBack) {
  auto pool = make_hash_pool(2);
  auto a = pool->try_acquire();
  auto b = pool->try_acquire();
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  EXPECT_FALSE(pool->try_acquire().has_value()) << "a third worker while two are lent";
  EXPECT_EQ(pool->started(), 2U);
  a.reset();
  auto c = pool->try_acquire();
  ASSERT_TRUE(c.has_value()) << "a returned worker is lent again";
  EXPECT_EQ(pool->started(), 2U) << "and no new thread is started for it";
}

TEST(HashPool, ALeaseOutlivingItsPoolIsSafe) {
  auto pool = make_hash_pool(1);
  auto lease = pool->try_acquire();
  ASSERT_TRUE(lease.has_value());
  pool.reset();
  auto hash = digest::Sha256::create();
  ASSERT_TRUE(hash.ok());
  const std::string data(1 << 20, 'x');
  // In two pieces: the worker hashes them in order, as one stream.
  const std::string_view pieces[] = {std::string_view(data).substr(0, 1000),
                                     std::string_view(data).substr(1000)};
  (*lease)->submit(*hash, pieces);
  EXPECT_TRUE((*lease)->wait().ok());
  EXPECT_EQ(*hash->digest(), sha256_of(data));
}

// Before the pool each writer started its own hashing thread at its first
// large write and kept it until it was done: 32 open writers, 32 threads.
TEST(HashPool, ManyWritersShareThePoolAndGetTheirOwnDigests) {
  TempDir dir;
  auto store = LocalStore::open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  const std::size_t before = threads_of_this_process();
  constexpr int kWriters = 32;
  std::vector<std::unique_ptr<ContentWriter>> writers;
  std::vector<std::string> data;
  for (int i = 0; i < kWriters; ++i) {
    auto w = (*store)->writer("pooled-" + std::to_string(i), 0, "");
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    writers.push_back(std::move(*w));
    data.push_back(std::string(256 * 1024, static_cast<char>('a' + i % 26)) + std::to_string(i));
  }
  // Each writes one large piece (hashed on a pool thread when one is free),
  // all of them at once.
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] { EXPECT_TRUE(writers[i]->write(data[i]).ok()); });
  }
  for (auto& t : threads) t.join();
  // The pool's threads at most, while every writer is still open.
  EXPECT_LE(threads_of_this_process(), before + usable_cpus());
  for (int i = 0; i < kWriters; ++i) {
    auto d = writers[i]->commit(static_cast<int64_t>(data[i].size()), sha256_of(data[i]));
    ASSERT_TRUE(d.ok()) << d.status().to_string();
    EXPECT_EQ(*d, sha256_of(data[i]));
  }
}

// The staging buffers a large ingest borrows go back to kStagingKept once
// no writer holds one, and never while one is lent.
TEST(StagingPool, ShrinksToWhatItKeepsOnlyWhenNoBufferIsLent) {
  auto pool = make_staging_pool(kStagingBuffers);
  std::vector<StagingPool::Lease> lent;
  for (std::size_t i = 0; i < kStagingBuffers; ++i) {
    auto lease = pool->try_acquire();
    ASSERT_TRUE(lease.has_value()) << i;
    lent.push_back(std::move(*lease));
  }
  EXPECT_FALSE(pool->try_acquire().has_value());
  lent.erase(lent.begin() + 1, lent.end());
  pool->shrink_idle(kStagingKept);
  EXPECT_EQ(pool->started(), kStagingBuffers) << "shrunk while a buffer was lent";
  lent.clear();
  pool->shrink_idle(kStagingKept);
  EXPECT_EQ(pool->started(), kStagingKept);
  // What was freed can be made again.
  for (std::size_t i = 0; i < kStagingBuffers; ++i) {
    auto lease = pool->try_acquire();
    ASSERT_TRUE(lease.has_value()) << i;
    lent.push_back(std::move(*lease));
  }
  EXPECT_EQ(pool->started(), kStagingBuffers);
}

}  // namespace
}  // namespace berth::content

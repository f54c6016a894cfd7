// A 1 GiB blob streamed in and out in 1 MiB chunks must not cost 1 GiB of
// memory: the writer passes each chunk straight to the kernel and the reader
// preads into the caller's buffer. Named Large so it can be filtered out
// (ctest -E Large); it takes a few seconds.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include "local_store.hpp"
#include "temp_dir.hpp"
#include "test_util.hpp"

namespace berth::content {
namespace {

using berth::test::TempDir;
using namespace berth::content::test;
using Clock = std::chrono::steady_clock;

// A field of /proc/self/status in KiB ("VmHWM", "VmRSS"), or -1.
int64_t proc_status_kib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1));
  }
  return -1;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Chunk `i` of the blob: a fixed random block stamped with its index, so a
// chunk written or read at the wrong place does not go unnoticed.
void stamp(std::string& chunk, uint64_t i) { std::memcpy(chunk.data(), &i, sizeof i); }

TEST(ContentStoreLarge, Large1GiBBlobStreamsInAndOutWithBoundedMemory) {
  constexpr std::size_t kChunk = 1 << 20;
  constexpr uint64_t kChunks = 1024;
  constexpr int64_t kSize = static_cast<int64_t>(kChunk * kChunks);
  constexpr int64_t kMemoryBudgetKiB = 64 * 1024;

  TempDir dir;
  auto store = LocalStore::open(dir / "root");
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  std::string chunk = pattern(kChunk, 77);
  std::string got(kChunk, '\0');

  // Reset the peak RSS to the current RSS (Linux's clear_refs "5"), so the
  // peak read at the end belongs to this test alone.
  { std::ofstream("/proc/self/clear_refs") << "5"; }
  const int64_t rss_before = proc_status_kib("VmRSS");
  ASSERT_GT(rss_before, 0);

  auto t0 = Clock::now();
  auto w = (*store)->writer("large", kSize, "");
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  for (uint64_t i = 0; i < kChunks; ++i) {
    stamp(chunk, i);
    ASSERT_OK((*w)->write(chunk));
  }
  const double write_s = seconds_since(t0);
  auto t1 = Clock::now();
  auto digest = (*w)->commit(kSize, "");
  ASSERT_TRUE(digest.ok()) << digest.status().to_string();
  const double commit_s = seconds_since(t1);
  w->reset();

  // Read back in chunks, checking every byte and hashing independently.
  auto t2 = Clock::now();
  auto r = (*store)->reader(*digest);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ((*r)->size(), kSize);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ASSERT_EQ(EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr), 1);
  for (uint64_t i = 0; i < kChunks; ++i) {
    auto n = (*r)->read_at(static_cast<int64_t>(i * kChunk), got.data(), got.size());
    ASSERT_TRUE(n.ok()) << n.status().to_string();
    ASSERT_EQ(*n, kChunk);
    stamp(chunk, i);
    ASSERT_TRUE(got == chunk) << "chunk " << i << " differs";
    EVP_DigestUpdate(ctx, got.data(), got.size());
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  const double read_s = seconds_since(t2);
  std::string hex = "sha256:";
  for (unsigned int i = 0; i < len; ++i) {
    static constexpr char kHex[] = "0123456789abcdef";
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 0xf];
  }
  EXPECT_EQ(hex, *digest);

  const int64_t peak = proc_status_kib("VmHWM");
  const int64_t growth = peak - rss_before;
  std::cout << "1 GiB: write " << write_s << " s, commit (fsync) " << commit_s << " s, read+verify " << read_s
            << " s; peak RSS grew by " << growth / 1024 << " MiB\n";
  RecordProperty("write_s", std::to_string(write_s));
  RecordProperty("commit_s", std::to_string(commit_s));
  RecordProperty("read_s", std::to_string(read_s));
  RecordProperty("rss_growth_kib", std::to_string(growth));
  EXPECT_LT(growth, kMemoryBudgetKiB) << "peak RSS grew by " << growth << " KiB";
}

}  // namespace
}  // namespace berth::content

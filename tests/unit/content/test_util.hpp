// Shared helpers for the content store tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "berth/content_store.hpp"
#include "berth/status.hpp"
#include "pattern.hpp"

namespace berth {
// Lets gtest print a Status in failure messages.
inline void PrintTo(const Status& s, std::ostream* os) { *os << s.to_string(); }
}  // namespace berth

#define EXPECT_OK(expr)                                 \
  do {                                                  \
    const ::berth::Status berth_s_ = (expr);            \
    EXPECT_TRUE(berth_s_.ok()) << berth_s_.to_string(); \
  } while (false)

#define ASSERT_OK(expr)                                 \
  do {                                                  \
    const ::berth::Status berth_s_ = (expr);            \
    ASSERT_TRUE(berth_s_.ok()) << berth_s_.to_string(); \
  } while (false)

// The Status of an expression yielding a Status or a Result.
#define EXPECT_CODE(expr, want)                                               \
  do {                                                                        \
    const ::berth::Status berth_s_ = ::berth::content::test::status_of(expr); \
    EXPECT_EQ(berth_s_.code(), (want)) << berth_s_.to_string();               \
  } while (false)

namespace berth::content::test {

inline Status status_of(const Status& s) { return s; }
template <class T>
Status status_of(const Result<T>& r) {
  return r.ok() ? Status() : r.status();
}

// Everything a reader yields, read in `chunk`-sized pieces.
inline Result<std::string> read_all(ContentReader& r, std::size_t chunk = 4096) {
  std::string out;
  std::vector<char> buf(chunk);
  for (;;) {
    auto n = r.read_at(static_cast<int64_t>(out.size()), buf.data(), buf.size());
    if (!n.ok()) return n.status();
    if (*n == 0) return out;
    out.append(buf.data(), *n);
  }
}

inline Result<std::string> read_blob(ContentStore& store, std::string_view digest) {
  auto r = store.reader(digest);
  if (!r.ok()) return r.status();
  return read_all(**r);
}

// Writes `data` through a writer on `ref` and commits it with its digest.
inline Result<std::string> put_blob(ContentStore& store, std::string_view ref, std::string_view data) {
  auto w = store.writer(ref, static_cast<int64_t>(data.size()), "");
  if (!w.ok()) return w.status();
  BERTH_RETURN_IF_ERROR((*w)->write(data));
  return (*w)->commit(static_cast<int64_t>(data.size()), sha256_of(data));
}

// Names in a directory, sorted; empty when it does not exist.
inline std::vector<std::string> entries(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace berth::content::test

// Shared helpers for the content store tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "berth/content_store.hpp"
#include "berth/status.hpp"
#include "pattern.hpp"
#include "status_matchers.hpp"

namespace berth::content::test {

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

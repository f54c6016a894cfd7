// Test data shared by the content tests and their helper process: both must
// produce the same bytes and digests without sharing anything else.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "digest.hpp"

namespace berth::content::test {

using berth::test::sha256_of;

// Deterministic bytes: the same (seed, size) always gives the same data.
inline std::string pattern(std::size_t size, uint32_t seed = 1) {
  std::string out(size, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return out;
}

}  // namespace berth::content::test

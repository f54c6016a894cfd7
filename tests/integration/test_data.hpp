// Test data for the integration tests: deterministic bytes and file reads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace berth::test {

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Deterministic, incompressible-looking bytes (xorshift32).
inline std::string pattern_bytes(std::size_t n, uint32_t seed) {
  std::string out(n, '\0');
  uint32_t x = seed ? seed : 1;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xff);
  }
  return out;
}

}  // namespace berth::test

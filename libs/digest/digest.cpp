#include "digest/digest.hpp"

#include "berth/content_store.hpp"

namespace berth::digest {

bool is_sha256_hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::string_view> sha256_hex_of(std::string_view digest) {
  BERTH_RETURN_IF_ERROR(validate_digest(digest));
  return digest.substr(kSha256Prefix.size());
}

}  // namespace berth::digest

// Content digests as OCI names them: "sha256:<64 lowercase hex>". Checking
// one is the SDK's berth::validate_digest (third-party stores need it too);
// these are the pieces around it that only Berth's own code uses.
#pragma once

#include <string_view>

#include "berth/status.hpp"

namespace berth::digest {

inline constexpr std::string_view kSha256Prefix = "sha256:";

// True for exactly 64 lowercase hex characters: a blob file's name.
bool is_sha256_hex(std::string_view text);

// The hex part of a valid "sha256:<hex>" digest; InvalidArgument naming
// what is wrong otherwise.
Result<std::string_view> sha256_hex_of(std::string_view digest);

}  // namespace berth::digest

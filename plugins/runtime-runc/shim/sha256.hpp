// SHA-256, for naming the shim's socket as containerd does. Here rather than
// libs/digest's OpenSSL: loading libcrypto would cost every shim far more
// memory than these few lines.
#pragma once

#include <string>
#include <string_view>

namespace berth::shim {

// Lower-case hex of SHA-256(data).
std::string sha256_hex(std::string_view data);

}  // namespace berth::shim

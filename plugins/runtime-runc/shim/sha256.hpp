// SHA-256, for naming the shim's socket as containerd does. Here rather than
// libs/digest's OpenSSL: the shim is linked statically, and even OpenSSL's
// one-shot SHA256() drags in libcrypto's initialisation (DSO, BIO, the
// resolver: 4 MB more binary and glibc's static-dlopen warnings, tried).
#pragma once

#include <string>
#include <string_view>

namespace berth::shim {

// Lower-case hex of SHA-256(data).
std::string sha256_hex(std::string_view data);

}  // namespace berth::shim

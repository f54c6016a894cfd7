// Incremental SHA-256 over OpenSSL's EVP interface, which uses the CPU's SHA
// instructions where present (about four times coreutils' sha256sum here).
// Every EVP call is checked: a missing provider or an allocation failure is
// an Internal status, never a wrong digest.
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "berth/status.hpp"

namespace berth::digest {

class Sha256 {
 public:
  // Fails only when OpenSSL cannot make a context (no memory, no provider).
  static Result<Sha256> create();
  // An empty hasher whose context is made on first use: update() and
  // digest() then report the failure that create() would have.
  Sha256() = default;

  Sha256(Sha256&& other) noexcept;
  Sha256& operator=(Sha256&& other) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  ~Sha256();

  Status update(const void* data, std::size_t len);
  Status update(std::string_view data) { return update(data.data(), data.size()); }
  // Back to the hash of nothing.
  Status reset();
  // Becomes a copy of `other`'s state, without allocating: a cheap snapshot.
  Status copy_from(const Sha256& other);
  // "sha256:<hex>" of everything so far; the state is left as it was, so
  // hashing may go on.
  [[nodiscard]] Result<std::string> digest() const;

 private:
  explicit Sha256(EVP_MD_CTX* ctx) : ctx_(ctx) {}
  Status ensure_context();
  EVP_MD_CTX* ctx_ = nullptr;
};

// The 64 hex characters of SHA-256(data).
Result<std::string> sha256_hex(std::string_view data);

}  // namespace berth::digest

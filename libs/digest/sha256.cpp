#include "digest/sha256.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <utility>

#include "digest/digest.hpp"

namespace berth::digest {
namespace {

// OpenSSL's own reason, for the rare failure (a missing provider, no memory).
Status openssl_error(std::string_view what) {
  const unsigned long err = ERR_get_error();
  std::string msg = "sha256 " + std::string(what);
  if (err != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof buf);
    msg += ": ";
    msg += buf;
  }
  ERR_clear_error();
  return internal(std::move(msg));
}

std::string to_hex(const unsigned char* bytes, unsigned int len) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(static_cast<std::size_t>(len) * 2, '\0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
  return out;
}

}  // namespace

Result<Sha256> Sha256::create() {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return openssl_error("new context");
  Sha256 h(ctx);
  BERTH_RETURN_IF_ERROR(h.reset());
  return h;
}

Sha256::Sha256(Sha256&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

Sha256& Sha256::operator=(Sha256&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

Status Sha256::ensure_context() {
  if (ctx_ != nullptr) return {};
  ctx_ = EVP_MD_CTX_new();
  if (ctx_ == nullptr) return openssl_error("new context");
  return reset();
}

Status Sha256::update(const void* data, std::size_t len) {
  BERTH_RETURN_IF_ERROR(ensure_context());
  if (EVP_DigestUpdate(ctx_, data, len) != 1) return openssl_error("update");
  return {};
}

Status Sha256::reset() {
  if (ctx_ == nullptr) return ensure_context();
  if (EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) return openssl_error("init");
  return {};
}

Status Sha256::copy_from(const Sha256& other) {
  BERTH_RETURN_IF_ERROR(ensure_context());
  if (other.ctx_ == nullptr) return reset();
  if (EVP_MD_CTX_copy_ex(ctx_, other.ctx_) != 1) return openssl_error("copy");
  return {};
}

Result<std::string> Sha256::digest() const {
  if (ctx_ == nullptr) {  // nothing was hashed
    auto hex = sha256_hex({});
    if (!hex.ok()) return hex.status();
    return std::string(kSha256Prefix) + *hex;
  }
  // Finalising consumes a context, so finish a copy and keep ours running.
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  if (copy == nullptr) return openssl_error("new context");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const bool ok = EVP_MD_CTX_copy_ex(copy, ctx_) == 1 && EVP_DigestFinal_ex(copy, md, &len) == 1;
  EVP_MD_CTX_free(copy);
  if (!ok) return openssl_error("final");
  return std::string(kSha256Prefix) + to_hex(md, len);
}

Result<std::string> sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
    return openssl_error("digest");
  return to_hex(md, len);
}

}  // namespace berth::digest

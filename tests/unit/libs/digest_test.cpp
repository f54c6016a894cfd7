// libs/digest: SHA-256 with every OpenSSL call checked, and digest strings.
#include "digest/digest.hpp"

#include <string>

#include "digest/sha256.hpp"
#include "status_matchers.hpp"

namespace berth::digest {
namespace {

// FIPS 180-2 test vectors.
constexpr std::string_view kEmpty = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kAbc = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(Sha256, KnownVectors) {
  auto h = Sha256::create();
  ASSERT_OK(h.status());
  EXPECT_EQ(*h->digest(), kEmpty);
  ASSERT_OK(h->update("a"));
  ASSERT_OK(h->update("bc"));
  EXPECT_EQ(*h->digest(), kAbc);
  EXPECT_EQ(*h->digest(), kAbc);  // digest() leaves the state as it was
  EXPECT_EQ("sha256:" + *sha256_hex("abc"), kAbc);
}

TEST(Sha256, DefaultConstructedMakesItsContextOnFirstUse) {
  Sha256 empty;
  EXPECT_EQ(*empty.digest(), kEmpty);
  Sha256 h;
  ASSERT_OK(h.update("abc"));
  EXPECT_EQ(*h.digest(), kAbc);
}

TEST(Sha256, ResetAndCopyFrom) {
  Sha256 h;
  ASSERT_OK(h.update("ab"));
  Sha256 saved;
  ASSERT_OK(saved.copy_from(h));
  ASSERT_OK(h.update("c"));
  EXPECT_EQ(*h.digest(), kAbc);
  ASSERT_OK(h.copy_from(saved));  // back to "ab"
  ASSERT_OK(h.update("c"));
  EXPECT_EQ(*h.digest(), kAbc);
  ASSERT_OK(h.reset());
  EXPECT_EQ(*h.digest(), kEmpty);
  ASSERT_OK(h.copy_from(Sha256()));
  EXPECT_EQ(*h.digest(), kEmpty);
}

TEST(Sha256, MovedFromIsUsableAgain) {
  Sha256 a;
  ASSERT_OK(a.update("abc"));
  Sha256 b = std::move(a);
  EXPECT_EQ(*b.digest(), kAbc);
  EXPECT_EQ(*a.digest(), kEmpty);  // NOLINT(bugprone-use-after-move): documented state
}

TEST(Digest, IsSha256Hex) {
  EXPECT_TRUE(is_sha256_hex(kAbc.substr(7)));
  EXPECT_FALSE(is_sha256_hex(kAbc));
  EXPECT_FALSE(is_sha256_hex(std::string(64, 'A')));
  EXPECT_FALSE(is_sha256_hex(std::string(63, 'a')));
  EXPECT_FALSE(is_sha256_hex(""));
}

TEST(Digest, Sha256HexOf) {
  auto hex = sha256_hex_of(kAbc);
  ASSERT_OK(hex.status());
  EXPECT_EQ(*hex, kAbc.substr(7));
  EXPECT_CODE(sha256_hex_of("sha512:" + std::string(128, 'a')), Code::kInvalidArgument);
  EXPECT_CODE(sha256_hex_of("sha256:xyz"), Code::kInvalidArgument);
  EXPECT_CODE(sha256_hex_of(kAbc.substr(7)), Code::kInvalidArgument);
}

}  // namespace
}  // namespace berth::digest

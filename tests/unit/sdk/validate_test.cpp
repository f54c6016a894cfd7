#include "berth/validate.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth {
namespace {

TEST(Validate, Identifiers) {
  for (const std::string& good :
       std::vector<std::string>{"default", "k8s.io", "a", "a-b_c.d", "A1", std::string(76, 'x')}) {
    EXPECT_TRUE(validate_identifier(good).ok()) << good;
  }
  for (const std::string& bad :
       std::vector<std::string>{"", "-a", "a-", "a..b", "a/b", "a b", "ü", std::string(77, 'x')}) {
    Status s = validate_identifier(bad);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << bad;
  }
}

TEST(Validate, Labels) {
  EXPECT_TRUE(validate_label("k", std::string(4095, 'v')).ok());
  EXPECT_EQ(validate_label("k", std::string(4096, 'v')).code(), Code::kInvalidArgument);
  EXPECT_EQ(validate_label("", "v").code(), Code::kInvalidArgument);
  EXPECT_EQ(validate_labels({{"a", "1"}, {"b", std::string(5000, 'x')}}).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace berth

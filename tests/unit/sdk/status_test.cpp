#include "berth/status.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>

namespace berth {
namespace {

TEST(Status, ContextAndNames) {
  Status s = not_found("blob sha256:x").with_context("read");
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.to_string(), "NOT_FOUND: read: blob sha256:x");
  EXPECT_TRUE(Status().with_context("x").ok());
}

TEST(Status, ErrnoMapping) {
  EXPECT_EQ(errno_status("open /x", ENOENT).code(), Code::kNotFound);
  EXPECT_EQ(errno_status("mkdir /x", EEXIST).code(), Code::kAlreadyExists);
  EXPECT_EQ(errno_status("write", ENOSPC).code(), Code::kResourceExhausted);
  EXPECT_NE(errno_status("open /x", ENOENT).message().find("open /x: "), std::string::npos);
}

TEST(Status, SkipIsMarked) {
  EXPECT_TRUE(Status::skip("no overlayfs").is_skip());
  EXPECT_FALSE(internal("x").is_skip());
}

struct Base {
  virtual ~Base() = default;
};
struct Derived : Base {};

TEST(Result, ConvertsValuesAndRefusesOkStatus) {
  Result<std::shared_ptr<Base>> r = std::make_shared<Derived>();
  EXPECT_TRUE(r.ok());
  Result<int> bad = Status();
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInternal);
}

}  // namespace
}  // namespace berth

// gtest helpers for berth::Status and berth::Result.
#pragma once

#include <gtest/gtest.h>

#include <ostream>

#include "berth/status.hpp"

namespace berth {
// Lets gtest print a Status in failure messages.
inline void PrintTo(const Status& s, std::ostream* os) { *os << s.to_string(); }
}  // namespace berth

#define EXPECT_OK(expr)                                 \
  do {                                                  \
    const ::berth::Status berth_s_ = (expr);            \
    EXPECT_TRUE(berth_s_.ok()) << berth_s_.to_string(); \
  } while (false)

#define ASSERT_OK(expr)                                 \
  do {                                                  \
    const ::berth::Status berth_s_ = (expr);            \
    ASSERT_TRUE(berth_s_.ok()) << berth_s_.to_string(); \
  } while (false)

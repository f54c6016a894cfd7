// gtest helpers for berth::Status and berth::Result.
#pragma once

#include <gtest/gtest.h>

#include <ostream>

#include "berth/status.hpp"

namespace berth {
// Lets gtest print a Status in failure messages.
inline void PrintTo(const Status& s, std::ostream* os) { *os << s.to_string(); }
}  // namespace berth

namespace berth::test {

inline Status status_of(const Status& s) { return s; }
template <class T>
Status status_of(const Result<T>& r) {
  return r.ok() ? Status() : r.status();
}

}  // namespace berth::test

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

// The Status of an expression yielding a Status or a Result.
#define EXPECT_CODE(expr, want)                                      \
  do {                                                               \
    const ::berth::Status berth_s_ = ::berth::test::status_of(expr); \
    EXPECT_EQ(berth_s_.code(), (want)) << berth_s_.to_string();      \
  } while (false)

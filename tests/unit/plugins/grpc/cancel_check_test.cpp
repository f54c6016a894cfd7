// The API edge's cancel check: asked at a bounded rate, on a clock the test
// moves by hand.
#include "cancel_check.hpp"

#include <gtest/gtest.h>

#include "status_matchers.hpp"

namespace berth::api {
namespace {

using std::chrono::milliseconds;

class ThrottledCheckTest : public ::testing::Test {
 protected:
  // A check that counts how often it is asked and answers `answer`.
  ThrottledCheck throttled() {
    return ThrottledCheck(
        [this] {
          ++asked_;
          return answer_;
        },
        milliseconds(10), [this] { return now_; });
  }
  void advance(milliseconds by) { now_ += by; }

  ThrottledCheck::Clock::time_point now_{milliseconds(1000)};
  int asked_ = 0;
  Status answer_;
};

TEST_F(ThrottledCheckTest, AsksOnTheFirstCallThenAtMostOncePerInterval) {
  auto check = throttled();
  EXPECT_OK(check());
  EXPECT_EQ(asked_, 1);
  // A tight loop within the interval never reaches the costly check.
  for (int i = 0; i < 1000; ++i) EXPECT_OK(check());
  advance(milliseconds(9));
  EXPECT_OK(check());
  EXPECT_EQ(asked_, 1);
  advance(milliseconds(1));
  EXPECT_OK(check());
  EXPECT_EQ(asked_, 2);
  // The interval runs from the last time it asked, not from the first call.
  advance(milliseconds(15));
  EXPECT_OK(check());
  EXPECT_EQ(asked_, 3);
  advance(milliseconds(5));
  EXPECT_OK(check());
  EXPECT_EQ(asked_, 3);
  advance(milliseconds(5));
  EXPECT_OK(check());
  EXPECT_EQ(asked_, 4);
}

TEST_F(ThrottledCheckTest, ACallAlreadyCancelledStopsAtTheFirstCall) {
  answer_ = Status(Code::kDeadlineExceeded, "the client's deadline has passed");
  auto check = throttled();
  EXPECT_CODE(check(), Code::kDeadlineExceeded);
  EXPECT_EQ(asked_, 1);
}

TEST_F(ThrottledCheckTest, OnceStoppedItStaysStoppedWithoutAskingAgain) {
  auto check = throttled();
  EXPECT_OK(check());
  answer_ = cancelled("the client cancelled the call");
  advance(milliseconds(3));
  EXPECT_OK(check());  // not asked yet: the interval has not passed
  advance(milliseconds(7));
  EXPECT_CODE(check(), Code::kCancelled);
  EXPECT_EQ(asked_, 2);
  answer_ = Status();
  for (int i = 0; i < 3; ++i) {
    advance(milliseconds(20));
    auto st = check();
    EXPECT_CODE(st, Code::kCancelled);
    EXPECT_EQ(st.message(), "the client cancelled the call");
  }
  EXPECT_EQ(asked_, 2);
}

TEST_F(ThrottledCheckTest, KeepsItsStateWhenHeldAsACancelCheck) {
  // The differ holds it as a CancelCheck (a std::function): its state lives
  // in the function's copy.
  CancelCheck check = throttled();
  for (int i = 0; i < 100; ++i) EXPECT_OK(check());
  EXPECT_EQ(asked_, 1);
}

TEST(CallCancelCheck, ALiveCallWithoutDeadlineGoesOn) {
  grpc::ServerContext ctx;  // no deadline, not cancelled
  CancelCheck check = call_cancel_check(ctx);
  for (int i = 0; i < 100; ++i) EXPECT_OK(check());
}

}  // namespace
}  // namespace berth::api

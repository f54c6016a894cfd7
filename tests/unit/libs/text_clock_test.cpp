// libs/text and libs/clock.
#include <string>

#include "clock/clock.hpp"
#include "status_matchers.hpp"
#include "text/text.hpp"

namespace berth {
namespace {

TEST(Text, QuoteWrapsPlainText) { EXPECT_EQ(text::quote("ref-1"), "\"ref-1\""); }

TEST(Text, QuoteEscapesWhatWouldGarbleALogLine) {
  EXPECT_EQ(text::quote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(text::quote(std::string("x\ny\0z", 5)), R"("x\x0ay\x00z")");
  EXPECT_EQ(text::quote("\xff"), R"("\xff")");
}

TEST(Text, QuoteCutsLongText) {
  EXPECT_EQ(text::quote(std::string(10, 'a'), 4), "\"aaaa\"...");
  EXPECT_EQ(text::quote(std::string(4, 'a'), 4), "\"aaaa\"");
}

TEST(Text, ParseIntTakesWholeDecimalsOnly) {
  EXPECT_EQ(text::parse_int("0"), 0);
  EXPECT_EQ(text::parse_int("-42"), -42);
  EXPECT_EQ(text::parse_int("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(text::parse_int("9223372036854775808"), std::nullopt);
  EXPECT_EQ(text::parse_int(""), std::nullopt);
  EXPECT_EQ(text::parse_int("-"), std::nullopt);
  EXPECT_EQ(text::parse_int(" 1"), std::nullopt);
  EXPECT_EQ(text::parse_int("1 "), std::nullopt);
  EXPECT_EQ(text::parse_int("12a"), std::nullopt);
  EXPECT_EQ(text::parse_int("+1"), std::nullopt);
}

TEST(Text, SplitKeepsEmptyFields) {
  using V = std::vector<std::string>;
  EXPECT_EQ(text::split("a::b", ':'), (V{"a", "", "b"}));
  EXPECT_EQ(text::split("", ':'), (V{""}));
  EXPECT_EQ(text::split("io.containerd.runc.v2", '.'), (V{"io", "containerd", "runc", "v2"}));
}

TEST(Clock, ToNsAndNow) {
  EXPECT_EQ(clock::to_ns({.tv_sec = 2, .tv_nsec = 5}), 2'000'000'005);
  const int64_t a = clock::now_ns();
  const int64_t b = clock::now_ns();
  EXPECT_LE(a, b);
  EXPECT_GT(a, int64_t{1'600'000'000} * 1'000'000'000);  // after 2020
}

}  // namespace
}  // namespace berth

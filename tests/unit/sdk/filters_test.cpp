#include "berth/filters.hpp"

#include <gtest/gtest.h>

#include <map>

namespace berth {
namespace {

// An object with a name and labels, as most List calls filter.
struct Obj {
  std::string name;
  std::map<std::string, std::string> labels;
};

bool matches(const std::vector<std::string>& filters, const Obj& o) {
  auto f = Filter::parse(filters);
  EXPECT_TRUE(f.ok()) << f.status().to_string();
  return f->match([&](const std::vector<std::string>& path) -> std::optional<std::string> {
    if (path.size() == 1 && path[0] == "name") return o.name;
    if (path.size() == 2 && path[0] == "labels") {
      auto it = o.labels.find(path[1]);
      if (it != o.labels.end()) return it->second;
    }
    return std::nullopt;
  });
}

const Obj kBusybox{"busybox", {{"containerd.io/gc.root", "yes"}, {"env", "prod"}}};

TEST(Filters, EmptyMatchesEverything) { EXPECT_TRUE(matches({}, kBusybox)); }

TEST(Filters, EqualityAndInequality) {
  EXPECT_TRUE(matches({"name==busybox"}, kBusybox));
  EXPECT_FALSE(matches({"name==alpine"}, kBusybox));
  EXPECT_TRUE(matches({"name!=alpine"}, kBusybox));
  EXPECT_FALSE(matches({"name!=busybox"}, kBusybox));
}

TEST(Filters, QuotedLabelKeysWithDots) {
  EXPECT_TRUE(matches({"labels.\"containerd.io/gc.root\"==yes"}, kBusybox));
  EXPECT_TRUE(matches({"labels.\"containerd.io/gc.root\""}, kBusybox));
  EXPECT_FALSE(matches({"labels.missing"}, kBusybox));
}

TEST(Filters, QuotedValuesAndEscapes) {
  Obj o{"a,b \"c\"", {}};
  EXPECT_TRUE(matches({"name==\"a,b \\\"c\\\"\""}, o));
  EXPECT_TRUE(matches({"name==`a,b \"c\"`"}, o));
}

TEST(Filters, Regexp) {
  EXPECT_TRUE(matches({"name~=^busy"}, kBusybox));
  EXPECT_FALSE(matches({"name~=^alp"}, kBusybox));
  EXPECT_TRUE(matches({"labels.env~=pro?d"}, kBusybox));
}

TEST(Filters, CommaIsAndFiltersAreOr) {
  EXPECT_TRUE(matches({"name==busybox,labels.env==prod"}, kBusybox));
  EXPECT_FALSE(matches({"name==busybox,labels.env==dev"}, kBusybox));
  EXPECT_TRUE(matches({"name==alpine", "labels.env==prod"}, kBusybox));
  EXPECT_FALSE(matches({"name==alpine", "labels.env==dev"}, kBusybox));
}

TEST(Filters, SyntaxErrorsAreInvalidArgument) {
  for (const char* bad :
       {"", "name==", "name=busybox", "==x", "name~=(", "labels.\"unterminated", "name==a,", "name==a b"}) {
    auto f = Filter::parse({bad});
    EXPECT_FALSE(f.ok()) << bad;
    if (!f.ok()) {
      EXPECT_EQ(f.status().code(), Code::kInvalidArgument) << bad;
    }
  }
}

}  // namespace
}  // namespace berth

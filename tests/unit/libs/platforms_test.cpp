// libs/platforms: containerd's platform specifiers, normalization, matching
// and ranking.
#include "platforms/platforms.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "status_matchers.hpp"

namespace berth::platforms {
namespace {

Platform must_parse(std::string_view text) {
  auto r = parse(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().to_string();
  return r.ok() ? *r : Platform{};
}

std::string parsed(std::string_view text) { return format(must_parse(text)); }

TEST(PlatformsParse, FullSpecifiers) {
  EXPECT_EQ(must_parse("linux/amd64"), (Platform{"linux", "amd64", ""}));
  EXPECT_EQ(must_parse("linux/arm/v7"), (Platform{"linux", "arm", "v7"}));
  EXPECT_EQ(must_parse("linux/arm/v6"), (Platform{"linux", "arm", "v6"}));
  EXPECT_EQ(must_parse("linux/arm64/v8"), (Platform{"linux", "arm64", ""}));
  EXPECT_EQ(must_parse("linux/amd64/v3"), (Platform{"linux", "amd64", "v3"}));
  EXPECT_EQ(must_parse("windows/amd64"), (Platform{"windows", "amd64", ""}));
  EXPECT_EQ(must_parse("linux/riscv64"), (Platform{"linux", "riscv64", ""}));
  EXPECT_EQ(parsed("Linux/AMD64"), "linux/amd64");
  EXPECT_EQ(parsed("macos/arm64"), "darwin/arm64");
}

TEST(PlatformsParse, LoneOsUsesHostArchitecture) {
  const Platform here = host();
  EXPECT_EQ(must_parse("linux"), (Platform{"linux", here.architecture, here.variant}));
  EXPECT_EQ(must_parse("windows"), (Platform{"windows", here.architecture, here.variant}));
  EXPECT_EQ(must_parse("darwin").os, "darwin");
}

TEST(PlatformsParse, LoneArchitectureUsesHostOs) {
  const std::string os = host().os;
  EXPECT_EQ(must_parse("amd64"), (Platform{os, "amd64", ""}));
  EXPECT_EQ(must_parse("x86_64"), (Platform{os, "amd64", ""}));
  EXPECT_EQ(must_parse("aarch64"), (Platform{os, "arm64", ""}));
  EXPECT_EQ(must_parse("arm"), (Platform{os, "arm", "v7"}));
  EXPECT_EQ(must_parse("armhf"), (Platform{os, "arm", "v7"}));
  EXPECT_EQ(must_parse("armel"), (Platform{os, "arm", "v6"}));
  EXPECT_EQ(must_parse("i386"), (Platform{os, "386", ""}));
  EXPECT_EQ(must_parse("386"), (Platform{os, "386", ""}));
  EXPECT_EQ(must_parse("s390x"), (Platform{os, "s390x", ""}));
}

TEST(PlatformsParse, ArchitectureWithVariant) {
  const std::string os = host().os;
  EXPECT_EQ(must_parse("arm/v7"), (Platform{os, "arm", "v7"}));
  EXPECT_EQ(must_parse("arm/v6"), (Platform{os, "arm", "v6"}));
  EXPECT_EQ(must_parse("arm64/v8"), (Platform{os, "arm64", ""}));
  EXPECT_EQ(must_parse("amd64/v2"), (Platform{os, "amd64", "v2"}));
  EXPECT_EQ(must_parse("linux/arm"), (Platform{"linux", "arm", "v7"}));  // a known OS first: os/arch
  EXPECT_EQ(must_parse("myos/myarch"), (Platform{"myos", "myarch", ""}));
  EXPECT_EQ(parsed("linux/arm/7"), "linux/arm/v7");
  EXPECT_EQ(parsed("linux/arm/5"), "linux/arm/v5");
  EXPECT_EQ(parsed("linux/arm/8"), "linux/arm/v8");
  EXPECT_EQ(parsed("linux/arm"), "linux/arm/v7");
  EXPECT_EQ(parsed("linux/aarch64/8"), "linux/arm64");
  EXPECT_EQ(parsed("linux/arm64/v9"), "linux/arm64/v9");
  EXPECT_EQ(parsed("linux/x86-64/v1"), "linux/amd64");
  EXPECT_EQ(parsed("linux/i386/whatever"), "linux/386");
}

TEST(PlatformsParse, Invalid) {
  for (const char* text : {"", "/", "linux/", "/amd64", "linux//v7", "linux/amd64/v1/extra", "linux/am d64",
                           "linux/arm/v7!", "notanos", "plan10"}) {
    auto r = parse(text);
    EXPECT_FALSE(r.ok()) << text;
    EXPECT_CODE(r, Code::kInvalidArgument);
  }
  const std::string msg = parse("notanos").status().message();
  EXPECT_NE(msg.find("\"notanos\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown operating system or architecture"), std::string::npos) << msg;
  EXPECT_NE(parse("a/b/c/d").status().message().find("too many parts"), std::string::npos);
}

TEST(PlatformsNormalize, Spellings) {
  EXPECT_EQ(normalize({"linux", "x86_64", ""}), (Platform{"linux", "amd64", ""}));
  EXPECT_EQ(normalize({"linux", "x86-64", "v1"}), (Platform{"linux", "amd64", ""}));
  EXPECT_EQ(normalize({"linux", "amd64", "v2"}), (Platform{"linux", "amd64", "v2"}));
  EXPECT_EQ(normalize({"linux", "aarch64", "v8"}), (Platform{"linux", "arm64", ""}));
  EXPECT_EQ(normalize({"linux", "arm64", "v8.0"}), (Platform{"linux", "arm64", ""}));
  EXPECT_EQ(normalize({"linux", "armhf", ""}), (Platform{"linux", "arm", "v7"}));
  EXPECT_EQ(normalize({"linux", "armel", ""}), (Platform{"linux", "arm", "v6"}));
  EXPECT_EQ(normalize({"linux", "arm", ""}), (Platform{"linux", "arm", "v7"}));
  EXPECT_EQ(normalize({"linux", "arm", "6"}), (Platform{"linux", "arm", "v6"}));
  EXPECT_EQ(normalize({"linux", "i386", ""}), (Platform{"linux", "386", ""}));
  EXPECT_EQ(normalize({"MacOS", "ARM64", ""}), (Platform{"darwin", "arm64", ""}));
  EXPECT_EQ(normalize({"linux", "ppc64le", ""}), (Platform{"linux", "ppc64le", ""}));
}

TEST(PlatformsFormat, JoinsPresentParts) {
  EXPECT_EQ(format({"linux", "amd64", ""}), "linux/amd64");
  EXPECT_EQ(format({"linux", "arm", "v7"}), "linux/arm/v7");
  EXPECT_EQ(format({"", "amd64", ""}), "unknown/amd64");
  EXPECT_EQ(format({"linux", "", ""}), "linux");
  // format then parse gives the same platform back.
  for (const char* text : {"linux/amd64", "linux/arm/v6", "linux/arm64", "linux/amd64/v3", "windows/386"}) {
    EXPECT_EQ(format(must_parse(format(must_parse(text)))), text);
  }
}

TEST(PlatformsHost, IsNormalizedAndParsesBack) {
  const Platform here = host();
  EXPECT_FALSE(here.os.empty());
  EXPECT_FALSE(here.architecture.empty());
  EXPECT_EQ(normalize(here), here);
  EXPECT_EQ(must_parse(format(here)), here);
#if defined(__linux__) && defined(__x86_64__)
  EXPECT_EQ(here, (Platform{"linux", "amd64", ""}));
#elif defined(__linux__) && defined(__aarch64__)
  EXPECT_EQ(here, (Platform{"linux", "arm64", ""}));
#endif
}

TEST(PlatformsMatch, ExactAfterNormalizing) {
  EXPECT_TRUE(matches({"linux", "amd64", ""}, {"linux", "amd64", ""}));
  EXPECT_TRUE(matches({"linux", "amd64", ""}, {"linux", "x86_64", "v1"}));
  EXPECT_TRUE(matches({"linux", "arm64", ""}, {"linux", "arm64", "v8"}));
  EXPECT_TRUE(matches({"linux", "arm", "v7"}, {"linux", "arm", ""}));
  EXPECT_FALSE(matches({"linux", "amd64", ""}, {"windows", "amd64", ""}));
  EXPECT_FALSE(matches({"linux", "amd64", ""}, {"linux", "arm64", ""}));
  EXPECT_FALSE(matches({"linux", "arm64", ""}, {"linux", "amd64", ""}));
  EXPECT_FALSE(matches({"linux", "386", ""}, {"linux", "amd64", ""}));
  EXPECT_FALSE(matches({"linux", "s390x", ""}, {"linux", "ppc64le", ""}));
}

TEST(PlatformsMatch, Amd64AcceptsLevelsUpToItsOwnAnd386) {
  const Platform v3{"linux", "amd64", "v3"};
  EXPECT_TRUE(matches(v3, {"linux", "amd64", "v3"}));
  EXPECT_TRUE(matches(v3, {"linux", "amd64", "v2"}));
  EXPECT_TRUE(matches(v3, {"linux", "amd64", ""}));
  EXPECT_TRUE(matches(v3, {"linux", "amd64", "v1"}));
  EXPECT_FALSE(matches(v3, {"linux", "amd64", "v4"}));
  EXPECT_TRUE(matches(v3, {"linux", "386", ""}));
  const Platform plain{"linux", "amd64", ""};
  EXPECT_FALSE(matches(plain, {"linux", "amd64", "v2"}));
  EXPECT_TRUE(matches(plain, {"linux", "386", ""}));
}

TEST(PlatformsMatch, ArmAcceptsOlderVariants) {
  const Platform v7{"linux", "arm", "v7"};
  EXPECT_TRUE(matches(v7, {"linux", "arm", "v7"}));
  EXPECT_TRUE(matches(v7, {"linux", "arm", "v6"}));
  EXPECT_TRUE(matches(v7, {"linux", "arm", "v5"}));
  EXPECT_FALSE(matches(v7, {"linux", "arm", "v8"}));
  EXPECT_FALSE(matches(v7, {"linux", "arm64", ""}));
  const Platform v6{"linux", "arm", "v6"};
  EXPECT_FALSE(matches(v6, {"linux", "arm", "v7"}));
  EXPECT_FALSE(matches(v6, {"linux", "arm", ""}));  // "" normalizes to v7
  EXPECT_TRUE(matches(v6, {"linux", "armel", ""}));
  EXPECT_FALSE(matches({"linux", "arm", "v5"}, {"linux", "arm", "v6"}));
}

TEST(PlatformsMatch, Arm64AcceptsThirtyTwoBitArm) {
  const Platform arm64{"linux", "arm64", ""};
  EXPECT_TRUE(matches(arm64, {"linux", "arm", "v8"}));
  EXPECT_TRUE(matches(arm64, {"linux", "arm", "v7"}));
  EXPECT_TRUE(matches(arm64, {"linux", "arm", "v5"}));
  EXPECT_FALSE(matches(arm64, {"linux", "arm64", "v9"}));
  EXPECT_TRUE(matches({"linux", "arm64", "v9"}, arm64));
}

TEST(PlatformsCompatible, ListsBestFirst) {
  auto formatted = [](const Platform& want) {
    std::vector<std::string> out;
    for (const Platform& p : compatible(want)) out.push_back(format(p));
    return out;
  };
  EXPECT_EQ(formatted({"linux", "amd64", "v3"}),
            (std::vector<std::string>{"linux/amd64/v3", "linux/amd64/v2", "linux/amd64", "linux/386"}));
  EXPECT_EQ(formatted({"linux", "amd64", ""}), (std::vector<std::string>{"linux/amd64", "linux/386"}));
  EXPECT_EQ(formatted({"linux", "arm", "v7"}),
            (std::vector<std::string>{"linux/arm/v7", "linux/arm/v6", "linux/arm/v5"}));
  EXPECT_EQ(formatted({"linux", "arm64", ""}),
            (std::vector<std::string>{"linux/arm64", "linux/arm/v8", "linux/arm/v7", "linux/arm/v6",
                                      "linux/arm/v5"}));
  EXPECT_EQ(formatted({"linux", "386", ""}), (std::vector<std::string>{"linux/386"}));
}

TEST(PlatformsLess, RanksCandidatesBestFirst) {
  const Platform want{"linux", "amd64", "v3"};
  std::vector<Platform> manifests = {
      {"linux", "arm64", ""},   {"linux", "386", ""},       {"linux", "amd64", ""},
      {"linux", "amd64", "v4"}, {"windows", "amd64", "v3"}, {"linux", "amd64", "v3"},
      {"linux", "amd64", "v2"},
  };
  std::stable_sort(manifests.begin(), manifests.end(),
                   [&](const Platform& a, const Platform& b) { return less(want, a, b); });
  const std::vector<Platform> ranked_head = {
      {"linux", "amd64", "v3"}, {"linux", "amd64", "v2"}, {"linux", "amd64", ""}, {"linux", "386", ""}};
  EXPECT_EQ(std::vector<Platform>(manifests.begin(), manifests.begin() + 4), ranked_head);
  for (std::size_t i = 4; i < manifests.size(); ++i) EXPECT_FALSE(matches(want, manifests[i])) << i;
  // Non-matching platforms tie with each other and never beat a match.
  EXPECT_FALSE(less(want, {"linux", "arm64", ""}, {"windows", "amd64", ""}));
  EXPECT_FALSE(less(want, {"windows", "amd64", ""}, {"linux", "arm64", ""}));
  EXPECT_TRUE(less(want, {"linux", "386", ""}, {"linux", "arm64", ""}));
  EXPECT_FALSE(less(want, want, want));

  const Platform arm{"linux", "arm", "v7"};
  EXPECT_TRUE(less(arm, {"linux", "arm", "v7"}, {"linux", "arm", "v6"}));
  EXPECT_TRUE(less(arm, {"linux", "arm", "v6"}, {"linux", "arm", "v5"}));
  EXPECT_FALSE(less(arm, {"linux", "arm", "v5"}, {"linux", "arm", "v6"}));
}

}  // namespace
}  // namespace berth::platforms

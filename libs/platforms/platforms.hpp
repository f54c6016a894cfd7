// OCI platforms ("linux/arm64", "linux/arm/v7") as containerd parses,
// normalizes, matches and ranks them when it picks a manifest from an index.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "berth/status.hpp"

namespace berth::platforms {

struct Platform {
  std::string os;            // "linux"
  std::string architecture;  // GOARCH spelling: "amd64", "arm64", "arm", "386"
  std::string variant;       // "v7" for arm; empty for arm64/v8 and amd64/v1

  bool operator==(const Platform&) const = default;
};

// Parses a specifier: "<os>", "<arch>", "<os>/<arch>" or
// "<os>/<arch>/<variant>", each part [A-Za-z0-9_-]+. A lone known OS means
// that OS on the host's architecture; a lone known architecture means the
// host's OS on it; so does "<arch>/<variant>" ("arm/v7") when the first
// part is a known architecture and not an OS (containerd would take it as
// an OS named "arm"). Other parts need not be known names. The result is
// normalized (see normalize).
// InvalidArgument names the specifier and the problem.
Result<Platform> parse(std::string_view specifier);

// containerd's spellings: lowercase; macos -> darwin; x86_64/x86-64 ->
// amd64 (variant v1 -> none); aarch64 -> arm64 (variant 8/v8/v8.0 -> none);
// i386 -> 386; armhf -> arm/v7; armel -> arm/v6; arm with no variant or
// "7" -> arm/v7, "5"/"6"/"8" -> "v5"/"v6"/"v8".
Platform normalize(Platform platform);

// "linux/arm/v7", "linux/amd64"; "unknown" stands in for an empty OS.
std::string format(const Platform& platform);

// The platform this process runs on: the compile-time OS and uname's
// machine, normalized. amd64 microarchitecture levels are not detected.
Platform host();

// What an image may be for to run where `want` is asked for, best first:
// `want` itself, then older variants of its architecture (amd64/v3 ->
// v2 -> v1; arm/v7 -> v6 -> v5), then the 32-bit architecture the CPU
// also runs (amd64 -> 386; arm64 -> arm/v8 ... arm/v5). All normalized.
std::vector<Platform> compatible(const Platform& want);

// True when an image for `have` runs where `want` is asked for: same OS,
// and architecture and variant among compatible(want).
bool matches(const Platform& want, const Platform& have);

// A strict weak order for choosing among manifests, best first: a sorts
// before b when it matches `want` better (earlier in compatible(want));
// platforms that do not match sort last, equal among themselves.
bool less(const Platform& want, const Platform& a, const Platform& b);

}  // namespace berth::platforms

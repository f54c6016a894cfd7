#include "platforms/platforms.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <iterator>
#include <string>

#include "text/text.hpp"

namespace berth::platforms {
namespace {

// Go's GOOS and GOARCH lists: the names a lone specifier part may be.
constexpr std::string_view kKnownOs[] = {"aix",     "android", "darwin",  "dragonfly", "freebsd", "hurd",
                                         "illumos", "ios",     "js",      "linux",     "nacl",    "netbsd",
                                         "openbsd", "plan9",   "solaris", "windows",   "zos"};
constexpr std::string_view kKnownArch[] = {
    "386",     "amd64",  "amd64p32", "arm",      "armbe",     "arm64",       "arm64be", "loong64",
    "mips",    "mipsle", "mips64",   "mips64le", "mips64p32", "mips64p32le", "ppc",     "ppc64",
    "ppc64le", "riscv",  "riscv64",  "s390",     "s390x",     "sparc",       "sparc64", "wasm"};

template <std::size_t N>
bool contains(const std::string_view (&list)[N], std::string_view s) {
  return std::find(std::begin(list), std::end(list), s) != std::end(list);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool valid_part(std::string_view part) {
  if (part.empty()) return false;
  return std::all_of(part.begin(), part.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

Status bad(std::string_view specifier, std::string_view problem) {
  return invalid_argument("invalid platform " + text::quote(specifier) + ": " + std::string(problem));
}

// "vN" -> N, or 0 when the variant is not of that shape.
int variant_level(std::string_view variant) {
  if (variant.size() < 2 || variant.front() != 'v') return 0;
  auto level = text::parse_int(variant.substr(1));
  if (!level || *level <= 0 || *level > 1000) return 0;
  return static_cast<int>(*level);
}

std::string compile_time_os() {
#if defined(__linux__)
  return "linux";
#elif defined(__APPLE__)
  return "darwin";
#elif defined(__FreeBSD__)
  return "freebsd";
#else
  return "unknown";
#endif
}

Platform compile_time_arch() {
#if defined(__x86_64__)
  return {"", "amd64", ""};
#elif defined(__aarch64__)
  return {"", "arm64", ""};
#elif defined(__i386__)
  return {"", "386", ""};
#elif defined(__arm__) && defined(__ARM_ARCH)
  return {"", "arm", "v" + std::to_string(__ARM_ARCH)};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return {"", "ppc64le", ""};
#elif defined(__s390x__)
  return {"", "s390x", ""};
#elif defined(__riscv) && __riscv_xlen == 64
  return {"", "riscv64", ""};
#else
  return {"", "unknown", ""};
#endif
}

// uname's machine names in GOARCH terms: "armv7l" is arm/v7, "i686" is 386.
Platform from_machine(std::string_view machine) {
  if (machine.starts_with("armv") && machine.size() >= 5 && machine[4] >= '5' && machine[4] <= '8') {
    return {"", "arm", std::string("v") + machine[4]};
  }
  if (machine == "i386" || machine == "i486" || machine == "i586" || machine == "i686")
    return {"", "386", ""};
  return {"", std::string(machine), ""};
}

}  // namespace

Platform normalize(Platform p) {
  p.os = lower(p.os);
  if (p.os == "macos") p.os = "darwin";
  p.architecture = lower(p.architecture);
  p.variant = lower(p.variant);
  const std::string& arch = p.architecture;
  std::string& variant = p.variant;
  if (arch == "i386") {
    p.architecture = "386";
    variant.clear();
  } else if (arch == "x86_64" || arch == "x86-64" || arch == "amd64") {
    p.architecture = "amd64";
    if (variant == "v1") variant.clear();
  } else if (arch == "aarch64" || arch == "arm64") {
    p.architecture = "arm64";
    if (variant == "8" || variant == "v8" || variant == "v8.0") variant.clear();
  } else if (arch == "armhf") {
    p.architecture = "arm";
    variant = "v7";
  } else if (arch == "armel") {
    p.architecture = "arm";
    variant = "v6";
  } else if (arch == "arm") {
    if (variant.empty() || variant == "7") {
      variant = "v7";
    } else if (variant == "5" || variant == "6" || variant == "8") {
      variant = "v" + variant;
    }
  }
  return p;
}

Result<Platform> parse(std::string_view specifier) {
  if (specifier.empty()) return bad(specifier, "empty platform specifier");
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = specifier.find('/', start);
    parts.push_back(specifier.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() > 3) return bad(specifier, "too many parts (want <os>[/<arch>[/<variant>]])");
  for (const std::string_view part : parts) {
    if (part.empty()) return bad(specifier, "empty part");
    if (!valid_part(part)) return bad(specifier, "part " + text::quote(part) + " must be [A-Za-z0-9_-]+");
  }

  if (parts.size() == 1) {
    const Platform here = host();
    const Platform as_os = normalize({std::string(parts[0]), "", ""});
    if (contains(kKnownOs, as_os.os)) return Platform{as_os.os, here.architecture, here.variant};
    const Platform as_arch = normalize({"", std::string(parts[0]), ""});
    if (contains(kKnownArch, as_arch.architecture)) {
      return Platform{here.os, as_arch.architecture, as_arch.variant};
    }
    return bad(specifier, "unknown operating system or architecture");
  }
  if (parts.size() == 2) {
    // "arm/v7": containerd would read an OS "arm" that nothing matches;
    // an unknown OS that is a known architecture means <arch>/<variant>.
    const Platform as_os = normalize({std::string(parts[0]), "", ""});
    const Platform as_arch = normalize({"", std::string(parts[0]), std::string(parts[1])});
    if (!contains(kKnownOs, as_os.os) && contains(kKnownArch, as_arch.architecture)) {
      return Platform{host().os, as_arch.architecture, as_arch.variant};
    }
  }
  Platform p{std::string(parts[0]), std::string(parts[1]), parts.size() == 3 ? std::string(parts[2]) : ""};
  return normalize(std::move(p));
}

std::string format(const Platform& platform) {
  std::string out = platform.os.empty() ? "unknown" : platform.os;
  if (!platform.architecture.empty()) out += "/" + platform.architecture;
  if (!platform.variant.empty()) out += "/" + platform.variant;
  return out;
}

Platform host() {
  Platform p = compile_time_arch();
  struct utsname u {};
  if (::uname(&u) == 0 && u.machine[0] != '\0') p = from_machine(u.machine);
  p.os = compile_time_os();
  return normalize(std::move(p));
}

std::vector<Platform> compatible(const Platform& want) {
  const Platform w = normalize(want);
  std::vector<Platform> out{w};
  auto add = [&](std::string arch, std::string variant) {
    out.push_back(Platform{w.os, std::move(arch), std::move(variant)});
  };
  // arm/vN runs arm/v(N-1) ... arm/v5.
  auto add_arm_below = [&](int level) {
    for (int v = level - 1; v >= 5; --v) add("arm", "v" + std::to_string(v));
  };
  if (w.architecture == "amd64") {
    // amd64/vN (x86-64 microarchitecture level) runs every lower level;
    // level 1 is spelled without a variant. Every amd64 CPU runs 386.
    const int level = variant_level(w.variant);
    for (int v = level - 1; v >= 2; --v) add("amd64", "v" + std::to_string(v));
    if (level > 1) add("amd64", "");
    add("386", "");
  } else if (w.architecture == "arm") {
    add_arm_below(variant_level(w.variant));
  } else if (w.architecture == "arm64") {
    // Later arm64 variants run plain arm64 (v8); arm64 CPUs with AArch32
    // run 32-bit arm down to v5.
    if (!w.variant.empty()) add("arm64", "");
    add("arm", "v8");
    add_arm_below(8);
  }
  return out;
}

namespace {
// Position of `have` in compatible(want); the list's size when absent.
std::size_t rank(const std::vector<Platform>& candidates, const Platform& have) {
  const Platform h = normalize(have);
  return static_cast<std::size_t>(std::find(candidates.begin(), candidates.end(), h) - candidates.begin());
}
}  // namespace

bool matches(const Platform& want, const Platform& have) {
  const auto candidates = compatible(want);
  return rank(candidates, have) < candidates.size();
}

bool less(const Platform& want, const Platform& a, const Platform& b) {
  const auto candidates = compatible(want);
  return rank(candidates, a) < rank(candidates, b);
}

}  // namespace berth::platforms

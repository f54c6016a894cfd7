// libs/reference: docker's reference grammar, normalized as containerd does.
#include "reference/reference.hpp"

#include <string>
#include <vector>

#include "status_matchers.hpp"

namespace berth::reference {
namespace {

const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kDigest = "sha256:" + kHex;

Reference must_parse(std::string_view text) {
  auto r = parse_normalized(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().to_string();
  return r.ok() ? *r : Reference{};
}

// The message of a parse that must fail with InvalidArgument.
std::string parse_error(std::string_view text) {
  auto r = parse_normalized(text);
  EXPECT_FALSE(r.ok()) << text << " parsed as " << (r.ok() ? r->string() : "");
  if (r.ok()) return {};
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().to_string();
  return r.status().message();
}

TEST(ReferenceParse, OfficialImageGetsDockerIoLibraryAndLatest) {
  const Reference ref = must_parse("busybox");
  EXPECT_EQ(ref.domain, "docker.io");
  EXPECT_EQ(ref.path, "library/busybox");
  EXPECT_EQ(ref.tag, "latest");
  EXPECT_EQ(ref.digest, "");
  EXPECT_EQ(ref.name(), "docker.io/library/busybox");
  EXPECT_EQ(ref.string(), "docker.io/library/busybox:latest");
}

TEST(ReferenceParse, Normalizations) {
  const std::pair<std::string, std::string> cases[] = {
      {"user/app:1", "docker.io/user/app:1"},
      {"busybox:1.36", "docker.io/library/busybox:1.36"},
      {"docker.io/busybox", "docker.io/library/busybox:latest"},
      {"docker.io/library/busybox:latest", "docker.io/library/busybox:latest"},
      {"index.docker.io/busybox", "docker.io/library/busybox:latest"},
      {"index.docker.io/user/app:2", "docker.io/user/app:2"},
      {"localhost/x", "localhost/x:latest"},
      {"localhost:5000/x", "localhost:5000/x:latest"},
      {"127.0.0.1:5000/a/b:t", "127.0.0.1:5000/a/b:t"},
      {"registry.example.com/x@" + kDigest, "registry.example.com/x@" + kDigest},
      {"name:tag@" + kDigest, "docker.io/library/name:tag@" + kDigest},
      {"[::1]:5000/x:t", "[::1]:5000/x:t"},
      {"[fe80::1]/x", "[fe80::1]/x:latest"},
      {"ghcr.io/org/team/app:v1.2.3-rc_1", "ghcr.io/org/team/app:v1.2.3-rc_1"},
      {"a/b.c-d__e---f", "docker.io/a/b.c-d__e---f:latest"},
      {"Registry.Example.com/x", "Registry.Example.com/x:latest"},
      {"busybox:TAG_upper", "docker.io/library/busybox:TAG_upper"},
      {"localhost", "docker.io/library/localhost:latest"},  // no '/': a repository, not a domain
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(must_parse(in).string(), want) << in;
}

TEST(ReferenceParse, TagAndDigestAreBothKept) {
  const Reference ref = must_parse("name:tag@" + kDigest);
  EXPECT_EQ(ref.tag, "tag");
  EXPECT_EQ(ref.digest, kDigest);
  const Reference digest_only = must_parse("registry.example.com/x@" + kDigest);
  EXPECT_EQ(digest_only.domain, "registry.example.com");
  EXPECT_EQ(digest_only.path, "x");
  EXPECT_EQ(digest_only.tag, "");  // a digest alone gets no default tag
  EXPECT_EQ(digest_only.digest, kDigest);
}

TEST(ReferenceParse, DomainDetection) {
  EXPECT_EQ(must_parse("localhost:5000/x").domain, "localhost:5000");
  EXPECT_EQ(must_parse("localhost/x").domain, "localhost");
  EXPECT_EQ(must_parse("example.com/x").domain, "example.com");
  EXPECT_EQ(must_parse("host:80/x").domain, "host:80");
  EXPECT_EQ(must_parse("[::1]:5000/x:t").domain, "[::1]:5000");
  EXPECT_EQ(must_parse("[::1]:5000/x:t").path, "x");
  EXPECT_EQ(must_parse("[::1]:5000/x:t").tag, "t");
  // No '.', ':' or "localhost": a docker.io user, not a registry.
  EXPECT_EQ(must_parse("myhost/x").domain, "docker.io");
  EXPECT_EQ(must_parse("myhost/x").path, "myhost/x");
}

TEST(ReferenceParse, StringRoundTrips) {
  for (const std::string& in :
       std::vector<std::string>{"busybox", "user/app:1", "[::1]:5000/x:t",
                                "localhost:5000/a/b@sha256:" + kHex, "name:tag@sha256:" + kHex}) {
    const Reference ref = must_parse(in);
    EXPECT_EQ(must_parse(ref.string()), ref) << in;
  }
}

TEST(ReferenceParse, ErrorsNameTheReferenceAndTheProblem) {
  EXPECT_NE(parse_error("").find("empty"), std::string::npos);
  const std::string upper = parse_error("BusyBox");
  EXPECT_NE(upper.find("\"BusyBox\""), std::string::npos) << upper;
  EXPECT_NE(upper.find("repository name must be lowercase"), std::string::npos) << upper;
  EXPECT_NE(parse_error("docker.io/User/app").find("must be lowercase"), std::string::npos);
  EXPECT_NE(parse_error("bad!name").find("invalid character"), std::string::npos);
  EXPECT_NE(parse_error("a/b c").find("invalid character"), std::string::npos);
  EXPECT_NE(parse_error(kHex).find("image ID"), std::string::npos);
}

TEST(ReferenceParse, PathComponentSeparators) {
  for (const char* good : {"a.b", "a_b", "a__b", "a-b", "a---b", "a1.b2_c3__d4-e5", "x/y/z"}) {
    EXPECT_TRUE(parse_normalized(good).ok()) << good;
  }
  for (const char* sep : {"a..b", "a___b", "a._b", "a-.b", "a_-b"}) {
    EXPECT_NE(parse_error(sep).find("invalid separator"), std::string::npos) << sep;
  }
  for (const char* edge : {"-a", "a-", ".a", "a_", "x/_y", "x/y."}) {
    EXPECT_NE(parse_error(edge).find("must start and end"), std::string::npos) << edge;
  }
  for (const char* empty : {"a//b", "a/", "/a", "localhost:5000/", "example.com//x"}) {
    EXPECT_FALSE(parse_normalized(empty).ok()) << empty;
  }
}

TEST(ReferenceParse, Tags) {
  EXPECT_TRUE(parse_normalized("x:" + std::string(128, 'a')).ok());
  const std::string longer = parse_error("x:" + std::string(129, 'a'));
  EXPECT_NE(longer.find("longer than 128"), std::string::npos) << longer;
  EXPECT_TRUE(parse_normalized("x:_under.score-1").ok());
  EXPECT_NE(parse_error("x:").find("empty tag"), std::string::npos);
  EXPECT_NE(parse_error("x:.dot").find("must start with"), std::string::npos);
  EXPECT_NE(parse_error("x:-dash").find("must start with"), std::string::npos);
  EXPECT_NE(parse_error("x:a+b").find("invalid character in tag"), std::string::npos);
  EXPECT_FALSE(parse_normalized("x:a:b").ok());
}

TEST(ReferenceParse, Digests) {
  const std::string upper_hex = "sha256:" + std::string(64, 'A');
  EXPECT_NE(parse_error("x@" + upper_hex).find("lowercase hex"), std::string::npos);
  EXPECT_NE(parse_error("x@sha256:abc").find("64 hex"), std::string::npos);
  EXPECT_NE(parse_error("x@sha256:" + kHex + "00").find("64 hex"), std::string::npos);
  const std::string other = parse_error("x@sha512:" + kHex + kHex);
  EXPECT_NE(other.find("unsupported digest algorithm \"sha512\""), std::string::npos) << other;
  EXPECT_NE(parse_error("x@" + kHex).find("no algorithm"), std::string::npos);
  EXPECT_FALSE(parse_normalized("x@").ok());
  EXPECT_FALSE(parse_normalized("x@sha256:" + kHex + "@sha256:" + kHex).ok());
}

TEST(ReferenceParse, Domains) {
  EXPECT_FALSE(parse_normalized("-bad.com/x").ok());
  EXPECT_FALSE(parse_normalized("bad-.com/x").ok());
  EXPECT_FALSE(parse_normalized("a..com/x").ok());
  EXPECT_FALSE(parse_normalized("host:/x").ok());
  EXPECT_FALSE(parse_normalized("host:port/x").ok());
  EXPECT_FALSE(parse_normalized("[::1/x").ok());
  EXPECT_FALSE(parse_normalized("[]:5000/x").ok());
  EXPECT_FALSE(parse_normalized("[zz::1]/x").ok());
  EXPECT_FALSE(parse_normalized("[::1]x/y").ok());
  EXPECT_FALSE(parse_normalized("ex_ample.com/x").ok());
}

TEST(ReferenceParse, NameLengthLimit) {
  // docker.io/library/ is 18 characters of the 255.
  EXPECT_TRUE(parse_normalized(std::string(255 - 18, 'a')).ok());
  const std::string longer = parse_error(std::string(256 - 18, 'a'));
  EXPECT_NE(longer.find("longer than 255"), std::string::npos) << longer;
  const std::string domain = "example.com/";
  EXPECT_TRUE(parse_normalized(domain + std::string(255 - domain.size(), 'b') + ":t").ok());
  EXPECT_FALSE(parse_normalized(domain + std::string(256 - domain.size(), 'b')).ok());
}

TEST(ReferenceFamiliar, ShortensDockerHubOnly) {
  EXPECT_EQ(familiar(must_parse("docker.io/library/busybox:latest")), "busybox:latest");
  EXPECT_EQ(familiar(must_parse("docker.io/user/x")), "user/x:latest");
  EXPECT_EQ(familiar(must_parse("user/x:1")), "user/x:1");
  EXPECT_EQ(familiar(must_parse("docker.io/library/a/b:1")), "library/a/b:1");
  EXPECT_EQ(familiar(must_parse("busybox@" + kDigest)), "busybox@" + kDigest);
  EXPECT_EQ(familiar(must_parse("localhost:5000/library/x:1")), "localhost:5000/library/x:1");
  EXPECT_EQ(familiar(Reference{"docker.io", "user/x", "", ""}), "user/x");
}

TEST(ReferenceRegistryHost, DockerHubUsesRegistry1) {
  EXPECT_EQ(registry_host(must_parse("busybox")), "registry-1.docker.io");
  EXPECT_EQ(registry_host(must_parse("index.docker.io/user/x")), "registry-1.docker.io");
  EXPECT_EQ(registry_host(must_parse("localhost:5000/x")), "localhost:5000");
  EXPECT_EQ(registry_host(must_parse("[::1]:5000/x")), "[::1]:5000");
  EXPECT_EQ(registry_host(must_parse("ghcr.io/o/x")), "ghcr.io");
}

}  // namespace
}  // namespace berth::reference

#include "reference/reference.hpp"

#include <string>

#include "text/text.hpp"

namespace berth::reference {
namespace {

constexpr std::string_view kLegacyDockerDomain = "index.docker.io";
constexpr std::string_view kDockerRegistryHost = "registry-1.docker.io";
constexpr std::string_view kLibraryPrefix = "library/";

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
bool is_word(char c) { return is_alnum(c) || c == '_'; }
bool has_upper(std::string_view s) {
  for (const char c : s) {
    if (c >= 'A' && c <= 'Z') return true;
  }
  return false;
}

Status bad(std::string_view ref, std::string_view problem) {
  return invalid_argument("invalid reference " + text::quote(ref) + ": " + std::string(problem));
}

// One path component: runs of [a-z0-9] joined by ".", "_", "__" or one or
// more "-". Returns the problem, or an empty string when it is fine.
std::string check_component(std::string_view comp) {
  if (comp.empty()) return "empty path component";
  for (const char c : comp) {
    if (!is_lower_alnum(c) && c != '.' && c != '_' && c != '-') {
      return "invalid character " + text::quote(std::string_view(&c, 1)) + " in path component " +
             text::quote(comp);
    }
  }
  if (!is_lower_alnum(comp.front()) || !is_lower_alnum(comp.back())) {
    return "path component " + text::quote(comp) + " must start and end with [a-z0-9]";
  }
  std::size_t i = 0;
  while (i < comp.size()) {
    if (is_lower_alnum(comp[i])) {
      ++i;
      continue;
    }
    // A separator: measure the run of non-alphanumerics.
    std::size_t j = i;
    while (j < comp.size() && !is_lower_alnum(comp[j])) ++j;
    const std::string_view sep = comp.substr(i, j - i);
    bool dashes = true;
    for (const char c : sep) {
      if (c != '-') dashes = false;
    }
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) {
      return "invalid separator " + text::quote(sep) + " in path component " + text::quote(comp) +
             " (allowed: \".\", \"_\", \"__\", \"-\"...)";
    }
    i = j;
  }
  return {};
}

// host[:port], host a DNS name, an IPv4 address or a bracketed IPv6 one.
std::string check_domain(std::string_view domain) {
  std::string_view rest = domain;
  if (!rest.empty() && rest.front() == '[') {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return "unterminated IPv6 address in domain " + text::quote(domain);
    const std::string_view addr = rest.substr(1, close - 1);
    if (addr.empty()) return "empty IPv6 address in domain " + text::quote(domain);
    for (const char c : addr) {
      if (!(is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':')) {
        return "invalid IPv6 address in domain " + text::quote(domain);
      }
    }
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() != ':')
      return "unexpected text after IPv6 address in " + text::quote(domain);
  } else {
    const std::size_t colon = rest.find(':');
    const std::string_view host = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon);
    // Dot-separated labels of [A-Za-z0-9-], never starting or ending in '-'.
    std::size_t start = 0;
    while (true) {
      const std::size_t dot = host.find('.', start);
      const std::string_view label = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
      if (label.empty()) return "empty label in domain " + text::quote(domain);
      if (label.front() == '-' || label.back() == '-') {
        return "domain label " + text::quote(label) + " must not start or end with '-'";
      }
      for (const char c : label) {
        if (!is_alnum(c) && c != '-') return "invalid character in domain " + text::quote(domain);
      }
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  if (!rest.empty()) {
    const std::string_view port = rest.substr(1);
    if (port.empty()) return "empty port in domain " + text::quote(domain);
    for (const char c : port) {
      if (!is_digit(c)) return "port must be decimal digits in domain " + text::quote(domain);
    }
  }
  return {};
}

std::string check_tag(std::string_view tag) {
  if (tag.empty()) return "empty tag after ':'";
  if (tag.size() > kTagMaxLength) {
    return "tag is " + std::to_string(tag.size()) + " characters, longer than " +
           std::to_string(kTagMaxLength);
  }
  if (!is_word(tag.front())) return "tag " + text::quote(tag) + " must start with [A-Za-z0-9_]";
  for (const char c : tag) {
    if (!is_word(c) && c != '.' && c != '-') return "invalid character in tag " + text::quote(tag);
  }
  return {};
}

std::string check_digest(std::string_view digest) {
  const std::size_t colon = digest.find(':');
  if (colon == std::string_view::npos)
    return "digest " + text::quote(digest) + " has no algorithm (want sha256:<hex>)";
  const std::string_view algorithm = digest.substr(0, colon);
  const std::string_view hex = digest.substr(colon + 1);
  if (algorithm != "sha256") {
    return "unsupported digest algorithm " + text::quote(algorithm) + " (only sha256 is supported)";
  }
  if (hex.size() != 64) {
    return "sha256 digest must have 64 hex characters, got " + std::to_string(hex.size());
  }
  for (const char c : hex) {
    if (!is_lower_hex(c)) return "sha256 digest must be lowercase hex";
  }
  return {};
}

bool is_bare_sha256_hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (const char c : s) {
    if (!is_lower_hex(c)) return false;
  }
  return true;
}

// Docker's rule: the first component names a registry only when it looks
// like a host (a '.' or a port, "localhost", an IPv6 literal) or has
// uppercase letters, which a repository path never may.
bool looks_like_domain(std::string_view first) {
  return first.find_first_of(".:[") != std::string_view::npos || first == "localhost" || has_upper(first);
}

}  // namespace

std::string Reference::name() const { return domain + "/" + path; }

std::string Reference::string() const {
  std::string out = name();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

Result<Reference> parse_normalized(std::string_view text) {
  if (text.empty()) return invalid_argument("invalid reference: empty reference");
  if (is_bare_sha256_hex(text)) {
    return bad(text, "a 64-character hex string is an image ID, not a repository name");
  }
  Reference ref;
  std::string_view named = text;
  if (const std::size_t at = named.find('@'); at != std::string_view::npos) {
    const std::string_view digest = named.substr(at + 1);
    if (std::string problem = check_digest(digest); !problem.empty()) return bad(text, problem);
    ref.digest = std::string(digest);
    named = named.substr(0, at);
  }

  std::string_view remainder = named;
  if (const std::size_t slash = named.find('/'); slash != std::string_view::npos) {
    const std::string_view first = named.substr(0, slash);
    if (looks_like_domain(first)) {
      if (std::string problem = check_domain(first); !problem.empty()) return bad(text, problem);
      ref.domain = std::string(first);
      remainder = named.substr(slash + 1);
    }
  }

  // With the domain gone, a ':' can only start the tag.
  std::string_view path = remainder;
  if (const std::size_t colon = remainder.rfind(':'); colon != std::string_view::npos) {
    const std::string_view tag = remainder.substr(colon + 1);
    if (std::string problem = check_tag(tag); !problem.empty()) return bad(text, problem);
    ref.tag = std::string(tag);
    path = remainder.substr(0, colon);
  }

  if (path.empty()) return bad(text, "empty repository name");
  if (has_upper(path)) return bad(text, "repository name must be lowercase");
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    const std::string_view comp = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (std::string problem = check_component(comp); !problem.empty()) return bad(text, problem);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }

  if (ref.domain.empty() || ref.domain == kLegacyDockerDomain) ref.domain = std::string(kDockerDomain);
  ref.path = std::string(path);
  if (ref.domain == kDockerDomain && ref.path.find('/') == std::string::npos) {
    ref.path = std::string(kLibraryPrefix) + ref.path;
  }
  if (const std::size_t len = ref.name().size(); len > kNameMaxLength) {
    return bad(text, "repository name is " + std::to_string(len) + " characters, longer than " +
                         std::to_string(kNameMaxLength));
  }
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = std::string(kDefaultTag);
  return ref;
}

std::string familiar(const Reference& ref) {
  std::string out;
  if (ref.domain == kDockerDomain) {
    std::string_view path = ref.path;
    if (path.starts_with(kLibraryPrefix) && path.find('/', kLibraryPrefix.size()) == std::string_view::npos) {
      path.remove_prefix(kLibraryPrefix.size());
    }
    out = std::string(path);
  } else {
    out = ref.name();
  }
  if (!ref.tag.empty()) out += ":" + ref.tag;
  if (!ref.digest.empty()) out += "@" + ref.digest;
  return out;
}

std::string registry_host(const Reference& ref) {
  if (ref.domain == kDockerDomain || ref.domain == kLegacyDockerDomain)
    return std::string(kDockerRegistryHost);
  return ref.domain;
}

}  // namespace berth::reference

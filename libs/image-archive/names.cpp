#include "names.hpp"

#include "reference/reference.hpp"

namespace berth::image_archive {

std::string oci_reference_name(std::string_view name) {
  const std::size_t slash = name.find('/');
  if (slash == std::string_view::npos) {
    // containerd parses "dummy://" + name as a URL: the whole name is its
    // host, and a host with ':' or '@' fails to parse, which keeps the name.
    return name.find_first_of(":@") == std::string_view::npos ? std::string() : std::string(name);
  }
  const std::size_t split = name.find_first_of(":@", slash);
  if (split == std::string_view::npos) return {};
  // The '@' stays to mark a digest; a ':' before a tag goes.
  return std::string(name.substr(name[split] == ':' ? split + 1 : split));
}

Result<std::string> normalize_repo_tag(std::string_view tag) {
  auto ref = reference::parse_normalized(tag);
  if (!ref.ok()) return ref.status().with_context("docker-archive RepoTag");
  if (!ref->digest.empty()) return ref->name() + "@" + ref->digest;
  return ref->string();
}

namespace {

// containerd's isImagePrefix: `s` is `prefix` or continues it with '/', ':' or '@'.
bool has_image_prefix(std::string_view s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return false;
  if (s.size() == prefix.size()) return true;
  const char next = s[prefix.size()];
  return next == '/' || next == ':' || next == '@';
}

}  // namespace

std::string imported_image_name(const Labels& annotations, const ImportOptions& options) {
  if (auto it = annotations.find(std::string(kImageNameAnnotation));
      it != annotations.end() && !it->second.empty()) {
    return it->second;
  }
  auto it = annotations.find(std::string(kRefNameAnnotation));
  if (it == annotations.end() || it->second.empty()) return {};
  const std::string& ref = it->second;
  if (ref.find_first_of("/:@") != std::string::npos) {
    if (options.only_base_name && !has_image_prefix(ref, options.base_name)) return {};
    return ref;
  }
  if (options.base_name.empty()) return {};
  return options.base_name + ":" + ref;
}

Result<std::string> familiar_repo_tag(std::string_view name) {
  auto ref = reference::parse_normalized(name);
  if (!ref.ok()) return ref.status().with_context("export image name");
  return reference::familiar(*ref);
}

}  // namespace berth::image_archive

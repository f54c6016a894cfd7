#include "entry_path.hpp"

#include <vector>

#include "text/text.hpp"

namespace berth::image_archive {
namespace {

std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    const std::string_view part = path.substr(0, slash);
    if (!part.empty() && part != ".") out.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

std::string join(const std::vector<std::string_view>& parts) {
  std::string out;
  for (const auto part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

}  // namespace

Result<std::string> clean_entry_path(std::string_view path) {
  if (!path.empty() && path.front() == '/') {
    return invalid_argument("archive entry " + text::quote(path) + " has an absolute path");
  }
  const auto parts = components(path);
  for (const auto part : parts) {
    if (part == "..") {
      return invalid_argument("archive entry " + text::quote(path) +
                              " climbs out of the archive with \"..\"");
    }
  }
  return join(parts);
}

Result<std::string> resolve_link(std::string_view entry, std::string_view target) {
  if (!target.empty() && target.front() == '/') {
    return invalid_argument("archive entry " + text::quote(entry) + " links to the absolute path " +
                            text::quote(target));
  }
  std::vector<std::string_view> parts = components(entry);
  if (!parts.empty()) parts.pop_back();  // relative to the link's directory
  for (const auto part : components(target)) {
    if (part != "..") {
      parts.push_back(part);
    } else if (parts.empty()) {
      return invalid_argument("archive entry " + text::quote(entry) + " links out of the archive to " +
                              text::quote(target));
    } else {
      parts.pop_back();
    }
  }
  return join(parts);
}

}  // namespace berth::image_archive

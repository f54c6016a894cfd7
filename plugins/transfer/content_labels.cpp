#include "content_labels.hpp"

#include <algorithm>
#include <set>

namespace berth::transfer {

namespace {
constexpr std::string_view kContentRef = "containerd.io/gc.ref.content.";
}

std::string index_child_label(std::size_t i) { return std::string(kContentRef) + "m." + std::to_string(i); }
std::string config_label() { return std::string(kContentRef) + "config"; }
std::string layer_label(std::size_t i) { return std::string(kContentRef) + "l." + std::to_string(i); }
std::string snapshot_label(std::string_view snapshotter) {
  return "containerd.io/gc.ref.snapshot." + std::string(snapshotter);
}
std::string source_label(std::string_view host) {
  return "containerd.io/distribution.source." + std::string(host);
}

std::string append_source(std::string_view repos, std::string_view repo) {
  std::set<std::string, std::less<>> all;
  for (std::size_t pos = 0; pos <= repos.size() && !repos.empty();) {
    auto comma = repos.find(',', pos);
    if (comma == std::string_view::npos) comma = repos.size();
    if (comma > pos) all.emplace(repos.substr(pos, comma - pos));
    pos = comma + 1;
  }
  all.emplace(repo);
  std::string out;
  for (const auto& r : all) {
    if (!out.empty()) out += ',';
    out += r;
  }
  return out;
}

}  // namespace berth::transfer

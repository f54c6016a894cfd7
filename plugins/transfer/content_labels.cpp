#include "content_labels.hpp"

#include <algorithm>
#include <set>

namespace berth::transfer {

namespace {

constexpr std::string_view kContentRef = "containerd.io/gc.ref.content.";

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  for (std::size_t pos = 0; pos <= text.size() && !text.empty();) {
    auto end = text.find(sep, pos);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

}  // namespace

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
  for (std::string_view r : split(repos, ','))
    if (!r.empty()) all.emplace(r);
  all.emplace(repo);
  std::string out;
  for (const auto& r : all) {
    if (!out.empty()) out += ',';
    out += r;
  }
  return out;
}

std::string mount_source(std::string_view repos, std::string_view target) {
  const std::vector<std::string_view> want = split(target, '/');
  std::string best;
  std::size_t best_shared = 0;
  for (std::string_view repo : split(repos, ',')) {
    if (repo.empty() || repo == target) continue;
    const std::vector<std::string_view> have = split(repo, '/');
    std::size_t shared = 0;
    while (shared < want.size() && shared < have.size() && want[shared] == have[shared]) ++shared;
    if (shared >= best_shared) {
      best_shared = shared;
      best = repo;
    }
  }
  return best;
}

}  // namespace berth::transfer

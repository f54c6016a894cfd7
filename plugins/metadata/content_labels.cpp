#include "content_labels.hpp"

#include "keys.hpp"
#include "kv_util.hpp"

namespace berth::metadata {
namespace {

constexpr std::string_view kLabelsPath = "labels";
constexpr std::string_view kLabelPathPrefix = "labels.";

Labels without_empty(const Labels& labels) {
  Labels out;
  for (const auto& [k, v] : labels)
    if (!v.empty()) out.emplace(k, v);
  return out;
}

}  // namespace

Result<ContentLabelMask> ContentLabelMask::parse(const std::vector<std::string>& paths,
                                                 std::string_view digest) {
  ContentLabelMask mask;
  mask.replace_all_ = paths.empty();
  for (const auto& p : paths) {
    if (p == kLabelsPath) {
      mask.replace_all_ = true;
    } else if (p.starts_with(kLabelPathPrefix) && p.size() > kLabelPathPrefix.size()) {
      mask.keys_.push_back(p.substr(kLabelPathPrefix.size()));
    } else {
      return invalid_argument("cannot update \"" + p + "\" field on content info \"" + std::string(digest) +
                              "\"");
    }
  }
  return mask;
}

Labels ContentLabelMask::apply(const Labels& current, const Labels& given) const {
  Labels labels = replace_all_ ? without_empty(given) : current;
  for (const auto& k : keys_) {
    auto it = given.find(k);
    if (it == given.end() || it->second.empty()) {
      labels.erase(k);
    } else {
      labels[k] = it->second;
    }
  }
  return labels;
}

Status put_blob_labels(Transaction& tx, std::string_view ns, std::string_view digest, const Labels& labels) {
  const std::string prefix = keys::blob_labels_prefix(ns, digest);
  BERTH_RETURN_IF_ERROR(delete_prefix(tx, prefix));
  for (const auto& [k, v] : labels) {
    if (!v.empty()) BERTH_RETURN_IF_ERROR(tx.put(prefix + k, v));
  }
  return {};
}

}  // namespace berth::metadata

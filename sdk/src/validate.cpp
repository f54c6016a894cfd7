#include "berth/validate.hpp"

#include "berth/content_store.hpp"

namespace berth {
namespace {

constexpr std::size_t kMaxIdentifier = 76;
constexpr std::size_t kMaxLabel = 4096;

bool alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool separator(char c) { return c == '.' || c == '_' || c == '-'; }

}  // namespace

Status validate_identifier(std::string_view name) {
  if (name.empty()) return invalid_argument("identifier must not be empty");
  if (name.size() > kMaxIdentifier) {
    return invalid_argument("identifier \"" + std::string(name) + "\" greater than maximum length (" +
                            std::to_string(kMaxIdentifier) + " characters)");
  }
  // ^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$ without a regex engine.
  bool prev_sep = true;  // the first character must be alphanumeric
  for (char c : name) {
    if (alnum(c)) {
      prev_sep = false;
    } else if (separator(c) && !prev_sep) {
      prev_sep = true;
    } else {
      prev_sep = true;
      return invalid_argument("identifier \"" + std::string(name) +
                              "\" must match ^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$");
    }
  }
  if (prev_sep) {
    return invalid_argument("identifier \"" + std::string(name) +
                            "\" must match ^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$");
  }
  return {};
}

Status validate_label(std::string_view key, std::string_view value) {
  if (key.empty()) return invalid_argument("label key must not be empty");
  if (key.size() + value.size() > kMaxLabel) {
    std::string shown(key.substr(0, 64));
    if (key.size() > 64) shown += "...";
    return invalid_argument("label key and value greater than maximum size (" + std::to_string(kMaxLabel) +
                            " bytes), key: " + shown);
  }
  return {};
}

Status validate_labels(const Labels& labels) {
  for (const auto& [k, v] : labels) BERTH_RETURN_IF_ERROR(validate_label(k, v));
  return {};
}

Status validate_digest(std::string_view digest) {
  constexpr std::string_view kAlgo = "sha256:";
  auto bad = [&](const char* why) {
    return invalid_argument("invalid digest \"" + std::string(digest.substr(0, 100)) + "\": " + why);
  };
  if (!digest.starts_with(kAlgo)) {
    return digest.find(':') == std::string_view::npos ? bad("missing algorithm prefix")
                                                      : bad("unsupported algorithm");
  }
  const auto hex = digest.substr(kAlgo.size());
  if (hex.size() != 64) return bad("sha256 needs 64 hex characters");
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return bad("not lowercase hex");
  }
  return {};
}

Result<Labels> update_labels(const Labels& current, const Labels& given,
                             const std::vector<std::string>& paths, std::string_view what) {
  constexpr std::string_view kAll = "labels";
  constexpr std::string_view kOne = "labels.";
  bool replace_all = paths.empty();
  std::vector<std::string> keys;
  for (const auto& p : paths) {
    if (p == kAll) {
      replace_all = true;
    } else if (p.starts_with(kOne) && p.size() > kOne.size()) {
      keys.push_back(p.substr(kOne.size()));
    } else {
      return invalid_argument("cannot update \"" + p + "\" field on " + std::string(what));
    }
  }
  Labels out;
  for (const auto& [k, v] : replace_all ? given : current) {
    if (!v.empty()) out.emplace(k, v);
  }
  for (const auto& k : keys) {
    auto it = given.find(k);
    if (it == given.end() || it->second.empty()) {
      out.erase(k);
    } else {
      out[k] = it->second;
    }
  }
  BERTH_RETURN_IF_ERROR(validate_labels(out).with_context(std::string(what)));
  return out;
}

}  // namespace berth

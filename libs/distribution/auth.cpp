#include "auth.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace berth::distribution {

Result<Challenge> parse_challenge(std::string_view header) {
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
  };
  skip_space();
  const std::size_t scheme_end = header.find(' ', i);
  if (scheme_end == std::string_view::npos && header.substr(i).empty())
    return invalid_argument("WWW-Authenticate is empty");
  Challenge c;
  c.scheme = std::string(
      header.substr(i, scheme_end == std::string_view::npos ? header.size() - i : scheme_end - i));
  std::transform(c.scheme.begin(), c.scheme.end(), c.scheme.begin(),
                 [](unsigned char ch) { return std::tolower(ch); });
  i = scheme_end == std::string_view::npos ? header.size() : scheme_end;
  while (i < header.size()) {
    skip_space();
    const std::size_t eq = header.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string key(header.substr(i, eq - i));
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char ch) { return std::tolower(ch); });
    i = eq + 1;
    std::string value;
    if (i < header.size() && header[i] == '"') {
      ++i;
      while (i < header.size() && header[i] != '"') {
        if (header[i] == '\\' && i + 1 < header.size()) ++i;
        value += header[i++];
      }
      if (i >= header.size()) return invalid_argument("WWW-Authenticate has an unterminated quoted value");
      ++i;
    } else {
      while (i < header.size() && header[i] != ',') value += header[i++];
    }
    c.params[key] = value;
    skip_space();
    if (i < header.size() && header[i] == ',') ++i;
  }
  if (c.scheme == "bearer" && c.params["realm"].empty())
    return invalid_argument("bearer challenge without a realm");
  return c;
}

std::string basic_authorization(const Credentials& credentials) {
  const std::string plain = credentials.user + ":" + credentials.password;
  std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  return "Basic " + out;
}

std::optional<std::string> TokenCache::find(const std::string& scope) {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(scope);
  if (it == tokens_.end() || std::chrono::steady_clock::now() >= it->second.expires) return std::nullopt;
  return it->second.token;
}

void TokenCache::put(const std::string& scope, std::string token, std::chrono::seconds lifetime) {
  // 10% early (at least a second), so a token does not expire mid-request.
  const auto margin = std::max(std::chrono::seconds(1), lifetime / 10);
  std::lock_guard lock(mu_);
  tokens_[scope] = {std::move(token), std::chrono::steady_clock::now() + lifetime - margin};
}

Result<std::pair<std::string, std::chrono::seconds>> parse_token_response(std::string_view json) {
  try {
    const auto j = nlohmann::json::parse(json);
    std::string token = j.value("token", "");
    if (token.empty()) token = j.value("access_token", "");
    if (token.empty()) return Status(Code::kUnauthenticated, "the token server's answer holds no token");
    const int64_t expires = j.value("expires_in", int64_t{60});
    return std::make_pair(std::move(token), std::chrono::seconds(std::max<int64_t>(expires, 1)));
  } catch (const nlohmann::json::exception& e) {
    return invalid_argument(std::string("the token server's answer is not JSON: ") + e.what());
  }
}

}  // namespace berth::distribution

// Registry authentication as the distribution spec's token flow and HTTP
// basic describe it: the challenge a 401 carries in WWW-Authenticate, the
// bearer token fetched from its realm (with the user's credentials when
// given), cached per scope until it expires.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "berth/status.hpp"

namespace berth::distribution {

struct Credentials {
  std::string user;
  std::string password;
};

struct Challenge {
  std::string scheme;                         // "bearer" or "basic", lowercase
  std::map<std::string, std::string> params;  // realm, service, scope, ...
};

// The first challenge of a WWW-Authenticate value:
// `Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"`.
Result<Challenge> parse_challenge(std::string_view header);

// "Basic <base64(user:password)>".
std::string basic_authorization(const Credentials& credentials);

// Bearer tokens by scope, each until its expiry (a little before, so a token
// does not run out on the way).
class TokenCache {
 public:
  std::optional<std::string> find(const std::string& scope);
  void put(const std::string& scope, std::string token, std::chrono::seconds lifetime);

 private:
  struct Entry {
    std::string token;
    std::chrono::steady_clock::time_point expires;
  };
  std::mutex mu_;
  std::map<std::string, Entry> tokens_;
};

// The token in a token server's JSON answer ("token" or "access_token") and
// its lifetime ("expires_in", 60 s when absent, as the spec says).
Result<std::pair<std::string, std::chrono::seconds>> parse_token_response(std::string_view json);

}  // namespace berth::distribution

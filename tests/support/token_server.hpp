// token_server.py (beside this file) run for a test: the token realm of a
// docker-registry in token mode. Killed and reaped with the object.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "test_ca.hpp"

namespace berth::test {

struct TokenServerOptions {
  std::string user;      // the one user it knows
  std::string password;  // and that user's password
  std::string issuer = "berth-test-issuer";
  std::string service = "berth-test-registry";
};

class TokenServer {
 public:
  // Listens on a free 127.0.0.1 port over https with `ca`'s server
  // certificate, signing with `ca`'s signing key; logs under `dir`.
  TokenServer(const std::filesystem::path& dir, const TestCa& ca, TokenServerOptions options);

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] const std::string& why() const { return why_; }
  [[nodiscard]] std::string realm() const { return "https://" + host_ + "/token"; }
  [[nodiscard]] const TokenServerOptions& options() const { return options_; }
  // The scopes of every token request so far, one string each, as asked
  // ("repository:a:pull,push repository:b:pull"), with "!" before the
  // requests it refused.
  [[nodiscard]] std::vector<std::string> requests() const;

 private:
  TokenServerOptions options_;
  std::filesystem::path log_;
  std::string host_;
  std::unique_ptr<ChildProcess> process_;
  bool ok_ = false;
  std::string why_;
};

}  // namespace berth::test

// Debian's docker-registry on a free 127.0.0.1 port and a private storage
// directory, for the tests that pull and push: plain http and anonymous, or
// with TLS, HTTP basic authentication, or bearer tokens from a token server
// the test runs. Killed and reaped with the object; its log goes to a file
// beside its storage.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "child_process.hpp"

namespace berth::test {

// A loopback port nobody listens on now.
int free_loopback_port();

struct RegistryOptions {
  // https with this certificate and key (PEM) when both are set.
  std::filesystem::path tls_cert;
  std::filesystem::path tls_key;
  // HTTP basic authentication of this one user when set (an htpasswd
  // with a bcrypt hash, which is all docker-registry reads).
  std::string user;
  std::string password;
  // Bearer tokens when set: docker-registry's `auth: token:` trusting JWTs
  // from `issuer` for `service`, signed by a key `root_cert` holds.
  struct Token {
    std::string realm;  // the token server's URL
    std::string service;
    std::string issuer;
    std::filesystem::path root_cert;
  };
  std::optional<Token> token;
  // docker-registry's log level: "info" logs every request it answered
  // (method and URI), which a test can read to see what a client sent.
  std::string log_level = "warn";
};

class LoopbackRegistry {
 public:
  // Starts it under `dir` and waits until GET /v2/ answers; check ok().
  explicit LoopbackRegistry(const std::filesystem::path& dir, const RegistryOptions& options = {});

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] const std::string& host() const { return host_; }  // "127.0.0.1:<port>"
  [[nodiscard]] std::string why() const { return why_; }
  // Everything it logged so far.
  [[nodiscard]] std::string log() const;

  // Pushes the OCI archive at `archive` as `repo_tag` ("name:tag") with skopeo
  // (an index with all its manifests); "" on success, else skopeo's output.
  // For the anonymous registry.
  std::string push_archive(const std::filesystem::path& archive, const std::string& repo_tag) const;

 private:
  std::filesystem::path dir_;
  std::string host_;
  std::unique_ptr<ChildProcess> process_;
  bool ok_ = false;
  std::string why_;
};

}  // namespace berth::test

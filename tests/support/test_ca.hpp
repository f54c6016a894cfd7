// Certificates made for one test run with the openssl CLI: a CA, a server
// certificate it signs for 127.0.0.1 (an IP subjectAltName, which is what a
// client checks for an address), and a self-signed RSA key pair a token
// server signs JWTs with (the registry's rootcertbundle). P-256 keys for TLS,
// as they take milliseconds to make; RSA 2048 for RS256.
#pragma once

#include <filesystem>
#include <string>

namespace berth::test {

class TestCa {
 public:
  // Makes everything under `dir`; check ok().
  explicit TestCa(const std::filesystem::path& dir);

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] const std::string& why() const { return why_; }

  [[nodiscard]] std::filesystem::path ca_cert() const { return dir_ / "ca.crt"; }
  [[nodiscard]] std::filesystem::path server_cert() const { return dir_ / "server.crt"; }
  [[nodiscard]] std::filesystem::path server_key() const { return dir_ / "server.key"; }
  [[nodiscard]] std::filesystem::path signing_cert() const { return dir_ / "signer.crt"; }
  [[nodiscard]] std::filesystem::path signing_key() const { return dir_ / "signer.key"; }

 private:
  std::filesystem::path dir_;
  bool ok_ = false;
  std::string why_;
};

}  // namespace berth::test

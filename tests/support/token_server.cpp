#include "token_server.hpp"

#include <fstream>

#include "loopback_registry.hpp"

namespace berth::test {

TokenServer::TokenServer(const std::filesystem::path& dir, const TestCa& ca, TokenServerOptions options)
    : options_(std::move(options)), log_(dir / "token.log") {
  std::filesystem::create_directories(dir);
  const int port = free_loopback_port();
  if (port <= 0) {
    why_ = "no free loopback port";
    return;
  }
  host_ = "127.0.0.1:" + std::to_string(port);
  process_ =
      std::make_unique<ChildProcess>("/usr/bin/python3", std::vector<std::string>{BERTH_TOKEN_SERVER,
                                                                                  "--port",
                                                                                  std::to_string(port),
                                                                                  "--signing-key",
                                                                                  ca.signing_key().string(),
                                                                                  "--signing-cert",
                                                                                  ca.signing_cert().string(),
                                                                                  "--issuer",
                                                                                  options_.issuer,
                                                                                  "--service",
                                                                                  options_.service,
                                                                                  "--user",
                                                                                  options_.user,
                                                                                  "--password",
                                                                                  options_.password,
                                                                                  "--log",
                                                                                  log_.string(),
                                                                                  "--tls-cert",
                                                                                  ca.server_cert().string(),
                                                                                  "--tls-key",
                                                                                  ca.server_key().string()});
  ok_ = process_->started() && process_->wait_for_line("ready");
  if (!ok_) why_ = "token_server.py did not start (python3 and python3-cryptography are needed)";
}

std::vector<std::string> TokenServer::requests() const {
  // One JSON object a line; read without a JSON library, as the script
  // writes it: {"path": ..., "scopes": [...], "authorized": ..., ...}.
  std::vector<std::string> out;
  std::ifstream in(log_);
  for (std::string line; std::getline(in, line);) {
    std::string scopes;
    const auto open = line.find("\"scopes\": [");
    const auto close = line.find(']', open);
    if (open == std::string::npos || close == std::string::npos) continue;
    const std::string list = line.substr(open + 11, close - open - 11);
    for (std::size_t i = 0; (i = list.find('"', i)) != std::string::npos;) {
      const auto end = list.find('"', i + 1);
      scopes += (scopes.empty() ? "" : " ") + list.substr(i + 1, end - i - 1);
      i = end + 1;
    }
    const bool authorized = line.find("\"authorized\": true") != std::string::npos;
    out.push_back((authorized ? "" : "!") + scopes);
  }
  return out;
}

}  // namespace berth::test

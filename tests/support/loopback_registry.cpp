#include "loopback_registry.hpp"

#include <crypt.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <thread>

namespace berth::test {
namespace {

// An htpasswd line for `user`: bcrypt, the one hash docker-registry reads, at
// the lowest cost (4) since the registry checks it on every request.
std::string htpasswd_line(const std::string& user, const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", 4, nullptr, 0, salt, sizeof(salt)) == nullptr) return "";
  auto data = std::make_unique<crypt_data>();
  const char* hash = crypt_r(password.c_str(), salt, data.get());
  if (hash == nullptr || hash[0] == '*') return "";
  return user + ":" + hash + "\n";
}

}  // namespace

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

LoopbackRegistry::LoopbackRegistry(const std::filesystem::path& dir, const RegistryOptions& options)
    : dir_(dir) {
  const int port = free_loopback_port();
  if (port <= 0) {
    why_ = "no free loopback port";
    return;
  }
  host_ = "127.0.0.1:" + std::to_string(port);
  std::filesystem::create_directories(dir);
  const auto config = dir / "registry.yml";
  std::ofstream yml(config);
  yml << "version: 0.1\nlog:\n  level: " << options.log_level
      << "\nstorage:\n  filesystem:\n    rootdirectory: " << (dir / "storage").string()
      << "\nhttp:\n  addr: " << host_ << "\n";
  const bool tls = !options.tls_cert.empty() && !options.tls_key.empty();
  if (tls) {
    yml << "  tls:\n    certificate: " << options.tls_cert.string()
        << "\n    key: " << options.tls_key.string() << "\n";
  }
  if (!options.user.empty()) {
    const std::string line = htpasswd_line(options.user, options.password);
    if (line.empty()) {
      why_ = "libcrypt could not make a bcrypt hash";
      return;
    }
    std::ofstream(dir / "htpasswd") << line;
    yml << "auth:\n  htpasswd:\n    realm: berth-test\n    path: " << (dir / "htpasswd").string() << "\n";
  } else if (options.token) {
    yml << "auth:\n  token:\n    realm: " << options.token->realm
        << "\n    service: " << options.token->service << "\n    issuer: " << options.token->issuer
        << "\n    rootcertbundle: " << options.token->root_cert.string() << "\n";
  }
  yml.close();
  // The log (a line for every 404 an existence check gets) goes to a file.
  process_ = std::make_unique<ChildProcess>(
      "/bin/bash", std::vector<std::string>{"-c", "exec /usr/bin/docker-registry serve \"$0\" 2>>\"$1\"",
                                            config.string(), (dir / "registry.log").string()});
  // Up once /v2/ answers at all: 401 is an answer from a registry that
  // wants credentials.
  const std::string probe = "curl -sk -o /dev/null -w '%{http_code}' " + std::string(tls ? "https" : "http") +
                            "://" + host_ + "/v2/";
  std::string out;
  for (int i = 0; i < 100 && !ok_; ++i) {
    run_shell(probe, out);
    ok_ = out == "200" || out == "401";
    if (!ok_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!ok_) why_ = "docker-registry did not answer on " + host_ + ": " + log();
}

std::string LoopbackRegistry::log() const {
  std::ifstream in(dir_ / "registry.log");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string LoopbackRegistry::push_archive(const std::filesystem::path& archive,
                                           const std::string& repo_tag) const {
  std::string out;
  const int rc = run_shell("skopeo copy --all --dest-tls-verify=false 'oci-archive:" + archive.string() +
                               "' 'docker://" + host_ + "/" + repo_tag + "'",
                           out);
  return rc == 0 ? "" : out.empty() ? "skopeo failed" : out;
}

}  // namespace berth::test

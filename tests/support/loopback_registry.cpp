#include "loopback_registry.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

namespace berth::test {
namespace {

// A loopback port nobody listens on now.
int free_port() {
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

// Runs a shell command; its exit status and output.
int shell(const std::string& command, std::string& output) {
  output.clear();
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) output.append(buf.data(), n);
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

LoopbackRegistry::LoopbackRegistry(const std::filesystem::path& dir) {
  const int port = free_port();
  if (port <= 0) {
    why_ = "no free loopback port";
    return;
  }
  host_ = "127.0.0.1:" + std::to_string(port);
  std::filesystem::create_directories(dir);
  const auto config = dir / "registry.yml";
  std::ofstream(config) << "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: "
                        << (dir / "storage").string() << "\nhttp:\n  addr: " << host_ << "\n";
  // The log (a line for every 404 an existence check gets) goes to a file.
  process_ = std::make_unique<ChildProcess>(
      "/bin/bash", std::vector<std::string>{"-c", "exec /usr/bin/docker-registry serve \"$0\" 2>>\"$1\"",
                                            config.string(), (dir / "registry.log").string()});
  std::string out;
  for (int i = 0; i < 100 && !ok_; ++i) {
    ok_ = shell("curl -sf http://" + host_ + "/v2/", out) == 0;
    if (!ok_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!ok_) why_ = "docker-registry did not answer on " + host_;
}

std::string LoopbackRegistry::push_archive(const std::filesystem::path& archive,
                                           const std::string& repo_tag) const {
  std::string out;
  const int rc = shell("skopeo copy --dest-tls-verify=false 'oci-archive:" + archive.string() +
                           "' 'docker://" + host_ + "/" + repo_tag + "'",
                       out);
  return rc == 0 ? "" : out.empty() ? "skopeo failed" : out;
}

}  // namespace berth::test

// A loopback HTTP server whose every answer is a handler's, for tests of a
// client against a registry that misbehaves in one exact way.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace berth::test {

// A loopback HTTP server whose every answer is `handler(request)`: one
// request per connection, enough for libcurl and a test's registry.
class FakeServer {
 public:
  explicit FakeServer(std::function<std::string(const std::string&)> handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    ::listen(fd_, 8);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  [[nodiscard]] std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] int requests() const { return requests_; }

  static std::string answer(const std::string& status, const std::string& headers, const std::string& body) {
    return "HTTP/1.1 " + status + "\r\n" + headers + "Content-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
  }

 private:
  void serve() {
    for (;;) {
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      const std::string request = read_request(c);
      ++requests_;
      const std::string a = handler_(request);
      (void)::send(c, a.data(), a.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  // The head and, as its Content-Length says, the body.
  static std::string read_request(int c) {
    std::string r;
    char buf[8192];
    for (;;) {
      const auto head_end = r.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::size_t length = 0;
        if (auto at = r.find("Content-Length: "); at != std::string::npos && at < head_end)
          length = std::stoul(r.substr(at + 16));
        if (r.size() >= head_end + 4 + length) return r;
      }
      const ssize_t n = ::recv(c, buf, sizeof(buf), 0);
      if (n <= 0) return r;
      r.append(buf, static_cast<std::size_t>(n));
    }
  }

  std::function<std::string(const std::string&)> handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

}  // namespace berth::test

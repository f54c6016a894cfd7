#include "stdio_fifos.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

namespace client_run {

namespace {

void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // our own stdout is gone: drop the output
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

// Copies what is buffered; false at EOF (every writer closed) or on error.
bool drain(int fifo, int out) {
  std::array<char, 65536> buffer{};
  for (;;) {
    const ssize_t n = ::read(fifo, buffer.data(), buffer.size());
    if (n > 0) {
      write_all(out, buffer.data(), static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && errno == EAGAIN;
  }
}

}  // namespace

Result<std::unique_ptr<StdioFifos>> StdioFifos::create(const std::string& parent, const std::string& id) {
  std::unique_ptr<StdioFifos> fifos(new StdioFifos());
  std::string pattern = parent + "/" + id + "-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) return fail("mkdtemp " + pattern + ": " + std::strerror(errno));
  fifos->dir_ = buffer.data();
  for (const auto& path : {fifos->stdout_path(), fifos->stderr_path()}) {
    if (::mkfifo(path.c_str(), 0600) != 0) return fail("mkfifo " + path + ": " + std::strerror(errno));
  }
  fifos->stdout_fd_ = ::open(fifos->stdout_path().c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  fifos->stderr_fd_ = ::open(fifos->stderr_path().c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifos->stdout_fd_ < 0 || fifos->stderr_fd_ < 0)
    return fail("open FIFOs in " + fifos->dir_ + ": " + std::strerror(errno));
  std::array<int, 2> stop{};
  if (::pipe2(stop.data(), O_CLOEXEC | O_NONBLOCK) != 0)
    return fail(std::string("pipe: ") + std::strerror(errno));
  fifos->stop_read_ = stop[0];
  fifos->stop_write_ = stop[1];
  fifos->running_ = 2;
  fifos->stdout_copier_ = std::thread([f = fifos.get()] { f->copy(f->stdout_fd_, STDOUT_FILENO); });
  fifos->stderr_copier_ = std::thread([f = fifos.get()] { f->copy(f->stderr_fd_, STDERR_FILENO); });
  return fifos;
}

void StdioFifos::copy(int fifo, int out) {
  std::array<pollfd, 2> fds{{{fifo, POLLIN, 0}, {stop_read_, POLLIN, 0}}};
  for (;;) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !drain(fifo, out)) break;
    if (fds[1].revents != 0) {
      drain(fifo, out);
      break;
    }
  }
  --running_;
}

void StdioFifos::finish(std::chrono::milliseconds grace) {
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (running_ > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (stop_write_ >= 0) {
    (void)::write(stop_write_, "x", 1);
  }
  if (stdout_copier_.joinable()) stdout_copier_.join();
  if (stderr_copier_.joinable()) stderr_copier_.join();
}

StdioFifos::~StdioFifos() {
  finish(std::chrono::milliseconds(0));
  for (int fd : {stdout_fd_, stderr_fd_, stop_read_, stop_write_}) {
    if (fd >= 0) ::close(fd);
  }
  if (!dir_.empty()) {
    ::unlink(stdout_path().c_str());
    ::unlink(stderr_path().c_str());
    ::rmdir(dir_.c_str());
  }
}

}  // namespace client_run

#include "process/run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "process/spawn.hpp"

namespace berth::process {
namespace {

using Clock = std::chrono::steady_clock;

// Reads what is there into `into` (up to `limit`, the rest dropped); false
// at end of stream or on an error, when the fd is closed.
bool drain(UniqueFd& fd, std::string& into, std::size_t limit) {
  char buf[16384];
  const ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) {
    fd.reset();
    return false;
  }
  const std::size_t room = into.size() < limit ? limit - into.size() : 0;
  into.append(buf, std::min(room, static_cast<std::size_t>(n)));
  return true;
}

}  // namespace

std::string describe(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a.find_first_of(" \t\"'") == std::string::npos ? a : "'" + a + "'";
  }
  return out;
}

Result<Output> run(const Command& command) {
  auto child = spawn({.argv = command.argv,
                      .cwd = command.cwd,
                      .env = command.env,
                      .in = command.stdin_data.empty() ? Stream::null() : Stream::pipe(),
                      .out = Stream::pipe(),
                      .err = Stream::pipe()});
  if (!child.ok()) return child.status();
  if (child->in) ::fcntl(child->in.get(), F_SETFL, O_NONBLOCK);

  Output output;
  std::size_t written = 0;
  bool timed_out = false;
  const auto deadline = Clock::now() + command.timeout;
  while (child->in || child->out || child->err) {
    pollfd fds[3];
    nfds_t n = 0;
    if (child->in) fds[n++] = {child->in.get(), POLLOUT, 0};
    if (child->out) fds[n++] = {child->out.get(), POLLIN, 0};
    if (child->err) fds[n++] = {child->err.get(), POLLIN, 0};
    int wait_ms = -1;
    if (command.timeout.count() > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        timed_out = true;
        ::kill(child->pid, SIGKILL);
        break;
      }
      wait_ms = static_cast<int>(left.count());
    }
    const int ready = ::poll(fds, n, wait_ms);
    if (ready < 0 && errno != EINTR) {
      ::kill(child->pid, SIGKILL);
      (void)wait(child->pid);
      return internal(std::string("poll: ") + std::strerror(errno));
    }
    for (nfds_t i = 0; i < n && ready > 0; ++i) {
      if (fds[i].revents == 0) continue;
      if (child->in && fds[i].fd == child->in.get()) {
        const ssize_t w = ::write(child->in.get(), command.stdin_data.data() + written,
                                  command.stdin_data.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        // Done, or the child closed its stdin (EPIPE): either way, no more input.
        if (written == command.stdin_data.size() || (w < 0 && errno != EAGAIN && errno != EINTR))
          child->in.reset();
      } else if (child->out && fds[i].fd == child->out.get()) {
        drain(child->out, output.out, command.max_output);
      } else if (child->err && fds[i].fd == child->err.get()) {
        drain(child->err, output.err, command.max_output);
      }
    }
  }
  auto status = wait(child->pid);
  if (!status.ok()) return status.status();
  if (timed_out)
    return Status(Code::kDeadlineExceeded, describe(command.argv) + ": killed after " +
                                               std::to_string(command.timeout.count()) + " ms");
  output.exit_code = exit_code_of(*status);
  output.signal = WIFSIGNALED(*status) ? WTERMSIG(*status) : 0;
  return output;
}

}  // namespace berth::process

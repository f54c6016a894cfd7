#include "task_io.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "files/dirs.hpp"
#include "files/fd_io.hpp"

namespace berth::cli {
namespace {

Status errno_status(const std::string& what) {
  return Status(Code::kUnknown, what + ": " + std::strerror(errno));
}

// 16 random hex digits: the FIFO directory's name, as ctr names its own.
Result<std::string> random_name() {
  unsigned char bytes[8];
  if (::getrandom(bytes, sizeof(bytes), 0) != static_cast<ssize_t>(sizeof(bytes)))
    return errno_status("getrandom");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

Status set_blocking(int fd, bool blocking) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return errno_status("fcntl");
  flags = blocking ? (flags & ~O_NONBLOCK) : (flags | O_NONBLOCK);
  if (::fcntl(fd, F_SETFL, flags) < 0) return errno_status("fcntl");
  return ok_status();
}

// Waits for `fd` to be ready for `events`, or for the stop pipe; false once
// stopped (or on a poll error).
bool wait_ready(int fd, short events, int stop) {
  pollfd fds[2] = {{fd, events, 0}, {stop, POLLIN, 0}};
  for (;;) {
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || fds[1].revents != 0) return false;
    return true;
  }
}

// Copies `from` to `to` until EOF on `from`, an error, or the stop pipe.
// `to` may be non-blocking (a FIFO whose reader is slow): then we wait for
// room rather than spin. Returns true at EOF.
bool copy_until_eof(int from, int to, int stop) {
  char buf[32 * 1024];
  for (;;) {
    if (!wait_ready(from, POLLIN, stop)) return false;
    ssize_t n = ::read(from, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    // EIO: a terminal hung up; either way there is nothing more to read.
    if (n <= 0) return n == 0 || errno == EIO;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(to, buf + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EAGAIN) {
        if (!wait_ready(to, POLLOUT, stop)) return false;
        continue;
      }
      if (w < 0) return false;  // EPIPE: the other side is gone
      done += w;
    }
  }
}

}  // namespace

Result<FifoSet> FifoSet::create(std::string_view name, bool terminal, const std::filesystem::path& root) {
  if (Status st = files::make_dirs(root); !st.ok()) return st;
  auto random = random_name();
  if (!random.ok()) return random.status();
  const std::filesystem::path dir = root / *random;
  // 0700: the FIFOs carry the container's input and output.
  if (Status st = files::make_dir(dir, 0700); !st.ok()) return st;
  FifoSet set(dir, {});
  auto make = [&](std::string_view stream, std::string& path) -> Status {
    path = (dir / (std::string(name) + "-" + std::string(stream))).string();
    if (::mkfifo(path.c_str(), 0700) != 0) return errno_status("mkfifo " + path);
    return ok_status();
  };
  for (auto [stream, path] : {std::pair<std::string_view, std::string*>{"stdin", &set.paths_.stdin_path},
                              {"stdout", &set.paths_.stdout_path},
                              {"stderr", &set.paths_.stderr_path}}) {
    if (terminal && stream == "stderr") continue;
    if (Status st = make(stream, *path); !st.ok()) return st;
  }
  return set;
}

FifoSet::FifoSet(FifoSet&& other) noexcept : dir_(std::move(other.dir_)), paths_(std::move(other.paths_)) {
  other.dir_.clear();
}

FifoSet::~FifoSet() {
  if (!dir_.empty()) (void)files::remove_tree(dir_);
}

void remove_fifo_dir(const std::string& fifo) {
  if (fifo.empty()) return;
  const std::filesystem::path dir = std::filesystem::path(fifo).parent_path();
  if (dir.parent_path() != std::filesystem::path(kFifoRoot) || dir.filename().string().size() != 16) return;
  (void)files::remove_tree(dir);
}

Result<StdioCopy> StdioCopy::open(const FifoPaths& paths, bool with_stdin, bool attach) {
  StdioCopy io;
  auto open_fifo = [](const std::string& path, int flags, UniqueFd& out) -> Status {
    if (path.empty()) return ok_status();
    auto fd = files::open_file(path, flags | O_NONBLOCK);
    if (!fd.ok()) return fd.status();
    out = std::move(*fd);
    return ok_status();
  };
  if (with_stdin) {
    if (Status st = open_fifo(paths.stdin_path, attach ? O_WRONLY : O_RDWR, io.stdin_); !st.ok()) return st;
  }
  if (Status st = open_fifo(paths.stdout_path, O_RDONLY, io.stdout_); !st.ok()) return st;
  if (Status st = open_fifo(paths.stderr_path, O_RDONLY, io.stderr_); !st.ok()) return st;
  int pipe[2];
  if (::pipe2(pipe, O_CLOEXEC) != 0) return errno_status("pipe");
  io.stop_read_.reset(pipe[0]);
  io.stop_write_.reset(pipe[1]);
  if (::pipe2(pipe, O_CLOEXEC) != 0) return errno_status("pipe");
  io.started_read_.reset(pipe[0]);
  io.started_write_.reset(pipe[1]);
  return io;
}

void StdioCopy::start(std::function<void()> on_stdin_eof) {
  const int stop = stop_read_.get();
  for (UniqueFd* out : {&stdout_, &stderr_}) {
    if (!*out) continue;
    // Blocking reads from here on; poll still tells us when to read.
    (void)set_blocking(out->get(), true);
    outputs_open_->fetch_add(1);
    const int from = out->get();
    const int to = out == &stdout_ ? STDOUT_FILENO : STDERR_FILENO;
    threads_.emplace_back([from, to, stop, open = outputs_open_] {
      copy_until_eof(from, to, stop);
      open->fetch_sub(1);
      open->notify_all();
    });
  }
  if (stdin_) {
    threads_.emplace_back([this, stop, on_stdin_eof = std::move(on_stdin_eof)] {
      if (copy_until_eof(STDIN_FILENO, stdin_.get(), stop) && wait_ready(started_read_.get(), POLLIN, stop)) {
        // The shim sees EOF once no writer is left.
        stdin_.reset();
        if (on_stdin_eof) on_stdin_eof();
      }
    });
  }
}

void StdioCopy::process_started() {
  const char byte = 0;
  (void)!::write(started_write_.get(), &byte, 1);
}

void StdioCopy::wait_output(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (outputs_open_->load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void StdioCopy::stop() {
  if (!stop_write_) return;
  const char byte = 0;
  (void)!::write(stop_write_.get(), &byte, 1);
  for (auto& t : threads_) t.join();
  threads_.clear();
}

StdioCopy::~StdioCopy() { stop(); }

RawTerminal::RawTerminal() {
  if (::isatty(STDIN_FILENO) == 0 || ::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
  termios raw = saved_;
  ::cfmakeraw(&raw);
  active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
}

RawTerminal::~RawTerminal() {
  if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
}

bool terminal_size(uint32_t& width, uint32_t& height) {
  winsize ws{};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) != 0 && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0)
    return false;
  width = ws.ws_col;
  height = ws.ws_row;
  return true;
}

}  // namespace berth::cli

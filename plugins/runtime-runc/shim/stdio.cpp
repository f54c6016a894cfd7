#include "stdio.hpp"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "berth/log.hpp"
#include "files/fd_io.hpp"

namespace berth::shim {

Pump::Pump(ttrpc::EventLoop& loop, int src, int dst, std::function<void()> on_end)
    : loop_(loop), src_(src), dst_(dst), on_end_(std::move(on_end)) {}

Pump::~Pump() { stop(); }

Status Pump::start() {
  running_ = true;
  return loop_.watch(src_, EPOLLIN, [this](std::uint32_t) { on_readable(); });
}

void Pump::stop() {
  if (!running_) return;
  running_ = false;
  loop_.unwatch(src_);
  loop_.unwatch(dst_);
}

void Pump::end() {
  stop();
  if (on_end_) on_end_();
}

void Pump::drain() {
  for (int i = 0; i < 64 && running_ && pending_.empty(); ++i) {
    char buf[32768];
    const ssize_t n = ::read(src_, buf, sizeof buf);
    if (n <= 0) return;
    (void)files::write_all(dst_, std::string_view(buf, static_cast<std::size_t>(n)), "stdio");
  }
}

void Pump::on_readable() {
  char buf[32768];
  const ssize_t n = ::read(src_, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {  // end of input, or EIO: the pty's last holder is gone
    end();
    return;
  }
  const ssize_t w = ::write(dst_, buf, static_cast<std::size_t>(n));
  if (w == n) return;
  if (w < 0 && errno != EAGAIN) {
    end();  // the reader is gone for good
    return;
  }
  // dst is full: hold the rest, stop reading until it drains.
  pending_.assign(buf + (w > 0 ? w : 0), buf + n);
  loop_.unwatch(src_);
  if (!loop_.watch(dst_, EPOLLOUT, [this](std::uint32_t) { on_writable(); }).ok()) end();
}

void Pump::on_writable() {
  const ssize_t w = ::write(dst_, pending_.data(), pending_.size());
  if (w < 0) {
    if (errno != EAGAIN && errno != EINTR) end();
    return;
  }
  pending_.erase(0, static_cast<std::size_t>(w));
  if (!pending_.empty()) return;
  loop_.unwatch(dst_);
  if (!loop_.watch(src_, EPOLLIN, [this](std::uint32_t) { on_readable(); }).ok()) end();
}

namespace {

Result<UniqueFd> open_fifo(const std::string& path, int extra_flags) {
  // O_RDWR: never waits for the other end (see stdio.hpp).
  return files::open_file(path, O_RDWR | extra_flags);
}

Status set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
    return errno_status("fcntl O_NONBLOCK", errno);
  return {};
}

}  // namespace

Result<std::unique_ptr<ProcessIo>> ProcessIo::open(ttrpc::EventLoop& loop, const StdioPaths& paths) {
  std::unique_ptr<ProcessIo> io(new ProcessIo(loop));
  io->terminal_ = paths.terminal;
  if (!paths.in.empty()) {
    // Read-only, so the client closing its end is our end of input (as in
    // containerd's shim: ctr run ends a container's stdin just so). Opening
    // does not wait, and a FIFO no writer has opened yet reports nothing to
    // epoll, so the pump waits for the client.
    auto fd = files::open_file(paths.in, O_RDONLY | O_NONBLOCK);
    if (!fd.ok()) return fd.status().with_context("open stdin fifo");
    io->stdin_fifo_ = std::move(fd).value();
  }
  if (!paths.out.empty()) {
    auto fd = open_fifo(paths.out, paths.terminal ? O_NONBLOCK : 0);
    if (!fd.ok()) return fd.status().with_context("open stdout fifo");
    io->stdout_fifo_ = std::move(fd).value();
  }
  if (!paths.err.empty() && !paths.terminal) {
    auto fd = open_fifo(paths.err, 0);
    if (!fd.ok()) return fd.status().with_context("open stderr fifo");
    io->stderr_fifo_ = std::move(fd).value();
  }
  if (io->stdin_fifo_ && !paths.terminal) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return errno_status("pipe for stdin", errno);
    io->stdin_pipe_read_.reset(p[0]);
    io->stdin_pipe_write_.reset(p[1]);
    if (Status s = set_nonblocking(p[1]); !s.ok()) return s;
  }
  if (paths.terminal) {
    char dir[] = "/tmp/berth-pty-XXXXXX";
    if (::mkdtemp(dir) == nullptr) return errno_status("create a directory for the console socket", errno);
    io->console_dir_ = dir;
    io->console_path_ = io->console_dir_ + "/pty.sock";
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) return errno_status("console socket", errno);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, io->console_path_.c_str(), sizeof addr.sun_path - 1);
    if (::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(sock.get(), 1) != 0)
      return errno_status("listen on " + io->console_path_, errno);
    io->console_listener_ = std::move(sock);
  }
  return io;
}

ProcessIo::~ProcessIo() {
  in_pump_.reset();
  out_pump_.reset();
  remove_console_socket();
}

void ProcessIo::remove_console_socket() {
  console_listener_.reset();
  if (!console_path_.empty()) ::unlink(console_path_.c_str());
  if (!console_dir_.empty()) ::rmdir(console_dir_.c_str());
  console_path_.clear();
  console_dir_.clear();
}

ChildStdio ProcessIo::child_stdio() const {
  ChildStdio s;
  if (terminal_) return s;
  if (stdin_pipe_read_) s.in = process::Stream::of(stdin_pipe_read_.get());
  if (stdout_fifo_) s.out = process::Stream::of(stdout_fifo_.get());
  if (stderr_fifo_) s.err = process::Stream::of(stderr_fifo_.get());
  return s;
}

Status ProcessIo::receive_master() {
  // The runtime connected and sent the master before its create returned;
  // the connection waits in the backlog.
  UniqueFd conn(::accept4(console_listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
  if (!conn) return errno_status("accept on the console socket (the runtime sent no pty)", errno);
  char name[4096];
  iovec iov{name, sizeof name};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  if (::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC) < 0) return errno_status("receive the pty master", errno);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg == nullptr || cmsg->cmsg_type != SCM_RIGHTS)
    return internal("the console socket carried no pty master");
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
  master_.reset(fd);
  return set_nonblocking(fd);
}

Status ProcessIo::started() {
  stdin_pipe_read_.reset();
  if (!terminal_) {
    // The process holds its own stdout/stderr now: ours would keep the
    // client's reader from ever seeing end of file.
    stdout_fifo_.reset();
    stderr_fifo_.reset();
    if (stdin_fifo_ && stdin_pipe_write_) {
      in_pump_ = std::make_unique<Pump>(loop_, stdin_fifo_.get(), stdin_pipe_write_.get(),
                                        [this] { close_stdin(); });
      return in_pump_->start();
    }
    return {};
  }
  Status got = receive_master();
  remove_console_socket();
  if (!got.ok()) return got;
  if (stdout_fifo_) {
    out_pump_ = std::make_unique<Pump>(loop_, master_.get(), stdout_fifo_.get(), nullptr);
    if (Status s = out_pump_->start(); !s.ok()) return s;
  }
  if (stdin_fifo_) {
    in_pump_ = std::make_unique<Pump>(loop_, stdin_fifo_.get(), master_.get(), nullptr);
    if (Status s = in_pump_->start(); !s.ok()) return s;
  }
  return {};
}

void ProcessIo::abandon() { remove_console_socket(); }

Status ProcessIo::resize(unsigned width, unsigned height) {
  if (!master_) return not_found("the process has no terminal to resize");
  winsize ws{};
  ws.ws_col = static_cast<unsigned short>(width);
  ws.ws_row = static_cast<unsigned short>(height);
  if (::ioctl(master_.get(), TIOCSWINSZ, &ws) != 0) return errno_status("resize the terminal", errno);
  return {};
}

void ProcessIo::close_stdin() {
  if (in_pump_) {
    // What the client wrote before asking reaches the process first.
    in_pump_->drain();
    in_pump_->stop();
  }
  stdin_pipe_write_.reset();
  if (terminal_ && master_) {
    // A terminal has no end of file of its own: send the EOF character, as
    // a user typing ^D would.
    const char eot = 4;
    (void)!::write(master_.get(), &eot, 1);
  }
}

void ProcessIo::finish() {
  if (out_pump_) {
    out_pump_->drain();
    out_pump_->stop();
  }
  if (in_pump_) in_pump_->stop();
  stdout_fifo_.reset();
  stderr_fifo_.reset();
  stdin_pipe_write_.reset();
}

}  // namespace berth::shim

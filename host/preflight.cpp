#include "preflight.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace berth::host {
namespace {

// The child's side. Set only in the child, read by its exit hook.
int g_child_pipe = -1;
std::size_t g_child_file = 0;

int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// One line to the parent; short enough (< PIPE_BUF) to arrive whole.
void tell_parent(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void tell_parent(const char* fmt, ...) {
  char line[1024];
  va_list args;
  va_start(args, fmt);
  int n = std::vsnprintf(line, sizeof line - 1, fmt, args);
  va_end(args);
  if (n < 0) return;
  if (n > static_cast<int>(sizeof line) - 2) n = sizeof line - 2;
  line[n++] = '\n';
  for (int i = 0; i < n - 1; ++i) {
    if (line[i] == '\n') line[i] = ' ';  // one message, one line
  }
  while (::write(g_child_pipe, line, static_cast<std::size_t>(n)) < 0 && errno == EINTR) {
  }
}

// A library calling exit() from a constructor runs this first (the last
// handler registered runs first), so the parent learns which file did it and
// the parent's own atexit handlers, copied into this child, never run.
void on_child_exit(int status, void*) {
  tell_parent("exit %zu %d", g_child_file, status);
  _exit(status);
}

[[noreturn]] void run_child(const std::vector<std::filesystem::path>& files, std::size_t first,
                            const PreflightRun::Probe& probe, int pipe_fd, pid_t parent) {
  // Die with berthd: a child hung in a plugin must not outlive it.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) _exit(0);
  // Handlers berthd (or a test runner) installed are not for this process:
  // a crash must end the child with its signal for the verdict to name it.
  for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE, SIGTRAP, SIGSYS}) ::signal(sig, SIG_DFL);
  g_child_pipe = pipe_fd;
  ::on_exit(on_child_exit, nullptr);
  for (std::size_t i = first; i < files.size(); ++i) {
    g_child_file = i;
    tell_parent("begin %zu %lld", i, static_cast<long long>(monotonic_ns()));
    Status s = probe(files[i]);
    if (s.ok()) {
      tell_parent("ok %zu", i);
    } else {
      tell_parent("error %zu %.900s", i, s.message().c_str());
    }
  }
  tell_parent("done");
  _exit(0);
}

}  // namespace

std::string PreflightVerdict::describe() const {
  switch (kind) {
    case Kind::kPassed:
      return "loaded in a pre-flight process";
    case Kind::kLoadError:
      return "failed to load in a pre-flight process: " + text;
    case Kind::kCrashed:
      return "crashed with signal " + std::to_string(number) + " (" + ::strsignal(number) +
             ") when loaded in a pre-flight process";
    case Kind::kExited:
      return "ended the process with exit status " + std::to_string(number) +
             " when loaded in a pre-flight process";
    case Kind::kHung:
      return "was still loading after " + std::to_string(number) + " ms in a pre-flight process (killed)";
    case Kind::kUnchecked:
      return "could not be loaded in a pre-flight process: " + text;
  }
  return "has an unknown pre-flight verdict";
}

PreflightRun::PreflightRun(std::vector<std::filesystem::path> files, Probe probe,
                           std::chrono::milliseconds limit)
    : files_(std::move(files)),
      probe_(std::move(probe)),
      limit_(limit),
      verdicts_(files_.size()),
      began_ns_(files_.size()) {
  if (!files_.empty()) start_child(0);
}

PreflightRun::~PreflightRun() { kill_child(); }

void PreflightRun::start_child(std::size_t first) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return unchecked_from(first, errno_status("pipe", errno));
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  // Nothing buffered in stdio may be written twice, by parent and child.
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    read_end.reset();
    run_child(files_, first, probe_, write_end.release(), parent);
  }
  if (pid < 0) return unchecked_from(first, errno_status("fork", errno));
  ::fcntl(read_end.get(), F_SETFL, O_NONBLOCK);
  pid_ = pid;
  pipe_ = std::move(read_end);
  buffer_.clear();
  exit_status_.reset();
  last_news_ns_ = monotonic_ns();
  ++children_;
}

void PreflightRun::unchecked_from(std::size_t first, const Status& why) {
  for (std::size_t i = first; i < files_.size(); ++i) {
    if (!verdicts_[i]) verdicts_[i] = {PreflightVerdict::Kind::kUnchecked, 0, why.message()};
  }
}

void PreflightRun::on_line(const std::string& line) {
  char word[16] = {};
  std::size_t index = 0;
  int consumed = 0;
  if (std::sscanf(line.c_str(), "%15s %zu %n", word, &index, &consumed) < 2 || index >= files_.size()) return;
  const std::string what = word;
  if (what == "begin") {
    began_ns_[index] = std::strtoll(line.c_str() + consumed, nullptr, 10);
  } else if (what == "ok") {
    verdicts_[index] = PreflightVerdict{PreflightVerdict::Kind::kPassed, 0, ""};
  } else if (what == "error") {
    verdicts_[index] = PreflightVerdict{PreflightVerdict::Kind::kLoadError, 0, line.substr(consumed)};
  } else if (what == "exit") {
    exit_status_ = std::atoi(line.c_str() + consumed);
  }
}

void PreflightRun::read_messages(int64_t now_ns) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(pipe_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // EAGAIN: all read for now; 0: EOF, seen by the caller's poll
    last_news_ns_ = now_ns;
    buffer_.append(buf, static_cast<std::size_t>(n));
    std::size_t start = 0, nl;
    while ((nl = buffer_.find('\n', start)) != std::string::npos) {
      on_line(buffer_.substr(start, nl - start));
      start = nl + 1;
    }
    buffer_.erase(0, start);
  }
}

void PreflightRun::reap_child(int64_t deadline_ns) {
  int status = 0;
  pid_t r = 0;
  // The child closed the pipe; it is normally gone within microseconds. One
  // that closed it and runs on is hung as far as berthd is concerned.
  while ((r = ::waitpid(pid_, &status, WNOHANG)) == 0 && monotonic_ns() < deadline_ns)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const pid_t pid = std::exchange(pid_, -1);
  pipe_.reset();
  std::size_t at = 0;
  while (at < files_.size() && verdicts_[at]) ++at;
  if (r == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    if (at < files_.size())
      verdicts_[at] = {PreflightVerdict::Kind::kHung, static_cast<int>(limit_.count()), ""};
  } else if (at < files_.size()) {
    // The file the child was on when it died is the one that killed it.
    if (exit_status_) {
      verdicts_[at] = {PreflightVerdict::Kind::kExited, *exit_status_, ""};
    } else if (r > 0 && WIFSIGNALED(status)) {
      verdicts_[at] = {PreflightVerdict::Kind::kCrashed, WTERMSIG(status), ""};
    } else if (r > 0 && WIFEXITED(status)) {
      verdicts_[at] = {PreflightVerdict::Kind::kExited, WEXITSTATUS(status), ""};
    } else {
      verdicts_[at] = {PreflightVerdict::Kind::kUnchecked, 0, errno_status("waitpid", errno).message()};
    }
  }
  if (at + 1 < files_.size()) start_child(at + 1);
}

void PreflightRun::kill_child() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  pipe_.reset();
}

PreflightVerdict PreflightRun::verdict(std::size_t i) {
  while (!verdicts_[i]) {
    if (pid_ <= 0) start_child(i);
    if (verdicts_[i]) break;  // fork or pipe failed
    const int64_t began = began_ns_[i].value_or(last_news_ns_);
    const int64_t deadline = began + std::chrono::duration_cast<std::chrono::nanoseconds>(limit_).count();
    const int64_t now = monotonic_ns();
    if (now >= deadline) {
      kill_child();
      verdicts_[i] = {PreflightVerdict::Kind::kHung, static_cast<int>(limit_.count()), ""};
      if (i + 1 < files_.size()) start_child(i + 1);
      break;
    }
    pollfd pfd{pipe_.get(), POLLIN, 0};
    const int wait_ms = static_cast<int>((deadline - now + 999'999) / 1'000'000);
    int n = ::poll(&pfd, 1, wait_ms);
    if (n < 0 && errno != EINTR) {
      const Status why = errno_status("poll", errno);
      kill_child();
      unchecked_from(i, why);
      break;
    }
    if (n <= 0) continue;
    read_messages(monotonic_ns());  // up to the end, if the child closed the pipe
    if ((pfd.revents & (POLLHUP | POLLERR)) != 0 && !verdicts_[i]) {
      reap_child(deadline);
    } else if ((pfd.revents & (POLLHUP | POLLERR)) != 0) {
      // The child ended after its verdict on i; later files get their own.
      reap_child(monotonic_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(limit_).count());
    }
  }
  return *verdicts_[i];
}

}  // namespace berth::host

#include "harness.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace berth::test {
namespace {

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

int decode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

bool accepts(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

CommandResult run(const std::vector<std::string>& argv) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::dup2(pipefd[1], 2);
    auto args = c_argv(argv);
    ::execvp(args[0], args.data());
    _exit(127);
  }
  ::close(pipefd[1]);
  CommandResult r;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof(buf))) > 0) r.output.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = decode(status);
  return r;
}

Berthd::Berthd(std::filesystem::path berthd, std::filesystem::path dir)
    : berthd_(std::move(berthd)), dir_(std::move(dir)) {}

Berthd::~Berthd() {
  if (pid_ > 0) stop(SIGTERM);
}

bool Berthd::start(const std::vector<std::string>& extra_args, std::string& why, std::chrono::seconds wait) {
  std::vector<std::string> argv{berthd_.string(), "--root",    root().string(), "--state",
                                state().string(), "--address", address()};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  // Hermetic: never pick up the machine's /etc/berth/config.toml.
  if (std::find(extra_args.begin(), extra_args.end(), "--config") == extra_args.end()) {
    std::ofstream(dir_ / "empty.toml").flush();
    argv.insert(argv.end(), {"--config", (dir_ / "empty.toml").string()});
  }
  const auto log_path = dir_ / "berthd.log";
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    auto args = c_argv(argv);
    ::execv(args[0], args.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      why = "berthd exited with " + std::to_string(decode(status)) + ":\n" + log();
      return false;
    }
    if (accepts(address())) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  why = "berthd did not answer on " + address() + " within " + std::to_string(wait.count()) + " s:\n" + log();
  stop(SIGKILL);
  return false;
}

int Berthd::stop(int sig) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  return decode(status);
}

std::string Berthd::log() const {
  std::ifstream in(dir_ / "berthd.log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

CommandResult Berthd::ctr(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{"ctr", "-a", address()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

}  // namespace berth::test

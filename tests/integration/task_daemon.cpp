#include "task_daemon.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace berth::test {
namespace {

// Every path containerd would use by default (/var/lib, /run, /opt) moved
// under `dir`; CRI off (it needs CNI and only adds noise), as
// tests/integration/cli_against_containerd.sh and bench/lib.sh start it.
std::string containerd_config(const std::filesystem::path& dir, const std::string& socket) {
  std::ostringstream c;
  c << "version = 2\n"
    << "root = \"" << (dir / "root").string() << "\"\n"
    << "state = \"" << (dir / "state").string() << "\"\n"
    << "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
    << "[grpc]\n  address = \"" << socket << "\"\n"
    << "[ttrpc]\n  address = \"" << socket << ".ttrpc\"\n"
    << "[debug]\n  address = \"\"\n"
    << "[metrics]\n  address = \"\"\n"
    << "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"" << (dir / "opt").string() << "\"\n";
  return c.str();
}

}  // namespace

std::string TaskDaemon::kind_from_env() {
  const char* kind = std::getenv("BERTH_TASK_DAEMON");
  return kind != nullptr && *kind != '\0' ? kind : "containerd";
}

TaskDaemon::TaskDaemon(std::string kind, std::filesystem::path dir)
    : kind_(std::move(kind)), dir_(std::move(dir)) {}

TaskDaemon::~TaskDaemon() { stop(); }

bool TaskDaemon::start(std::string& why) {
  if (kind_ == "berthd") {
    berthd_ = std::make_unique<Berthd>(BERTHD_PATH, dir_);
    return berthd_->start({}, why);
  }
  if (kind_ != "containerd") {
    why = "BERTH_TASK_DAEMON=" + kind_ + ": want containerd or berthd";
    return false;
  }
  std::ofstream(dir_ / "containerd.toml") << containerd_config(dir_, address());
  const auto log_path = dir_ / "containerd.log";
  containerd_ = ::fork();
  if (containerd_ == 0) {
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    const std::string config = (dir_ / "containerd.toml").string();
    ::execlp("containerd", "containerd", "--config", config.c_str(), nullptr);
    _exit(127);
  }
  for (int i = 0; i < 300; ++i) {
    int status = 0;
    if (::waitpid(containerd_, &status, WNOHANG) == containerd_) {
      containerd_ = -1;
      why = "containerd exited at start:\n" + log();
      return false;
    }
    if (std::filesystem::exists(address()) && ctr("default", {"version"}).exit_code == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  why = "containerd did not answer within 30 s:\n" + log();
  stop();
  return false;
}

void TaskDaemon::stop() {
  if (berthd_) {
    berthd_->stop();
    berthd_.reset();
  }
  if (containerd_ <= 0) return;
  ::kill(containerd_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 1000 && ::waitpid(containerd_, &status, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (::waitpid(containerd_, &status, WNOHANG) == 0) {
    ::kill(containerd_, SIGKILL);
    ::waitpid(containerd_, &status, 0);
  }
  containerd_ = -1;
}

std::string TaskDaemon::address() const { return berthd_ ? berthd_->address() : (dir_ / "d.sock").string(); }

std::string TaskDaemon::log() const {
  if (berthd_) return berthd_->log();
  std::ifstream in(dir_ / "containerd.log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

CommandResult TaskDaemon::ctr(const std::string& ns, const std::vector<std::string>& args) const {
  std::vector<std::string> argv{"ctr", "-a", address(), "-n", ns};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

}  // namespace berth::test

// berth run, containers create and tasks ... against a real daemon: Debian's
// containerd by default, berthd with BERTH_TASK_DAEMON=berthd (task_daemon.hpp).
// Containers run for real (runc, overlayfs, cgroups); every test checks that
// it left no container, task, snapshot, FIFO or mount behind.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../support/temp_dir.hpp"
#include "child_process.hpp"
#include "harness.hpp"
#include "task_daemon.hpp"

namespace berth::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNs = "berth-run-test";
constexpr const char* kImage = "docker.io/library/berth-run:1.0";
constexpr const char* kUsersImage = "docker.io/library/berth-run-users:1.0";
constexpr const char* kGhostImage = "docker.io/library/berth-run-ghost:1.0";
constexpr const char* kFifoRoot = "/run/berth/fifo";

int decode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// argv with `input` on its stdin; stdout and stderr together.
CommandResult run_with_input(const std::vector<std::string>& argv, const std::string& input) {
  int in[2];
  int out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  std::thread writer([fd = in[1], input] {
    (void)!::write(fd, input.data(), input.size());
    ::close(fd);
  });
  CommandResult r;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof(buf))) > 0) r.output.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  writer.join();
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = decode(status);
  return r;
}

std::set<std::string> fifo_dirs() {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(kFifoRoot, ec)) out.insert(e.path().string());
  return out;
}

std::string mountinfo() {
  std::ifstream in("/proc/self/mountinfo");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class BerthRunTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    daemon_ = new TaskDaemon(TaskDaemon::kind_from_env(), dir_->path());
    std::string why;
    if (::geteuid() != 0) {
      setup_error_ = "containers need root";
      return;
    }
    if (!daemon_->start(why)) {
      setup_error_ = why;
      return;
    }
    int n = 0;
    for (auto [name, env] : {std::pair<const char*, std::vector<std::string>>{kImage, {"APPLETS=1"}},
                             {kUsersImage, {"USERS=1"}},
                             {kGhostImage, {"USERS=1", "CONFIG=\"User\":\"ghost\""}}}) {
      const fs::path archive = dir_->path() / ("image" + std::to_string(++n) + ".tar");
      std::vector<std::string> argv{"env"};
      argv.insert(argv.end(), env.begin(), env.end());
      argv.insert(argv.end(), {"bash", BERTH_MAKE_OCI_IMAGE, archive.string(), name});
      if (auto made = run(argv); made.exit_code != 0) {
        setup_error_ = "make_oci_image.sh: " + made.output;
        return;
      }
      if (auto imported = daemon_->ctr(kNs, {"images", "import", archive.string()});
          imported.exit_code != 0) {
        setup_error_ = "ctr images import: " + imported.output;
        return;
      }
    }
  }
  static void TearDownTestSuite() {
    if (daemon_ != nullptr) {
      // What a failed test may have left running.
      for (const std::string& id : lines(daemon_->ctr(kNs, {"tasks", "ls", "-q"}).output)) {
        (void)daemon_->ctr(kNs, {"tasks", "kill", "-a", "-s", "SIGKILL", id});
        (void)daemon_->ctr(kNs, {"tasks", "rm", "-f", id});
      }
      for (const std::string& id : lines(daemon_->ctr(kNs, {"containers", "ls", "-q"}).output))
        (void)daemon_->ctr(kNs, {"containers", "rm", id});
      daemon_->stop();
    }
    // runc makes /<namespace> in every cgroup hierarchy and leaves it.
    std::error_code ec;
    for (const auto& h : fs::directory_iterator("/sys/fs/cgroup", ec)) fs::remove(h.path() / kNs, ec);
    fs::remove(fs::path("/sys/fs/cgroup") / kNs, ec);
    delete daemon_;
    delete dir_;
    daemon_ = nullptr;
    dir_ = nullptr;
  }

  void SetUp() override {
    if (!setup_error_.empty()) {
      if (setup_error_ == "containers need root") GTEST_SKIP() << setup_error_;
      FAIL() << setup_error_;
    }
    fifos_before_ = fifo_dirs();
  }

  // Nothing a test made may outlive it: containers, tasks, the snapshots
  // they had (active ones: the images' are committed), FIFOs and mounts.
  void TearDown() override {
    if (!setup_error_.empty()) return;
    EXPECT_EQ(ctr_ok({"tasks", "ls", "-q"}), "");
    EXPECT_EQ(ctr_ok({"containers", "ls", "-q"}), "");
    const std::string snapshots = ctr_ok({"snapshots", "ls"});
    EXPECT_EQ(snapshots.find("Active"), std::string::npos) << snapshots;
    EXPECT_EQ(fifo_dirs(), fifos_before_);
    const std::string mounts = mountinfo();
    EXPECT_EQ(mounts.find(dir_->path().string() + "/root/io.containerd.runtime"), std::string::npos)
        << mounts;
  }

  static std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) out.push_back(line);
    return out;
  }

  static std::vector<std::string> berth_argv(const std::vector<std::string>& args) {
    std::vector<std::string> argv{BERTH_CLI_PATH, "--address", daemon_->address(), "--namespace", kNs};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  static CommandResult berth(const std::vector<std::string>& args, const std::string& input = "") {
    return run_with_input(berth_argv(args), input);
  }
  std::string berth_ok(const std::vector<std::string>& args, const std::string& input = "") {
    auto r = berth(args, input);
    EXPECT_EQ(r.exit_code, 0) << "berth " << args[0] << " failed:\n"
                              << r.output << "\nlog:\n"
                              << daemon_->log();
    return r.output;
  }
  std::string ctr_ok(const std::vector<std::string>& args) {
    auto r = daemon_->ctr(kNs, args);
    EXPECT_EQ(r.exit_code, 0) << "ctr " << args[0] << " failed:\n" << r.output;
    return r.output;
  }
  // The task's line in `tasks ls`, or "".
  std::string task_line(const std::string& id) {
    for (const std::string& line : lines(berth_ok({"tasks", "ls"})))
      if (line.starts_with(id + " ")) return line;
    return "";
  }
  // A failed command must leave no container and no snapshot of that id.
  void expect_nothing_named(const std::string& id) {
    EXPECT_EQ(ctr_ok({"containers", "ls", "-q"}).find(id), std::string::npos);
    EXPECT_EQ(daemon_->ctr(kNs, {"snapshots", "info", id}).exit_code, 1) << "snapshot " << id << " left";
  }

  static TempDir* dir_;
  static TaskDaemon* daemon_;
  static std::string setup_error_;
  std::set<std::string> fifos_before_;
};

TempDir* BerthRunTest::dir_ = nullptr;
TaskDaemon* BerthRunTest::daemon_ = nullptr;
std::string BerthRunTest::setup_error_;

TEST_F(BerthRunTest, RunRmPrintsAndPassesTheExitCode) {
  auto r = berth({"run", "--rm", kImage, "hi", "/bin/echo", "hi"});
  EXPECT_EQ(r.exit_code, 0) << r.output << daemon_->log();
  EXPECT_EQ(r.output, "hi\n");
  // Options end at ID: -c belongs to the container's sh.
  r = berth({"run", "--rm", kImage, "code", "sh", "-c", "echo out; echo err >&2; exit 7"});
  EXPECT_EQ(r.exit_code, 7) << r.output;
  EXPECT_NE(r.output.find("out\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("err\n"), std::string::npos) << r.output;
}

TEST_F(BerthRunTest, StdinReachesTheContainer) {
  auto r = berth({"run", "--rm", kImage, "stdin", "sh", "-c", "while read l; do echo got:$l; done; echo eof"},
                 "one\ntwo\n");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "got:one\ngot:two\neof\n");
}

TEST_F(BerthRunTest, RunWithoutRmKeepsTheContainerNotTheTask) {
  EXPECT_EQ(berth_ok({"run", kImage, "keep", "true"}), "");
  EXPECT_EQ(ctr_ok({"containers", "ls", "-q"}), "keep\n");
  EXPECT_EQ(ctr_ok({"tasks", "ls", "-q"}), "");
  // And it starts again through tasks start, in the foreground.
  auto r = berth({"tasks", "start", "keep"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  berth_ok({"containers", "rm", "keep"});
}

TEST_F(BerthRunTest, SignalsAreForwardedToTheTask) {
  ChildProcess child(BERTH_CLI_PATH,
                     {"--address", daemon_->address(), "--namespace", kNs, "run", "--rm", kImage, "sig", "sh",
                      "-c", "trap 'echo got-term; exit 5' TERM; echo ready; while true; do sleep 0.1; done"});
  ASSERT_TRUE(child.started());
  ASSERT_TRUE(child.wait_for_line("ready"));
  ASSERT_EQ(::kill(child.pid(), SIGTERM), 0);
  ASSERT_TRUE(child.wait_for_line("got-term"));
  EXPECT_EQ(decode(child.wait()), 5);
}

TEST_F(BerthRunTest, TerminalUnderAPty) {
  int master = -1;
  winsize size{};
  size.ws_row = 33;
  size.ws_col = 101;
  const auto argv = berth_argv({"run", "--rm", "-t", kImage, "tty", "sh", "-c",
                                "[ -t 0 ] && echo is-a-tty; stty size; read l; exit $l"});
  pid_t pid = ::forkpty(&master, nullptr, nullptr, &size);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    _exit(127);
  }
  std::string seen;
  char buf[1024];
  bool answered = false;
  for (;;) {
    ssize_t n = ::read(master, buf, sizeof(buf));
    if (n <= 0) break;  // EIO once berth and its terminal are gone
    seen.append(buf, static_cast<size_t>(n));
    if (!answered && seen.find("33 101") != std::string::npos) {
      // Typed on our terminal, through berth's raw terminal into the pty.
      ASSERT_EQ(::write(master, "9\r", 2), 2);
      answered = true;
    }
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_EQ(decode(status), 9) << seen;
  EXPECT_NE(seen.find("is-a-tty"), std::string::npos) << seen;
  EXPECT_TRUE(answered) << "no window size 33 101 in:\n" << seen;
}

TEST_F(BerthRunTest, DetachedTaskLifecycle) {
  EXPECT_EQ(berth_ok({"run", "-d", kImage, "d1", "sleep", "1000"}), "");
  EXPECT_TRUE(std::regex_search(task_line("d1"), std::regex("^d1 +[0-9]+ +RUNNING$"))) << task_line("d1");
  const auto listed = nlohmann::json::parse(berth_ok({"--format", "json", "tasks", "ls"}));
  ASSERT_EQ(listed.size(), 1u);
  const auto pid = listed[0]["pid"].get<uint32_t>();
  EXPECT_GT(pid, 0u);
  EXPECT_TRUE(
      std::regex_search(berth_ok({"tasks", "ps", "d1"}), std::regex("\n" + std::to_string(pid) + " ")));

  berth_ok({"tasks", "pause", "d1"});
  EXPECT_TRUE(task_line("d1").ends_with("PAUSED")) << task_line("d1");
  berth_ok({"tasks", "resume", "d1"});
  EXPECT_TRUE(task_line("d1").ends_with("RUNNING")) << task_line("d1");

  auto exec = berth({"tasks", "exec", "--exec-id", "e1", "d1", "sh", "-c", "echo in-exec; exit 4"});
  EXPECT_EQ(exec.exit_code, 4) << exec.output;
  EXPECT_EQ(exec.output, "in-exec\n");
  auto exec_in = berth({"tasks", "exec", "--exec-id", "e2", "d1", "cat"}, "to-exec\n");
  EXPECT_EQ(exec_in.exit_code, 0) << exec_in.output;
  EXPECT_EQ(exec_in.output, "to-exec\n");

  const std::string metrics = berth_ok({"tasks", "metrics", "d1"});
  EXPECT_TRUE(std::regex_search(metrics, std::regex("\npids\\.current +1\n"))) << metrics;
  const auto metrics_json = nlohmann::json::parse(berth_ok({"--format", "json", "tasks", "metrics", "d1"}));
  EXPECT_EQ(metrics_json["id"], "d1");
  EXPECT_TRUE(metrics_json["data"].contains("pids")) << metrics_json.dump();

  // A running task is not removed without --force.
  auto refused = berth({"tasks", "rm", "d1"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.output.find("RUNNING"), std::string::npos) << refused.output;
  berth_ok({"tasks", "kill", "-s", "SIGKILL", "d1"});
  for (int i = 0; i < 100 && !task_line("d1").ends_with("STOPPED"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(task_line("d1").ends_with("STOPPED")) << task_line("d1");
  berth_ok({"tasks", "rm", "d1"});
  berth_ok({"containers", "rm", "d1"});
}

TEST_F(BerthRunTest, StopEscalatesToSigkill) {
  // sh as pid 1 with no TERM trap ignores SIGTERM: stop has to kill it.
  berth_ok({"run", "-d", kImage, "stubborn", "sh", "-c", "while true; do sleep 0.1; done"});
  const auto stopped = nlohmann::json::parse(
      berth_ok({"--format", "json", "tasks", "stop", "--timeout", "500ms", "stubborn"}));
  EXPECT_EQ(stopped["exit_status"], 137);
  // One that heeds SIGTERM exits with its own status.
  berth_ok({"run", "-d", kImage, "polite", "sh", "-c", "trap 'exit 3' TERM; while true; do sleep 0.1; done"});
  const auto polite = nlohmann::json::parse(berth_ok({"--format", "json", "tasks", "stop", "polite"}));
  EXPECT_EQ(polite["exit_status"], 3);
  berth_ok({"tasks", "rm", "stubborn", "polite"});
  berth_ok({"containers", "rm", "stubborn", "polite"});
}

TEST_F(BerthRunTest, AttachReopensTheFifos) {
  berth_ok({"run", "-d", kImage, "att", "sh", "-c", "read l; echo got:$l; exit 6"});
  auto attached = berth({"tasks", "attach", "att"}, "line\n");
  EXPECT_EQ(attached.exit_code, 6) << attached.output;
  EXPECT_EQ(attached.output, "got:line\n");
  berth_ok({"tasks", "rm", "att"});
  berth_ok({"containers", "rm", "att"});
}

TEST_F(BerthRunTest, EnvCwdAndUsers) {
  EXPECT_EQ(berth_ok({"run", "--rm", "--env", "A=1", "-e", "B=two", "--cwd", "/home/app", kUsersImage, "env",
                      "sh", "-c", "echo $A $B; pwd"}),
            "1 two\n/home/app\n");
  const std::string ids = "echo $(id -u) $(id -g) $(id -G)";
  // By name: the primary group and the groups that list the user.
  EXPECT_EQ(berth_ok({"run", "--rm", "--user", "app", kUsersImage, "u1", "sh", "-c", ids}),
            "1000 1000 1000 29 44\n");
  // By number: the primary group from /etc/passwd.
  EXPECT_EQ(berth_ok({"run", "--rm", "--user", "1000", kUsersImage, "u2", "sh", "-c", ids}),
            "1000 1000 1000 29 44\n");
  // A group by name, and a number that is also a group's name: a number.
  EXPECT_EQ(berth_ok({"run", "--rm", "--user", "app:video", kUsersImage, "u3", "sh", "-c", "id -g"}), "44\n");
  EXPECT_EQ(berth_ok({"run", "--rm", "--user", "1000:50", kUsersImage, "u4", "sh", "-c", "id -g"}), "50\n");
  // A uid the image does not list: gid 0.
  EXPECT_EQ(berth_ok({"run", "--rm", "--user", "4321", kUsersImage, "u5", "sh", "-c", "id -u; id -g"}),
            "4321\n0\n");
}

TEST_F(BerthRunTest, ReadOnlyRootAndMounts) {
  auto r = berth({"run", "--rm", "--read-only", kImage, "ro", "sh", "-c", "touch /x"});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Read-only file system"), std::string::npos) << r.output;

  TempDir host;
  std::ofstream(host.path() / "f") << "from-host\n";
  EXPECT_EQ(berth_ok({"run", "--rm", "--mount",
                      "type=bind,src=" + host.path().string() + ",dst=/mnt,options=rbind:ro", kImage, "mnt",
                      "sh", "-c", "cat /mnt/f; touch /mnt/g 2>/dev/null || echo refused"}),
            "from-host\nrefused\n");
  EXPECT_FALSE(fs::exists(host.path() / "g"));
}

TEST_F(BerthRunTest, ContainersCreateRecordsTheSpecAndRuntime) {
  berth_ok({"containers", "create", "--net-host", "--memory-limit", "67108864", "--cpus", "0.5", "--label",
            "team=infra", "--runc-binary", "/usr/bin/crun", "--user", "app", kUsersImage, "spec", "sh", "-c",
            "exit 0"});
  const auto info = nlohmann::json::parse(berth_ok({"containers", "info", "spec"}));
  EXPECT_EQ(info["runtime"]["name"], "io.containerd.runc.v2");
  EXPECT_EQ(info["runtime"]["options"]["type_url"], "containerd.runc.v1.Options");
  EXPECT_EQ(info["runtime"]["options"]["binary_name"], "/usr/bin/crun");
  EXPECT_EQ(info["labels"]["team"], "infra");
  EXPECT_EQ(info["snapshot_key"], "spec");
  const auto& spec = info["spec"];
  EXPECT_EQ(spec["process"]["args"], (nlohmann::json{"sh", "-c", "exit 0"}));
  EXPECT_EQ(spec["process"]["user"]["uid"], 1000);
  EXPECT_EQ(spec["process"]["user"]["additionalGids"], (nlohmann::json{1000, 29, 44}));
  EXPECT_EQ(spec["linux"]["resources"]["memory"]["limit"], 67108864);
  EXPECT_EQ(spec["linux"]["resources"]["cpu"]["quota"], 50000);
  for (const auto& ns : spec["linux"]["namespaces"]) EXPECT_NE(ns["type"], "network");
  // ctr reads what berth wrote (it shows runtime options undecoded).
  const std::string ctr_info = ctr_ok({"containers", "info", "spec"});
  EXPECT_NE(ctr_info.find("\"type_url\": \"containerd.runc.v1.Options\""), std::string::npos) << ctr_info;
  EXPECT_NE(ctr_info.find("\"uid\": 1000"), std::string::npos) << ctr_info;
  berth_ok({"containers", "rm", "spec"});
}

TEST_F(BerthRunTest, CrunAsTheRuntimeBinary) {
  auto r =
      berth({"run", "--rm", "--runc-binary", "/usr/bin/crun", kImage, "crun", "sh", "-c", "echo by-crun"});
  if (r.exit_code != 0 && r.output.find("cgroup") != std::string::npos)
    GTEST_SKIP() << "crun refuses this host's cgroups:\n" << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "by-crun\n");
}

TEST_F(BerthRunTest, BadInputIsRefusedAndLeavesNothing) {
  // Not in the namespace: pulled, which fails (containerd has no pull
  // service; berthd finds nothing listening on the loopback port).
  auto r = berth({"run", "--rm", "127.0.0.1:9/berth/nowhere:1", "missing", "true"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("image 127.0.0.1:9/berth/nowhere:1: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("pulling it failed"), std::string::npos) << r.output;
  expect_nothing_named("missing");

  r = berth({"run", "--rm", "--user", "ghost", kUsersImage, "ghost", "true"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("user \"ghost\" not found"), std::string::npos) << r.output;
  expect_nothing_named("ghost");

  r = berth({"run", "--rm", kGhostImage, "ghost-image", "true"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("user \"ghost\" not found"), std::string::npos) << r.output;
  expect_nothing_named("ghost-image");

  r = berth({"run", "--rm", "--user", "2147483648", kImage, "big", "true"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("2147483648 is above 2147483647"), std::string::npos) << r.output;
  expect_nothing_named("big");

  r = berth({"run", "--rm", "--user", "1:2147483648", kImage, "biggid", "true"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  expect_nothing_named("biggid");

  // An existing id: refused, and the container that has it is untouched.
  berth_ok({"containers", "create", kImage, "taken", "true"});
  r = berth({"run", "--rm", kImage, "taken", "true"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("AlreadyExists"), std::string::npos) << r.output;
  EXPECT_EQ(ctr_ok({"containers", "ls", "-q"}), "taken\n");
  EXPECT_EQ(daemon_->ctr(kNs, {"snapshots", "info", "taken"}).exit_code, 0);
  berth_ok({"containers", "rm", "taken"});

  // A command the runtime cannot start: the task fails at create or start,
  // and run takes back the container and snapshot it made.
  r = berth({"run", "--rm", kImage, "noexec", "/no/such/binary"});
  EXPECT_NE(r.exit_code, 0) << r.output;
  expect_nothing_named("noexec");

  // Usage errors exit 2 before any call.
  EXPECT_EQ(berth({"run", "--rm", "-d", kImage, "x", "true"}).exit_code, 2);
  EXPECT_EQ(berth({"run", "--mount", "type=bind,dst=relative", kImage, "x", "true"}).exit_code, 2);
  EXPECT_EQ(berth({"run", "--memory-limit", "lots", kImage, "x", "true"}).exit_code, 2);
  EXPECT_EQ(berth({"tasks", "kill", "-s", "SIGNOPE", "x"}).exit_code, 2);
  EXPECT_EQ(berth({"tasks", "exec", "x", "true"}).exit_code, 2);
  // Tasks of containers that do not exist.
  EXPECT_EQ(berth({"tasks", "start", "nope"}).exit_code, 1);
  EXPECT_EQ(berth({"tasks", "kill", "nope"}).exit_code, 1);
}

}  // namespace
}  // namespace berth::test

// TaskManager (plugins/runtime-runc) driving real shims and runc: the task
// lifecycle, a restart of the manager with tasks running, a shim that dies,
// and requests that fail without leaving anything behind.
#include "task_manager.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "files/fd_io.hpp"
#include "process/run.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"
#include "ttrpc/server.hpp"

namespace berth::runtime_runc {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr char kDebianShim[] = "/usr/bin/containerd-shim-runc-v2";
constexpr char kRuntime[] = "io.containerd.runcdebian.v2";
constexpr char kNs[] = "berth-task-manager-test";

// Records what the manager publishes.
class RecordingPublisher : public EventPublisher {
 public:
  Status publish(std::string_view ns, std::string_view topic, EventPayload event) override {
    std::lock_guard lock(mu_);
    seen_.push_back({0, std::string(ns), std::string(topic), std::move(event)});
    return {};
  }
  std::vector<Envelope> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  std::mutex mu_;
  std::vector<Envelope> seen_;
};

bool mounted(const fs::path& path) {
  auto mounts = files::read_file("/proc/self/mountinfo");
  return mounts.ok() && mounts->find(" " + path.string() + " ") != std::string::npos;
}

// Processes whose command line names `-id <id>`: shims started for it.
std::vector<pid_t> shims_for(const std::string& id) {
  std::vector<pid_t> out;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto cmdline = files::read_file(entry.path() / "cmdline");
    if (!cmdline.ok()) continue;
    std::string args = *cmdline;
    std::replace(args.begin(), args.end(), '\0', ' ');
    if (args.find("containerd-shim") != std::string::npos &&
        args.find(" -id " + id + " ") != std::string::npos)
      out.push_back(std::stoi(name));
  }
  return out;
}

class TaskManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (runc)";
    if (!fs::exists(kDebianShim)) GTEST_SKIP() << "needs Debian's containerd (containerd-shim-runc-v2)";
    fs::create_directories(rootfs_ / "bin");
    fs::copy_file("/bin/busybox", rootfs_ / "bin/busybox");
    auto spec = process::run({.argv = {"runc", "spec", "--bundle", dir_.path().string()}});
    ASSERT_TRUE(spec.ok() && spec->exit_code == 0);
    auto text = files::read_file(dir_ / "config.json");
    ASSERT_TRUE(text.ok());
    spec_ = nlohmann::json::parse(*text);
    spec_["process"]["terminal"] = false;
    spec_["root"]["path"] = "rootfs";
    // Where shims forward their events: without a listener Debian's shim
    // retries each event for seconds before it exits.
    events_server_.handle("containerd.services.events.ttrpc.v1.Events", "Forward",
                          [](const ttrpc::Call&) -> Result<std::string> { return std::string(); });
    ASSERT_OK(events_server_.listen((dir_ / "d.sock.ttrpc").string()));
    open_manager();
  }

  void TearDown() override {
    if (manager_) (void)manager_->close();
    manager_.reset();
    events_server_.shutdown();
    // Whatever a failed test left running.
    for (const auto& id : ids_) {
      for (pid_t pid : shims_for(id)) ::kill(pid, SIGKILL);
      (void)process::run(
          {.argv = {"runc", "--root", (state_ / ".runc" / kNs).string(), "delete", "--force", id}});
      if (mounted(state_ / kNs / id / "rootfs"))
        ::umount2((state_ / kNs / id / "rootfs").c_str(), MNT_DETACH);
    }
  }

  void open_manager() {
    ManagerOptions options;
    options.state = state_;
    options.root = dir_ / "root";
    options.config.runtimes[kRuntime] = {kDebianShim, {}};
    options.daemon = {(dir_ / "d.sock").string(), (dir_ / "d.sock.ttrpc").string(), "/bin/false"};
    options.events = events_;
    auto manager = TaskManager::open(options);
    ASSERT_TRUE(manager.ok()) << manager.status().message();
    manager_ = *manager;
  }

  void restart_manager() {
    ASSERT_OK(test::status_of(manager_->close()));
    manager_.reset();
    open_manager();
  }

  // Debian's shim wants stdout and stderr both or neither: `out` takes both.
  TaskCreate request(const std::string& id, const std::vector<std::string>& args,
                     const std::string& out = "") {
    ids_.push_back(id);
    auto spec = spec_;
    spec["process"]["args"] = args;
    TaskCreate r;
    r.ns = kNs;
    r.id = id;
    r.runtime = kRuntime;
    r.spec = spec.dump();
    r.rootfs = {{"bind", rootfs_.string(), "", {"rbind"}}};
    r.io.stdout_path = out;
    r.io.stderr_path = out;
    return r;
  }

  // A FIFO the test reads what a task prints from.
  std::pair<std::string, UniqueFd> output_fifo(const std::string& name) {
    const fs::path path = dir_ / name;
    EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0);
    return {path.string(), UniqueFd(::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC))};
  }
  static std::string read_some(const UniqueFd& fd) {
    char buf[4096];
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    return n > 0 ? std::string(buf, n) : "";
  }

  test::TempDir dir_;
  fs::path rootfs_ = dir_ / "image-rootfs";
  fs::path state_ = dir_ / "state";
  nlohmann::json spec_;
  std::shared_ptr<RecordingPublisher> events_ = std::make_shared<RecordingPublisher>();
  std::shared_ptr<TaskManager> manager_;
  ttrpc::Server events_server_;
  std::vector<std::string> ids_;
};

TEST_F(TaskManagerTest, RunsATaskToItsExitAndCleansUp) {
  auto [out_path, out] = output_fifo("out");
  auto created =
      manager_->create(request("lifecycle", {"/bin/busybox", "sh", "-c", "echo hi; exit 3"}, out_path));
  ASSERT_TRUE(created.ok()) << created.status().message();
  EXPECT_GT(created->pid, 0u);
  EXPECT_TRUE(mounted(state_ / kNs / "lifecycle" / "rootfs"));
  auto state = manager_->state(kNs, "lifecycle", "");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->status, TaskStatus::kCreated);

  ASSERT_OK(test::status_of(manager_->start(kNs, "lifecycle", "")));
  auto exit = manager_->wait(kNs, "lifecycle", "", {});
  ASSERT_TRUE(exit.ok()) << exit.status().message();
  EXPECT_EQ(exit->exit_status, 3u);
  EXPECT_GT(exit->exited_at, 0);
  EXPECT_EQ(read_some(out), "hi\n");

  state = manager_->state(kNs, "lifecycle", "");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->status, TaskStatus::kStopped);
  EXPECT_EQ(state->exit_status, 3u);

  auto removed = manager_->remove(kNs, "lifecycle");
  ASSERT_TRUE(removed.ok()) << removed.status().message();
  EXPECT_EQ(removed->exit_status, 3u);
  EXPECT_FALSE(fs::exists(state_ / kNs / "lifecycle"));
  EXPECT_FALSE(fs::exists(dir_ / "root" / kNs / "lifecycle"));
  // The shim exits once it has answered Shutdown.
  for (int i = 0; i < 250 && !shims_for("lifecycle").empty(); ++i) std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(shims_for("lifecycle").empty());
  EXPECT_EQ(manager_->state(kNs, "lifecycle", "").status().code(), Code::kNotFound);

  // What the bundle held goes off Delete's path, under hidden names, and
  // is gone once the manager has closed.
  manager_.reset();
  for (const fs::path& dir : {state_ / kNs, dir_ / "root" / kNs}) {
    for (const auto& entry : fs::directory_iterator(dir))
      ADD_FAILURE() << entry.path() << " is left after the manager closed";
  }
}

TEST_F(TaskManagerTest, RefusesARunningTasksDeleteAndASecondCreate) {
  ASSERT_OK(test::status_of(manager_->create(request("busy", {"/bin/busybox", "sleep", "1000"}))));
  ASSERT_OK(test::status_of(manager_->start(kNs, "busy", "")));
  EXPECT_EQ(manager_->create(request("busy", {"/bin/busybox", "true"})).status().code(),
            Code::kAlreadyExists);
  EXPECT_FALSE(manager_->remove(kNs, "busy").ok());
  ASSERT_OK(test::status_of(manager_->kill(kNs, "busy", "", SIGKILL, false)));
  auto exit = manager_->wait(kNs, "busy", "", {});
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->exit_status, 128u + SIGKILL);
  EXPECT_OK(test::status_of(manager_->remove(kNs, "busy")));
}

TEST_F(TaskManagerTest, WaitGivesUpWhenCancelled) {
  ASSERT_OK(test::status_of(manager_->create(request("patient", {"/bin/busybox", "sleep", "1000"}))));
  ASSERT_OK(test::status_of(manager_->start(kNs, "patient", "")));
  int asked = 0;
  auto exit = manager_->wait(kNs, "patient", "", [&]() -> Status {
    return ++asked < 3 ? Status() : cancelled("the client went away");
  });
  EXPECT_EQ(exit.status().code(), Code::kCancelled);
  ASSERT_OK(test::status_of(manager_->kill(kNs, "patient", "", SIGKILL, false)));
  EXPECT_OK(test::status_of(manager_->wait(kNs, "patient", "", {})));
  EXPECT_OK(test::status_of(manager_->remove(kNs, "patient")));
}

TEST_F(TaskManagerTest, TasksSurviveARestartAndExitsWhileAwayAreReported) {
  ASSERT_OK(test::status_of(manager_->create(request("stays", {"/bin/busybox", "sleep", "1000"}))));
  ASSERT_OK(test::status_of(manager_->start(kNs, "stays", "")));
  auto dies = manager_->create(request("dies-away", {"/bin/busybox", "sleep", "1000"}));
  ASSERT_OK(test::status_of(dies));
  ASSERT_OK(test::status_of(manager_->start(kNs, "dies-away", "")));

  ASSERT_OK(test::status_of(manager_->close()));
  manager_.reset();
  // While no manager runs: one container ends, and a deleted task's hidden
  // bundle and work directory are left as a crash leaves them.
  ASSERT_EQ(::kill(static_cast<pid_t>(dies->pid), SIGKILL), 0);
  const fs::path hidden_bundle = state_ / kNs / ".gone.deleting-1";
  const fs::path hidden_work = dir_ / "root" / kNs / ".gone.deleting-2";
  for (const fs::path& dir : {hidden_bundle, hidden_work}) {
    fs::create_directories(dir / "rootfs");
    std::ofstream(dir / "config.json") << "{}";
  }
  open_manager();
  EXPECT_FALSE(fs::exists(hidden_bundle));
  EXPECT_FALSE(fs::exists(hidden_work));

  auto listed = manager_->list(kNs);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  auto stays = manager_->state(kNs, "stays", "");
  ASSERT_TRUE(stays.ok());
  EXPECT_EQ(stays->status, TaskStatus::kRunning);
  auto exit = manager_->wait(kNs, "dies-away", "", {});
  ASSERT_TRUE(exit.ok()) << exit.status().message();
  EXPECT_EQ(exit->exit_status, 128u + SIGKILL);

  // (SIGKILL: the container's pid 1 ignores what it has no handler for.)
  ASSERT_OK(test::status_of(manager_->kill(kNs, "stays", "", SIGKILL, false)));
  exit = manager_->wait(kNs, "stays", "", {});
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->exit_status, 128u + SIGKILL);
  EXPECT_OK(test::status_of(manager_->remove(kNs, "stays")));
  EXPECT_OK(test::status_of(manager_->remove(kNs, "dies-away")));
}

TEST_F(TaskManagerTest, AShimKilledIsBuriedAndItsTaskShowsExited) {
  ASSERT_OK(test::status_of(manager_->create(request("orphan", {"/bin/busybox", "sleep", "1000"}))));
  ASSERT_OK(test::status_of(manager_->start(kNs, "orphan", "")));
  auto shims = shims_for("orphan");
  ASSERT_EQ(shims.size(), 1u);
  ASSERT_EQ(::kill(shims[0], SIGKILL), 0);

  auto exit = manager_->wait(kNs, "orphan", "", {});
  ASSERT_TRUE(exit.ok()) << exit.status().message();
  EXPECT_NE(exit->exit_status, 0u);
  auto state = manager_->state(kNs, "orphan", "");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->status, TaskStatus::kStopped);
  EXPECT_EQ(manager_->kill(kNs, "orphan", "", SIGKILL, false).code(), Code::kNotFound);
  // Buried: no container, no mount, no bundle; the task stays until deleted.
  EXPECT_FALSE(mounted(state_ / kNs / "orphan" / "rootfs"));
  EXPECT_FALSE(fs::exists(state_ / kNs / "orphan"));
  auto removed = manager_->remove(kNs, "orphan");
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(manager_->state(kNs, "orphan", "").status().code(), Code::kNotFound);

  std::vector<std::string> topics;
  for (const auto& e : events_->seen()) topics.push_back(e.topic);
  EXPECT_EQ(topics, (std::vector<std::string>{"/tasks/exit", "/tasks/delete"}));
}

TEST_F(TaskManagerTest, ExecRunsBesideTheInitProcess) {
  ASSERT_OK(test::status_of(manager_->create(request("host", {"/bin/busybox", "sleep", "1000"}))));
  ASSERT_OK(test::status_of(manager_->start(kNs, "host", "")));
  auto [out_path, out] = output_fifo("exec-out");
  nlohmann::json process = spec_["process"];
  process["args"] = {"/bin/busybox", "sh", "-c", "echo from exec; exit 7"};
  const AnyValue any{"types.containerd.io/opencontainers/runtime-spec/1/Process", process.dump()};
  ASSERT_OK(test::status_of(manager_->exec(kNs, "host", "e1", {"", out_path, out_path, false}, any)));
  EXPECT_FALSE(manager_->exec(kNs, "host", "e1", {}, any).ok());
  ASSERT_OK(test::status_of(manager_->start(kNs, "host", "e1")));
  auto exit = manager_->wait(kNs, "host", "e1", {});
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->exit_status, 7u);
  EXPECT_EQ(read_some(out), "from exec\n");
  EXPECT_OK(test::status_of(manager_->remove_process(kNs, "host", "e1")));
  auto pids = manager_->pids(kNs, "host");
  ASSERT_TRUE(pids.ok());
  EXPECT_EQ(pids->size(), 1u);
  ASSERT_OK(test::status_of(manager_->kill(kNs, "host", "", SIGKILL, true)));
  ASSERT_OK(test::status_of(manager_->wait(kNs, "host", "", {})));
  EXPECT_OK(test::status_of(manager_->remove(kNs, "host")));
}

TEST_F(TaskManagerTest, FailedCreatesLeaveNothingBehind) {
  auto no_runtime = request("nobody", {"/bin/busybox", "true"});
  no_runtime.runtime = "io.containerd.nosuchruntime.v1";
  auto st = manager_->create(no_runtime).status();
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_NE(st.message().find("containerd-shim-nosuchruntime-v1"), std::string::npos) << st.message();

  auto no_rootfs = request("no-rootfs", {"/bin/busybox", "true"});
  no_rootfs.rootfs = {{"bind", (dir_ / "missing").string(), "", {"rbind"}}};
  EXPECT_FALSE(manager_->create(no_rootfs).ok());

  auto bad_program = request("bad-program", {"/no/such/program"});
  EXPECT_FALSE(manager_->create(bad_program).ok());

  for (const char* id : {"nobody", "no-rootfs", "bad-program"}) {
    EXPECT_FALSE(fs::exists(state_ / kNs / id)) << id;
    EXPECT_FALSE(fs::exists(dir_ / "root" / kNs / id)) << id;
    EXPECT_TRUE(shims_for(id).empty()) << id;
    EXPECT_EQ(manager_->state(kNs, id, "").status().code(), Code::kNotFound);
  }
  EXPECT_EQ(manager_->create(request("../escape", {"/bin/busybox", "true"})).status().code(),
            Code::kInvalidArgument);
}

}  // namespace
}  // namespace berth::runtime_runc

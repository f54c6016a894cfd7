// Debian's ctr (and, where ctr cannot say it, the generated Tasks stubs)
// driving berthd's Tasks API over the runc task runtime: the lifecycle of
// `ctr run` and `ctr tasks`, a terminal, stdin, exit codes, events, tasks
// outliving berthd (SIGTERM and kill -9) and their shims dying, Debian's
// containerd-shim-runc-v2 as a configured runtime, and bad requests refused
// with containerd's codes and nothing left behind.
#include <dirent.h>
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ctr_fixture.hpp"
#include "github.com/containerd/containerd/api/services/containers/v1/containers.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/tasks/v1/tasks.grpc.pb.h"

namespace berth::test {
namespace {

namespace tasks_v1 = containerd::services::tasks::v1;
namespace containers_v1 = containerd::services::containers::v1;

constexpr const char* kImage = "docker.io/library/berth-test:1.0";
constexpr const char* kSpecType = "types.containerd.io/opencontainers/runtime-spec/1/Spec";
// Where the runtime plugin (io.containerd.runtime.v2.task) keeps its bundles.
constexpr const char* kRuntimeDir = "io.containerd.runtime.v2.task";

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The NUL-separated command line of `pid`, "" if it is gone.
std::string cmdline(pid_t pid) { return read_text("/proc/" + std::to_string(pid) + "/cmdline"); }

bool alive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  // A zombie is dead for our purposes: its parent has yet to reap it.
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  const auto close_paren = stat.rfind(')');
  return close_paren == std::string::npos || stat.compare(close_paren + 2, 1, "Z") != 0;
}

// Every process whose command line holds `needle` (NULs between arguments).
std::vector<pid_t> processes_with(const std::string& needle) {
  std::vector<pid_t> out;
  std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), ::closedir);
  while (dirent* e = ::readdir(proc.get())) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    if (cmdline(static_cast<pid_t>(pid)).find(needle) != std::string::npos)
      out.push_back(static_cast<pid_t>(pid));
  }
  return out;
}

// Mount points at or under `dir`.
std::vector<std::string> mounts_under(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  std::istringstream in(read_text("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    fields >> id >> parent >> dev >> root >> point;
    if (point.rfind(dir.string(), 0) == 0) out.push_back(point);
  }
  return out;
}

// Polls `done` (a hang guard, not a timing assertion): true once it holds,
// false after about 20 s.
template <class Pred>
bool eventually(Pred done) {
  for (int i = 0; i < 400; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

struct TaskRow {
  pid_t pid = 0;
  std::string status;
};

class CtrTasksTest : public CtrFixture {
 protected:
  void SetUp() override {
    CtrFixture::SetUp();
    if (HasFatalFailure()) return;
    // With /bin/echo, /bin/sleep, ... (links to busybox).
    const auto archive = dir_.path() / "image.tar";
    ASSERT_FALSE(make_test_image(archive, kImage, {"APPLETS=1"}).empty());
    ok({"images", "import", archive.string()});
    connect();
  }

  // A safety net, so one failed test leaves nothing for the next: what the
  // test did not clean up is killed, deleted and unmounted here.
  void TearDown() override {
    if (daemon_.running()) {
      for (const auto& ns : {"default", "other"}) {
        auto listed = daemon_.ctr({"-n", ns, "tasks", "ls", "-q"});
        std::istringstream ids(listed.output);
        for (std::string id; std::getline(ids, id);) {
          if (id.empty() || id.find(' ') != std::string::npos) continue;
          (void)daemon_.ctr({"-n", ns, "tasks", "kill", "-a", "-s", "SIGKILL", id});
          (void)daemon_.ctr({"-n", ns, "tasks", "rm", "-f", id});
        }
      }
    }
    for (pid_t shim : shims()) ::kill(shim, SIGKILL);
    for (const auto& m : mounts_under(dir_.path())) ::umount2(m.c_str(), MNT_DETACH);
  }

  void connect() {
    auto channel = grpc::CreateChannel("unix:" + daemon_.address(), grpc::InsecureChannelCredentials());
    tasks_ = tasks_v1::Tasks::NewStub(channel);
    containers_ = containers_v1::Containers::NewStub(channel);
  }
  static std::unique_ptr<grpc::ClientContext> ctx(const std::string& ns = "default") {
    auto c = std::make_unique<grpc::ClientContext>();
    c->AddMetadata("containerd-namespace", ns);
    return c;
  }
  void restart_daemon(int sig, const std::vector<std::string>& args = {}) {
    daemon_.stop(sig);
    std::string why;
    ASSERT_TRUE(daemon_.start(args, why)) << why;
    connect();
  }

  // The shims this daemon started: they are given its address (berthd's
  // own is --address, so the NUL before the flag tells them apart).
  [[nodiscard]] std::vector<pid_t> shims() const {
    return processes_with(std::string(1, '\0') + "-address" + '\0' + daemon_.address() + '\0');
  }
  [[nodiscard]] std::vector<pid_t> shims_of(const std::string& id) const {
    std::vector<pid_t> out;
    for (pid_t p : shims()) {
      if (cmdline(p).find(std::string("-id") + '\0' + id + '\0') != std::string::npos) out.push_back(p);
    }
    return out;
  }

  // `ctr tasks ls`'s row for `id`, if it has one.
  std::optional<TaskRow> task_row(const std::string& id, const std::string& ns = "default") {
    const std::string listed = ok({"-n", ns, "tasks", "ls"});
    std::smatch m;
    if (!std::regex_search(listed, m, std::regex("(^|\n)" + id + " +([0-9]+) +([A-Z]+)")))
      return std::nullopt;
    return TaskRow{static_cast<pid_t>(std::stoi(m[2])), m[3]};
  }
  std::string status_of(const std::string& id) {
    auto row = task_row(id);
    return row ? row->status : "(no task)";
  }
  // Polls until `id` shows `status`; the last status seen.
  std::string await_status(const std::string& id, const std::string& status) {
    std::string seen;
    eventually([&] { return (seen = status_of(id)) == status; });
    return seen;
  }

  // The runtime left nothing of task `id` behind: no shim, no bundle, no
  // mount under the daemon's directories, no cgroup.
  void expect_nothing_left(const std::string& id, const std::string& ns = "default") {
    EXPECT_TRUE(eventually([&] { return shims_of(id).empty(); }))
        << "a shim of " << id << " is still running";
    EXPECT_FALSE(std::filesystem::exists(daemon_.state() / kRuntimeDir / ns / id))
        << "bundle of " << id << " left behind";
    EXPECT_FALSE(std::filesystem::exists(daemon_.root() / kRuntimeDir / ns / id))
        << "root directory of " << id << " left behind";
    const std::string bundle = std::string(kRuntimeDir) + "/" + ns + "/" + id;
    for (const auto& m : mounts_under(dir_.path())) {
      EXPECT_EQ(m.find(bundle), std::string::npos) << "mount left behind: " << m;
    }
    // ctr's specs put a task in the cgroup /<namespace>/<id>.
    for (const char* controller : {"pids", "memory", "cpu", "freezer", "unified"}) {
      const auto cg = std::filesystem::path("/sys/fs/cgroup") / controller / ns / id;
      EXPECT_FALSE(std::filesystem::exists(cg)) << "cgroup left behind: " << cg;
    }
  }

  // `ctr tasks rm` of a stopped task: ctr 1.6 warns of a non-zero exit
  // status (which Delete answered) and succeeds.
  void expect_deleted_with_status(const std::string& id, int status) {
    const std::string out = ok({"tasks", "rm", id});
    EXPECT_NE(out.find("task " + id + " exit with non-zero exit code " + std::to_string(status)),
              std::string::npos)
        << out;
  }

  // Tasks/Wait through the stubs (ctr has no command that only waits).
  grpc::Status wait(const std::string& id, tasks_v1::WaitResponse& out, const std::string& exec_id = "") {
    tasks_v1::WaitRequest req;
    req.set_container_id(id);
    req.set_exec_id(exec_id);
    return tasks_->Wait(ctx().get(), req, &out);
  }

  std::unique_ptr<tasks_v1::Tasks::Stub> tasks_;
  std::unique_ptr<containers_v1::Containers::Stub> containers_;
};

TEST_F(CtrTasksTest, RunRmPrintsWhatTheContainerPrinted) {
  auto r = daemon_.ctr({"run", "--rm", kImage, "echo1", "/bin/echo", "hi"});
  EXPECT_EQ(r.exit_code, 0) << r.output << daemon_.log();
  EXPECT_EQ(r.output, "hi\n");
  EXPECT_EQ(ok({"tasks", "ls", "-q"}), "");
  EXPECT_EQ(ok({"containers", "ls", "-q"}), "");
  expect_nothing_left("echo1");
}

TEST_F(CtrTasksTest, ExitCodeReachesTheClient) {
  auto r = daemon_.ctr({"run", "--rm", kImage, "exit7", "/bin/sh", "-c", "echo out; echo err >&2; exit 7"});
  EXPECT_EQ(r.exit_code, 7) << r.output << daemon_.log();
  EXPECT_NE(r.output.find("out\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("err\n"), std::string::npos) << r.output;
  expect_nothing_left("exit7");
}

TEST_F(CtrTasksTest, StdinReachesTheContainer) {
  auto r = run({"/bin/sh", "-c",
                "printf 'hello\\nworld\\n' | ctr -a '" + daemon_.address() + "' run --rm " + kImage +
                    " stdin1 /bin/sh -c 'read a; read b; echo got:$a:$b'"});
  // (Not to its end: ctr closes the task's stdin (CloseIO) only if its
  // input ends after Create answered, a race of ctr's own.)
  EXPECT_EQ(r.exit_code, 0) << r.output << daemon_.log();
  EXPECT_EQ(r.output, "got:hello:world\n");
  expect_nothing_left("stdin1");
}

// `ctr run -t` on a pty the test holds: the container's shell gets a
// terminal of the size ctr asked for (ResizePty), reads what is typed and
// its exit code comes back.
TEST_F(CtrTasksTest, RunWithTerminal) {
  // Everything the child needs is made before the fork: the test process
  // has threads (gRPC's), so the child only calls exec.
  const std::string address = daemon_.address();
  int master = -1;
  struct winsize size {};
  size.ws_row = 45;
  size.ws_col = 123;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, &size);
  ASSERT_GE(pid, 0) << std::strerror(errno);
  if (pid == 0) {
    ::execlp("ctr", "ctr", "-a", address.c_str(), "run", "-t", "--rm", kImage, "tty1", "/bin/sh", nullptr);
    _exit(127);
  }
  std::string seen;
  // Reads what the terminal shows until `want` is in `seen` (true) or ctr
  // ends or a hang guard passes (false).
  auto read_until = [&](const std::string& want, std::chrono::seconds guard) {
    const auto until = std::chrono::steady_clock::now() + guard;
    char buf[4096];
    while (want.empty() || seen.find(want) == std::string::npos) {
      if (std::chrono::steady_clock::now() > until) return false;
      pollfd p{master, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const ssize_t n = ::read(master, buf, sizeof(buf));
      if (n <= 0) return false;  // EIO: ctr has ended
      seen.append(buf, static_cast<size_t>(n));
    }
    return true;
  };
  auto type = [&](const std::string& line) {
    EXPECT_EQ(::write(master, line.data(), line.size()), static_cast<ssize_t>(line.size()));
  };
  EXPECT_TRUE(read_until("# ", std::chrono::seconds(30))) << "no prompt:\n" << seen << daemon_.log();
  // ctr resizes the container's terminal once the task has started, while
  // the shell starts: ask until the size shows.
  bool sized = false;
  for (int i = 0; i < 50 && !sized; ++i) {
    type("stty size\r");
    sized = read_until("45 123", std::chrono::seconds(1));
  }
  EXPECT_TRUE(sized) << "the terminal has the client's size:\n" << seen;
  type("busybox tty; echo sum=$((6*7)); exit 3\r");
  read_until("", std::chrono::seconds(30));  // to the end
  int status = 0;
  if (!eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; })) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    ADD_FAILURE() << "ctr run -t did not end:\n" << seen;
  }
  ::close(master);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3) << status << "\n" << seen << daemon_.log();
  EXPECT_TRUE(std::regex_search(seen, std::regex(R"(/dev/pts/[0-9]+)"))) << seen;
  EXPECT_NE(seen.find("sum=42"), std::string::npos) << seen;
  expect_nothing_left("tty1");
}

TEST_F(CtrTasksTest, DetachedTaskLifecycle) {
  ok({"run", "-d", kImage, "d1", "/bin/sleep", "1000"});
  auto row = task_row("d1");
  ASSERT_TRUE(row.has_value()) << ok({"tasks", "ls"});
  EXPECT_EQ(row->status, "RUNNING");
  EXPECT_TRUE(alive(row->pid));
  // (runc's init becomes sleep just after Start answers.)
  EXPECT_TRUE(eventually([&] {
    return cmdline(row->pid).find(std::string("sleep") + '\0' + "1000") != std::string::npos;
  })) << cmdline(row->pid);
  EXPECT_EQ(shims_of("d1").size(), 1U) << "one shim per container";

  const std::string ps = ok({"tasks", "ps", "d1"});
  EXPECT_TRUE(std::regex_search(ps, std::regex("(^|\n)" + std::to_string(row->pid) + "\\s"))) << ps;

  ok({"tasks", "pause", "d1"});
  EXPECT_EQ(status_of("d1"), "PAUSED");
  ok({"tasks", "resume", "d1"});
  EXPECT_EQ(status_of("d1"), "RUNNING");

  EXPECT_EQ(ok({"tasks", "exec", "--exec-id", "e1", "d1", "/bin/echo", "in exec"}), "in exec\n");
  auto failed = daemon_.ctr({"tasks", "exec", "--exec-id", "e2", "d1", "/bin/sh", "-c", "exit 5"});
  EXPECT_EQ(failed.exit_code, 5) << failed.output;
  // ctr deleted both processes after they ended: the ids are free again.
  EXPECT_EQ(ok({"tasks", "exec", "--exec-id", "e1", "d1", "/bin/echo", "again"}), "again\n");

  const std::string metrics = ok({"tasks", "metrics", "d1"});
  EXPECT_TRUE(std::regex_search(metrics, std::regex(R"((^|\n)d1\s+\S)"))) << metrics;
  EXPECT_NE(metrics.find("pids.current"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("memory.usage_in_bytes"), std::string::npos) << metrics;

  // sleep is the container's pid 1: SIGTERM has no handler there, so it
  // takes SIGKILL.
  ok({"tasks", "kill", "-s", "SIGKILL", "d1"});
  EXPECT_EQ(await_status("d1", "STOPPED"), "STOPPED");
  expect_deleted_with_status("d1", 137);
  EXPECT_FALSE(task_row("d1").has_value());
  ok({"containers", "rm", "d1"});
  EXPECT_FALSE(alive(row->pid));
  expect_nothing_left("d1");
}

TEST_F(CtrTasksTest, GetAnswersProcessStateAsContainerd) {
  ok({"run", "-d", kImage, "g1", "/bin/sleep", "1000"});
  tasks_v1::GetRequest get;
  get.set_container_id("g1");
  tasks_v1::GetResponse got;
  ASSERT_TRUE(tasks_->Get(ctx().get(), get, &got).ok());
  EXPECT_EQ(got.process().id(), "g1");
  EXPECT_EQ(got.process().status(), containerd::v1::types::RUNNING);
  EXPECT_GT(got.process().pid(), 1U);
  EXPECT_EQ(got.process().exited_at().seconds(), -62135596800) << "not exited: Go's zero time";
  EXPECT_FALSE(got.process().terminal());

  // List's filter, and the namespace: another namespace sees nothing.
  tasks_v1::ListTasksRequest list;
  tasks_v1::ListTasksResponse listed;
  list.set_filter("status==RUNNING");
  ASSERT_TRUE(tasks_->List(ctx().get(), list, &listed).ok());
  ASSERT_EQ(listed.tasks_size(), 1);
  EXPECT_EQ(listed.tasks(0).id(), "g1");
  list.set_filter("status==STOPPED");
  listed.Clear();
  ASSERT_TRUE(tasks_->List(ctx().get(), list, &listed).ok());
  EXPECT_EQ(listed.tasks_size(), 0);
  list.set_filter("id~=[");
  EXPECT_EQ(tasks_->List(ctx().get(), list, &listed).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  list.clear_filter();
  listed.Clear();
  ASSERT_TRUE(tasks_->List(ctx("other").get(), list, &listed).ok());
  EXPECT_EQ(listed.tasks_size(), 0);

  // Metrics' filters: by id.
  tasks_v1::MetricsRequest mreq;
  tasks_v1::MetricsResponse metrics;
  mreq.add_filters("id==nosuch");
  ASSERT_TRUE(tasks_->Metrics(ctx().get(), mreq, &metrics).ok());
  EXPECT_EQ(metrics.metrics_size(), 0);
  mreq.set_filters(0, "id==g1");
  ASSERT_TRUE(tasks_->Metrics(ctx().get(), mreq, &metrics).ok());
  ASSERT_EQ(metrics.metrics_size(), 1);
  EXPECT_EQ(metrics.metrics(0).id(), "g1");
  EXPECT_GT(metrics.metrics(0).timestamp().seconds(), 0);
  EXPECT_EQ(metrics.metrics(0).data().type_url(), "io.containerd.cgroups.v1.Metrics");

  // A missing process of an existing task: NotFound.
  get.set_exec_id("nosuch");
  EXPECT_EQ(tasks_->Get(ctx().get(), get, &got).error_code(), grpc::StatusCode::NOT_FOUND);

  ok({"tasks", "kill", "-s", "SIGKILL", "g1"});
  tasks_v1::WaitResponse waited;
  ASSERT_TRUE(wait("g1", waited).ok());
  EXPECT_EQ(waited.exit_status(), 137U);
  EXPECT_GT(waited.exited_at().seconds(), 0);
  get.clear_exec_id();
  ASSERT_TRUE(tasks_->Get(ctx().get(), get, &got).ok());
  EXPECT_EQ(got.process().status(), containerd::v1::types::STOPPED);
  EXPECT_EQ(got.process().exit_status(), 137U);
  EXPECT_EQ(got.process().exited_at().seconds(), waited.exited_at().seconds());

  tasks_v1::DeleteTaskRequest del;
  del.set_container_id("g1");
  tasks_v1::DeleteResponse deleted;
  ASSERT_TRUE(tasks_->Delete(ctx().get(), del, &deleted).ok());
  EXPECT_EQ(deleted.exit_status(), 137U);
  EXPECT_EQ(deleted.exited_at().seconds(), waited.exited_at().seconds());
  // Gone: the task is NotFound, the container still there.
  EXPECT_EQ(tasks_->Get(ctx().get(), get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(tasks_->Delete(ctx().get(), del, &deleted).error_code(), grpc::StatusCode::NOT_FOUND);
  ok({"containers", "rm", "g1"});
  expect_nothing_left("g1");
}

// What ctr relies on: a missing container is NotFound in containerd's words,
// and so is a container without a task.
TEST_F(CtrTasksTest, MissingContainerOrTaskIsNotFound) {
  tasks_v1::GetRequest get;
  get.set_container_id("nosuch");
  tasks_v1::GetResponse got;
  auto s = tasks_->Get(ctx().get(), get, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), R"(container "nosuch" in namespace "default": not found)");
  auto r = daemon_.ctr({"tasks", "kill", "nosuch"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("not found"), std::string::npos) << r.output;

  ok({"containers", "create", kImage, "idle"});
  get.set_container_id("idle");
  EXPECT_EQ(tasks_->Get(ctx().get(), get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
  r = daemon_.ctr({"tasks", "rm", "idle"});
  EXPECT_NE(r.exit_code, 0);
  // Without a namespace: containerd's FAILED_PRECONDITION.
  grpc::ClientContext bare;
  EXPECT_EQ(tasks_->Get(&bare, get, &got).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ok({"containers", "rm", "idle"});
}

TEST_F(CtrTasksTest, EventsShowTheLifecycle) {
  CtrEvents events(daemon_, dir_.path() / "events.txt");
  ASSERT_TRUE(events.subscribe(
      [&](int i) {
        ok({"images", "label", kImage, "probe=" + std::to_string(i)});
      },
      "/images/update"))
      << events.output();
  ok({"run", "--rm", kImage, "ev1", "/bin/true"});
  ok({"run", "-d", kImage, "ev2", "/bin/sleep", "1000"});
  ok({"tasks", "exec", "--exec-id", "x1", "ev2", "/bin/true"});
  ok({"tasks", "pause", "ev2"});
  ok({"tasks", "resume", "ev2"});
  ok({"tasks", "kill", "-s", "SIGKILL", "ev2"});
  EXPECT_EQ(await_status("ev2", "STOPPED"), "STOPPED");
  (void)daemon_.ctr({"tasks", "rm", "ev2"});
  ok({"containers", "rm", "ev2"});

  const std::string seen = events.wait_for("\"ev2\"}");  // ContainerDelete of ev2 is the last
  // In order, for the task of `run --rm`.
  std::size_t at = 0;
  for (const char* topic : {"/containers/create", "/tasks/create", "/tasks/start", "/tasks/exit",
                            "/tasks/delete", "/containers/delete"}) {
    const std::regex line(std::string(" default ") + topic + R"( \{[^\n]*"ev1")");
    std::smatch m;
    const std::string rest = seen.substr(at);
    ASSERT_TRUE(std::regex_search(rest, m, line)) << topic << " for ev1 missing or out of order in:\n"
                                                  << seen;
    at += static_cast<std::size_t>(m.position(0) + m.length(0));
  }
  for (const char* topic : {"/tasks/exec-added", "/tasks/exec-started", "/tasks/paused", "/tasks/resumed"}) {
    EXPECT_TRUE(std::regex_search(seen, std::regex(std::string(" default ") + topic + R"( \{[^\n]*"ev2")")))
        << topic << " for ev2 missing in:\n"
        << seen;
  }
  // TaskExit names the exit status ctr prints as is.
  EXPECT_TRUE(std::regex_search(seen, std::regex(R"( /tasks/exit \{[^\n]*"ev2"[^\n]*"exit_status":137)")))
      << seen;
}

// berthd stops (SIGTERM) or dies (kill -9) while tasks run: they go on, and
// the restarted daemon finds them, reports the exits that happened while it
// was away, and Wait and Kill work on them.
class CtrTasksRestartTest : public CtrTasksTest {
 protected:
  void outlive(int sig) {
    // Ids of their own: ctr's specs put a task in the cgroup /<namespace>/<id>,
    // and the SIGTERM and kill -9 cases run at once under ctest -j.
    const std::string one = "outlive-" + std::to_string(sig) + "-1";
    const std::string two = "outlive-" + std::to_string(sig) + "-2";
    ok({"run", "-d", kImage, one, "/bin/sleep", "1000"});
    ok({"run", "-d", kImage, two, "/bin/sleep", "1000"});
    auto r1 = task_row(one);
    auto r2 = task_row(two);
    ASSERT_TRUE(r1 && r2) << ok({"tasks", "ls"});
    const auto shims_before = shims();

    // Wait in flight when the daemon stops ends (UNAVAILABLE on SIGTERM);
    // the task does not.
    tasks_v1::WaitResponse waited;
    grpc::Status pending;
    std::thread waiter([&] { pending = wait(one, waited); });
    // The Wait must be in the daemon before it stops: Get goes after it
    // on the same channel, and the Wait blocks (it never answers first).
    tasks_v1::GetRequest get;
    get.set_container_id(one);
    tasks_v1::GetResponse got;
    ASSERT_TRUE(tasks_->Get(ctx().get(), get, &got).ok());

    daemon_.stop(sig);
    waiter.join();
    EXPECT_FALSE(pending.ok());
    if (sig == SIGTERM) {
      EXPECT_EQ(pending.error_code(), grpc::StatusCode::UNAVAILABLE) << pending.error_message();
    }
    // While berthd is away: the tasks and their shims go on, and r2 exits.
    EXPECT_TRUE(alive(r1->pid));
    EXPECT_EQ(shims(), shims_before);
    ASSERT_EQ(::kill(r2->pid, SIGKILL), 0);
    EXPECT_TRUE(eventually([&] { return !alive(r2->pid); }));

    std::string why;
    ASSERT_TRUE(daemon_.start({}, why)) << why;
    connect();
    auto r1_after = task_row(one);
    ASSERT_TRUE(r1_after.has_value());
    EXPECT_EQ(r1_after->status, "RUNNING");
    EXPECT_EQ(r1_after->pid, r1->pid);
    EXPECT_EQ(status_of(two), "STOPPED") << "the exit while berthd was away is known";

    // Wait on r2 answers at once with the exit that happened meanwhile.
    ASSERT_TRUE(wait(two, waited).ok());
    EXPECT_EQ(waited.exit_status(), 137U);
    EXPECT_GT(waited.exited_at().seconds(), 0);

    // Wait and Kill on r1 work.
    std::thread waiter2([&] { pending = wait(one, waited); });
    ASSERT_TRUE(tasks_->Get(ctx().get(), get, &got).ok());
    ok({"tasks", "kill", "-s", "SIGKILL", one});
    waiter2.join();
    ASSERT_TRUE(pending.ok()) << pending.error_message();
    EXPECT_EQ(waited.exit_status(), 137U);

    for (const std::string& id : {one, two}) {
      expect_deleted_with_status(id, 137);
      ok({"containers", "rm", id});
      expect_nothing_left(id);
    }
    EXPECT_TRUE(shims().empty());
  }
};

TEST_F(CtrTasksRestartTest, TasksOutliveSigterm) { outlive(SIGTERM); }
TEST_F(CtrTasksRestartTest, TasksOutliveKill9) { outlive(SIGKILL); }

// A shim killed with -9: its task shows as exited, and nothing hangs.
TEST_F(CtrTasksTest, ShimKilledTaskShowsExited) {
  ok({"run", "-d", kImage, "s1", "/bin/sleep", "1000"});
  auto row = task_row("s1");
  ASSERT_TRUE(row.has_value());
  auto shim = shims_of("s1");
  ASSERT_EQ(shim.size(), 1U);
  ASSERT_EQ(::kill(shim[0], SIGKILL), 0);

  EXPECT_EQ(await_status("s1", "STOPPED"), "STOPPED");
  tasks_v1::WaitResponse waited;
  ASSERT_TRUE(wait("s1", waited).ok());
  EXPECT_NE(waited.exit_status(), 0U);
  (void)daemon_.ctr({"tasks", "rm", "s1"});
  EXPECT_FALSE(task_row("s1").has_value());
  ok({"containers", "rm", "s1"});
  EXPECT_TRUE(eventually([&] { return !alive(row->pid); })) << "the container went with its shim";
  expect_nothing_left("s1");
}

// Debian's containerd-shim-runc-v2 as a runtime of berthd's config.
TEST_F(CtrTasksTest, DebianShimAsAConfiguredRuntime) {
  const auto config = dir_.path() / "config.toml";
  std::ofstream(config)
      << "version = 2\n"
         "[plugins.\"io.containerd.runtime.v2.task\".runtimes.\"io.containerd.runcdebian.v2\"]\n"
         "  shim = \"/usr/bin/containerd-shim-runc-v2\"\n";
  restart_daemon(SIGTERM, {"--config", config.string()});
  auto r = daemon_.ctr({"run", "--rm", "--runtime", "io.containerd.runcdebian.v2", kImage, "deb1", "/bin/sh",
                        "-c", "echo hi; exit 4"});
  EXPECT_EQ(r.exit_code, 4) << r.output << daemon_.log();
  EXPECT_EQ(r.output, "hi\n");

  ok({"run", "-d", "--runtime", "io.containerd.runcdebian.v2", kImage, "deb2", "/bin/sleep", "1000"});
  auto shim = shims_of("deb2");
  ASSERT_EQ(shim.size(), 1U);
  EXPECT_EQ(std::filesystem::read_symlink("/proc/" + std::to_string(shim[0]) + "/exe"),
            "/usr/bin/containerd-shim-runc-v2");
  EXPECT_EQ(status_of("deb2"), "RUNNING");
  EXPECT_EQ(ok({"tasks", "exec", "--exec-id", "e1", "deb2", "/bin/echo", "from exec"}), "from exec\n");
  ok({"tasks", "pause", "deb2"});
  EXPECT_EQ(status_of("deb2"), "PAUSED");
  ok({"tasks", "resume", "deb2"});
  // Restarted, berthd finds Debian's shim too.
  restart_daemon(SIGKILL, {"--config", config.string()});
  EXPECT_EQ(status_of("deb2"), "RUNNING");
  ok({"tasks", "kill", "-s", "SIGKILL", "deb2"});
  EXPECT_EQ(await_status("deb2", "STOPPED"), "STOPPED");
  expect_deleted_with_status("deb2", 137);
  ok({"containers", "rm", "deb2"});
  expect_nothing_left("deb1");
  expect_nothing_left("deb2");
}

// The Tasks service is offered only over a task runtime.
TEST_F(CtrTasksTest, TasksServiceNeedsARuntime) {
  const std::string plugins = ok({"plugins", "ls"});
  EXPECT_TRUE(std::regex_search(plugins, std::regex("io.containerd.grpc.v1 +tasks +- +ok"))) << plugins;
  EXPECT_TRUE(std::regex_search(plugins, std::regex("io.containerd.runtime.v2 +task +\\S+ +ok"))) << plugins;

  const auto config = dir_.path() / "no-runtime.toml";
  std::ofstream(config) << "version = 2\ndisabled_plugins = [\"io.containerd.runtime.v2.task\"]\n";
  restart_daemon(SIGTERM, {"--config", config.string()});
  const std::string without = ok({"plugins", "ls"});
  EXPECT_TRUE(std::regex_search(without, std::regex("io.containerd.grpc.v1 +tasks +- +skip"))) << without;
  auto r = daemon_.ctr({"tasks", "ls"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("code = Unimplemented"), std::string::npos) << r.output;
}

// Bad requests: clear errors with containerd's codes, nothing left behind.
TEST_F(CtrTasksTest, SpecThatIsNotJsonIsInvalidArgument) {
  containers_v1::CreateContainerRequest create;
  auto* c = create.mutable_container();
  c->set_id("badspec");
  c->mutable_runtime()->set_name("io.containerd.runc.v2");
  c->mutable_spec()->set_type_url(kSpecType);
  c->mutable_spec()->set_value("{\"ociVersion\": ");
  containers_v1::CreateContainerResponse created;
  ASSERT_TRUE(containers_->Create(ctx().get(), create, &created).ok());

  tasks_v1::CreateTaskRequest req;
  req.set_container_id("badspec");
  tasks_v1::CreateTaskResponse out;
  auto s = tasks_->Create(ctx().get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("OCI spec"), std::string::npos) << s.error_message();
  EXPECT_NE(s.error_message().find("not valid JSON"), std::string::npos) << s.error_message();
  expect_nothing_left("badspec");
  ok({"containers", "rm", "badspec"});
}

TEST_F(CtrTasksTest, MissingRootfsFailsCleanly) {
  const auto missing = dir_.path() / "no-such-rootfs";
  auto r = daemon_.ctr({"run", "--rm", "--rootfs", missing.string(), "norootfs", "/bin/true"});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_FALSE(r.output.empty());
  EXPECT_FALSE(task_row("norootfs").has_value());
  expect_nothing_left("norootfs");
  // As with containerd, ctr leaves the container record: it goes cleanly.
  (void)daemon_.ctr({"containers", "rm", "norootfs"});
}

TEST_F(CtrTasksTest, ExecIdInUseIsAlreadyExists) {
  ok({"run", "-d", kImage, "x1", "/bin/sleep", "1000"});
  ok({"tasks", "exec", "-d", "--exec-id", "busy", "x1", "/bin/sleep", "1000"});
  auto r = daemon_.ctr({"tasks", "exec", "--exec-id", "busy", "x1", "/bin/true"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("already exists"), std::string::npos) << r.output;
  // Through the stubs, the code itself; an empty exec id is InvalidArgument.
  tasks_v1::ExecProcessRequest exec;
  exec.set_container_id("x1");
  exec.set_exec_id("busy");
  exec.mutable_spec()->set_type_url("types.containerd.io/opencontainers/runtime-spec/1/Process");
  exec.mutable_spec()->set_value(R"({"args":["/bin/true"],"cwd":"/"})");
  google::protobuf::Empty empty;
  EXPECT_EQ(tasks_->Exec(ctx().get(), exec, &empty).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  exec.set_exec_id("");
  EXPECT_EQ(tasks_->Exec(ctx().get(), exec, &empty).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  exec.set_exec_id("badjson");
  exec.mutable_spec()->set_value("[");
  EXPECT_EQ(tasks_->Exec(ctx().get(), exec, &empty).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // A task that exists: AlreadyExists.
  tasks_v1::CreateTaskRequest create;
  create.set_container_id("x1");
  tasks_v1::CreateTaskResponse created;
  EXPECT_EQ(tasks_->Create(ctx().get(), create, &created).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  // A running task is not deleted.
  tasks_v1::DeleteTaskRequest del;
  del.set_container_id("x1");
  tasks_v1::DeleteResponse deleted;
  // FailedPrecondition by berth/tasks.hpp; containerd's own shim says
  // Unknown, and the runtime passes on what the shim says.
  const auto refused = tasks_->Delete(ctx().get(), del, &deleted);
  EXPECT_TRUE(refused.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
              refused.error_code() == grpc::StatusCode::UNKNOWN)
      << refused.error_code();
  EXPECT_NE(refused.error_message().find("running"), std::string::npos) << refused.error_message();

  ok({"tasks", "kill", "-a", "-s", "SIGKILL", "x1"});
  EXPECT_EQ(await_status("x1", "STOPPED"), "STOPPED");
  (void)daemon_.ctr({"tasks", "rm", "x1"});
  ok({"containers", "rm", "x1"});
  expect_nothing_left("x1");
}

TEST_F(CtrTasksTest, KillOfAStoppedTaskIsRefused) {
  ok({"run", "-d", kImage, "k1", "/bin/true"});
  EXPECT_EQ(await_status("k1", "STOPPED"), "STOPPED");
  auto r = daemon_.ctr({"tasks", "kill", "-s", "SIGKILL", "k1"});
  EXPECT_NE(r.exit_code, 0) << r.output;
  tasks_v1::KillRequest kill;
  kill.set_container_id("k1");
  kill.set_signal(SIGKILL);
  google::protobuf::Empty empty;
  const auto s = tasks_->Kill(ctx().get(), kill, &empty);
  EXPECT_TRUE(s.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
              s.error_code() == grpc::StatusCode::NOT_FOUND)
      << s.error_code() << " " << s.error_message();
  EXPECT_FALSE(s.error_message().empty());
  EXPECT_EQ(daemon_.ctr({"tasks", "rm", "k1"}).exit_code, 0);
  ok({"containers", "rm", "k1"});
  expect_nothing_left("k1");
}

TEST_F(CtrTasksTest, RuntimeNobodyProvidesFailsCleanly) {
  auto r =
      daemon_.ctr({"run", "--rm", "--runtime", "io.containerd.nobody.v1", kImage, "nobody", "/bin/true"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("io.containerd.nobody.v1"), std::string::npos) << r.output;
  EXPECT_FALSE(task_row("nobody").has_value());
  expect_nothing_left("nobody");
  (void)daemon_.ctr({"containers", "rm", "nobody"});
}

TEST_F(CtrTasksTest, CheckpointIsUnimplemented) {
  ok({"run", "-d", kImage, "cp1", "/bin/sleep", "1000"});
  auto r = daemon_.ctr({"tasks", "checkpoint", "cp1"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("not implemented"), std::string::npos) << r.output;
  EXPECT_EQ(status_of("cp1"), "RUNNING") << "ctr paused the task to checkpoint it, and resumed it";

  tasks_v1::CheckpointTaskRequest cp;
  cp.set_container_id("cp1");
  tasks_v1::CheckpointTaskResponse cpd;
  auto s = tasks_->Checkpoint(ctx().get(), cp, &cpd);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_NE(s.error_message().find("checkpoint"), std::string::npos);

  ok({"containers", "create", kImage, "cp2"});
  tasks_v1::CreateTaskRequest create;
  create.set_container_id("cp2");
  create.mutable_checkpoint()->set_media_type(
      "application/vnd.containerd.container.criu.checkpoint.criu.tar");
  create.mutable_checkpoint()->set_digest("sha256:" + std::string(64, 'a'));
  tasks_v1::CreateTaskResponse created;
  s = tasks_->Create(ctx().get(), create, &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_NE(s.error_message().find("checkpoint"), std::string::npos);
  expect_nothing_left("cp2");
  ok({"containers", "rm", "cp2"});

  ok({"tasks", "kill", "-s", "SIGKILL", "cp1"});
  EXPECT_EQ(await_status("cp1", "STOPPED"), "STOPPED");
  (void)daemon_.ctr({"tasks", "rm", "cp1"});
  ok({"containers", "rm", "cp1"});
  expect_nothing_left("cp1");
}

// Update (resources) and CloseIO through the stubs: ctr's run never sends them.
TEST_F(CtrTasksTest, UpdateAndCloseIO) {
  ok({"run", "-d", kImage, "u1", "/bin/sleep", "1000"});
  tasks_v1::UpdateTaskRequest update;
  update.set_container_id("u1");
  update.mutable_resources()->set_type_url(
      "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources");
  update.mutable_resources()->set_value(R"({"pids":{"limit":77}})");
  google::protobuf::Empty empty;
  auto s = tasks_->Update(ctx().get(), update, &empty);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const std::string limit = read_text("/sys/fs/cgroup/pids/default/u1/pids.max");
  EXPECT_EQ(limit, "77\n");
  update.clear_resources();
  EXPECT_EQ(tasks_->Update(ctx().get(), update, &empty).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  tasks_v1::CloseIORequest close;
  close.set_container_id("u1");
  close.set_stdin(true);
  s = tasks_->CloseIO(ctx().get(), close, &empty);
  EXPECT_TRUE(s.ok()) << s.error_message();

  ok({"tasks", "kill", "-s", "SIGKILL", "u1"});
  EXPECT_EQ(await_status("u1", "STOPPED"), "STOPPED");
  (void)daemon_.ctr({"tasks", "rm", "u1"});
  ok({"containers", "rm", "u1"});
  expect_nothing_left("u1");
}

}  // namespace
}  // namespace berth::test

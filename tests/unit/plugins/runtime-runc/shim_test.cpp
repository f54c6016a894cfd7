// containerd-shim-berth-v2 driven as containerd drives a shim: `start` in the
// bundle with TTRPC_ADDRESS set, the task API over ttrpc, task events
// forwarded to our own Events server, `delete` after the shim is gone.
// Tests that describe containerd's behaviour run against Debian's
// containerd-shim-runc-v2 too (the same expectations for both).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "files/fd_io.hpp"
#include "github.com/containerd/cgroups/stats/v1/metrics.pb.h"
#include "github.com/containerd/containerd/api/events/task.pb.h"
#include "github.com/containerd/containerd/api/services/ttrpc/events/v1/events.pb.h"
#include "github.com/containerd/containerd/runtime/v2/runc/options/oci.pb.h"
#include "google/protobuf/empty.pb.h"
#include "runc_shim.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"
#include "ttrpc/server.hpp"
#include "ttrpc/typed.hpp"
#include "ttrpc/unix_socket.hpp"

namespace berth {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace task = containerd::task::v2;
namespace events = containerd::services::events::ttrpc::v1;
using Empty = google::protobuf::Empty;
using test::kShimTaskService;

constexpr char kNamespace[] = "berth-shim-test";
constexpr char kBerthShim[] = BERTH_SHIM;

struct Forwarded {
  std::string topic;
  std::string ns;
  std::string type_url;
  std::string value;
};

// Our stand-in for the daemon's ttrpc Events service.
class EventSink {
 public:
  explicit EventSink(const std::string& address) {
    ttrpc::handle<events::ForwardRequest, Empty>(
        server_, "containerd.services.events.ttrpc.v1.Events", "Forward",
        [this](const events::ForwardRequest& req, const ttrpc::Call&) -> Result<Empty> {
          std::lock_guard lock(mu_);
          got_.push_back({req.envelope().topic(), req.envelope().namespace_(),
                          req.envelope().event().type_url(), req.envelope().event().value()});
          cv_.notify_all();
          return Empty();
        });
    status_ = server_.listen(address);
  }
  [[nodiscard]] const Status& status() const { return status_; }

  std::optional<Forwarded> wait_for(const std::string& topic) {
    std::unique_lock lock(mu_);
    std::optional<Forwarded> found;
    cv_.wait_for(lock, 20s, [&] {
      for (const auto& f : got_) {
        if (f.topic == topic) found = f;
      }
      return found.has_value();
    });
    return found;
  }
  std::vector<std::string> topics() {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& f : got_) out.push_back(f.topic);
    return out;
  }

 private:
  ttrpc::Server server_;
  Status status_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Forwarded> got_;
};

// Everything a FIFO carries until its last writer closes it (bounded by
// `limit`, so a broken shim fails the test instead of hanging it).
std::string read_fifo(int fd, std::chrono::milliseconds limit = 20s) {
  std::string out;
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, 100);
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 && (p.revents & POLLHUP) != 0) {
      break;
    }
  }
  return out;
}

class ShimTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "the shim and runc need root";
    ASSERT_TRUE(fs::exists(GetParam())) << GetParam() << " is missing";
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name) {
      if (c == '/') c = '-';
    }
    id_ = "berth-shim-" + std::to_string(::getpid()) + "-" + name;
    shim_.emplace(dir_.path(), kNamespace, id_, GetParam());
    grpc_address_ = (dir_ / "d.sock").string();
    ttrpc_address_ = grpc_address_ + ".ttrpc";
    sink_.emplace(ttrpc_address_);
    ASSERT_OK(sink_->status());
  }

  void TearDown() override {
    if (shim_ && HasFailure()) std::cerr << shim_->logs();
    shim_.reset();
  }

  [[nodiscard]] bool berth() const { return GetParam() == kBerthShim; }

  void start() {
    auto address = shim_->start(grpc_address_, ttrpc_address_);
    ASSERT_OK(test::status_of(address));
    auto client = shim_->connect();
    ASSERT_OK(test::status_of(client));
    client_ = std::move(client).value();
  }

  template <class Resp, class Req>
  Result<Resp> call(const std::string& method, const Req& req) {
    return ttrpc::call<Resp>(*client_, kShimTaskService, method, req, 30s);
  }

  // A FIFO in the test's directory, opened for reading (as containerd's cio
  // does before Create).
  std::string fifo(const std::string& name, UniqueFd* reader) {
    const std::string path = (dir_ / name).string();
    EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0);
    reader->reset(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    return path;
  }

  Result<task::WaitResponse> wait(const std::string& exec_id = "") {
    task::WaitRequest req;
    req.set_id(id_);
    req.set_exec_id(exec_id);
    return call<task::WaitResponse>("Wait", req);
  }

  Status kill(int sig, bool all = false, const std::string& exec_id = "") {
    task::KillRequest req;
    req.set_id(id_);
    req.set_exec_id(exec_id);
    req.set_signal(static_cast<std::uint32_t>(sig));
    req.set_all(all);
    return test::status_of(call<Empty>("Kill", req));
  }

  // Delete then Shutdown: the shim exits and removes its socket.
  void finish() {
    ASSERT_OK(test::status_of(shim_->remove(*client_)));
    ASSERT_OK(shim_->shut_down(*client_));
  }

  test::TempDir dir_;
  std::string id_;
  std::optional<test::RuncShim> shim_;
  std::string grpc_address_;
  std::string ttrpc_address_;
  std::optional<EventSink> sink_;
  std::unique_ptr<ttrpc::Client> client_;
};

TEST_P(ShimTest, RunsToItsExitCodeWithStdoutThroughFifosAndEventsInOrder) {
  ASSERT_OK(shim_->write_busybox_bundle({"/bin/busybox", "sh", "-c", "echo out; echo err >&2; exit 7"}));
  start();
  ASSERT_FALSE(HasFailure());
  UniqueFd out, err;
  task::CreateTaskRequest req;
  req.set_stdout(fifo("stdout", &out));
  req.set_stderr(fifo("stderr", &err));
  auto created = shim_->create(*client_, req);
  ASSERT_OK(test::status_of(created));
  ASSERT_OK(test::status_of(shim_->start_task(*client_)));
  auto waited = wait();
  ASSERT_OK(test::status_of(waited));
  EXPECT_EQ(waited->exit_status(), 7u);
  EXPECT_EQ(read_fifo(out.get()), "out\n");
  EXPECT_EQ(read_fifo(err.get()), "err\n");

  task::StateRequest sreq;
  sreq.set_id(id_);
  auto state = call<task::StateResponse>("State", sreq);
  ASSERT_OK(test::status_of(state));
  EXPECT_EQ(state->status(), containerd::v1::types::STOPPED);
  EXPECT_EQ(state->exit_status(), 7u);
  finish();
  ASSERT_TRUE(sink_->wait_for("/tasks/delete").has_value());
  const std::vector<std::string> want = {"/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"};
  EXPECT_EQ(sink_->topics(), want);
  auto exit = sink_->wait_for("/tasks/exit");
  containerd::events::TaskExit e;
  ASSERT_TRUE(e.ParseFromString(exit->value));
  EXPECT_EQ(exit->type_url, "containerd.events.TaskExit");
  EXPECT_EQ(exit->ns, kNamespace);
  EXPECT_EQ(e.exit_status(), 7u);
  EXPECT_EQ(e.pid(), created->pid());
}

// stdin through its FIFO; CloseIO gives the process end of input.
TEST_P(ShimTest, StdinThroughItsFifoEndsWithCloseIO) {
  ASSERT_OK(shim_->write_busybox_bundle({"/bin/busybox", "cat"}));
  start();
  ASSERT_FALSE(HasFailure());
  UniqueFd out, err, in_reader;
  task::CreateTaskRequest req;
  req.set_stdin(fifo("stdin", &in_reader));
  in_reader.reset();
  // The client's end, as containerd's cio holds it (never blocks on open).
  UniqueFd in(::open((dir_ / "stdin").c_str(), O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(in);
  req.set_stdout(fifo("stdout", &out));
  req.set_stderr(fifo("stderr", &err));
  ASSERT_OK(test::status_of(shim_->create(*client_, req)));
  ASSERT_OK(test::status_of(shim_->start_task(*client_)));
  ASSERT_OK(files::write_all(in.get(), "piped\n", "stdin"));
  in.reset();
  task::CloseIORequest close;
  close.set_id(id_);
  close.set_stdin(true);
  ASSERT_OK(test::status_of(call<Empty>("CloseIO", close)));
  auto waited = wait();
  ASSERT_OK(test::status_of(waited));
  EXPECT_EQ(waited->exit_status(), 0u);
  EXPECT_EQ(read_fifo(out.get()), "piped\n");
  finish();
}

TEST_P(ShimTest, ExecHasItsOwnExitAndErrorCodes) {
  ASSERT_OK(shim_->write_busybox_bundle({"/bin/busybox", "sleep", "60"}));
  start();
  ASSERT_FALSE(HasFailure());
  ASSERT_OK(test::status_of(shim_->create(*client_)));
  ASSERT_OK(test::status_of(shim_->start_task(*client_)));

  UniqueFd out, err;
  task::ExecProcessRequest ex;
  ex.set_id(id_);
  ex.set_exec_id("e1");
  ex.set_stdout(fifo("exec-out", &out));
  ex.set_stderr(fifo("exec-err", &err));  // containerd's shim wants both
  nlohmann::json spec = {{"args", {"/bin/busybox", "sh", "-c", "echo from-exec; exit 5"}},
                         {"cwd", "/"},
                         {"env", {"PATH=/bin"}},
                         {"user", {{"uid", 0}, {"gid", 0}}}};
  ex.mutable_spec()->set_type_url("types.containerd.io/opencontainers/runtime-spec/1/Process");
  ex.mutable_spec()->set_value(spec.dump());
  ASSERT_OK(test::status_of(call<Empty>("Exec", ex)));
  EXPECT_CODE(call<Empty>("Exec", ex), Code::kAlreadyExists);
  task::StartRequest st;
  st.set_id(id_);
  st.set_exec_id("e1");
  auto started = call<task::StartResponse>("Start", st);
  ASSERT_OK(test::status_of(started));
  EXPECT_GT(started->pid(), 0u);
  auto waited = wait("e1");
  ASSERT_OK(test::status_of(waited));
  EXPECT_EQ(waited->exit_status(), 5u);
  EXPECT_EQ(read_fifo(out.get()), "from-exec\n");
  // A finished exec cannot be signalled; an unknown one does not exist.
  EXPECT_CODE(kill(SIGTERM, false, "e1"), Code::kNotFound);
  EXPECT_CODE(wait("nope"), Code::kNotFound);
  task::DeleteRequest del;
  del.set_id(id_);
  del.set_exec_id("e1");
  auto deleted = call<task::DeleteResponse>("Delete", del);
  ASSERT_OK(test::status_of(deleted));
  EXPECT_EQ(deleted->exit_status(), 5u);
  ASSERT_TRUE(sink_->wait_for("/tasks/exec-started").has_value());
  ASSERT_TRUE(sink_->wait_for("/tasks/exec-added").has_value());

  // Kill with all, then the init is stopped: a second kill finds nothing.
  ASSERT_OK(kill(SIGKILL, true));
  auto init = wait();
  ASSERT_OK(test::status_of(init));
  EXPECT_EQ(init->exit_status(), 137u);
  EXPECT_CODE(kill(SIGKILL), Code::kNotFound);
  finish();
}

TEST_P(ShimTest, PauseResumePidsStatsAndCheckpointRefused) {
  ASSERT_OK(shim_->write_busybox_bundle({"/bin/busybox", "sleep", "60"}));
  start();
  ASSERT_FALSE(HasFailure());
  auto created = shim_->create(*client_);
  ASSERT_OK(test::status_of(created));
  ASSERT_OK(test::status_of(shim_->start_task(*client_)));

  task::PauseRequest pause;
  pause.set_id(id_);
  ASSERT_OK(test::status_of(call<Empty>("Pause", pause)));
  task::StateRequest sreq;
  sreq.set_id(id_);
  EXPECT_EQ(call<task::StateResponse>("State", sreq)->status(), containerd::v1::types::PAUSED);
  task::ResumeRequest resume;
  resume.set_id(id_);
  ASSERT_OK(test::status_of(call<Empty>("Resume", resume)));
  EXPECT_EQ(call<task::StateResponse>("State", sreq)->status(), containerd::v1::types::RUNNING);
  ASSERT_TRUE(sink_->wait_for("/tasks/paused").has_value());
  ASSERT_TRUE(sink_->wait_for("/tasks/resumed").has_value());

  task::PidsRequest preq;
  preq.set_id(id_);
  auto pids = call<task::PidsResponse>("Pids", preq);
  ASSERT_OK(test::status_of(pids));
  ASSERT_EQ(pids->processes_size(), 1);
  EXPECT_EQ(pids->processes(0).pid(), created->pid());

  task::StatsRequest stats_req;
  stats_req.set_id(id_);
  auto stats = call<task::StatsResponse>("Stats", stats_req);
  ASSERT_OK(test::status_of(stats));
  if (stats->stats().type_url() == "io.containerd.cgroups.v1.Metrics") {
    io::containerd::cgroups::v1::Metrics m;
    ASSERT_TRUE(m.ParseFromString(stats->stats().value()));
    EXPECT_EQ(m.pids().current(), 1u);
    EXPECT_GT(m.memory().usage().usage(), 0u);
    EXPECT_GT(m.cpu().usage().total(), 0u);
  } else {
    EXPECT_EQ(stats->stats().type_url(), "io.containerd.cgroups.v2.Metrics");
  }

  task::CheckpointTaskRequest cp;
  cp.set_id(id_);
  cp.set_path((dir_ / "cp").string());
  if (berth()) {
    auto refused = call<Empty>("Checkpoint", cp);
    EXPECT_CODE(refused, Code::kUnimplemented);
  }
  ASSERT_OK(kill(SIGKILL));
  ASSERT_OK(test::status_of(wait()));
  finish();
}

TEST_P(ShimTest, TerminalCopiesThePty) {
  ASSERT_OK(shim_->write_busybox_bundle({"/bin/busybox", "sh", "-c", "tty; echo on-pty"},
                                        [](nlohmann::json& spec) { spec["process"]["terminal"] = true; }));
  start();
  ASSERT_FALSE(HasFailure());
  UniqueFd out;
  task::CreateTaskRequest req;
  req.set_terminal(true);
  req.set_stdout(fifo("stdout", &out));
  ASSERT_OK(test::status_of(shim_->create(*client_, req)));
  task::ResizePtyRequest resize;
  resize.set_id(id_);
  resize.set_width(100);
  resize.set_height(40);
  ASSERT_OK(test::status_of(call<Empty>("ResizePty", resize)));
  ASSERT_OK(test::status_of(shim_->start_task(*client_)));
  auto waited = wait();
  ASSERT_OK(test::status_of(waited));
  EXPECT_EQ(waited->exit_status(), 0u);
  const std::string text = read_fifo(out.get(), 5s);
  EXPECT_NE(text.find("/dev/pts/"), std::string::npos) << text;
  EXPECT_NE(text.find("on-pty\r\n"), std::string::npos) << text;
  finish();
}

INSTANTIATE_TEST_SUITE_P(Shims, ShimTest,
                         ::testing::Values(std::string(kBerthShim), std::string(test::kRuncShim)),
                         [](const auto& info) { return info.param == kBerthShim ? "berth" : "runc_v2"; });

// Berth's own: what containerd's shim does differently or not at all.
class BerthShimTest : public ShimTest {};

TEST_P(BerthShimTest, SocketIsAPrivateFileBesideTheBundles) {
  ASSERT_OK(shim_->write_minimal_bundle());
  start();
  ASSERT_FALSE(HasFailure());
  const fs::path sock = shim_->socket();
  EXPECT_EQ(sock.parent_path(), dir_.path() / "s");
  struct stat st {};
  ASSERT_EQ(::stat(sock.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(sock.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto address = files::read_file(shim_->bundle() / "address");
  ASSERT_OK(test::status_of(address));
  EXPECT_EQ(*address, "unix://" + sock.string());
  // Our shim has one thread while idle.
  auto status = files::read_file("/proc/" + std::to_string(shim_->pid()) + "/status");
  ASSERT_OK(test::status_of(status));
  EXPECT_NE(status->find("Threads:\t1\n"), std::string::npos) << *status;
  ASSERT_OK(shim_->shut_down(*client_));
  EXPECT_FALSE(fs::exists(sock));
}

TEST_P(BerthShimTest, MountsRootfsAndDeleteAfterKillNineReportsTheRecordedExit) {
  ASSERT_OK(shim_->write_busybox_bundle({"/bin/busybox", "sh", "-c", "exit 9"}));
  // The rootfs comes as a mount, as a snapshotter gives it.
  const fs::path src = dir_ / "snapshot";
  fs::rename(shim_->bundle() / "rootfs", src);
  fs::create_directory(shim_->bundle() / "rootfs");
  start();
  ASSERT_FALSE(HasFailure());
  task::CreateTaskRequest req;
  auto* m = req.add_rootfs();
  m->set_type("bind");
  m->set_source(src.string());
  m->add_options("rbind");
  m->add_options("rw");
  ASSERT_OK(test::status_of(shim_->create(*client_, req)));
  ASSERT_TRUE(fs::exists(shim_->bundle() / "rootfs/bin/busybox"));
  ASSERT_OK(test::status_of(shim_->start_task(*client_)));
  auto waited = wait();
  ASSERT_OK(test::status_of(waited));
  EXPECT_EQ(waited->exit_status(), 9u);
  ASSERT_TRUE(fs::exists(shim_->bundle() / "exit-status"));

  // The shim dies before Delete: containerd runs `delete`.
  const pid_t pid = shim_->pid();
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_TRUE(test::wait_until([&] { return ::kill(pid, 0) != 0; }, 10s));
  std::string out;
  const int rc =
      test::run_shell("cd '" + shim_->bundle().string() + "' && " + kBerthShim + " -namespace " + kNamespace +
                          " -address '" + grpc_address_ + "' -publish-binary /bin/false -id " + id_ +
                          " -bundle '" + shim_->bundle().string() + "' delete 2>/dev/null",
                      out);
  ASSERT_EQ(rc, 0) << out;
  task::DeleteResponse resp;
  ASSERT_TRUE(resp.ParseFromString(out));
  EXPECT_EQ(resp.exit_status(), 9u);
  EXPECT_GT(resp.pid(), 0u);
  EXPECT_GT(resp.exited_at().seconds(), 0);
  EXPECT_FALSE(fs::exists(shim_->bundle() / "rootfs/bin/busybox")) << "rootfs still mounted";
  EXPECT_FALSE(fs::exists(shim_->socket()));
}

TEST_P(BerthShimTest, ReportsOomWithATinyMemoryLimit) {
  if (!fs::exists("/sys/fs/cgroup/memory/memory.oom_control") && !fs::exists("/sys/fs/cgroup/memory.events"))
    GTEST_SKIP() << "no memory cgroup here";
  ASSERT_OK(shim_->write_busybox_bundle({"/bin/busybox", "tail", "/dev/zero"}, [](nlohmann::json& spec) {
    spec["linux"]["resources"]["memory"]["limit"] = 8 << 20;
    if (fs::exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"))
      spec["linux"]["resources"]["memory"]["swap"] = 8 << 20;
  }));
  start();
  ASSERT_FALSE(HasFailure());
  ASSERT_OK(test::status_of(shim_->create(*client_)));
  ASSERT_OK(test::status_of(shim_->start_task(*client_)));
  auto waited = wait();
  ASSERT_OK(test::status_of(waited));
  EXPECT_EQ(waited->exit_status(), 137u);
  auto oom = sink_->wait_for("/tasks/oom");
  ASSERT_TRUE(oom.has_value());
  containerd::events::TaskOOM e;
  ASSERT_TRUE(e.ParseFromString(oom->value));
  EXPECT_EQ(e.container_id(), id_);
  finish();
}

TEST_P(BerthShimTest, RuntimeOptionsChooseTheBinaryAndBadRequestsGetContainerdsCodes) {
  ASSERT_OK(shim_->write_busybox_bundle({"/bin/busybox", "true"}));
  start();
  ASSERT_FALSE(HasFailure());
  task::StateRequest sreq;
  sreq.set_id(id_);
  EXPECT_CODE(call<task::StateResponse>("State", sreq), Code::kNotFound);
  task::CreateTaskRequest req;
  containerd::runc::v1::Options opts;
  opts.set_binary_name("/no/such/runtime");
  req.mutable_options()->set_type_url("containerd.runc.v1.Options");
  req.mutable_options()->set_value(opts.SerializeAsString());
  auto refused = shim_->create(*client_, req);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("/no/such/runtime"), std::string::npos)
      << refused.status().message();
  EXPECT_CODE(call<task::StateResponse>("State", sreq), Code::kNotFound);
  ASSERT_OK(shim_->shut_down(*client_));
}

// The daemon is away (restarting, say) when the task's events happen: task
// calls go on, and the events reach it, in order, once it is back.
TEST_P(BerthShimTest, EventsWaitForTheDaemonWithoutHoldingUpTaskCalls) {
  ASSERT_OK(shim_->write_busybox_bundle({"/bin/busybox", "sh", "-c", "exit 2"}));
  start();
  ASSERT_FALSE(HasFailure());
  sink_.reset();  // nobody listens on TTRPC_ADDRESS now
  ASSERT_OK(test::status_of(shim_->create(*client_)));
  ASSERT_OK(test::status_of(shim_->start_task(*client_)));
  auto waited = wait();
  ASSERT_OK(test::status_of(waited));
  EXPECT_EQ(waited->exit_status(), 2u);
  sink_.emplace(ttrpc_address_);
  ASSERT_OK(sink_->status());
  ASSERT_TRUE(sink_->wait_for("/tasks/exit").has_value());
  const std::vector<std::string> want = {"/tasks/create", "/tasks/start", "/tasks/exit"};
  EXPECT_EQ(sink_->topics(), want);
  finish();
}

// BinaryName in the task's runc options picks the OCI runtime: crun here.
TEST_P(BerthShimTest, RunsUnderCrunFromTheRuntimeOptions) {
  if (!fs::exists("/usr/bin/crun")) GTEST_SKIP() << "crun is not installed";
  ASSERT_OK(shim_->write_busybox_bundle({"/bin/busybox", "sh", "-c", "echo crun; exit 6"}));
  start();
  ASSERT_FALSE(HasFailure());
  UniqueFd out;
  task::CreateTaskRequest req;
  req.set_stdout(fifo("stdout", &out));
  containerd::runc::v1::Options opts;
  opts.set_binary_name("crun");
  opts.set_root((dir_ / "crun-root").string());
  req.mutable_options()->set_type_url("containerd.runc.v1.Options");
  req.mutable_options()->set_value(opts.SerializeAsString());
  auto created = shim_->create(*client_, req);
  if (!created.ok() && created.status().message().find("cgroup") != std::string::npos) {
    ASSERT_OK(shim_->shut_down(*client_));
    GTEST_SKIP() << "crun refuses this host's cgroups: " << created.status().message();
  }
  ASSERT_OK(test::status_of(created));
  ASSERT_OK(test::status_of(shim_->start_task(*client_)));
  auto waited = wait();
  ASSERT_OK(test::status_of(waited));
  EXPECT_EQ(waited->exit_status(), 6u);
  EXPECT_EQ(read_fifo(out.get()), "crun\n");
  // Delete goes through crun too (its root, not runc's).
  ASSERT_OK(test::status_of(shim_->remove(*client_)));
  EXPECT_FALSE(fs::exists(dir_ / "crun-root" / id_));
  ASSERT_OK(shim_->shut_down(*client_));
}

INSTANTIATE_TEST_SUITE_P(Shims, BerthShimTest, ::testing::Values(std::string(kBerthShim)),
                         [](const auto&) { return "berth"; });

}  // namespace
}  // namespace berth

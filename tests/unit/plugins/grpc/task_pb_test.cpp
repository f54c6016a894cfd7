// The Tasks service's conversions: what containerd's clients read in a
// Process, and what the runtime is asked to create.
#include "task_pb.hpp"

#include <gtest/gtest.h>

namespace berth::api {
namespace {

Container container_with_spec(std::string json) {
  Container c;
  c.id = "web";
  c.runtime.name = "io.containerd.runc.v2";
  c.runtime.options = AnyValue{"containerd.runc.v1.Options", "\x12\x04runc"};
  c.spec = AnyValue{"types.containerd.io/opencontainers/runtime-spec/1/Spec", std::move(json)};
  return c;
}

TEST(TaskPb, NotExitedIsGoZeroTimeAsContainerdEncodesIt) {
  google::protobuf::Timestamp ts;
  set_exit_time(0, &ts);
  EXPECT_EQ(ts.seconds(), -62135596800);
  EXPECT_EQ(ts.nanos(), 0);
  set_exit_time(1'700'000'000'123'456'789, &ts);
  EXPECT_EQ(ts.seconds(), 1'700'000'000);
  EXPECT_EQ(ts.nanos(), 123'456'789);
}

TEST(TaskPb, ProcessCarriesEveryField) {
  ProcessState s{.id = "web",
                 .exec_id = "",
                 .pid = 42,
                 .status = TaskStatus::kPaused,
                 .io = {"/in", "/out", "/err", true},
                 .exit_status = 0,
                 .exited_at = 0};
  task_types::Process pb;
  to_pb(s, &pb);
  EXPECT_EQ(pb.container_id(), "web");
  EXPECT_EQ(pb.id(), "web");  // the init process is named by its container
  EXPECT_EQ(pb.pid(), 42U);
  EXPECT_EQ(pb.status(), task_types::PAUSED);
  EXPECT_EQ(pb.stdin(), "/in");
  EXPECT_EQ(pb.stdout(), "/out");
  EXPECT_EQ(pb.stderr(), "/err");
  EXPECT_TRUE(pb.terminal());
  EXPECT_EQ(pb.exited_at().seconds(), kGoZeroTimeSeconds);

  s.exec_id = "sh";
  s.status = TaskStatus::kStopped;
  s.exit_status = 3;
  s.exited_at = 5'000'000'001;
  pb.Clear();
  to_pb(s, &pb);
  EXPECT_EQ(pb.id(), "sh");
  EXPECT_EQ(pb.status(), task_types::STOPPED);
  EXPECT_EQ(pb.exit_status(), 3U);
  EXPECT_EQ(pb.exited_at().seconds(), 5);
  EXPECT_EQ(pb.exited_at().nanos(), 1);
}

TEST(TaskPb, StatusNumbersAreContainerds) {
  for (auto [ours, theirs] : {std::pair{TaskStatus::kUnknown, task_types::UNKNOWN},
                              {TaskStatus::kCreated, task_types::CREATED},
                              {TaskStatus::kRunning, task_types::RUNNING},
                              {TaskStatus::kStopped, task_types::STOPPED},
                              {TaskStatus::kPaused, task_types::PAUSED},
                              {TaskStatus::kPausing, task_types::PAUSING}}) {
    EXPECT_EQ(static_cast<int>(ours), static_cast<int>(theirs));
    EXPECT_EQ(status_name(ours), task_types::Status_Name(theirs));
  }
}

TEST(TaskPb, ListFilterFields) {
  ProcessState s{.id = "web", .pid = 7, .status = TaskStatus::kRunning};
  EXPECT_EQ(task_field(s, {"id"}), "web");
  EXPECT_EQ(task_field(s, {"pid"}), "7");
  EXPECT_EQ(task_field(s, {"status"}), "RUNNING");
  EXPECT_EQ(task_field(s, {"exit_status"}), "0");
  EXPECT_EQ(task_field(s, {"labels", "a"}), std::nullopt);
  EXPECT_EQ(task_field(s, {"image"}), std::nullopt);
}

TEST(TaskPb, CreateTakesTheRequestAndTheContainer) {
  tasks_v1::CreateTaskRequest req;
  req.set_container_id("web");
  auto* m = req.add_rootfs();
  m->set_type("overlay");
  m->set_source("overlay");
  m->add_options("lowerdir=/l");
  req.set_stdin("/fifo/in");
  req.set_stdout("/fifo/out");
  req.set_terminal(true);
  auto created = task_create("ns1", container_with_spec(R"({"ociVersion":"1.0.2"})"), req);
  ASSERT_TRUE(created.ok()) << created.status().message();
  EXPECT_EQ(created->ns, "ns1");
  EXPECT_EQ(created->id, "web");
  EXPECT_EQ(created->runtime, "io.containerd.runc.v2");
  ASSERT_TRUE(created->runtime_options.has_value());
  EXPECT_EQ(created->runtime_options->type_url, "containerd.runc.v1.Options");
  EXPECT_FALSE(created->options.has_value());  // the runtime falls back on the container's
  EXPECT_EQ(created->spec, R"({"ociVersion":"1.0.2"})");
  ASSERT_EQ(created->rootfs.size(), 1U);
  EXPECT_EQ(created->rootfs[0].type, "overlay");
  EXPECT_EQ(created->rootfs[0].options, std::vector<std::string>{"lowerdir=/l"});
  EXPECT_EQ(created->io.stdin_path, "/fifo/in");
  EXPECT_EQ(created->io.stdout_path, "/fifo/out");
  EXPECT_EQ(created->io.stderr_path, "");
  EXPECT_TRUE(created->io.terminal);

  // The request's options and runtime path, when given, win.
  req.mutable_options()->set_type_url("containerd.runc.v1.Options");
  req.mutable_options()->set_value(
      "\x12\x04"
      "crun");
  req.set_runtime_path("/usr/bin/containerd-shim-runc-v2");
  created = task_create("ns1", container_with_spec("{}"), req);
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(created->options.has_value());
  EXPECT_EQ(created->options->value,
            "\x12\x04"
            "crun");
  EXPECT_EQ(created->runtime, "/usr/bin/containerd-shim-runc-v2");
}

TEST(TaskPb, CreateRefusesASpecThatIsNotAJsonObject) {
  tasks_v1::CreateTaskRequest req;
  for (const char* bad : {"{not json", "", "[1,2]", "42"}) {
    auto created = task_create("ns1", container_with_spec(bad), req);
    ASSERT_FALSE(created.ok()) << bad;
    EXPECT_EQ(created.status().code(), Code::kInvalidArgument);
    EXPECT_NE(created.status().message().find("create task web: the container's OCI spec"), std::string::npos)
        << created.status().message();
  }
  Container none = container_with_spec("{}");
  none.spec.reset();
  auto created = task_create("ns1", none, req);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), Code::kInvalidArgument);
}

TEST(TaskPb, CreateRefusesACheckpointClearly) {
  tasks_v1::CreateTaskRequest req;
  req.mutable_checkpoint()->set_digest("sha256:abc");
  auto created = task_create("ns1", container_with_spec("{}"), req);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), Code::kUnimplemented);
  EXPECT_NE(created.status().message().find("checkpoint"), std::string::npos);
}

}  // namespace
}  // namespace berth::api

// berthd's ttrpc socket (<address>.ttrpc, containerd's TTRPC_ADDRESS):
// Forward through libs/ttrpc's Client reaches gRPC subscribers, bad envelopes
// are refused as containerd refuses them, the socket lives and dies with the
// daemon, and Debian's containerd-shim-runc-v2 pointed at it gets its task
// events to `ctr events`.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "berth/unique_fd.hpp"
#include "ctr_fixture.hpp"
#include "events_subscriber.hpp"
#include "github.com/containerd/containerd/api/events/task.pb.h"
#include "github.com/containerd/containerd/api/services/events/v1/events.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/ttrpc/events/v1/events.pb.h"
#include "google/protobuf/empty.pb.h"
#include "runc_shim.hpp"
#include "status_matchers.hpp"
#include "ttrpc/client.hpp"
#include "ttrpc/typed.hpp"

namespace berth::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace events_v1 = containerd::services::events::v1;
namespace ttrpc_events = containerd::services::events::ttrpc::v1;

constexpr char kEventsService[] = "containerd.services.events.ttrpc.v1.Events";

ttrpc_events::ForwardRequest task_oom(const std::string& ns, const std::string& topic,
                                      const std::string& id) {
  ttrpc_events::ForwardRequest req;
  auto* env = req.mutable_envelope();
  env->mutable_timestamp()->set_seconds(1700000000);
  env->mutable_timestamp()->set_nanos(123456789);
  env->set_namespace_(ns);
  env->set_topic(topic);
  containerd::events::TaskOOM oom;
  oom.set_container_id(id);
  env->mutable_event()->set_type_url("containerd.events.TaskOOM");
  oom.SerializeToString(env->mutable_event()->mutable_value());
  return req;
}

Result<google::protobuf::Empty> forward(ttrpc::Client& client, const ttrpc_events::ForwardRequest& req) {
  return ttrpc::call<google::protobuf::Empty>(client, kEventsService, "Forward", req, 10s);
}

class BerthdTtrpcTest : public CtrFixture {
 protected:
  void SetUp() override {
    CtrFixture::SetUp();
    ASSERT_FALSE(HasFailure());
    ttrpc_address_ = daemon_.address() + ".ttrpc";
    auto channel = grpc::CreateChannel("unix:" + daemon_.address(), grpc::InsecureChannelCredentials());
    events_ = events_v1::Events::NewStub(channel);
  }

  std::unique_ptr<ttrpc::Client> dial() {
    auto client = ttrpc::Client::dial(ttrpc_address_);
    EXPECT_TRUE(client.ok()) << client.status().to_string() << "\nberthd log:\n" << daemon_.log();
    return client.ok() ? std::move(client).value() : nullptr;
  }

  std::string ttrpc_address_;
  std::unique_ptr<events_v1::Events::Stub> events_;
};

TEST_F(BerthdTtrpcTest, ServesTheSocketOwnerOnly) {
  struct stat st {};
  ASSERT_EQ(::lstat(ttrpc_address_.c_str(), &st), 0) << daemon_.log();
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(BerthdTtrpcTest, ForwardReachesSubscribers) {
  Subscriber sub(*events_, {"namespace==ttrpc-ns"}, 20s);
  auto client = dial();
  ASSERT_NE(client, nullptr);
  // Another namespace's event first: the filter must leave it out.
  ASSERT_OK(status_of(forward(*client, task_oom("other", "/tasks/oom", "elsewhere"))));
  const auto req = task_oom("ttrpc-ns", "/tasks/oom", "c1");
  ASSERT_OK(status_of(forward(*client, req)));

  events_v1::Envelope e;
  ASSERT_TRUE(sub.read(e)) << sub.finish().error_message();
  EXPECT_EQ(e.namespace_(), "ttrpc-ns");
  EXPECT_EQ(e.topic(), "/tasks/oom");
  // The shim's own time, not the time it arrived.
  EXPECT_EQ(e.timestamp().seconds(), 1700000000);
  EXPECT_EQ(e.timestamp().nanos(), 123456789);
  EXPECT_EQ(e.event().type_url(), "containerd.events.TaskOOM");
  EXPECT_EQ(e.event().value(), req.envelope().event().value());
}

TEST_F(BerthdTtrpcTest, RefusesBadEnvelopes) {
  auto client = dial();
  ASSERT_NE(client, nullptr);

  auto no_time = task_oom("default", "/tasks/oom", "c1");
  no_time.mutable_envelope()->clear_timestamp();
  EXPECT_CODE(forward(*client, no_time), Code::kInvalidArgument);

  for (const char* topic : {"tasks/oom", "", "/", "/tasks/b@d"}) {
    SCOPED_TRACE(topic);
    EXPECT_CODE(forward(*client, task_oom("default", topic, "c1")), Code::kInvalidArgument);
  }
  EXPECT_CODE(forward(*client, task_oom("", "/tasks/oom", "c1")), Code::kInvalidArgument);
  EXPECT_CODE(forward(*client, task_oom("bad/ns", "/tasks/oom", "c1")), Code::kInvalidArgument);
  EXPECT_CODE(forward(*client, ttrpc_events::ForwardRequest()), Code::kInvalidArgument);
  auto no_event = task_oom("default", "/tasks/oom", "c1");
  no_event.mutable_envelope()->clear_event();
  EXPECT_CODE(forward(*client, no_event), Code::kInvalidArgument);

  // Bytes that are no ForwardRequest: INTERNAL, as containerd's ttrpc says.
  EXPECT_CODE(client->call(kEventsService, "Forward", "\xff\xff\xff", 10s), Code::kInternal);
  // The ttrpc Events service declares Forward only; Publish is gRPC's.
  EXPECT_CODE(client->call(kEventsService, "Publish", "", 10s), Code::kUnimplemented);

  // Still serving after all that.
  EXPECT_OK(status_of(forward(*client, task_oom("default", "/tasks/oom", "c1"))));
}

TEST_F(BerthdTtrpcTest, SocketGoesWithTheDaemon) {
  ASSERT_TRUE(fs::exists(ttrpc_address_));
  EXPECT_EQ(daemon_.stop(), 0) << daemon_.log();
  EXPECT_FALSE(fs::exists(ttrpc_address_));
  EXPECT_FALSE(fs::exists(daemon_.address()));
}

TEST_F(BerthdTtrpcTest, StaleSocketIsReplaced) {
  // SIGKILL leaves both sockets behind, nobody listening on them.
  daemon_.stop(SIGKILL);
  ASSERT_TRUE(fs::exists(ttrpc_address_));
  std::string why;
  ASSERT_TRUE(daemon_.start({}, why)) << why;
  auto client = dial();
  ASSERT_NE(client, nullptr);
  EXPECT_OK(status_of(forward(*client, task_oom("default", "/tasks/oom", "c1"))));
}

TEST_F(BerthdTtrpcTest, LiveSocketIsNotTakenOver) {
  // A second berthd on the same address must not steal the first one's
  // ttrpc socket: it stops before listening anywhere.
  auto r = run({BERTHD_PATH, "--root", (dir_.path() / "root2").string(), "--state",
                (dir_.path() / "state2").string(), "--address", daemon_.address(), "--config",
                (dir_.path() / "empty.toml").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("another server is listening on " + ttrpc_address_), std::string::npos) << r.output;
  auto client = dial();
  ASSERT_NE(client, nullptr);
  EXPECT_OK(status_of(forward(*client, task_oom("default", "/tasks/oom", "c1"))));
}

// containerd's own shim, told TTRPC_ADDRESS=<berthd>.ttrpc as containerd
// tells it, runs a busybox task; `ctr events` against berthd shows each task
// event in the shim's namespace.
TEST_F(BerthdTtrpcTest, ShimTaskEventsReachCtrEvents) {
  if (::geteuid() != 0) GTEST_SKIP() << "the shim and runc need root";
  ASSERT_TRUE(fs::exists(kRuncShim)) << kRuncShim << " is missing: install Debian's containerd";
  const std::string ns = "berth-ttrpc-it";
  RuncShim shim(dir_.path(), ns, "berth-ttrpc-it-" + std::to_string(::getpid()));

  CtrEvents events(daemon_, dir_.path() / "events.txt");
  auto client = dial();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(events.subscribe(
      [&](int i) { (void)forward(*client, task_oom(ns, "/probe/ready", "probe-" + std::to_string(i))); },
      "/probe/ready"))
      << events.output();

  ASSERT_OK(shim.write_busybox_bundle({"/bin/busybox", "sh", "-c", "exit 3"}));
  auto address = shim.start(daemon_.address(), ttrpc_address_);
  ASSERT_OK(status_of(address));
  auto task = shim.connect();
  ASSERT_TRUE(task.ok()) << task.status().to_string() << "\n" << shim.logs();
  const Status created = status_of(shim.create(**task));
  ASSERT_TRUE(created.ok()) << created.to_string() << "\n" << shim.logs();
  const Status started = status_of(shim.start_task(**task));
  ASSERT_TRUE(started.ok()) << started.to_string() << "\n" << shim.logs();
  auto waited = shim.wait(**task);
  ASSERT_OK(status_of(waited));
  EXPECT_EQ(waited->exit_status(), 3u);
  ASSERT_OK(status_of(shim.remove(**task)));
  EXPECT_OK(shim.shut_down(**task));

  // ctr prints "<time> <namespace> <topic> <event as JSON>", in order.
  const std::string out = events.wait_for(" " + ns + " /tasks/delete ");
  std::size_t at = 0;
  for (const char* topic : {"/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"}) {
    const std::size_t found = out.find(" " + ns + " " + std::string(topic) + " ", at);
    ASSERT_NE(found, std::string::npos) << topic << " missing or out of order in:\n"
                                        << out << "\nberthd log:\n"
                                        << daemon_.log();
    at = found;
  }
  const std::size_t exit_line = out.find(" /tasks/exit ");
  const std::string exit_event = out.substr(exit_line, out.find('\n', exit_line) - exit_line);
  EXPECT_NE(exit_event.find("\"container_id\":\"" + shim.id() + "\""), std::string::npos) << exit_event;
  EXPECT_NE(exit_event.find("\"exit_status\":3"), std::string::npos) << exit_event;
}

}  // namespace
}  // namespace berth::test

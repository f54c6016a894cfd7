// libs/ttrpc: our client against our server over a real unix socket, plus
// raw frames for what a well-behaved client never sends.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "files/fd_io.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"
#include "ttrpc/client.hpp"
#include "ttrpc/envelope.hpp"
#include "ttrpc/event_loop.hpp"
#include "ttrpc/frame.hpp"
#include "ttrpc/server.hpp"
#include "ttrpc/unix_socket.hpp"

namespace berth::ttrpc {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kSvc = "berth.test.v1.Test";

// A door handlers wait at until the test opens it.
class Gate {
 public:
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }
  bool wait_for(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, d, [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

class TtrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Server>();
    server_->handle(std::string(kSvc), "Echo",
                    [](const Call& call) -> Result<std::string> { return call.payload; });
    ASSERT_OK(server_->listen(path()));
  }

  std::string path() const { return (dir_ / "t.sock").string(); }

  std::unique_ptr<Client> dial(ClientOptions options = {}) {
    auto client = Client::dial(path(), std::move(options));
    EXPECT_OK(test::status_of(client));
    return client.ok() ? std::move(client).value() : nullptr;
  }

  // A raw connection, for frames our client would never send.
  UniqueFd raw() {
    auto fd = dial_unix(path(), 1000ms);
    EXPECT_OK(test::status_of(fd));
    return fd.ok() ? std::move(fd).value() : UniqueFd();
  }

  // A "Wait" method that opens `entered` once called, then blocks until
  // `release` opens and answers `answer`: a shim's Wait, for the tests.
  void handle_blocking_wait(Gate& entered, Gate& release, std::string answer) {
    server_->handle(std::string(kSvc), "Wait",
                    [&entered, &release, answer](const Call&) -> Result<std::string> {
                      entered.open();
                      release.wait();
                      return answer;
                    });
  }

  test::TempDir dir_;
  std::unique_ptr<Server> server_;
};

TEST(TtrpcFrame, HeaderIsBigEndianLengthStreamTypeFlags) {
  char b[kFrameHeaderSize];
  encode_header({0x01020304, 0x0a0b0c0d, 2, 0}, b);
  EXPECT_EQ(std::string(b, sizeof b), std::string("\x01\x02\x03\x04\x0a\x0b\x0c\x0d\x02\x00", 10));
  const FrameHeader h = decode_header(b);
  EXPECT_EQ(h.length, 0x01020304u);
  EXPECT_EQ(h.stream_id, 0x0a0b0c0du);
  EXPECT_EQ(h.type, 2);
}

TEST(TtrpcEnvelope, RequestRoundTripsWithTheWireLayout) {
  Request r{"s", "m", std::string("p\0q", 3), -5, {{"k", "v"}, {"k", "w"}}};
  const std::string bytes = encode_request(r);
  // Field by field, as protoc's encoder lays out the same message.
  const std::string want(
      "\x0a\x01s\x12\x01m\x1a\x03p\0q"                         // service, method, payload
      "\x20\xfb\xff\xff\xff\xff\xff\xff\xff\xff\x01"           // timeout_nano -5: ten varint bytes
      "\x2a\x06\x0a\x01k\x12\x01v\x2a\x06\x0a\x01k\x12\x01w",  // metadata, one KeyValue each
      38);
  EXPECT_EQ(bytes, want);
  auto back = decode_request(bytes);
  ASSERT_OK(test::status_of(back));
  EXPECT_EQ(back->service, "s");
  EXPECT_EQ(back->method, "m");
  EXPECT_EQ(back->payload, r.payload);
  EXPECT_EQ(back->timeout_nano, -5);
  EXPECT_EQ(back->metadata, r.metadata);
  EXPECT_EQ(metadata_value(back->metadata, "K"), "v");
  EXPECT_EQ(metadata_value(back->metadata, "x"), std::nullopt);
  EXPECT_CODE(decode_request(std::string("\x0a\x05s", 3)), Code::kInvalidArgument);
}

TEST(TtrpcEnvelope, ResponseCarriesStatusAlways) {
  // OK: an empty status message is still there, as containerd sends it.
  EXPECT_EQ(encode_response({{}, "x"}), std::string("\x0a\x00\x12\x01x", 5));
  auto back = decode_response(encode_response({not_found("gone"), ""}));
  ASSERT_OK(test::status_of(back));
  EXPECT_EQ(back->status.code(), Code::kNotFound);
  EXPECT_EQ(back->status.message(), "gone");
  // A code gRPC does not know is UNKNOWN.
  auto odd = decode_response(std::string("\x0a\x02\x08\x63", 4));
  ASSERT_OK(test::status_of(odd));
  EXPECT_EQ(odd->status.code(), Code::kUnknown);
}

TEST_F(TtrpcTest, RoundTrip) {
  auto client = dial();
  ASSERT_NE(client, nullptr);
  auto out = client->call(kSvc, "Echo", "hello");
  ASSERT_OK(test::status_of(out));
  EXPECT_EQ(*out, "hello");
  auto empty = client->call(kSvc, "Echo", "");
  ASSERT_OK(test::status_of(empty));
  EXPECT_EQ(*empty, "");
  // A bigger payload than one socket buffer, in both directions.
  const std::string big(3 << 20, 'b');
  auto echoed = client->call(kSvc, "Echo", big);
  ASSERT_OK(test::status_of(echoed));
  EXPECT_EQ(*echoed, big);
}

TEST_F(TtrpcTest, SocketIsOwnerOnlyAndRemovedAtShutdown) {
  struct stat st {};
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A second server on a live socket is refused; the first keeps it.
  Server other;
  EXPECT_CODE(other.listen(path()), Code::kAlreadyExists);
  server_->shutdown();
  EXPECT_FALSE(std::filesystem::exists(path()));
}

TEST_F(TtrpcTest, MetadataDeadlineAndPeerReachTheHandler) {
  std::promise<Call> seen;
  server_->handle(std::string(kSvc), "Look", [&](const Call& call) -> Result<std::string> {
    seen.set_value(call);
    return std::string("ok");
  });
  auto client = dial();
  ASSERT_NE(client, nullptr);
  const Metadata md = {{"containerd-namespace-ttrpc", "ns1"}, {"x", "1"}, {"x", "2"}};
  const auto before = std::chrono::steady_clock::now();
  ASSERT_OK(test::status_of(client->call(kSvc, "Look", "p", 30s, md)));
  const Call call = seen.get_future().get();
  EXPECT_EQ(call.service, kSvc);
  EXPECT_EQ(call.method, "Look");
  EXPECT_EQ(call.payload, "p");
  EXPECT_EQ(call.metadata, md);
  EXPECT_EQ(metadata_value(call.metadata, "containerd-namespace-ttrpc"), "ns1");
  ASSERT_TRUE(call.deadline.has_value());
  EXPECT_GT(*call.deadline, before + 29s);
  EXPECT_LT(*call.deadline, before + 31s);
  EXPECT_EQ(call.peer.pid, ::getpid());
  EXPECT_EQ(call.peer.uid, ::geteuid());

  // No timeout: no deadline.
  std::promise<Call> again;
  server_->handle(std::string(kSvc), "Look", [&](const Call& c) -> Result<std::string> {
    again.set_value(c);
    return std::string();
  });
  ASSERT_OK(test::status_of(client->call(kSvc, "Look", "")));
  EXPECT_FALSE(again.get_future().get().deadline.has_value());
}

TEST_F(TtrpcTest, ConcurrentCallsWithOneBlocking) {
  Gate release;
  Gate entered;
  handle_blocking_wait(entered, release, "exited");
  auto client = dial();
  ASSERT_NE(client, nullptr);
  auto wait = std::async(std::launch::async, [&] { return client->call(kSvc, "Wait", ""); });
  ASSERT_TRUE(entered.wait_for(5s));

  // Many calls from many threads go by while Wait blocks, on the same connection.
  std::vector<std::thread> threads;
  threads.reserve(8);
  std::atomic<int> good{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string want = std::to_string(t) + ":" + std::to_string(i) +
                                 std::string(static_cast<std::size_t>(t) * 1000, 'x');
        auto out = client->call(kSvc, "Echo", want);
        if (out.ok() && *out == want) ++good;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 400);
  EXPECT_EQ(wait.wait_for(0s), std::future_status::timeout);

  release.open();
  auto out = wait.get();
  ASSERT_OK(test::status_of(out));
  EXPECT_EQ(*out, "exited");
}

TEST_F(TtrpcTest, UnknownServiceOrMethodIsUnimplemented) {
  auto client = dial();
  ASSERT_NE(client, nullptr);
  auto no_service = client->call("nope.v1.Nope", "Echo", "");
  EXPECT_CODE(no_service, Code::kUnimplemented);
  EXPECT_EQ(no_service.status().message(), "service nope.v1.Nope");
  auto no_method = client->call(kSvc, "Missing", "");
  EXPECT_CODE(no_method, Code::kUnimplemented);
  EXPECT_EQ(no_method.status().message(), "method Missing");
}

TEST_F(TtrpcTest, ErrorStatusKeepsCodeAndMessage) {
  server_->handle(std::string(kSvc), "Fail", [](const Call& call) -> Result<std::string> {
    return Status(static_cast<Code>(std::stoi(call.payload)), "failed with " + call.payload);
  });
  auto client = dial();
  ASSERT_NE(client, nullptr);
  for (int code = 1; code <= 16; ++code) {
    auto out = client->call(kSvc, "Fail", std::to_string(code));
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.status().code(), static_cast<Code>(code));
    EXPECT_EQ(out.status().message(), "failed with " + std::to_string(code));
  }
}

TEST_F(TtrpcTest, TimeoutIsDeadlineExceededAndTheConnectionLives) {
  Gate release;
  server_->handle(std::string(kSvc), "Slow", [&](const Call&) -> Result<std::string> {
    release.wait();
    return std::string("late");
  });
  auto client = dial();
  ASSERT_NE(client, nullptr);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_CODE(client->call(kSvc, "Slow", "", 200ms), Code::kDeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  release.open();  // its late answer is dropped
  auto out = client->call(kSvc, "Echo", "still here");
  ASSERT_OK(test::status_of(out));
  EXPECT_EQ(*out, "still here");
}

TEST_F(TtrpcTest, OversizedMessagesAreRefused) {
  server_->handle(std::string(kSvc), "Big",
                  [](const Call&) -> Result<std::string> { return std::string(kMaxPayload + 1, 'r'); });
  auto client = dial();
  ASSERT_NE(client, nullptr);
  auto req = client->call(kSvc, "Echo", std::string(kMaxPayload + 1, 'q'));
  EXPECT_CODE(req, Code::kResourceExhausted);
  EXPECT_NE(req.status().message().find("4194304"), std::string::npos) << req.status().message();
  EXPECT_CODE(client->call(kSvc, "Big", ""), Code::kResourceExhausted);
  EXPECT_OK(test::status_of(client->call(kSvc, "Echo", "after")));

  // A client that sends one anyway gets RESOURCE_EXHAUSTED on that stream,
  // and the connection stays in step for the next request.
  UniqueFd fd = raw();
  ASSERT_TRUE(fd);
  const std::string huge(kMaxPayload + 10, 'h');
  char head[kFrameHeaderSize];
  encode_header({static_cast<std::uint32_t>(huge.size()), 7, 1, 0}, head);
  auto writer = std::async(std::launch::async, [&] {
    Status s = files::write_all(fd.get(), std::string_view(head, sizeof head), "raw socket");
    if (s.ok()) s = files::write_all(fd.get(), huge, "raw socket");
    return s;
  });
  auto frame = read_frame(fd.get());
  ASSERT_OK(test::status_of(frame));
  EXPECT_OK(writer.get());
  EXPECT_EQ(frame->header.stream_id, 7u);
  EXPECT_EQ(frame->header.type, 2);
  auto resp = decode_response(frame->payload);
  ASSERT_OK(test::status_of(resp));
  EXPECT_EQ(resp->status.code(), Code::kResourceExhausted);

  ASSERT_OK(write_frame(fd.get(), 9, MessageType::kRequest,
                        encode_request({std::string(kSvc), "Echo", "x", 0, {}})));
  auto next = read_frame(fd.get());
  ASSERT_OK(test::status_of(next));
  EXPECT_EQ(next->header.stream_id, 9u);
  auto echoed = decode_response(next->payload);
  ASSERT_OK(test::status_of(echoed));
  EXPECT_EQ(echoed->payload, "x");
}

TEST_F(TtrpcTest, EvenStreamIdsAreRefused) {
  UniqueFd fd = raw();
  ASSERT_TRUE(fd);
  ASSERT_OK(write_frame(fd.get(), 2, MessageType::kRequest,
                        encode_request({std::string(kSvc), "Echo", "x", 0, {}})));
  auto frame = read_frame(fd.get());
  ASSERT_OK(test::status_of(frame));
  EXPECT_EQ(frame->header.stream_id, 2u);
  auto resp = decode_response(frame->payload);
  ASSERT_OK(test::status_of(resp));
  EXPECT_EQ(resp->status.code(), Code::kInvalidArgument);
}

TEST_F(TtrpcTest, ServerGoingAwayFailsPendingCalls) {
  Gate release;
  Gate entered;
  handle_blocking_wait(entered, release, "exited");
  std::promise<Status> closed_with;
  ClientOptions options;
  options.on_close = [&](const Status& why) { closed_with.set_value(why); };
  auto client = dial(std::move(options));
  ASSERT_NE(client, nullptr);
  auto wait = std::async(std::launch::async, [&] { return client->call(kSvc, "Wait", ""); });
  ASSERT_TRUE(entered.wait_for(5s));

  // shutdown() closes the connection at once, then waits for the handler.
  auto stopping = std::async(std::launch::async, [&] { server_->shutdown(); });
  auto out = wait.get();
  EXPECT_CODE(out, Code::kUnavailable);
  EXPECT_NE(out.status().message().find(path()), std::string::npos) << out.status().message();
  EXPECT_EQ(closed_with.get_future().get().code(), Code::kUnavailable);
  EXPECT_TRUE(client->closed());
  EXPECT_CODE(client->call(kSvc, "Echo", ""), Code::kUnavailable);
  EXPECT_EQ(stopping.wait_for(100ms), std::future_status::timeout);
  release.open();
  stopping.get();
}

TEST_F(TtrpcTest, PeerClosingTheConnection) {
  // A "server" that reads one request and hangs up.
  const std::string p = (dir_ / "rude.sock").string();
  auto listener = listen_unix(p);
  ASSERT_OK(test::status_of(listener));
  std::thread rude([&] {
    UniqueFd c(::accept4(listener->get(), nullptr, nullptr, SOCK_CLOEXEC));
    (void)read_frame(c.get());
  });
  auto client = Client::dial(p);
  ASSERT_OK(test::status_of(client));
  EXPECT_CODE((*client)->call(kSvc, "Echo", "x"), Code::kUnavailable);
  rude.join();

  // A client that leaves with a call in flight: the server carries on.
  Gate release;
  Gate entered;
  handle_blocking_wait(entered, release, "nobody listens");
  {
    auto leaving = dial();
    ASSERT_NE(leaving, nullptr);
    auto wait = std::async(std::launch::async, [&] { return leaving->call(kSvc, "Wait", ""); });
    ASSERT_TRUE(entered.wait_for(5s));
    leaving->close();
    EXPECT_CODE(wait.get(), Code::kUnavailable);
  }
  release.open();
  auto other = dial();
  ASSERT_NE(other, nullptr);
  EXPECT_OK(test::status_of(other->call(kSvc, "Echo", "y")));
}

TEST_F(TtrpcTest, DialWithNothingListeningFailsFast) {
  const std::string missing = (dir_ / "none.sock").string();
  const auto start = std::chrono::steady_clock::now();
  auto client = Client::dial("unix://" + missing);
  EXPECT_CODE(client, Code::kUnavailable);
  EXPECT_NE(client.status().message().find(missing), std::string::npos) << client.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);

  // A socket file nobody listens on any more: refused, just as fast.
  const std::string stale = (dir_ / "stale.sock").string();
  { auto l = listen_unix(stale); }
  EXPECT_CODE(Client::dial(stale), Code::kUnavailable);
}

TEST_F(TtrpcTest, OtherUidsAreRefused) {
  server_->shutdown();
  ServerOptions options;
  options.allowed_uid = ::geteuid() + 1;
  server_ = std::make_unique<Server>(options);
  server_->handle(std::string(kSvc), "Echo",
                  [](const Call& call) -> Result<std::string> { return call.payload; });
  ASSERT_OK(server_->listen(path()));
  auto client = dial();
  ASSERT_NE(client, nullptr);
  EXPECT_CODE(client->call(kSvc, "Echo", "x"), Code::kUnavailable);
}

}  // namespace
}  // namespace berth::ttrpc

namespace berth::ttrpc {
namespace {

// The shim's mode: a Server on an EventLoop, no thread of its own, serving a
// socket bound before (as `start` hands it over). An async handler keeps its
// Reply and answers later, while other calls on the same connection go by.
TEST(TtrpcLoopServer, ServesABoundSocketOnTheLoopThreadWithLateReplies) {
  test::TempDir dir;
  const std::string path = (dir / "loop.sock").string();
  auto listener = listen_unix(path);
  ASSERT_OK(test::status_of(listener));
  auto loop = EventLoop::create();
  ASSERT_OK(test::status_of(loop));
  Server server({.allowed_uid = std::nullopt, .loop = loop->get()});
  std::thread::id loop_thread;
  std::vector<Reply> parked;  // touched on the loop thread only
  std::atomic<int> parked_calls{0};
  server.handle("s", "Echo", [&](const Call& call) -> Result<std::string> {
    EXPECT_EQ(std::this_thread::get_id(), loop_thread);
    return call.payload;
  });
  server.handle_async("s", "Park", [&](const Call&, const Reply& reply) {
    parked.push_back(reply);
    ++parked_calls;
  });
  server.handle("s", "Release", [&](const Call& call) -> Result<std::string> {
    for (auto& reply : parked) reply("released:" + call.payload);
    parked.clear();
    return std::string("ok");
  });
  server.handle("s", "Stop", [&](const Call&) -> Result<std::string> {
    (*loop)->stop();
    return std::string("bye");
  });
  ASSERT_OK(server.serve(std::move(listener).value(), path));
  std::thread runner([&] {
    loop_thread = std::this_thread::get_id();
    EXPECT_OK((*loop)->run());
  });

  auto client = Client::dial(path);
  ASSERT_OK(test::status_of(client));
  auto parked_call = std::async(std::launch::async, [&] { return (*client)->call("s", "Park", "", 10s); });
  // Park must have reached the server before Release is sent, or Release
  // finds nothing to release and Park waits out its deadline.
  for (int i = 0; i < 1000 && parked_calls.load() == 0; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(parked_calls.load(), 1);
  // Echo answers while Park waits: the loop is not held by it.
  auto echo = (*client)->call("s", "Echo", "hi", 10s);
  ASSERT_OK(test::status_of(echo));
  EXPECT_EQ(*echo, "hi");
  EXPECT_EQ(parked_call.wait_for(0s), std::future_status::timeout);
  ASSERT_TRUE(test::status_of((*client)->call("s", "Release", "x", 10s)).ok());
  auto late = parked_call.get();
  ASSERT_OK(test::status_of(late));
  EXPECT_EQ(*late, "released:x");
  EXPECT_CODE((*client)->call("s", "Nope", "", 10s), Code::kUnimplemented);
  auto bye = (*client)->call("s", "Stop", "", 10s);
  EXPECT_OK(test::status_of(bye));
  runner.join();
  server.shutdown();
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace berth::ttrpc

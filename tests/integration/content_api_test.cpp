// The Content and Leases services over gRPC, with the generated stubs: the
// parts of the API that ctr does not reach (Write offsets and resumption,
// concurrent writers, Abort, Status) and bad input, each with the code a
// containerd client expects.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "../support/digest.hpp"
#include "../support/temp_dir.hpp"
#include "github.com/containerd/containerd/api/services/content/v1/content.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/leases/v1/leases.grpc.pb.h"
#include "harness.hpp"
#include "test_data.hpp"

namespace berth::test {
namespace {

namespace content_v1 = containerd::services::content::v1;
namespace leases_v1 = containerd::services::leases::v1;
using WriteStream =
    grpc::ClientReaderWriter<content_v1::WriteContentRequest, content_v1::WriteContentResponse>;

class ContentApiTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }

  void start() {
    std::string why;
    ASSERT_TRUE(daemon_.start({}, why)) << why;
    channel_ = grpc::CreateChannel("unix:" + daemon_.address(), grpc::InsecureChannelCredentials());
    content_ = content_v1::Content::NewStub(channel_);
    leases_ = leases_v1::Leases::NewStub(channel_);
  }

  // A context in namespace `ns` (none when empty), optionally with a lease.
  static std::unique_ptr<grpc::ClientContext> ctx(const std::string& ns = "default",
                                                  const std::string& lease = "") {
    auto c = std::make_unique<grpc::ClientContext>();
    if (!ns.empty()) c->AddMetadata("containerd-namespace", ns);
    if (!lease.empty()) c->AddMetadata("containerd-lease", lease);
    return c;
  }

  // Sends one request on a Write stream and reads its answer.
  // Ends a stream as a client should: half-close, read what is left, Finish.
  static grpc::Status finish(WriteStream& s) {
    s.WritesDone();
    content_v1::WriteContentResponse rest;
    while (s.Read(&rest)) {
    }
    return s.Finish();
  }

  static grpc::Status exchange(WriteStream& s, const content_v1::WriteContentRequest& req,
                               content_v1::WriteContentResponse& resp) {
    if (!s.Write(req) || !s.Read(&resp)) return s.Finish();
    return grpc::Status::OK;
  }

  static content_v1::WriteContentRequest stat(const std::string& ref) {
    content_v1::WriteContentRequest r;
    r.set_action(content_v1::STAT);
    r.set_ref(ref);
    return r;
  }
  static content_v1::WriteContentRequest write(int64_t offset, const std::string& data) {
    content_v1::WriteContentRequest r;
    r.set_action(content_v1::WRITE);
    r.set_offset(offset);
    r.set_data(data);
    return r;
  }
  // As containerd's client sends it: at the current offset, which is the
  // total here (a commit at offset 0 would restart the ingest first).
  static content_v1::WriteContentRequest commit(int64_t total, const std::string& expected,
                                                int64_t offset = -1) {
    content_v1::WriteContentRequest r;
    r.set_action(content_v1::COMMIT);
    r.set_offset(offset < 0 ? total : offset);
    r.set_total(total);
    r.set_expected(expected);
    return r;
  }

  grpc::Status info(const std::string& digest, content_v1::Info* out = nullptr) {
    content_v1::InfoRequest req;
    req.set_digest(digest);
    content_v1::InfoResponse resp;
    auto st = content_->Info(ctx().get(), req, &resp);
    if (out != nullptr) *out = resp.info();
    return st;
  }

  grpc::Status status(const std::string& ref, content_v1::Status* out = nullptr) {
    content_v1::StatusRequest req;
    req.set_ref(ref);
    content_v1::StatusResponse resp;
    auto st = content_->Status(ctx().get(), req, &resp);
    if (out != nullptr) *out = resp.status();
    return st;
  }

  // Writes `data` under `ref` in one stream and commits it.
  void put(const std::string& ref, const std::string& data) {
    auto c = ctx();
    auto s = content_->Write(c.get());
    content_v1::WriteContentResponse resp;
    ASSERT_TRUE(exchange(*s, stat(ref), resp).ok());
    ASSERT_TRUE(exchange(*s, write(0, data), resp).ok());
    auto st = exchange(*s, commit(static_cast<int64_t>(data.size()), sha256_of(data)), resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    (void)finish(*s);
  }

  TempDir dir_;
  Berthd daemon_{BERTHD_PATH, dir_.path()};
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<content_v1::Content::Stub> content_;
  std::unique_ptr<leases_v1::Leases::Stub> leases_;
};

TEST_F(ContentApiTest, WriteResumesAtTheRecordedOffsetAfterTheStreamCloses) {
  const std::string data = pattern_bytes(300'000, 7);
  const std::string digest = sha256_of(data);
  {
    auto c = ctx();
    auto s = content_->Write(c.get());
    content_v1::WriteContentResponse resp;
    ASSERT_TRUE(exchange(*s, stat("resume"), resp).ok());
    EXPECT_EQ(resp.offset(), 0);
    ASSERT_TRUE(exchange(*s, write(0, data.substr(0, 100'000)), resp).ok());
    EXPECT_EQ(resp.offset(), 100'000);
    EXPECT_TRUE(finish(*s).ok());
  }
  content_v1::Status st;
  ASSERT_TRUE(status("resume", &st).ok());
  EXPECT_EQ(st.offset(), 100'000);
  EXPECT_EQ(st.ref(), "resume");

  auto c = ctx();
  auto s = content_->Write(c.get());
  content_v1::WriteContentResponse resp;
  ASSERT_TRUE(exchange(*s, stat("resume"), resp).ok());
  EXPECT_EQ(resp.offset(), 100'000);
  // Not at the current offset: OutOfRange, and the stream ends.
  auto wrong = exchange(*s, write(50'000, data.substr(50'000)), resp);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::OUT_OF_RANGE) << wrong.error_message();

  auto c2 = ctx();
  auto s2 = content_->Write(c2.get());
  ASSERT_TRUE(exchange(*s2, stat("resume"), resp).ok());
  EXPECT_EQ(resp.offset(), 100'000);
  ASSERT_TRUE(exchange(*s2, write(100'000, data.substr(100'000)), resp).ok());
  EXPECT_EQ(resp.offset(), 300'000);
  auto done = exchange(*s2, commit(300'000, digest), resp);
  ASSERT_TRUE(done.ok()) << done.error_message();
  EXPECT_EQ(resp.action(), content_v1::COMMIT);
  EXPECT_EQ(resp.digest(), digest);
  (void)finish(*s2);

  content_v1::Info got;
  ASSERT_TRUE(info(digest, &got).ok());
  EXPECT_EQ(got.size(), 300'000);
  EXPECT_EQ(status("resume").error_code(), grpc::StatusCode::NOT_FOUND);
}

// A client may keep several WRITEs unanswered (berth content ingest does):
// they are stored in order, and STAT, the Status call and COMMIT report what
// was stored. Writes this large are hashed and written behind the answers,
// which carry the offset but not the digest (the API leaves it optional).
TEST_F(ContentApiTest, UnansweredWritesAreStoredInOrderBeforeStatAndCommitAnswer) {
  constexpr std::size_t kChunk = 300'000;
  const std::string data = pattern_bytes(5 * kChunk, 11);
  const std::string digest = sha256_of(data);
  {
    auto c = ctx();
    auto s = content_->Write(c.get());
    content_v1::WriteContentResponse resp;
    ASSERT_TRUE(exchange(*s, stat("piped"), resp).ok());
    // Four writes sent before any answer is read.
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(s->Write(write(i * kChunk, data.substr(i * kChunk, kChunk))));
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(s->Read(&resp));
      EXPECT_EQ(resp.action(), content_v1::WRITE);
      EXPECT_EQ(resp.offset(), static_cast<int64_t>((i + 1) * kChunk));
      EXPECT_EQ(resp.digest(), "");
    }
    ASSERT_TRUE(exchange(*s, stat("piped"), resp).ok());
    EXPECT_EQ(resp.offset(), static_cast<int64_t>(4 * kChunk));
    EXPECT_EQ(resp.digest(), sha256_of(data.substr(0, 4 * kChunk)));
    // Half-closed right after a write: it is stored all the same.
    ASSERT_TRUE(exchange(*s, write(4 * kChunk, data.substr(4 * kChunk)), resp).ok());
    EXPECT_TRUE(finish(*s).ok());
  }
  content_v1::Status st;
  ASSERT_TRUE(status("piped", &st).ok());
  EXPECT_EQ(st.offset(), static_cast<int64_t>(data.size()));

  auto c = ctx();
  auto s = content_->Write(c.get());
  content_v1::WriteContentResponse resp;
  ASSERT_TRUE(exchange(*s, stat("piped"), resp).ok());
  EXPECT_EQ(resp.offset(), static_cast<int64_t>(data.size()));
  // A write at the wrong offset is refused.
  ASSERT_TRUE(exchange(*s, write(data.size(), std::string(kChunk, 'x')), resp).ok());
  auto wrong = exchange(*s, write(data.size(), std::string(kChunk, 'y')), resp);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::OUT_OF_RANGE) << wrong.error_message();

  auto c2 = ctx();
  auto s2 = content_->Write(c2.get());
  ASSERT_TRUE(exchange(*s2, stat("piped"), resp).ok());
  ASSERT_EQ(resp.offset(), static_cast<int64_t>(data.size() + kChunk));
  // Restart at 0 (truncate), write the rest, then commit.
  ASSERT_TRUE(exchange(*s2, write(0, data.substr(0, kChunk)), resp).ok());
  EXPECT_EQ(resp.offset(), static_cast<int64_t>(kChunk));
  for (std::size_t at = kChunk; at < data.size(); at += kChunk) {
    ASSERT_TRUE(exchange(*s2, write(at, data.substr(at, kChunk)), resp).ok());
    EXPECT_EQ(resp.offset(), static_cast<int64_t>(at + kChunk));
  }
  auto done = exchange(*s2, commit(data.size(), digest), resp);
  ASSERT_TRUE(done.ok()) << done.error_message();
  EXPECT_EQ(resp.digest(), digest);
  (void)finish(*s2);
  content_v1::Info got;
  ASSERT_TRUE(info(digest, &got).ok());
  EXPECT_EQ(got.size(), static_cast<int64_t>(data.size()));
}

// The daemon parses Write requests itself (write_request.hpp): a message
// protobuf cannot parse ends the stream with InvalidArgument, and the daemon
// serves on.
TEST_F(ContentApiTest, AMalformedWriteRequestIsInvalidArgument) {
  auto c = ctx();
  auto s = content_->Write(c.get());
  content_v1::WriteContentRequest bad = stat("malformed");
  bad.set_expected(std::string("\xff\xfe", 2));  // not UTF-8: protobuf refuses to parse it
  content_v1::WriteContentResponse resp;
  auto st = exchange(*s, bad, resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  put("after-malformed", "still serving");
}

TEST_F(ContentApiTest, WriteAtOffsetZeroRestartsTheIngest) {
  const std::string data = pattern_bytes(10'000, 2);
  auto c = ctx();
  auto s = content_->Write(c.get());
  content_v1::WriteContentResponse resp;
  ASSERT_TRUE(exchange(*s, stat("restart"), resp).ok());
  ASSERT_TRUE(exchange(*s, write(0, "garbage that is thrown away"), resp).ok());
  ASSERT_TRUE(exchange(*s, write(0, data), resp).ok());
  EXPECT_EQ(resp.offset(), 10'000);
  auto done = exchange(*s, commit(10'000, sha256_of(data)), resp);
  EXPECT_TRUE(done.ok()) << done.error_message();
}

TEST_F(ContentApiTest, ASecondWriterOnARefInUseIsUnavailable) {
  auto c1 = ctx();
  auto s1 = content_->Write(c1.get());
  content_v1::WriteContentResponse resp;
  ASSERT_TRUE(exchange(*s1, stat("busy"), resp).ok());
  ASSERT_TRUE(exchange(*s1, write(0, "first"), resp).ok());

  auto c2 = ctx();
  auto s2 = content_->Write(c2.get());
  auto second = exchange(*s2, stat("busy"), resp);
  EXPECT_EQ(second.error_code(), grpc::StatusCode::UNAVAILABLE) << second.error_message();

  // The first writer is unaffected.
  auto done = exchange(*s1, commit(5, sha256_of("first")), resp);
  EXPECT_TRUE(done.ok()) << done.error_message();
}

TEST_F(ContentApiTest, AbortRemovesTheIngest) {
  {
    auto c = ctx();
    auto s = content_->Write(c.get());
    content_v1::WriteContentResponse resp;
    ASSERT_TRUE(exchange(*s, stat("gone"), resp).ok());
    ASSERT_TRUE(exchange(*s, write(0, "partial"), resp).ok());
    (void)finish(*s);
  }
  ASSERT_TRUE(status("gone").ok());
  content_v1::AbortRequest req;
  req.set_ref("gone");
  google::protobuf::Empty empty;
  ASSERT_TRUE(content_->Abort(ctx().get(), req, &empty).ok());
  EXPECT_EQ(status("gone").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(content_->Abort(ctx().get(), req, &empty).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ContentApiTest, AnIngestSurvivesKill9AndResumes) {
  const std::string data = pattern_bytes(2'000'000, 9);
  const std::string digest = sha256_of(data);
  {
    auto c = ctx();
    auto s = content_->Write(c.get());
    content_v1::WriteContentResponse resp;
    ASSERT_TRUE(exchange(*s, stat("crash"), resp).ok());
    ASSERT_TRUE(exchange(*s, write(0, data.substr(0, 1'500'000)), resp).ok());
    ASSERT_EQ(resp.offset(), 1'500'000);
    daemon_.stop(SIGKILL);
  }
  start();
  content_v1::Status st;
  ASSERT_TRUE(status("crash", &st).ok());
  // A large WRITE is answered once it is copied aside; its bytes reach the
  // file behind the answer (plugins/content/write_behind.hpp), so a kill may
  // catch up to the staging buffers' 64 MiB of them on the way. The ingest
  // holds a prefix of what was sent, Status says how much, and a client
  // resumes there (as containerd's does); the digest at commit proves the
  // prefix was the data sent.
  ASSERT_LE(st.offset(), 1'500'000);

  auto c = ctx();
  auto s = content_->Write(c.get());
  content_v1::WriteContentResponse resp;
  ASSERT_TRUE(exchange(*s, stat("crash"), resp).ok());
  ASSERT_TRUE(
      exchange(*s, write(st.offset(), data.substr(static_cast<std::size_t>(st.offset()))), resp).ok());
  auto done = exchange(*s, commit(2'000'000, digest), resp);
  ASSERT_TRUE(done.ok()) << done.error_message() << "\n" << daemon_.log();
  EXPECT_TRUE(info(digest).ok());
}

TEST_F(ContentApiTest, CommitWithTheWrongDigestOrSizeIsFailedPreconditionAndLeavesNothing) {
  const std::string data = "some bytes";
  for (auto [total, expected] : {std::pair<int64_t, std::string>{10, sha256_of("other bytes")},
                                 std::pair<int64_t, std::string>{11, sha256_of(data)}}) {
    auto c = ctx();
    auto s = content_->Write(c.get());
    content_v1::WriteContentResponse resp;
    ASSERT_TRUE(exchange(*s, stat("bad-" + std::to_string(total)), resp).ok());
    ASSERT_TRUE(exchange(*s, write(0, data), resp).ok());
    auto done = exchange(*s, commit(total, expected, static_cast<int64_t>(data.size())), resp);
    EXPECT_EQ(done.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << done.error_message();
    EXPECT_EQ(info(expected).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  EXPECT_EQ(info(sha256_of(data)).error_code(), grpc::StatusCode::NOT_FOUND);
  const auto blobs = daemon_.root() / "io.containerd.content.v1.content" / "blobs" / "sha256";
  if (std::filesystem::exists(blobs)) {
    EXPECT_TRUE(std::filesystem::is_empty(blobs));
  }
}

TEST_F(ContentApiTest, BadInputGetsInvalidArgumentAndChangesNothing) {
  put("good", "payload");
  const std::string digest = sha256_of("payload");

  EXPECT_EQ(info("sha256:xyz").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(info("md5:" + std::string(32, 'a')).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  {  // A malformed expected digest on the first Write message.
    auto c = ctx();
    auto s = content_->Write(c.get());
    content_v1::WriteContentResponse resp;
    auto req = stat("malformed");
    req.set_expected("sha256:1234");
    EXPECT_EQ(exchange(*s, req, resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {  // A Write stream whose first message has no ref.
    auto c = ctx();
    auto s = content_->Write(c.get());
    content_v1::WriteContentResponse resp;
    EXPECT_EQ(exchange(*s, write(0, "x"), resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {  // Unknown filter syntax.
    content_v1::ListContentRequest req;
    req.add_filters("labels.a==b,,==");
    auto c = ctx();
    auto reader = content_->List(c.get(), req);
    content_v1::ListContentResponse resp;
    while (reader->Read(&resp)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {  // A label over 4096 bytes: refused, the labels stay as they were.
    content_v1::UpdateRequest req;
    req.mutable_info()->set_digest(digest);
    (*req.mutable_info()->mutable_labels())["big"] = std::string(5000, 'v');
    content_v1::UpdateResponse resp;
    EXPECT_EQ(content_->Update(ctx().get(), req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    content_v1::Info got;
    ASSERT_TRUE(info(digest, &got).ok());
    EXPECT_TRUE(got.labels().empty());
  }
  {  // No namespace: FailedPrecondition, as containerd.
    content_v1::InfoRequest req;
    req.set_digest(digest);
    content_v1::InfoResponse resp;
    EXPECT_EQ(content_->Info(ctx("").get(), req, &resp).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  }
  content_v1::Info got;
  ASSERT_TRUE(info(digest, &got).ok());
  EXPECT_EQ(got.size(), 7);
}

TEST_F(ContentApiTest, ReadStreamsAnyRange) {
  const std::string data = pattern_bytes(3'000'000, 4);
  put("read", data);
  content_v1::ReadContentRequest req;
  req.set_digest(sha256_of(data));
  req.set_offset(1'000'001);
  req.set_size(1'500'000);
  auto c = ctx();
  auto reader = content_->Read(c.get(), req);
  std::string got;
  content_v1::ReadContentResponse resp;
  int64_t next = req.offset();
  while (reader->Read(&resp)) {
    EXPECT_EQ(resp.offset(), next);
    next += static_cast<int64_t>(resp.data().size());
    got += resp.data();
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_TRUE(got == data.substr(1'000'001, 1'500'000));
}

TEST_F(ContentApiTest, TheLeaseHeaderAttachesWrittenContentToTheLease) {
  leases_v1::CreateRequest create;
  create.set_id("pull-1");
  leases_v1::CreateResponse created;
  ASSERT_TRUE(leases_->Create(ctx().get(), create, &created).ok());

  const std::string data = "leased bytes";
  {
    auto c = ctx("default", "pull-1");
    auto s = content_->Write(c.get());
    content_v1::WriteContentResponse resp;
    ASSERT_TRUE(exchange(*s, stat("leased"), resp).ok());
    ASSERT_TRUE(exchange(*s, write(0, data), resp).ok());
    ASSERT_TRUE(exchange(*s, commit(static_cast<int64_t>(data.size()), sha256_of(data)), resp).ok());
  }
  leases_v1::ListResourcesRequest list;
  list.set_id("pull-1");
  leases_v1::ListResourcesResponse resources;
  ASSERT_TRUE(leases_->ListResources(ctx().get(), list, &resources).ok());
  bool found = false;
  for (const auto& r : resources.resources()) found |= r.type() == "content" && r.id() == sha256_of(data);
  EXPECT_TRUE(found) << resources.DebugString();

  // A lease that does not exist: the write is refused.
  auto c = ctx("default", "no-such-lease");
  auto s = content_->Write(c.get());
  content_v1::WriteContentResponse resp;
  auto st = exchange(*s, stat("orphan"), resp);
  if (st.ok()) st = exchange(*s, write(0, "x"), resp);
  if (st.ok()) st = exchange(*s, commit(1, sha256_of("x")), resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND) << st.error_message();
}

}  // namespace
}  // namespace berth::test

// bench/null_content_server: a gRPC server with only containerd's Content
// Write method, which counts the bytes it is sent and throws them away. It
// measures what the transport alone costs `ctr content ingest` (ctr's own
// work, gRPC over the unix socket, the per-message round trips) so that
// bench/ingest.sh can say how much of berthd's time is the store's. It
// verifies nothing and keeps nothing: a benchmark tool, never a content store.
//
//   null_content_server SOCKET_PATH [--hash]
//
// With --hash it SHA-256es each message's data before answering and puts the
// digest so far in the answer, as containerd's server does: the floor of any
// server that answers a WRITE as containerd's does, whatever it does with the
// bytes, since the hash of a message is on the client's path when the client
// waits for each answer. (berthd answers a WRITE without the digest, which
// the API leaves optional, and hashes behind its answers.)
//
// Serves until SIGTERM or SIGINT.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "digest/sha256.hpp"
#include "github.com/containerd/containerd/api/services/content/v1/content.grpc.pb.h"

namespace {

namespace content_v1 = containerd::services::content::v1;

class NullContent final : public content_v1::Content::Service {
 public:
  explicit NullContent(bool hash) : hash_(hash) {}

 private:
  const bool hash_;

  grpc::Status Write(grpc::ServerContext* /*ctx*/,
                     grpc::ServerReaderWriter<content_v1::WriteContentResponse,
                                              content_v1::WriteContentRequest>* stream) override {
    content_v1::WriteContentRequest req;
    content_v1::WriteContentResponse resp;
    int64_t offset = 0;
    int64_t total = 0;
    std::string expected;
    auto hasher = berth::digest::Sha256::create();
    if (!hasher.ok()) return {grpc::StatusCode::INTERNAL, hasher.status().message()};
    while (stream->Read(&req)) {
      if (req.total() > 0) total = req.total();
      if (!req.expected().empty()) expected = req.expected();
      offset += static_cast<int64_t>(req.data().size());
      resp.Clear();
      resp.set_action(req.action());
      resp.set_offset(offset);
      resp.set_total(total);
      if (hash_) {
        if (auto hashed = hasher->update(req.data()); !hashed.ok())
          return {grpc::StatusCode::INTERNAL, hashed.message()};
        auto digest = hasher->digest();
        if (!digest.ok()) return {grpc::StatusCode::INTERNAL, digest.status().message()};
        resp.set_digest(*digest);
      }
      // A commit "succeeds" with the digest the client expects; without one
      // there is nothing to answer with, so the commit fails as it should.
      if (req.action() == content_v1::COMMIT) {
        if (expected.empty())
          return {grpc::StatusCode::FAILED_PRECONDITION, "null server: no expected digest"};
        resp.set_digest(expected);
      }
      if (!stream->Write(resp)) break;
      if (req.action() == content_v1::COMMIT) break;
    }
    return grpc::Status::OK;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const bool hash = argc == 3 && std::string(argv[2]) == "--hash";
  if (argc != 2 && !hash) {
    std::fprintf(stderr, "usage: %s SOCKET_PATH [--hash]\n", argv[0]);
    return 2;
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before gRPC starts its threads

  ::unlink(argv[1]);
  NullContent service(hash);
  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(16 << 20);  // containerd's default
  builder.AddListeningPort(std::string("unix:") + argv[1], grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "null_content_server: cannot listen on %s\n", argv[1]);
    return 1;
  }
  int sig = 0;
  sigwait(&stop, &sig);
  server->Shutdown();
  ::unlink(argv[1]);
  return 0;
}

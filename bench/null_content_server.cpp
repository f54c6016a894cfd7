// bench/null_content_server: a gRPC server with only containerd's Content
// Write method, which counts the bytes it is sent and throws them away. It
// measures what the transport alone costs `ctr content ingest` (ctr's own
// work, gRPC over the unix socket, the per-message round trips) so that
// bench/ingest.sh can say how much of berthd's time is the store's. It
// verifies nothing and keeps nothing: a benchmark tool, never a content store.
//
//   null_content_server SOCKET_PATH [--hash | --hash-behind]
//
// With --hash it SHA-256es each message's data before answering and puts the
// digest so far in the answer, as containerd's server does: the floor of any
// server that answers a WRITE as containerd's does, whatever it does with the
// bytes, since the hash of a message is on the client's path when the client
// waits for each answer.
//
// With --hash-behind it answers each WRITE at once, without a digest (the API
// leaves it optional), and SHA-256es the data on a thread of its own, as
// berthd does; a COMMIT waits for that hash. Every store must hash every
// byte, so on a machine with few CPUs this is the floor of a server that
// answers so: the hash competes with the client and the transport for them.
//
// Serves until SIGTERM or SIGINT.
#include <grpcpp/grpcpp.h>
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "digest/sha256.hpp"
#include "github.com/containerd/containerd/api/services/content/v1/content.grpc.pb.h"

namespace {

namespace content_v1 = containerd::services::content::v1;

enum class Hashing { kNone, kBeforeAnswer, kBehind };

// Hashes the data it is given, in order, on a thread of its own. At most
// kQueued bytes wait, and the receiver waits for room (berthd bounds its
// staging too; it holds more, 64 MiB, to carry the stream through its disk
// flushes, which this server does not make); spent buffers go back to the
// receiver, so the parser refills them instead of allocating anew.
class HashBehind {
 public:
  static constexpr std::size_t kQueued = 8 << 20;

  explicit HashBehind(berth::digest::Sha256& hash) : hash_(hash), thread_([this] { run(); }) {}
  HashBehind(const HashBehind&) = delete;
  HashBehind& operator=(const HashBehind&) = delete;
  ~HashBehind() { (void)finish(); }

  // Takes `data` and leaves a spent buffer (or an empty string) in its place.
  void add(std::string& data) {
    {
      std::unique_lock lock(mu_);
      room_.wait(lock, [&] { return queued_ < kQueued || queue_.empty(); });
      queued_ += data.size();
      queue_.push_back(std::move(data));
      data.clear();
      if (!spare_.empty()) {
        data = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    cv_.notify_one();
  }
  // Waits until all is hashed.
  berth::Status finish() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
    return result_;
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return done_ || !queue_.empty(); });
      if (queue_.empty()) return;
      std::string data = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      if (result_.ok()) result_ = hash_.update(data);
      lock.lock();
      queued_ -= data.size();
      spare_.push_back(std::move(data));
      room_.notify_one();
    }
  }

  berth::digest::Sha256& hash_;
  std::mutex mu_;
  std::condition_variable cv_;    // data queued, or done
  std::condition_variable room_;  // room in the queue
  std::deque<std::string> queue_;
  std::vector<std::string> spare_;
  std::size_t queued_ = 0;
  bool done_ = false;
  berth::Status result_;
  std::thread thread_;
};

class NullContent final : public content_v1::Content::Service {
 public:
  explicit NullContent(Hashing hashing) : hashing_(hashing) {}

 private:
  const Hashing hashing_;

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
    std::optional<HashBehind> behind;
    if (hashing_ == Hashing::kBehind) behind.emplace(*hasher);
    while (stream->Read(&req)) {
      if (req.total() > 0) total = req.total();
      if (!req.expected().empty()) expected = req.expected();
      offset += static_cast<int64_t>(req.data().size());
      resp.Clear();
      resp.set_action(req.action());
      resp.set_offset(offset);
      resp.set_total(total);
      if (behind) {
        behind->add(*req.mutable_data());
        if (req.action() == content_v1::COMMIT) {
          if (auto hashed = behind->finish(); !hashed.ok())
            return {grpc::StatusCode::INTERNAL, hashed.message()};
        }
      } else if (hashing_ == Hashing::kBeforeAnswer) {
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
  const std::string mode = argc == 3 ? argv[2] : "";
  const Hashing hashing = mode == "--hash"          ? Hashing::kBeforeAnswer
                          : mode == "--hash-behind" ? Hashing::kBehind
                                                    : Hashing::kNone;
  if (argc < 2 || argc > 3 || (argc == 3 && hashing == Hashing::kNone)) {
    std::fprintf(stderr, "usage: %s SOCKET_PATH [--hash | --hash-behind]\n", argv[0]);
    return 2;
  }
  // berthd's allocator settings (host/heap_trim.cpp): blocks up to 32 MiB
  // are reused from the heap, not mapped and unmapped for each message,
  // whose pages this VM's host would fault in again every time. Without
  // them the floor pays a cost berthd does not.
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 64 << 20);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before gRPC starts its threads

  ::unlink(argv[1]);
  NullContent service(hashing);
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

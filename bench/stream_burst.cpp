// bench/stream_burst: concurrent Content.Write streams against any daemon
// that speaks containerd's API, for bench/burst.sh.
//
//   stream_burst SOCKET write STREAMS BYTES   each stream writes BYTES in 1 MiB
//                                             messages, then the ingest is aborted
//   stream_burst SOCKET idle STREAMS SECONDS  each stream asks for its status once
//                                             and then holds still for SECONDS
//
// Prints one line: "opened N refused R failed F", where refused counts
// RESOURCE_EXHAUSTED answers (a daemon at its call limit) and failed any
// other error. Exit 0 unless the arguments are wrong.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "github.com/containerd/containerd/api/services/content/v1/content.grpc.pb.h"

namespace {

namespace content_v1 = containerd::services::content::v1;

constexpr int64_t kChunk = 1 << 20;

struct Counts {
  std::atomic<int> opened{0};
  std::atomic<int> refused{0};
  std::atomic<int> failed{0};

  void record(const grpc::Status& st) {
    if (st.ok()) return;
    if (st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++refused;
    } else {
      if (failed++ == 0) std::fprintf(stderr, "stream_burst: %s\n", st.error_message().c_str());
    }
  }
};

void scope(grpc::ClientContext& ctx) { ctx.AddMetadata("containerd-namespace", "default"); }

// One stream: a STAT (which opens the ingest), then either data or a wait.
void one_stream(content_v1::Content::Stub& stub, const std::string& ref, bool write, int64_t amount,
                Counts& counts) {
  grpc::ClientContext ctx;
  scope(ctx);
  auto stream = stub.Write(&ctx);
  content_v1::WriteContentRequest req;
  req.set_action(content_v1::WriteAction::STAT);
  req.set_ref(ref);
  content_v1::WriteContentResponse resp;
  if (!stream->Write(req) || !stream->Read(&resp)) {
    counts.record(stream->Finish());
    return;
  }
  ++counts.opened;
  if (write) {
    const std::string chunk(kChunk, 'b');
    for (int64_t offset = 0; offset < amount; offset += kChunk) {
      req.Clear();
      req.set_action(content_v1::WriteAction::WRITE);
      req.set_ref(ref);
      req.set_offset(offset);
      req.set_data(chunk.data(), static_cast<size_t>(std::min(kChunk, amount - offset)));
      if (!stream->Write(req) || !stream->Read(&resp)) break;
    }
  } else {
    std::this_thread::sleep_for(std::chrono::seconds(amount));
  }
  // Leave as a client that gives up does: cancel, then abort the ingest.
  // (containerd's Write handler does not end on a half-close alone.)
  ctx.TryCancel();
  if (grpc::Status st = stream->Finish(); st.error_code() != grpc::StatusCode::CANCELLED) counts.record(st);
  content_v1::AbortRequest abort;
  abort.set_ref(ref);
  google::protobuf::Empty empty;
  grpc::ClientContext abort_ctx;
  scope(abort_ctx);
  (void)stub.Abort(&abort_ctx, abort, &empty);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 5 ? argv[2] : "";
  if (mode != "write" && mode != "idle") {
    std::fprintf(stderr, "usage: %s SOCKET write STREAMS BYTES | SOCKET idle STREAMS SECONDS\n", argv[0]);
    return 2;
  }
  const int streams = std::atoi(argv[3]);
  const int64_t amount = std::strtoll(argv[4], nullptr, 10);
  // One connection per 100 streams, as many clients would open.
  std::vector<std::unique_ptr<content_v1::Content::Stub>> stubs;
  for (int i = 0; i < (streams + 99) / 100; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", i);  // distinct args: a connection each
    stubs.push_back(content_v1::Content::NewStub(
        grpc::CreateCustomChannel(std::string("unix:") + argv[1], grpc::InsecureChannelCredentials(), args)));
  }
  Counts counts;
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(streams));
  for (int i = 0; i < streams; ++i) {
    threads.emplace_back([&, i] {
      one_stream(*stubs[static_cast<size_t>(i / 100)],
                 "burst-" + std::to_string(::getpid()) + "-" + std::to_string(i), mode == "write", amount,
                 counts);
    });
  }
  for (auto& t : threads) t.join();
  std::printf("opened %d refused %d failed %d\n", counts.opened.load(), counts.refused.load(),
              counts.failed.load());
  return 0;
}

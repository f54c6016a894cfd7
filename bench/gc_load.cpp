// bench/gc_load: a garbage collection under load, against any daemon that
// speaks containerd's API (for bench/gc.sh).
//
//   gc_load SOCKET populate BLOBS IMAGES SNAPSHOTS LEASES
//       In namespace gc-bench: BLOBS small blobs and SNAPSHOTS committed
//       snapshots (overlayfs), all held by lease "gc-bench-hold" only;
//       IMAGES images, each the root of one of those blobs; LEASES leases
//       that expired an hour ago. Prints the seconds it took.
//   gc_load SOCKET run CLIENTS
//       CLIENTS threads issue Leases/Create and Containers/List in turn, one
//       call at a time each; after 2 s the lease "gc-bench-hold" is deleted
//       with sync, which makes every blob no image holds, every snapshot and
//       every expired lease garbage, and waits for the collection that takes
//       them; 1 s after it returns the clients stop. Prints one JSON object:
//       the collection's seconds and, for the calls made before it ("idle")
//       and those in flight during it ("collecting"), their count, median,
//       p99 and longest latency in ms.
//
// Exit 0 when every call succeeded; 1 with the first error on stderr.
#include <google/protobuf/empty.pb.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "digest/sha256.hpp"
#include "github.com/containerd/containerd/api/services/containers/v1/containers.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/content/v1/content.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/images/v1/images.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/leases/v1/leases.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/snapshots/v1/snapshots.grpc.pb.h"

namespace {

namespace containers_v1 = containerd::services::containers::v1;
namespace content_v1 = containerd::services::content::v1;
namespace images_v1 = containerd::services::images::v1;
namespace leases_v1 = containerd::services::leases::v1;
namespace snapshots_v1 = containerd::services::snapshots::v1;
using Clock = std::chrono::steady_clock;

constexpr const char* kNamespace = "gc-bench";
constexpr const char* kHold = "gc-bench-hold";
constexpr const char* kSnapshotter = "overlayfs";

[[noreturn]] void die(const std::string& what, const grpc::Status& st) {
  std::fprintf(stderr, "gc_load: %s: %s (code %d)\n", what.c_str(), st.error_message().c_str(),
               static_cast<int>(st.error_code()));
  std::exit(1);
}

void check(const std::string& what, const grpc::Status& st) {
  if (!st.ok()) die(what, st);
}

void scope(grpc::ClientContext& ctx, bool in_lease) {
  ctx.AddMetadata("containerd-namespace", kNamespace);
  if (in_lease) ctx.AddMetadata("containerd-lease", kHold);
}

std::string sha256_digest(const std::string& data) {
  auto hex = berth::digest::sha256_hex(data);
  if (!hex.ok()) {
    std::fprintf(stderr, "gc_load: sha256: %s\n", hex.status().message().c_str());
    std::exit(1);
  }
  return "sha256:" + *hex;
}

struct Stubs {
  explicit Stubs(const std::shared_ptr<grpc::Channel>& ch)
      : content(content_v1::Content::NewStub(ch)),
        images(images_v1::Images::NewStub(ch)),
        leases(leases_v1::Leases::NewStub(ch)),
        snapshots(snapshots_v1::Snapshots::NewStub(ch)),
        containers(containers_v1::Containers::NewStub(ch)) {}
  std::unique_ptr<content_v1::Content::Stub> content;
  std::unique_ptr<images_v1::Images::Stub> images;
  std::unique_ptr<leases_v1::Leases::Stub> leases;
  std::unique_ptr<snapshots_v1::Snapshots::Stub> snapshots;
  std::unique_ptr<containers_v1::Containers::Stub> containers;
};

void write_blob(Stubs& s, const std::string& data, const std::string& digest) {
  grpc::ClientContext ctx;
  scope(ctx, true);
  auto stream = s.content->Write(&ctx);
  content_v1::WriteContentRequest req;
  req.set_action(content_v1::WriteAction::WRITE);
  req.set_ref("gc-bench-" + digest);
  req.set_total(static_cast<int64_t>(data.size()));
  req.set_expected(digest);
  req.set_data(data);
  content_v1::WriteContentResponse resp;
  if (!stream->Write(req) || !stream->Read(&resp)) die("write " + digest, stream->Finish());
  req.Clear();
  req.set_action(content_v1::WriteAction::COMMIT);
  req.set_ref("gc-bench-" + digest);
  req.set_offset(static_cast<int64_t>(data.size()));
  req.set_total(static_cast<int64_t>(data.size()));
  req.set_expected(digest);
  if (!stream->Write(req) || !stream->Read(&resp)) die("commit " + digest, stream->Finish());
  // Committed. containerd's Write handler does not end on a half-close, so
  // hang up as its own client does.
  ctx.TryCancel();
  (void)stream->Finish();
}

// fn(i) for every i in [0, n), on four threads: a daemon's commits are
// fsync-bound, and filling 10,000 objects one at a time takes minutes.
template <typename Fn>
void parallel_for(int n, Fn fn) {
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < n; i += kThreads) fn(i);
    });
  }
  for (auto& t : threads) t.join();
}

int populate(Stubs& s, int blobs, int images, int snaps, int leases) {
  const auto t0 = Clock::now();
  {
    grpc::ClientContext ctx;
    scope(ctx, false);
    leases_v1::CreateRequest req;
    req.set_id(kHold);
    leases_v1::CreateResponse resp;
    check("create lease", s.leases->Create(&ctx, req, &resp));
  }
  auto blob_data = [](int i) { return "gc-bench blob " + std::to_string(i) + "\n"; };
  std::vector<std::string> digests;
  for (int i = 0; i < blobs; ++i) digests.push_back(sha256_digest(blob_data(i)));
  parallel_for(blobs, [&](int i) { write_blob(s, blob_data(i), digests[static_cast<size_t>(i)]); });
  parallel_for(std::min(images, blobs), [&](int i) {
    grpc::ClientContext ctx;
    scope(ctx, false);
    images_v1::CreateImageRequest req;
    req.mutable_image()->set_name("gc-bench.local/image:" + std::to_string(i));
    auto* target = req.mutable_image()->mutable_target();
    target->set_media_type("application/vnd.oci.image.manifest.v1+json");
    target->set_digest(digests[static_cast<size_t>(i)]);
    target->set_size(static_cast<int64_t>(blob_data(i).size()));
    images_v1::CreateImageResponse resp;
    check("create image", s.images->Create(&ctx, req, &resp));
  });
  parallel_for(snaps, [&](int i) {
    const std::string key = "gc-bench-active-" + std::to_string(i);
    {
      grpc::ClientContext ctx;
      scope(ctx, true);
      snapshots_v1::PrepareSnapshotRequest req;
      req.set_snapshotter(kSnapshotter);
      req.set_key(key);
      snapshots_v1::PrepareSnapshotResponse resp;
      check("prepare " + key, s.snapshots->Prepare(&ctx, req, &resp));
    }
    grpc::ClientContext ctx;
    scope(ctx, true);
    snapshots_v1::CommitSnapshotRequest req;
    req.set_snapshotter(kSnapshotter);
    req.set_key(key);
    req.set_name("gc-bench-" + std::to_string(i));
    google::protobuf::Empty resp;
    check("commit " + key, s.snapshots->Commit(&ctx, req, &resp));
  });
  // containerd.io/gc.expire an hour ago: the next collection takes them.
  const auto expired =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() - std::chrono::hours(1));
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&expired));
  parallel_for(leases, [&](int i) {
    grpc::ClientContext ctx;
    scope(ctx, false);
    leases_v1::CreateRequest req;
    req.set_id("gc-bench-expired-" + std::to_string(i));
    (*req.mutable_labels())["containerd.io/gc.expire"] = when;
    leases_v1::CreateResponse resp;
    check("create expired lease", s.leases->Create(&ctx, req, &resp));
  });
  std::printf("%.1f\n", std::chrono::duration<double>(Clock::now() - t0).count());
  return 0;
}

struct Call {
  Clock::time_point start;
  Clock::time_point end;
};

struct Window {
  size_t count = 0;
  double median_ms = 0, p99_ms = 0, max_ms = 0;
};

Window summarize(std::vector<double> ms) {
  Window w;
  w.count = ms.size();
  if (ms.empty()) return w;
  std::sort(ms.begin(), ms.end());
  w.median_ms = ms[ms.size() / 2];
  w.p99_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  w.max_ms = ms.back();
  return w;
}

std::string json(const Window& w) {
  char b[160];
  std::snprintf(b, sizeof b, "{\"calls\": %zu, \"median_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f}",
                w.count, w.median_ms, w.p99_ms, w.max_ms);
  return b;
}

int run(Stubs& s, int clients) {
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<Call> calls;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::vector<Call> mine;
      for (int n = 0; !stop.load(); ++n) {
        grpc::ClientContext ctx;
        scope(ctx, false);
        grpc::Status st;
        const auto t0 = Clock::now();
        if (n % 2 == 0) {
          leases_v1::CreateRequest req;
          req.set_id("gc-bench-load-" + std::to_string(c) + "-" + std::to_string(n));
          leases_v1::CreateResponse resp;
          st = s.leases->Create(&ctx, req, &resp);
        } else {
          containers_v1::ListContainersRequest req;
          containers_v1::ListContainersResponse resp;
          st = s.containers->List(&ctx, req, &resp);
        }
        const auto t1 = Clock::now();
        if (!st.ok()) {
          if (failures++ == 0)
            std::fprintf(stderr, "gc_load: a load call failed: %s\n", st.error_message().c_str());
          continue;
        }
        mine.push_back({t0, t1});
      }
      std::lock_guard lock(mu);
      calls.insert(calls.end(), mine.begin(), mine.end());
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const auto c0 = Clock::now();
  grpc::Status collected;
  {
    grpc::ClientContext ctx;
    scope(ctx, false);
    leases_v1::DeleteRequest req;
    req.set_id(kHold);
    req.set_sync(true);
    google::protobuf::Empty resp;
    collected = s.leases->Delete(&ctx, req, &resp);
  }
  const auto c1 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  stop = true;
  for (auto& t : threads) t.join();
  check("delete lease with sync", collected);

  std::vector<double> idle;
  std::vector<double> collecting;
  for (const auto& call : calls) {
    const double ms = std::chrono::duration<double, std::milli>(call.end - call.start).count();
    if (call.end <= c0) {
      idle.push_back(ms);
    } else if (call.start < c1) {
      collecting.push_back(ms);
    }
  }
  std::printf("{\"collection_s\": %.3f, \"idle\": %s, \"collecting\": %s}\n",
              std::chrono::duration<double>(c1 - c0).count(), json(summarize(idle)).c_str(),
              json(summarize(collecting)).c_str());
  return failures.load() == 0 ? 0 : 1;
}

int usage() {
  std::fprintf(stderr,
               "usage: gc_load SOCKET populate BLOBS IMAGES SNAPSHOTS LEASES\n"
               "       gc_load SOCKET run CLIENTS\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) return usage();
  const std::string mode = argv[2];
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  auto channel =
      grpc::CreateCustomChannel(std::string("unix://") + argv[1], grpc::InsecureChannelCredentials(), args);
  Stubs stubs(channel);
  if (mode == "populate" && argc == 7)
    return populate(stubs, std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[5]), std::atoi(argv[6]));
  if (mode == "run" && argc == 4) return run(stubs, std::atoi(argv[3]));
  return usage();
}

// bench/gc_load: garbage collection under load, against any daemon that
// speaks containerd's API, for bench/gc.sh.
//
//   gc_load SOCKET populate N     in namespace gcbench: N/4 each of unreferenced
//                                 blobs, expired leases, unreferenced snapshots
//                                 (native) and images (each with a blob of its
//                                 own): N objects for a collection to walk, 3N/4
//                                 of them garbage
//   gc_load SOCKET load SECONDS CLIENTS COLLECT [PROBE_DIR]
//                                 CLIENTS clients, each alternating Images.List
//                                 and Leases.Create in namespace gcload, for
//                                 SECONDS; with COLLECT=1 a collection is
//                                 triggered a third of the way in (Leases.Delete
//                                 with sync in gcbench, which returns when it is
//                                 done)
//
// load prints one line of key=value: requests, p99_ms and max_ms over all
// requests, list_max_ms and create_max_ms per kind; with COLLECT=1 also gc_ms
// (the synchronous delete's time) and the same figures prefixed during_ over
// the requests that overlapped the collection.
//
// With PROBE_DIR (a directory on the daemon's filesystem), a prober appends
// 100 bytes and fdatasync()s them every 2 ms in the same window and reports
// its longest sync as sync_max_ms (during_sync_max_ms). That is the floor of a
// durable Leases.Create: a daemon that syncs its commit can answer no sooner
// than the disk syncs, whatever its collector does. A second prober sleeps
// 1 ms at a time and reports how late it woke, at most, as wake_max_ms
// (during_wake_max_ms): the longest the machine kept a runnable thread off
// its CPUs (a VM's vCPU taken by its host stops every thread at once), which
// no request in flight then escapes either. A third calls, every 2 ms, a
// Leases.Create of gc_load's own: a gRPC server in this process, on a unix
// socket in PROBE_DIR, that appends 100 bytes and fdatasync()s them before
// it answers. Its longest call, call_max_ms (during_call_max_ms), is the
// least a durable Create costs on this machine in that window, the stalls
// of the disk, the scheduler and gRPC's threads compounded as they come:
// the floor under the daemon's longest Create, with no database behind it.
//
// GC_LOAD_TRACE_MS=X (with COLLECT=1) lists on stderr every request and sync
// that took X ms or more, with its start relative to the collection's: slow
// calls that start together in all clients point at the daemon, a slow sync
// beside them at the disk.
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "berth/unique_fd.hpp"
#include "digest/sha256.hpp"
#include "github.com/containerd/containerd/api/services/content/v1/content.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/images/v1/images.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/leases/v1/leases.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/snapshots/v1/snapshots.grpc.pb.h"

namespace {

namespace content_v1 = containerd::services::content::v1;
namespace images_v1 = containerd::services::images::v1;
namespace leases_v1 = containerd::services::leases::v1;
namespace snapshots_v1 = containerd::services::snapshots::v1;
using Clock = std::chrono::steady_clock;

std::shared_ptr<grpc::Channel> channel_to(const std::string& socket) {
  return grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials());
}

void in_ns(grpc::ClientContext& ctx, const std::string& ns) { ctx.AddMetadata("containerd-namespace", ns); }

// The project's digest helper (libs/digest), not a second SHA-256 here.
std::string sha256_digest(const std::string& data) {
  auto hex = berth::digest::sha256_hex(data);
  if (!hex.ok()) {
    std::fprintf(stderr, "gc_load: sha256: %s\n", hex.status().message().c_str());
    std::exit(1);
  }
  return "sha256:" + *hex;
}

void check(const grpc::Status& st, const char* what) {
  if (st.ok() || st.error_code() == grpc::StatusCode::ALREADY_EXISTS) return;
  std::fprintf(stderr, "gc_load: %s: %s\n", what, st.error_message().c_str());
  std::exit(1);
}

std::string write_blob(content_v1::Content::Stub& content, const std::string& ns, const std::string& data) {
  const std::string digest = sha256_digest(data);
  grpc::ClientContext ctx;
  in_ns(ctx, ns);
  auto stream = content.Write(&ctx);
  content_v1::WriteContentRequest req;
  req.set_action(content_v1::COMMIT);
  req.set_ref("gc-load-" + digest);
  req.set_total(static_cast<int64_t>(data.size()));
  req.set_data(data);
  req.set_expected(digest);
  content_v1::WriteContentResponse resp;
  if (stream->Write(req)) stream->Read(&resp);
  stream->WritesDone();
  while (stream->Read(&resp)) {
  }
  check(stream->Finish(), "content write");
  return digest;
}

int populate(const std::string& socket, int n) {
  auto ch = channel_to(socket);
  const int quarter = n / 4;
  std::vector<std::thread> threads;
  std::atomic<int> next{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      auto content = content_v1::Content::NewStub(ch);
      auto images = images_v1::Images::NewStub(ch);
      auto leases = leases_v1::Leases::NewStub(ch);
      auto snapshots = snapshots_v1::Snapshots::NewStub(ch);
      for (int i = next++; i < quarter; i = next++) {
        const std::string id = std::to_string(i);
        write_blob(*content, "gcbench", "garbage blob " + id);
        {
          grpc::ClientContext ctx;
          in_ns(ctx, "gcbench");
          leases_v1::CreateRequest req;
          req.set_id("expired-" + id);
          (*req.mutable_labels())["containerd.io/gc.expire"] = "2000-01-01T00:00:00Z";
          leases_v1::CreateResponse resp;
          check(leases->Create(&ctx, req, &resp), "lease create");
        }
        {
          grpc::ClientContext ctx;
          in_ns(ctx, "gcbench");
          snapshots_v1::PrepareSnapshotRequest req;
          req.set_snapshotter("native");
          req.set_key("garbage-" + id);
          snapshots_v1::PrepareSnapshotResponse resp;
          check(snapshots->Prepare(&ctx, req, &resp), "snapshot prepare");
        }
        {
          const std::string target = write_blob(*content, "gcbench", "image blob " + id);
          grpc::ClientContext ctx;
          in_ns(ctx, "gcbench");
          images_v1::CreateImageRequest req;
          req.mutable_image()->set_name("bench.example/image:" + id);
          auto* desc = req.mutable_image()->mutable_target();
          desc->set_media_type("application/vnd.oci.image.manifest.v1+json");
          desc->set_digest(target);
          desc->set_size(static_cast<int64_t>(("image blob " + id).size()));
          images_v1::CreateImageResponse resp;
          check(images->Create(&ctx, req, &resp), "image create");
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::printf("populated %d objects\n", 5 * quarter);
  return 0;
}

enum class Kind { kList, kCreate, kSync, kWake, kCall };

struct Sample {
  Clock::time_point start, end;
  Kind kind;
};

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Prints the figures of the samples that pass `keep`: requests, p99 and
// longest over the API calls, the longest of each kind, the longest sync.
template <typename Keep>
void stats(const char* prefix, const std::vector<Sample>& samples, Keep keep) {
  std::vector<double> calls;
  double list_max = 0, create_max = 0, sync_max = 0, wake_max = 0, call_max = 0;
  for (const auto& s : samples) {
    if (!keep(s)) continue;
    const double took = ms(s.end - s.start);
    switch (s.kind) {
      case Kind::kList:
        list_max = std::max(list_max, took);
        break;
      case Kind::kCreate:
        create_max = std::max(create_max, took);
        break;
      case Kind::kSync:
        sync_max = std::max(sync_max, took);
        continue;
      case Kind::kWake:
        wake_max = std::max(wake_max, took);
        continue;
      case Kind::kCall:
        call_max = std::max(call_max, took);
        continue;
    }
    calls.push_back(took);
  }
  if (calls.empty()) {
    std::printf(" %srequests=0", prefix);
    return;
  }
  std::sort(calls.begin(), calls.end());
  const double p99 =
      calls[std::min(calls.size() - 1, static_cast<std::size_t>(static_cast<double>(calls.size()) * 0.99))];
  std::printf(" %srequests=%zu %sp99_ms=%.3f %smax_ms=%.3f %slist_max_ms=%.3f %screate_max_ms=%.3f", prefix,
              calls.size(), prefix, p99, prefix, calls.back(), prefix, list_max, prefix, create_max);
  if (sync_max > 0) std::printf(" %ssync_max_ms=%.3f", prefix, sync_max);
  if (wake_max > 0) std::printf(" %swake_max_ms=%.3f", prefix, wake_max);
  if (call_max > 0) std::printf(" %scall_max_ms=%.3f", prefix, call_max);
}

// Appends 100 bytes and syncs them every 2 ms until `until`: the disk's own
// latency for a durable commit, measured beside the daemon's.
std::vector<Sample> probe_syncs(const std::string& dir, Clock::time_point until) {
  const std::string path = dir + "/gc_load.sync-probe";
  berth::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600));
  if (!fd) {
    std::perror(("gc_load: " + path).c_str());
    std::exit(1);
  }
  const std::string record(100, 'p');
  std::vector<Sample> out;
  while (Clock::now() < until) {
    const auto start = Clock::now();
    if (::write(fd.get(), record.data(), record.size()) != static_cast<ssize_t>(record.size()) ||
        ::fdatasync(fd.get()) != 0) {
      std::perror("gc_load: sync probe");
      std::exit(1);
    }
    out.push_back({start, Clock::now(), Kind::kSync});
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  fd.reset();
  ::unlink(path.c_str());
  return out;
}

// Sleeps 1 ms at a time until `until`; each sample spans from when it was
// due to wake to when it ran: how late the machine let it run.
std::vector<Sample> probe_wakes(Clock::time_point until) {
  std::vector<Sample> out;
  while (Clock::now() < until) {
    const auto due = Clock::now() + std::chrono::milliseconds(1);
    std::this_thread::sleep_until(due);
    out.push_back({due, Clock::now(), Kind::kWake});
  }
  return out;
}

// Leases.Create made durable and nothing else: appends a 100-byte record
// and fdatasync()s it before answering (one caller, so no group commit).
class DurableLeases final : public leases_v1::Leases::Service {
 public:
  explicit DurableLeases(const std::string& path)
      : path_(path), fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600)) {
    if (!fd_) {
      std::perror(("gc_load: " + path).c_str());
      std::exit(1);
    }
  }
  ~DurableLeases() override { ::unlink(path_.c_str()); }
  DurableLeases(const DurableLeases&) = delete;
  DurableLeases& operator=(const DurableLeases&) = delete;

  grpc::Status Create(grpc::ServerContext* /*ctx*/, const leases_v1::CreateRequest* req,
                      leases_v1::CreateResponse* resp) override {
    const std::string record(100, 'c');
    std::lock_guard lock(mu_);
    if (::write(fd_.get(), record.data(), record.size()) != static_cast<ssize_t>(record.size()) ||
        ::fdatasync(fd_.get()) != 0)
      return {grpc::StatusCode::INTERNAL, std::string("append and sync: ") + std::strerror(errno)};
    resp->mutable_lease()->set_id(req->id());
    return grpc::Status::OK;
  }

 private:
  const std::string path_;
  std::mutex mu_;
  berth::UniqueFd fd_;
};

// Calls the durable Create above every 2 ms until `until`.
std::vector<Sample> probe_calls(const std::string& socket, Clock::time_point until) {
  auto leases = leases_v1::Leases::NewStub(channel_to(socket));
  std::vector<Sample> out;
  for (int i = 0; Clock::now() < until; ++i) {
    grpc::ClientContext ctx;
    leases_v1::CreateRequest req;
    req.set_id("probe-" + std::to_string(i));
    leases_v1::CreateResponse resp;
    const auto start = Clock::now();
    check(leases->Create(&ctx, req, &resp), "durable probe create");
    out.push_back({start, Clock::now(), Kind::kCall});
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return out;
}

int load(const std::string& socket, double seconds, int clients, bool collect, const std::string& probe_dir) {
  auto ch = channel_to(socket);
  if (collect) {
    grpc::ClientContext ctx;
    in_ns(ctx, "gcbench");
    leases_v1::CreateRequest req;
    req.set_id("trigger");
    leases_v1::CreateResponse resp;
    check(leases_v1::Leases::NewStub(ch)->Create(&ctx, req, &resp), "trigger lease");
  }
  const auto begin = Clock::now();
  const auto until =
      begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::mutex mu;
  std::vector<Sample> samples;
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(clients) + 3);  // the clients and the probers
  std::unique_ptr<DurableLeases> durable;
  std::unique_ptr<grpc::Server> durable_server;
  const std::string durable_socket = probe_dir + "/gc_load.probe.sock";
  if (!probe_dir.empty()) {
    ::unlink(durable_socket.c_str());
    durable = std::make_unique<DurableLeases>(probe_dir + "/gc_load.call-probe");
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + durable_socket, grpc::InsecureServerCredentials());
    builder.RegisterService(durable.get());
    durable_server = builder.BuildAndStart();
    if (!durable_server) {
      std::fprintf(stderr, "gc_load: cannot serve the durable probe on %s\n", durable_socket.c_str());
      std::exit(1);
    }
    threads.emplace_back([&] {
      auto mine = probe_calls(durable_socket, until);
      std::lock_guard lock(mu);
      samples.insert(samples.end(), mine.begin(), mine.end());
    });
    threads.emplace_back([&] {
      auto mine = probe_syncs(probe_dir, until);
      std::lock_guard lock(mu);
      samples.insert(samples.end(), mine.begin(), mine.end());
    });
    threads.emplace_back([&] {
      auto mine = probe_wakes(until);
      std::lock_guard lock(mu);
      samples.insert(samples.end(), mine.begin(), mine.end());
    });
  }
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto images = images_v1::Images::NewStub(ch);
      auto leases = leases_v1::Leases::NewStub(ch);
      std::vector<Sample> mine;
      for (int i = 0; Clock::now() < until; ++i) {
        grpc::ClientContext ctx;
        in_ns(ctx, "gcload");
        const auto start = Clock::now();
        const Kind kind = i % 2 == 0 ? Kind::kList : Kind::kCreate;
        if (kind == Kind::kList) {
          images_v1::ListImagesRequest req;
          images_v1::ListImagesResponse resp;
          check(images->List(&ctx, req, &resp), "images list");
        } else {
          leases_v1::CreateRequest req;
          req.set_id("c" + std::to_string(c) + "-" + std::to_string(i) + "-" +
                     std::to_string(start.time_since_epoch().count()));
          leases_v1::CreateResponse resp;
          check(leases->Create(&ctx, req, &resp), "lease create");
        }
        mine.push_back({start, Clock::now(), kind});
      }
      std::lock_guard lock(mu);
      samples.insert(samples.end(), mine.begin(), mine.end());
    });
  }
  Clock::time_point gc_start{}, gc_end{};
  if (collect) {
    std::this_thread::sleep_until(begin + (until - begin) / 3);
    grpc::ClientContext ctx;
    in_ns(ctx, "gcbench");
    leases_v1::DeleteRequest req;
    req.set_id("trigger");
    req.set_sync(true);
    google::protobuf::Empty resp;
    gc_start = Clock::now();
    check(leases_v1::Leases::NewStub(ch)->Delete(&ctx, req, &resp), "sync delete");
    gc_end = Clock::now();
  }
  for (auto& t : threads) t.join();
  if (durable_server) {
    durable_server->Shutdown();
    ::unlink(durable_socket.c_str());
  }
  if (const char* slow = std::getenv("GC_LOAD_TRACE_MS"); slow != nullptr && collect) {
    for (const auto& s : samples)
      if (ms(s.end - s.start) >= std::atof(slow))
        std::fprintf(stderr, "slow %s at %+.1f ms took %.2f ms\n",
                     s.kind == Kind::kList     ? "list"
                     : s.kind == Kind::kCreate ? "create"
                     : s.kind == Kind::kSync   ? "sync"
                     : s.kind == Kind::kCall   ? "durable call"
                                               : "wake",
                     ms(s.start - gc_start), ms(s.end - s.start));
    std::fprintf(stderr, "gc from 0 to %.1f ms\n", ms(gc_end - gc_start));
  }
  std::printf("clients=%d seconds=%.1f", clients, seconds);
  stats("", samples, [](const Sample&) { return true; });
  if (collect) {
    std::printf(" gc_ms=%.3f", ms(gc_end - gc_start));
    stats("during_", samples, [&](const Sample& s) { return s.start < gc_end && s.end > gc_start; });
  }
  std::printf("\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[2]) == "populate") return populate(argv[1], std::atoi(argv[3]));
  if ((argc == 6 || argc == 7) && std::string(argv[2]) == "load")
    return load(argv[1], std::atof(argv[3]), std::atoi(argv[4]), std::string(argv[5]) == "1",
                argc == 7 ? argv[6] : "");
  std::fprintf(stderr,
               "usage: gc_load SOCKET populate N\n"
               "       gc_load SOCKET load SECONDS CLIENTS COLLECT(0|1) [PROBE_DIR]\n");
  return 2;
}

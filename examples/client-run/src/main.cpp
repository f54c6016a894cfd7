// client-run: containerd's Go client demo (client.Pull, NewContainer with
// WithNewSnapshot and WithNewSpec(WithImageConfig), NewTask, Wait, Start,
// sleep, Kill(SIGTERM), print the exit status, clean up) in C++ over the
// daemon's v1 gRPC API. See ../README.md.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cleanup_stack.hpp"
#include "image_source.hpp"
#include "image_store.hpp"
#include "runtime_spec.hpp"
#include "session.hpp"
#include "stdio_fifos.hpp"
#include "task_runner.hpp"

namespace client_run {
namespace {

constexpr const char* kUsage =
    "Usage: client-run [OPTIONS] IMAGE [-- COMMAND [ARG...]]\n"
    "\n"
    "Pulls IMAGE (or imports it from an OCI archive), runs it as a container, stops it\n"
    "with SIGTERM after a while, prints its exit status and removes everything it made.\n"
    "\n"
    "  -a, --address SOCKET    the daemon's gRPC socket (/run/containerd/containerd.sock)\n"
    "  -n, --namespace NS      the namespace to work in (example)\n"
    "      --id ID             the container's ID (client-run); its snapshot is ID-snapshot\n"
    "      --import ARCHIVE    take IMAGE from this OCI archive instead of a registry\n"
    "      --plain-http        pull over http:// rather than https://\n"
    "      --snapshotter NAME  overlayfs\n"
    "      --runtime NAME      io.containerd.runc.v2\n"
    "      --sleep SECONDS     how long the task runs before SIGTERM (3)\n"
    "      --kill-timeout SECONDS  SIGKILL if it has not exited this long after SIGTERM (10)\n"
    "      --fifo-dir DIR      where the stdio FIFOs are made (/tmp)\n"
    "  -h, --help\n";

struct Options {
  std::string address = "/run/containerd/containerd.sock";
  std::string ns = "example";
  std::string id = "client-run";
  std::string archive;
  bool plain_http = false;
  std::string snapshotter = "overlayfs";
  std::string runtime = "io.containerd.runc.v2";
  int sleep_seconds = 3;
  int kill_timeout = 10;
  std::string fifo_dir = "/tmp";
  std::string image;
  std::vector<std::string> command;
};

// Parses argv; on a usage error prints it and returns nothing (exit 2).
std::optional<Options> parse(int argc, char** argv, int& exit_code) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    auto number = [&](int& out) {
      std::string text;
      if (!value(text)) return false;
      char* end = nullptr;
      const long n = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || n < 0 || n > 86400) return false;
      out = static_cast<int>(n);
      return true;
    };
    bool ok = true;
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      exit_code = 0;
      return std::nullopt;
    } else if (a == "-a" || a == "--address") {
      ok = value(o.address);
    } else if (a == "-n" || a == "--namespace") {
      ok = value(o.ns);
    } else if (a == "--id") {
      ok = value(o.id);
    } else if (a == "--import") {
      ok = value(o.archive);
    } else if (a == "--plain-http") {
      o.plain_http = true;
    } else if (a == "--snapshotter") {
      ok = value(o.snapshotter);
    } else if (a == "--runtime") {
      ok = value(o.runtime);
    } else if (a == "--sleep") {
      ok = number(o.sleep_seconds);
    } else if (a == "--kill-timeout") {
      ok = number(o.kill_timeout);
    } else if (a == "--fifo-dir") {
      ok = value(o.fifo_dir);
    } else if (a == "--") {
      o.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    } else if (a.starts_with("-")) {
      std::fprintf(stderr, "client-run: unknown option %s\n%s", a.c_str(), kUsage);
      ok = false;
    } else if (o.image.empty()) {
      o.image = a;
    } else {
      o.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    if (!ok) {
      std::fprintf(stderr, "client-run: bad or missing value for %s\n%s", a.c_str(), kUsage);
      exit_code = 2;
      return std::nullopt;
    }
  }
  if (o.image.empty() || o.id.empty() || o.ns.empty()) {
    std::fprintf(stderr, "client-run: an IMAGE is required\n%s", kUsage);
    exit_code = 2;
    return std::nullopt;
  }
  return o;
}

// SIGINT, SIGTERM and SIGHUP are blocked in every thread (before gRPC makes
// any) and taken only where the demo can stop cleanly: between steps and
// during the sleep.
class Interrupts {
 public:
  Interrupts() {
    sigemptyset(&set_);
    for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set_, s);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }
  // Sleeps up to `seconds`; true if a signal came.
  bool sleep(int seconds) {
    timespec t{seconds, 0};
    if (sigtimedwait(&set_, nullptr, &t) > 0) caught_ = true;
    return caught_;
  }
  bool caught() { return sleep(0); }

 private:
  sigset_t set_{};
  bool caught_ = false;
};

void step(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

std::string random_id() {
  std::random_device device;
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%08x%08x", device(), device());
  return buffer;
}

std::string rfc3339_in(std::chrono::seconds from_now) {
  const std::time_t t = std::time(nullptr) + from_now.count();
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

struct Run {
  Options o;
  Session session;
  Interrupts& interrupts;
  CleanupStack cleanup;
  std::unique_ptr<StdioFifos> fifos;
  std::unique_ptr<TaskWaiter> waiter;
  bool task_exited = false;

  Status lease() {
    leases_v1::CreateRequest request;
    request.set_id("client-run-" + random_id());
    // If this process dies hard, the collector drops the lease after a day.
    (*request.mutable_labels())["containerd.io/gc.expire"] = rfc3339_in(std::chrono::hours(24));
    leases_v1::CreateResponse response;
    if (auto s = check(session.leases().Create(session.context().get(), request, &response), "create lease");
        !s)
      return s;
    const std::string id = response.lease().id();
    cleanup.push("deleted lease " + id, [this, id]() -> Status {
      session.set_lease("");
      leases_v1::DeleteRequest remove;
      remove.set_id(id);
      google::protobuf::Empty empty;
      return check(session.leases().Delete(session.context().get(), remove, &empty), "delete lease");
    });
    session.set_lease(id);
    step("created lease " + id);
    return {};
  }

  Result<StoredImage> image() {
    Result<std::unique_ptr<ImageSource>> source =
        o.archive.empty() ? open_registry(o.image, o.plain_http) : open_oci_archive(o.archive, o.image);
    if (!source) return std::unexpected(source.error());
    step(o.archive.empty() ? "pulling " + o.image + (o.plain_http ? " over plain http" : "")
                           : "importing " + o.image + " from " + o.archive);
    auto image = store_image(session, **source, o.image, o.snapshotter, step);
    if (!image)
      return std::unexpected((o.archive.empty() ? "pull " : "import ") + o.image + ": " + image.error());
    step("image " + image->name + ": " + image->target.digest + ", " + std::to_string(image->layers) +
         " layer(s), " + std::to_string(image->layers_unpacked) + " unpacked into " + o.snapshotter);
    return image;
  }

  Result<google::protobuf::RepeatedPtrField<containerd::types::Mount>> snapshot(const StoredImage& image) {
    const std::string key = o.id + "-snapshot";
    snapshots_v1::PrepareSnapshotRequest request;
    request.set_snapshotter(o.snapshotter);
    request.set_key(key);
    request.set_parent(image.top_chain_id);
    snapshots_v1::PrepareSnapshotResponse response;
    if (auto s = check(session.snapshots().Prepare(session.context().get(), request, &response),
                       "prepare snapshot " + key);
        !s)
      return std::unexpected(s.error());
    cleanup.push("removed snapshot " + key, [this, key]() -> Status {
      snapshots_v1::RemoveSnapshotRequest remove;
      remove.set_snapshotter(o.snapshotter);
      remove.set_key(key);
      google::protobuf::Empty empty;
      return check(session.snapshots().Remove(session.context().get(), remove, &empty),
                   "remove snapshot " + key);
    });
    step("prepared snapshot " + key + " on " + image.top_chain_id);
    return response.mounts();
  }

  Status container(const StoredImage& image) {
    auto spec = runtime_spec(image.config, o.ns, o.id, o.command);
    if (!spec) return fail("runtime spec: " + spec.error());
    containers_v1::CreateContainerRequest request;
    auto& c = *request.mutable_container();
    c.set_id(o.id);
    c.set_image(image.name);
    c.mutable_runtime()->set_name(o.runtime);
    c.mutable_spec()->set_type_url("types.containerd.io/opencontainers/runtime-spec/1/Spec");
    c.mutable_spec()->set_value(spec->dump());
    c.set_snapshotter(o.snapshotter);
    c.set_snapshot_key(o.id + "-snapshot");
    containers_v1::CreateContainerResponse response;
    if (auto s = check(session.containers().Create(session.context().get(), request, &response),
                       "create container " + o.id);
        !s)
      return s;
    cleanup.push("deleted container " + o.id, [this]() -> Status {
      containers_v1::DeleteContainerRequest remove;
      remove.set_id(o.id);
      google::protobuf::Empty empty;
      return check(session.containers().Delete(session.context().get(), remove, &empty),
                   "delete container " + o.id);
    });
    std::string argv;
    for (const auto& a : (*spec)["process"]["args"]) argv += (argv.empty() ? "" : " ") + a.get<std::string>();
    step("created container " + o.id + " (runtime " + o.runtime + "): " + argv);
    return {};
  }

  Status stdio() {
    auto created = StdioFifos::create(o.fifo_dir, o.id);
    if (!created) return fail("stdio FIFOs: " + created.error());
    fifos = std::move(*created);
    cleanup.push("removed stdio FIFOs " + fifos->dir(), [this]() -> Status {
      fifos.reset();
      return {};
    });
    step("created stdio FIFOs in " + fifos->dir());
    return {};
  }

  // Stops the task however far it got, then deletes it: the undo of Create.
  Status stop_and_delete() {
    if (!task_exited) {
      (void)kill_task(session, o.id, SIGKILL, true);  // fails harmlessly if it already stopped
      if (waiter && !waiter->wait_for(std::chrono::seconds(10)))
        return fail("task " + o.id + " did not stop after SIGKILL");
    }
    waiter.reset();
    auto deleted = delete_task(session, o.id);
    if (!deleted) return std::unexpected(deleted.error());
    if (fifos) fifos->finish(std::chrono::seconds(2));
    return {};
  }

  Status task(const google::protobuf::RepeatedPtrField<containerd::types::Mount>& rootfs) {
    tasks_v1::CreateTaskRequest request;
    request.set_container_id(o.id);
    *request.mutable_rootfs() = rootfs;
    request.set_stdout(fifos->stdout_path());
    request.set_stderr(fifos->stderr_path());
    tasks_v1::CreateTaskResponse response;
    if (auto s =
            check(session.tasks().Create(session.context().get(), request, &response), "create task " + o.id);
        !s)
      return s;
    cleanup.push("deleted task " + o.id, [this] { return stop_and_delete(); });
    step("created task " + o.id + ": pid " + std::to_string(response.pid()));

    waiter = std::make_unique<TaskWaiter>(session, o.id);
    tasks_v1::StartRequest start;
    start.set_container_id(o.id);
    tasks_v1::StartResponse started;
    if (auto s = check(session.tasks().Start(session.context().get(), start, &started), "start task " + o.id);
        !s)
      return s;
    step("started task " + o.id);

    step("sleeping " + std::to_string(o.sleep_seconds) + " s");
    if (interrupts.sleep(o.sleep_seconds)) return fail("interrupted");
    auto status = waiter->wait_for(std::chrono::milliseconds(0));
    if (!status) {
      // The process may end between the look and the kill: then the kill's
      // NotFound is no error, the wait has the status.
      if (auto s = kill_task(session, o.id, SIGTERM, false); s) {
        step("sent SIGTERM to task " + o.id);
      } else if (status = waiter->wait_for(std::chrono::seconds(1)); !status) {
        return s;
      }
    }
    if (!status) status = waiter->wait_for(std::chrono::seconds(o.kill_timeout));
    if (!status) {
      step("task " + o.id + " still running after " + std::to_string(o.kill_timeout) + " s: sending SIGKILL");
      if (auto s = kill_task(session, o.id, SIGKILL, true); !s) return s;
      status = waiter->wait_for(std::chrono::seconds(30));
      if (!status) return fail("task " + o.id + " did not stop after SIGKILL");
    }
    if (!*status) return std::unexpected(status->error());
    task_exited = true;
    step(o.id + " exited with status: " + std::to_string(**status));
    return {};
  }

  Status run() {
    if (auto s = session.connect(std::chrono::seconds(10)); !s) return s;
    step("connected to " + session.target() + ", namespace " + o.ns);
    if (auto s = lease(); !s) return s;
    auto stored = image();
    if (!stored) return std::unexpected(stored.error());
    if (interrupts.caught()) return fail("interrupted");
    auto rootfs = snapshot(*stored);
    if (!rootfs) return std::unexpected(rootfs.error());
    if (auto s = container(*stored); !s) return s;
    if (auto s = stdio(); !s) return s;
    if (interrupts.caught()) return fail("interrupted");
    return task(*rootfs);
  }
};

}  // namespace
}  // namespace client_run

int main(int argc, char** argv) {
  using namespace client_run;
  int exit_code = 0;
  auto options = parse(argc, argv, exit_code);
  if (!options) return exit_code;
  Interrupts interrupts;  // before the first thread
  Run run{*options, Session(options->address, options->ns), interrupts, {}, {}, {}, false};
  const auto status = run.run();
  if (!status) std::fprintf(stderr, "client-run: %s\n", status.error().c_str());
  std::fflush(stdout);
  const bool cleaned = run.cleanup.run();
  if (!status) return interrupts.caught() || status.error() == "interrupted" ? 130 : 1;
  return cleaned ? 0 : 1;
}

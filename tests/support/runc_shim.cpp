#include "runc_shim.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "child_process.hpp"
#include "files/fd_io.hpp"
#include "google/protobuf/empty.pb.h"
#include "ttrpc/typed.hpp"
#include "ttrpc/unix_socket.hpp"

namespace berth::test {
namespace {

namespace fs = std::filesystem;
namespace task = containerd::task::v2;
using namespace std::chrono_literals;

// Where each shim tells runc to keep state by default: containerd's
// /run/containerd/runc/<ns>, Berth's /run/berth/runc/<ns>.
fs::path default_runc_root(const std::string& binary, const std::string& ns) {
  return fs::path(binary == kRuncShim ? "/run/containerd/runc" : "/run/berth/runc") / ns;
}

bool alive(pid_t pid) { return pid > 0 && ::kill(pid, 0) == 0; }

}  // namespace

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

RuncShim::RuncShim(const fs::path& dir, std::string ns, std::string id, std::string binary)
    : bundle_(dir / ns / id),
      ns_(std::move(ns)),
      id_(std::move(id)),
      binary_(std::move(binary)),
      runc_root_(default_runc_root(binary_, ns_)) {
  fs::create_directories(bundle_);
}

RuncShim::~RuncShim() {
  if (created_) {
    std::string out;
    run_shell("runc --root " + runc_root_.string() + " delete -f " + id_ + " 2>/dev/null", out);
    // Berth's shim mounts Create's rootfs mounts itself.
    ::umount2((bundle_ / "rootfs").c_str(), MNT_DETACH);
  }
  // Only the shim we started, by the pid it told us and the id it runs for.
  if (alive(pid_) && owns(pid_)) ::kill(pid_, SIGKILL);
  std::error_code ec;
  if (!socket_.empty()) fs::remove(socket_, ec);
  // Empty once our container is gone; another test's is left alone.
  fs::remove(runc_root_, ec);
}

Status RuncShim::write_minimal_bundle() {
  std::ofstream(bundle_ / "config.json") << R"({"ociVersion": "1.0.2"})";
  return {};
}

Status RuncShim::write_busybox_bundle(const std::vector<std::string>& args) {
  return write_busybox_bundle(args, [](nlohmann::json&) {});
}

Status RuncShim::write_busybox_bundle(const std::vector<std::string>& args,
                                      const std::function<void(nlohmann::json&)>& edit) {
  const fs::path rootfs = bundle_ / "rootfs";
  std::error_code ec;
  fs::create_directories(rootfs / "bin", ec);
  if (ec) return errno_status("create " + rootfs.string(), ec.value());
  fs::copy_file("/bin/busybox", rootfs / "bin/busybox", ec);
  if (ec) return errno_status("copy /bin/busybox (busybox-static) into the rootfs", ec.value());
  std::string out;
  if (run_shell("runc spec --bundle '" + bundle_.string() + "'", out) != 0)
    return internal("runc spec: " + out);
  auto text = files::read_file(bundle_ / "config.json");
  if (!text.ok()) return text.status();
  auto spec = nlohmann::json::parse(*text);
  spec["process"]["terminal"] = false;
  spec["process"]["args"] = args;
  edit(spec);
  std::ofstream(bundle_ / "config.json") << spec.dump();
  return {};
}

Result<std::string> RuncShim::start(const std::string& grpc_address, const std::string& ttrpc_address) {
  // containerd opens the shim's log fifo before starting it; the shim blocks
  // until someone has.
  if (::mkfifo((bundle_ / "log").c_str(), 0700) != 0) return errno_status("mkfifo log", errno);
  log_.reset(::open((bundle_ / "log").c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!log_) return errno_status("open the log fifo", errno);
  const std::string cmd = "(cd '" + bundle_.string() + "' && TTRPC_ADDRESS='" + ttrpc_address + "' " +
                          binary_ + " -namespace " + ns_ + " -address '" + grpc_address +
                          "' -publish-binary /bin/false -id " + id_ + " start </dev/null 2>start.log)";
  std::string out;
  const int rc = run_shell(cmd, out);
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
  if (rc != 0) return internal("shim start exited " + std::to_string(rc) + ": " + out + "\n" + logs());
  if (!out.starts_with("unix://")) return internal("shim start printed no address: " + out);
  socket_ = ttrpc::socket_path(out);
  return out;
}

Result<std::unique_ptr<ttrpc::Client>> RuncShim::connect() {
  auto client = ttrpc::Client::dial(socket_);
  if (!client.ok()) return client.status();
  task::ConnectRequest req;
  req.set_id(id_);
  auto resp = ttrpc::call<task::ConnectResponse>(**client, kShimTaskService, "Connect", req, 10s);
  if (!resp.ok()) return resp.status();
  pid_ = static_cast<pid_t>(resp->shim_pid());
  if (!owns(pid_)) return internal("Connect named pid " + std::to_string(pid_) + ", not our shim");
  return std::move(client).value();
}

Result<task::CreateTaskResponse> RuncShim::create(ttrpc::Client& client) { return create(client, {}); }

Result<task::CreateTaskResponse> RuncShim::create(ttrpc::Client& client, task::CreateTaskRequest req) {
  if (req.id().empty()) req.set_id(id_);
  if (req.bundle().empty()) req.set_bundle(bundle_.string());
  auto out = ttrpc::call<task::CreateTaskResponse>(client, kShimTaskService, "Create", req, 30s);
  if (out.ok()) created_ = true;
  return out;
}

Result<task::StartResponse> RuncShim::start_task(ttrpc::Client& client) {
  task::StartRequest req;
  req.set_id(id_);
  return ttrpc::call<task::StartResponse>(client, kShimTaskService, "Start", req, 30s);
}

Result<task::WaitResponse> RuncShim::wait(ttrpc::Client& client) {
  task::WaitRequest req;
  req.set_id(id_);
  return ttrpc::call<task::WaitResponse>(client, kShimTaskService, "Wait", req, 30s);
}

Result<task::DeleteResponse> RuncShim::remove(ttrpc::Client& client) {
  task::DeleteRequest req;
  req.set_id(id_);
  auto out = ttrpc::call<task::DeleteResponse>(client, kShimTaskService, "Delete", req, 30s);
  if (out.ok()) created_ = false;
  return out;
}

Status RuncShim::shut_down(ttrpc::Client& client) {
  task::ShutdownRequest req;
  req.set_id(id_);
  auto done = ttrpc::call<google::protobuf::Empty>(client, kShimTaskService, "Shutdown", req, 10s);
  // The shim may exit before its answer is out: the connection closes.
  if (!done.ok() && done.status().code() != Code::kUnavailable) return done.status();
  if (!wait_until([&] { return !alive(pid_); }, 10s))
    return {Code::kDeadlineExceeded, "shim " + std::to_string(pid_) + " still runs after Shutdown"};
  if (!wait_until([&] { return !fs::exists(socket_); }, 5s))
    return {Code::kDeadlineExceeded, socket_ + " left behind after Shutdown"};
  return {};
}

bool RuncShim::owns(pid_t pid) const {
  auto cmdline = files::read_file("/proc/" + std::to_string(pid) + "/cmdline");
  return cmdline.ok() && cmdline->find(id_ + '\0') != std::string::npos;
}

std::string RuncShim::logs() const {
  std::string out;
  if (log_) {
    char buf[65536];
    const ssize_t n = ::read(log_.get(), buf, sizeof buf);
    if (n > 0) out += "shim log:\n" + std::string(buf, static_cast<std::size_t>(n)) + "\n";
  }
  auto err = files::read_file(bundle_ / "start.log");
  if (err.ok()) out += "shim start stderr:\n" + *err + "\n";
  return out;
}

}  // namespace berth::test

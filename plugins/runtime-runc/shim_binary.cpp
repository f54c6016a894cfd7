#include "shim_binary.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "clock/clock.hpp"
#include "files/atomic_file.hpp"
#include "files/fd_io.hpp"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb.h"
#include "google/protobuf/any.pb.h"
#include "process/run.hpp"
#include "shim_time.hpp"
#include "text/text.hpp"

namespace berth::runtime_runc {

namespace fs = std::filesystem;

namespace {

constexpr auto kStartTimeout = std::chrono::seconds(30);
constexpr auto kDeleteTimeout = std::chrono::seconds(30);

bool executable(const fs::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// containerd's BinaryName: io.containerd.runc.v2 -> containerd-shim-runc-v2.
std::optional<std::string> conventional_name(std::string_view runtime) {
  auto parts = text::split(runtime, '.');
  if (parts.size() < 2) return std::nullopt;
  const std::string version = parts.back();
  const std::string name = parts[parts.size() - 2];
  if (name.empty() || version.empty()) return std::nullopt;
  return "containerd-shim-" + name + "-" + version;
}

std::vector<std::string> shim_env(const DaemonAddress& daemon) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).rfind("TTRPC_ADDRESS=", 0) != 0) env.emplace_back(*e);
  }
  env.push_back("TTRPC_ADDRESS=" + daemon.ttrpc);
  return env;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Result<fs::path> resolve_shim(std::string_view runtime, const RuntimeConfig& config,
                              const fs::path& daemon_dir) {
  if (runtime.empty()) return invalid_argument("no runtime name");
  std::string name;
  if (runtime.front() == '/') {
    name = runtime;
  } else if (auto it = config.runtimes.find(std::string(runtime));
             it != config.runtimes.end() && !it->second.shim.empty()) {
    name = it->second.shim;
  } else if (auto conventional = conventional_name(runtime)) {
    name = *conventional;
  } else {
    return not_found("runtime \"" + std::string(runtime) +
                     "\" is not configured and not of the form io.containerd.<name>.<version>: not found");
  }
  const std::string missing =
      "runtime \"" + std::string(runtime) + "\" binary not installed \"" + name + "\": not found";
  if (name.find('/') != std::string::npos) {
    if (executable(name)) return fs::path(name);
    return not_found(missing);
  }
  if (executable(daemon_dir / name)) return daemon_dir / name;
  const char* path = std::getenv("PATH");
  for (const auto& dir : text::split(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin", ':')) {
    if (dir.empty()) continue;
    if (executable(fs::path(dir) / name)) return fs::path(dir) / name;
  }
  return not_found(missing);
}

Result<std::string> ShimBinary::start(const fs::path& bundle, std::string_view ns, std::string_view id,
                                      const std::optional<AnyValue>& options) const {
  process::Command command{
      .argv = {binary_.string(), "-namespace", std::string(ns), "-address", daemon_.grpc, "-publish-binary",
               daemon_.self.string(), "-id", std::string(id), "start"},
      .cwd = bundle.string(),
      .env = shim_env(daemon_),
      .timeout = kStartTimeout};
  if (options) {
    google::protobuf::Any any;
    any.set_type_url(options->type_url);
    any.set_value(options->value);
    any.SerializeToString(&command.stdin_data);
  }
  // The shim forks its long-lived self, which must not hold our pipes: a
  // shim that did would keep run() waiting until the timeout.
  auto out = process::run(command);
  if (!out.ok())
    return Status(out.status().code(), "start shim " + binary_.string() + ": " + out.status().message());
  if (out->exit_code != 0)
    return unknown("start shim " + binary_.string() + " for \"" + std::string(id) + "\": exit status " +
                   std::to_string(out->exit_code) + ": " + trimmed(out->err.empty() ? out->out : out->err));
  std::string address = trimmed(out->out);
  if (address.empty()) return unknown("shim " + binary_.string() + " printed no address");
  BERTH_RETURN_IF_ERROR(files::replace_file(bundle / "shim-binary-path", binary_.string(),
                                            files::Durability::kAtomicOnly, 0600));
  return address;
}

Result<ShimExit> ShimBinary::cleanup(const fs::path& bundle, std::string_view ns, std::string_view id) const {
  auto out = process::run(
      {.argv = {binary_.string(), "-namespace", std::string(ns), "-address", daemon_.grpc, "-publish-binary",
                daemon_.self.string(), "-id", std::string(id), "-bundle", bundle.string(), "delete"},
       .cwd = bundle.string(),
       .env = shim_env(daemon_),
       .timeout = kDeleteTimeout});
  if (!out.ok()) return out.status();
  if (out->exit_code != 0)
    return unknown("shim delete for \"" + std::string(id) + "\": exit status " +
                   std::to_string(out->exit_code) + ": " + trimmed(out->err));
  containerd::task::v2::DeleteResponse response;
  if (!response.ParseFromString(out->out))
    return unknown("shim delete for \"" + std::string(id) + "\" printed no DeleteResponse");
  ShimExit exit{response.pid(), response.exit_status(), ns_of(response.exited_at())};
  if (exit.exited_at == 0) exit.exited_at = clock::now_ns();
  return exit;
}

std::optional<fs::path> recorded_shim(const fs::path& bundle) {
  auto text = files::read_file(bundle / "shim-binary-path", 4096);
  if (!text.ok() || text->empty()) return std::nullopt;
  return fs::path(*text);
}

Result<std::string> recorded_address(const fs::path& bundle) {
  auto text = files::read_file(bundle / "address", 4096);
  if (!text.ok()) return text.status();
  return trimmed(std::move(text).value());
}

Result<UniqueFd> open_shim_log(const fs::path& bundle) {
  const fs::path log = bundle / "log";
  if (::mkfifo(log.c_str(), 0600) != 0 && errno != EEXIST)
    return errno_status("mkfifo " + log.string(), errno);
  // O_RDWR: the open does not wait for a writer, and the FIFO never reports
  // end of file while we hold it, whichever shim comes and goes.
  const int fd = ::open(log.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return errno_status("open " + log.string(), errno);
  return UniqueFd(fd);
}

}  // namespace berth::runtime_runc

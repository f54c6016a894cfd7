#include "bundle.hpp"

#include <sys/un.h>
#include <time.h>

#include <cstdlib>
#include <string_view>

#include "files/atomic_file.hpp"
#include "files/fd_io.hpp"
#include "sha256.hpp"

namespace berth::shim {
namespace {

// "key=value" lines: small records only this binary reads.
std::optional<std::string> field(std::string_view text, std::string_view key) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == '=')
      return std::string(line.substr(key.size() + 1));
    pos = end + 1;
  }
  return std::nullopt;
}

std::string parent(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const auto slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : p.substr(0, slash);
}

}  // namespace

Result<std::string> socket_path(const std::string& bundle, const std::string& address, const std::string& ns,
                                const std::string& id) {
  std::string dir = parent(parent(bundle));
  if (dir != "/") dir += '/';
  const std::string path = dir + "s/" + sha256_hex(address + "/" + ns + "/" + id).substr(0, 32);
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return invalid_argument("shim socket path " + path + " is " + std::to_string(path.size()) +
                            " bytes, over the unix socket limit of " +
                            std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) +
                            ": use a shorter state directory");
  }
  return path;
}

Status write_runtime_options(const std::string& bundle, const RuntimeOptions& o) {
  const std::string text =
      "binary=" + o.binary + "\nroot=" + o.root + "\nsystemd_cgroup=" + (o.systemd_cgroup ? "1" : "0") + "\n";
  return files::replace_file(bundle + "/runtime-options", text, files::Durability::kAtomicOnly, 0600);
}

RuntimeOptions read_runtime_options(const std::string& bundle, const std::string& default_root) {
  RuntimeOptions o;
  o.root = default_root;
  auto text = files::read_file(bundle + "/runtime-options", 1 << 16);
  if (!text.ok()) return o;
  if (auto v = field(*text, "binary"); v && !v->empty()) o.binary = *v;
  if (auto v = field(*text, "root"); v && !v->empty()) o.root = *v;
  if (auto v = field(*text, "systemd_cgroup")) o.systemd_cgroup = *v == "1";
  return o;
}

Status write_exit_record(const std::string& bundle, const ExitRecord& r) {
  const std::string text = "pid=" + std::to_string(r.pid) + "\nstatus=" + std::to_string(r.status) +
                           "\nexited_at_ns=" + std::to_string(r.exited_at_ns) + "\n";
  // What `delete` reports after this shim is gone: atomic, so it is read
  // whole or not at all, but not synced. A dead shim or daemon leaves it in
  // the page cache; only a crash of the machine loses it, and that ends the
  // container too (its bundle is under /run, normally tmpfs). An fsync here
  // sat between every task's exit and its Wait's answer.
  return files::replace_file(bundle + "/exit-status", text, files::Durability::kAtomicOnly, 0600);
}

std::optional<ExitRecord> read_exit_record(const std::string& bundle) {
  auto text = files::read_file(bundle + "/exit-status", 1 << 16);
  if (!text.ok()) return std::nullopt;
  auto pid = field(*text, "pid");
  auto status = field(*text, "status");
  auto at = field(*text, "exited_at_ns");
  if (!pid || !status || !at) return std::nullopt;
  ExitRecord r;
  r.pid = static_cast<pid_t>(std::strtol(pid->c_str(), nullptr, 10));
  r.status = static_cast<std::uint32_t>(std::strtoul(status->c_str(), nullptr, 10));
  r.exited_at_ns = std::strtoll(at->c_str(), nullptr, 10);
  return r;
}

pid_t read_pid_file(const std::string& path) {
  auto text = files::read_file(path, 64);
  if (!text.ok()) return 0;
  return static_cast<pid_t>(std::strtol(text->c_str(), nullptr, 10));
}

std::int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace berth::shim

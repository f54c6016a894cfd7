#include "runtime_spec.hpp"

#include <charconv>

namespace client_run {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

ordered_json mount(const char* destination, const char* type, const char* source,
                   std::vector<std::string> options) {
  return {{"destination", destination}, {"type", type}, {"source", source}, {"options", std::move(options)}};
}

ordered_json default_mounts() {
  return ordered_json::array({
      mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      mount("/run", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
  });
}

const std::vector<std::string>& default_capabilities() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  return caps;
}

// The image's Env, each later KEY= replacing an earlier one; PATH alone when
// the image sets nothing (containerd's default).
std::vector<std::string> environment(const json& config) {
  std::vector<std::string> env;
  for (const auto& e : config.value("Env", json::array())) {
    const std::string entry = e.get<std::string>();
    const std::string key = entry.substr(0, entry.find('='));
    std::erase_if(env, [&](const std::string& old) { return old.substr(0, old.find('=')) == key; });
    env.push_back(entry);
  }
  if (env.empty()) env.emplace_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  return env;
}

Result<std::uint32_t> numeric_id(const std::string& text, const std::string& user) {
  std::uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty())
    return fail(
        "the image's user \"" + user +
        "\" is not numeric; resolving names needs the image's /etc/passwd, which this example does not read");
  if (value > 0x7fffffffU) return fail("the image's user \"" + user + "\": id over 2^31-1");
  return value;
}

}  // namespace

Result<ordered_json> runtime_spec(const json& image_config, const std::string& ns, const std::string& id,
                                  const std::vector<std::string>& args) {
  const json config = image_config.value("config", json::object());
  std::vector<std::string> argv;
  for (const auto& a : config.value("Entrypoint", json::array())) argv.push_back(a.get<std::string>());
  if (!args.empty()) {
    argv.insert(argv.end(), args.begin(), args.end());
  } else {
    for (const auto& a : config.value("Cmd", json::array())) argv.push_back(a.get<std::string>());
  }
  if (argv.empty()) return fail("the image has neither Entrypoint nor Cmd, and no command was given");
  std::string cwd = config.value("WorkingDir", "");
  if (cwd.empty()) cwd.push_back('/');  // not = "/": GCC 12 warns falsely (-Wrestrict)

  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  if (const std::string user = config.value("User", ""); !user.empty()) {
    const auto colon = user.find(':');
    auto u = numeric_id(user.substr(0, colon), user);
    if (!u) return std::unexpected(u.error());
    uid = *u;
    if (colon != std::string::npos) {
      auto g = numeric_id(user.substr(colon + 1), user);
      if (!g) return std::unexpected(g.error());
      gid = *g;
    }
  }

  const auto& caps = default_capabilities();
  ordered_json spec = {
      {"ociVersion", "1.0.2-dev"},
      {"process",
       {{"user", {{"uid", uid}, {"gid", gid}}},
        {"args", argv},
        {"env", environment(config)},
        {"cwd", cwd},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"rlimits", ordered_json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
        {"noNewPrivileges", true}}},
      {"root", {{"path", "rootfs"}}},
      {"mounts", default_mounts()},
      {"linux",
       {{"resources", {{"devices", ordered_json::array({{{"allow", false}, {"access", "rwm"}}})}}},
        {"cgroupsPath", "/" + ns + "/" + id},
        {"namespaces", ordered_json::array({{{"type", "pid"}},
                                            {{"type", "ipc"}},
                                            {{"type", "uts"}},
                                            {{"type", "mount"}},
                                            {{"type", "network"}}})},
        {"maskedPaths",
         {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
          "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
        {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}},
  };
  return spec;
}

}  // namespace client_run

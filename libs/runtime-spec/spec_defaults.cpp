#include "runtime-spec/spec_defaults.hpp"

namespace berth::runtime_spec {

using nlohmann::json;

json default_capabilities() {
  const json caps = {"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
                     "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
                     "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
                     "CAP_KILL",    "CAP_AUDIT_WRITE"};
  return {{"bounding", caps}, {"permitted", caps}, {"effective", caps}};
}

json default_mounts() {
  auto mount = [](const char* dest, const char* type, const char* source, json options) {
    return json{{"destination", dest}, {"type", type}, {"source", source}, {"options", std::move(options)}};
  };
  return json::array({
      mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      // Read-only: the container sees its own cgroup but cannot reshape it.
      mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
      mount("/run", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
  });
}

json default_masked_paths() {
  return {"/proc/acpi",          "/proc/asound",     "/proc/kcore",       "/proc/keys",
          "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
          "/sys/firmware",       "/proc/scsi"};
}

json default_readonly_paths() {
  return {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
}

json default_device_rules() {
  auto allow = [](int major, int minor) {
    json rule = {{"allow", true}, {"type", "c"}, {"major", major}, {"access", "rwm"}};
    if (minor >= 0) rule["minor"] = minor;  // absent: every minor (the pts range)
    return rule;
  };
  return json::array({
      {{"allow", false}, {"access", "rwm"}},
      allow(1, 3),     // null
      allow(1, 8),     // random
      allow(1, 7),     // full
      allow(5, 0),     // tty
      allow(1, 5),     // zero
      allow(1, 9),     // urandom
      allow(5, 1),     // console
      allow(136, -1),  // pts/*
      allow(5, 2),     // ptmx
  });
}

json default_rlimits() { return json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}); }

}  // namespace berth::runtime_spec

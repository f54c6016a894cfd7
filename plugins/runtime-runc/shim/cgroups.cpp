#include "cgroups.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "files/fd_io.hpp"
#include "github.com/containerd/cgroups/stats/v1/metrics.pb.h"
#include "github.com/containerd/cgroups/v2/stats/metrics.pb.h"

namespace berth::shim {
namespace {

constexpr char kRoot[] = "/sys/fs/cgroup";

std::string read_text(const std::string& path) {
  auto t = files::read_file(path, 1 << 20);
  return t.ok() ? *t : std::string();
}

// A file holding one number ("max" counts as none).
std::uint64_t read_u64(const std::string& path) {
  const std::string t = read_text(path);
  if (t.empty() || t.starts_with("max")) return 0;
  return std::strtoull(t.c_str(), nullptr, 10);
}

// "key value" lines (memory.stat, cpu.stat).
// Calls `fn` with each line of `text`, without its '\n'.
template <class Fn>
void for_each_line(const std::string& text, Fn&& fn) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    fn(text.substr(pos, end - pos));
    pos = end + 1;
  }
}

std::map<std::string, std::uint64_t> read_keyed(const std::string& path) {
  std::map<std::string, std::uint64_t> out;
  for_each_line(read_text(path), [&](const std::string& line) {
    if (auto sp = line.find(' '); sp != std::string::npos)
      out[line.substr(0, sp)] = std::strtoull(line.c_str() + sp + 1, nullptr, 10);
  });
  return out;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// The device node a block device's major:minor names ("/dev/sda"), as
// containerd labels blkio figures; "" when sysfs does not say.
std::string block_device_name(std::uint64_t major, std::uint64_t minor) {
  const std::string uevent =
      read_text("/sys/dev/block/" + std::to_string(major) + ":" + std::to_string(minor) + "/uevent");
  constexpr std::string_view kKey = "DEVNAME=";
  const auto at = uevent.find(kKey);
  if (at == std::string::npos) return {};
  const auto end = uevent.find('\n', at);
  return "/dev/" + uevent.substr(at + kKey.size(), end == std::string::npos ? end : end - at - kKey.size());
}

// A blkio file's "MAJ:MIN Op Value" lines (its closing "Total N" line is
// not a device's).
void read_blkio(const std::string& path,
                google::protobuf::RepeatedPtrField<io::containerd::cgroups::v1::BlkIOEntry>* out) {
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> names;
  for_each_line(read_text(path), [&](const std::string& line) {
    unsigned long long major = 0;
    unsigned long long minor = 0;
    unsigned long long value = 0;
    char op[32] = {};
    if (std::sscanf(line.c_str(), "%llu:%llu %31s %llu", &major, &minor, op, &value) != 4) return;
    auto& name = names[{major, minor}];
    if (name.empty()) name = block_device_name(major, minor);
    auto* e = out->Add();
    e->set_op(op);
    e->set_device(name);
    e->set_major(major);
    e->set_minor(minor);
    e->set_value(value);
  });
}

// cgroup v2's io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ...".
void read_io_stat(const std::string& path, io::containerd::cgroups::v2::IOStat* out) {
  for_each_line(read_text(path), [&](const std::string& line) {
    unsigned long long major = 0;
    unsigned long long minor = 0;
    int used = 0;
    if (std::sscanf(line.c_str(), "%llu:%llu%n", &major, &minor, &used) != 2) return;
    auto* e = out->add_usage();
    e->set_major(major);
    e->set_minor(minor);
    std::size_t kv = static_cast<std::size_t>(used);
    while (kv < line.size()) {
      while (kv < line.size() && line[kv] == ' ') ++kv;
      std::size_t kv_end = line.find(' ', kv);
      if (kv_end == std::string::npos) kv_end = line.size();
      const std::string pair = line.substr(kv, kv_end - kv);
      kv = kv_end;
      const auto eq = pair.find('=');
      if (eq == std::string::npos) continue;
      const std::string key = pair.substr(0, eq);
      const std::uint64_t v = std::strtoull(pair.c_str() + eq + 1, nullptr, 10);
      if (key == "rbytes")
        e->set_rbytes(v);
      else if (key == "wbytes")
        e->set_wbytes(v);
      else if (key == "rios")
        e->set_rios(v);
      else if (key == "wios")
        e->set_wios(v);
    }
  });
}

}  // namespace

Result<Cgroup> Cgroup::of_process(pid_t pid) {
  Cgroup cg;
  struct statfs fs {};
  cg.unified_ = ::statfs(kRoot, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
  const std::string text = read_text("/proc/" + std::to_string(pid) + "/cgroup");
  if (text.empty()) return not_found("cgroup of pid " + std::to_string(pid) + ": the process is gone");
  for_each_line(text, [&](const std::string& line) {
    // hierarchy-id:controller,list:path
    const auto c1 = line.find(':');
    const auto c2 = line.find(':', c1 + 1);
    if (c1 == std::string::npos || c2 == std::string::npos) return;
    const std::string controllers = line.substr(c1 + 1, c2 - c1 - 1);
    const std::string path = line.substr(c2 + 1);
    if (controllers.empty()) {
      if (cg.unified_) cg.v2_dir_ = std::string(kRoot) + path;
      return;
    }
    std::size_t cpos = 0;
    while (cpos <= controllers.size()) {
      std::size_t cend = controllers.find(',', cpos);
      if (cend == std::string::npos) cend = controllers.size();
      const std::string name = controllers.substr(cpos, cend - cpos);
      // A controller mounted alone (/sys/fs/cgroup/cpu) or co-mounted
      // (/sys/fs/cgroup/cpu,cpuacct): whichever directory exists.
      std::string dir = std::string(kRoot).append("/").append(name).append(path);
      if (!exists(dir)) dir = std::string(kRoot).append("/").append(controllers).append(path);
      if (exists(dir)) cg.v1_dirs_[name] = dir;
      cpos = cend + 1;
    }
  });
  if (cg.unified_ ? cg.v2_dir_.empty() : cg.v1_dirs_.empty())
    return not_found("cgroup does not exist for pid " + std::to_string(pid));
  return cg;
}

std::string Cgroup::v1(const std::string& controller) const {
  auto it = v1_dirs_.find(controller);
  return it == v1_dirs_.end() ? std::string() : it->second;
}

Result<std::pair<std::string, std::string>> Cgroup::metrics() const {
  std::string bytes;
  if (unified_) {
    io::containerd::cgroups::v2::Metrics m;
    const std::string& d = v2_dir_;
    if (!exists(d)) return not_found("cgroup " + d + " no longer exists");
    m.mutable_pids()->set_current(read_u64(d + "/pids.current"));
    m.mutable_pids()->set_limit(read_u64(d + "/pids.max"));
    auto cpu = read_keyed(d + "/cpu.stat");
    auto* c = m.mutable_cpu();
    c->set_usage_usec(cpu["usage_usec"]);
    c->set_user_usec(cpu["user_usec"]);
    c->set_system_usec(cpu["system_usec"]);
    c->set_nr_periods(cpu["nr_periods"]);
    c->set_nr_throttled(cpu["nr_throttled"]);
    c->set_throttled_usec(cpu["throttled_usec"]);
    auto mem = read_keyed(d + "/memory.stat");
    auto* ms = m.mutable_memory();
    ms->set_anon(mem["anon"]);
    ms->set_file(mem["file"]);
    ms->set_kernel_stack(mem["kernel_stack"]);
    ms->set_slab(mem["slab"]);
    ms->set_sock(mem["sock"]);
    ms->set_shmem(mem["shmem"]);
    ms->set_file_mapped(mem["file_mapped"]);
    ms->set_inactive_anon(mem["inactive_anon"]);
    ms->set_active_anon(mem["active_anon"]);
    ms->set_inactive_file(mem["inactive_file"]);
    ms->set_active_file(mem["active_file"]);
    ms->set_unevictable(mem["unevictable"]);
    ms->set_file_dirty(mem["file_dirty"]);
    ms->set_file_writeback(mem["file_writeback"]);
    ms->set_pgfault(mem["pgfault"]);
    ms->set_pgmajfault(mem["pgmajfault"]);
    ms->set_usage(read_u64(d + "/memory.current"));
    ms->set_usage_limit(read_u64(d + "/memory.max"));
    ms->set_swap_usage(read_u64(d + "/memory.swap.current"));
    ms->set_swap_limit(read_u64(d + "/memory.swap.max"));
    auto ev = read_keyed(d + "/memory.events");
    auto* me = m.mutable_memory_events();
    me->set_low(ev["low"]);
    me->set_high(ev["high"]);
    me->set_max(ev["max"]);
    me->set_oom(ev["oom"]);
    me->set_oom_kill(ev["oom_kill"]);
    read_io_stat(d + "/io.stat", m.mutable_io());
    m.SerializeToString(&bytes);
    return std::pair{std::string("io.containerd.cgroups.v2.Metrics"), bytes};
  }
  io::containerd::cgroups::v1::Metrics m;
  bool any = false;
  if (auto d = v1("pids"); !d.empty() && exists(d)) {
    any = true;
    m.mutable_pids()->set_current(read_u64(d + "/pids.current"));
    m.mutable_pids()->set_limit(read_u64(d + "/pids.max"));
  }
  if (auto d = v1("cpuacct"); !d.empty() && exists(d)) {
    any = true;
    auto* u = m.mutable_cpu()->mutable_usage();
    u->set_total(read_u64(d + "/cpuacct.usage"));
    // cpuacct.stat counts in USER_HZ ticks; containerd reports nanoseconds.
    const std::uint64_t tick_ns = 1000000000ull / static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
    auto st = read_keyed(d + "/cpuacct.stat");
    u->set_user(st["user"] * tick_ns);
    u->set_kernel(st["system"] * tick_ns);
    const std::string per = read_text(d + "/cpuacct.usage_percpu");
    const char* p = per.c_str();
    char* end = nullptr;
    for (std::uint64_t v = std::strtoull(p, &end, 10); end != p; v = std::strtoull(p, &end, 10)) {
      u->add_per_cpu(v);
      p = end;
    }
  }
  if (auto d = v1("cpu"); !d.empty() && exists(d)) {
    auto st = read_keyed(d + "/cpu.stat");
    auto* t = m.mutable_cpu()->mutable_throttling();
    t->set_periods(st["nr_periods"]);
    t->set_throttled_periods(st["nr_throttled"]);
    t->set_throttled_time(st["throttled_time"]);
  }
  if (auto d = v1("memory"); !d.empty() && exists(d)) {
    any = true;
    auto st = read_keyed(d + "/memory.stat");
    auto* ms = m.mutable_memory();
    ms->set_cache(st["cache"]);
    ms->set_rss(st["rss"]);
    ms->set_rss_huge(st["rss_huge"]);
    ms->set_mapped_file(st["mapped_file"]);
    ms->set_dirty(st["dirty"]);
    ms->set_writeback(st["writeback"]);
    ms->set_pg_pg_in(st["pgpgin"]);
    ms->set_pg_pg_out(st["pgpgout"]);
    ms->set_pg_fault(st["pgfault"]);
    ms->set_pg_maj_fault(st["pgmajfault"]);
    ms->set_inactive_anon(st["inactive_anon"]);
    ms->set_active_anon(st["active_anon"]);
    ms->set_inactive_file(st["inactive_file"]);
    ms->set_active_file(st["active_file"]);
    ms->set_unevictable(st["unevictable"]);
    ms->set_hierarchical_memory_limit(st["hierarchical_memory_limit"]);
    ms->set_hierarchical_swap_limit(st["hierarchical_memsw_limit"]);
    ms->set_total_cache(st["total_cache"]);
    ms->set_total_rss(st["total_rss"]);
    ms->set_total_rss_huge(st["total_rss_huge"]);
    ms->set_total_mapped_file(st["total_mapped_file"]);
    ms->set_total_dirty(st["total_dirty"]);
    ms->set_total_writeback(st["total_writeback"]);
    ms->set_total_pg_pg_in(st["total_pgpgin"]);
    ms->set_total_pg_pg_out(st["total_pgpgout"]);
    ms->set_total_pg_fault(st["total_pgfault"]);
    ms->set_total_pg_maj_fault(st["total_pgmajfault"]);
    ms->set_total_inactive_anon(st["total_inactive_anon"]);
    ms->set_total_active_anon(st["total_active_anon"]);
    ms->set_total_inactive_file(st["total_inactive_file"]);
    ms->set_total_active_file(st["total_active_file"]);
    ms->set_total_unevictable(st["total_unevictable"]);
    const auto entry = [&](const std::string& prefix, auto* e) {
      e->set_usage(read_u64(d + "/" + prefix + "usage_in_bytes"));
      e->set_limit(read_u64(d + "/" + prefix + "limit_in_bytes"));
      e->set_max(read_u64(d + "/" + prefix + "max_usage_in_bytes"));
      e->set_failcnt(read_u64(d + "/" + prefix + "failcnt"));
    };
    entry("memory.", ms->mutable_usage());
    entry("memory.memsw.", ms->mutable_swap());
    entry("memory.kmem.", ms->mutable_kernel());
    entry("memory.kmem.tcp.", ms->mutable_kernel_tcp());
    auto oom = read_keyed(d + "/memory.oom_control");
    m.mutable_memory_oom_control()->set_oom_kill_disable(oom["oom_kill_disable"]);
    m.mutable_memory_oom_control()->set_under_oom(oom["under_oom"]);
    m.mutable_memory_oom_control()->set_oom_kill(oom["oom_kill"]);
  }
  if (auto d = v1("blkio"); !d.empty() && exists(d)) {
    // What the throttling layer counts, which every kernel has (the CFQ/BFQ
    // scheduler's own files depend on the scheduler), as containerd reads.
    const auto recursive = [&](const std::string& name) {
      const std::string r = d + "/blkio.throttle." + name + "_recursive";
      return exists(r) ? r : d + "/blkio.throttle." + name;
    };
    read_blkio(recursive("io_service_bytes"), m.mutable_blkio()->mutable_io_service_bytes_recursive());
    read_blkio(recursive("io_serviced"), m.mutable_blkio()->mutable_io_serviced_recursive());
  }
  if (!any) return not_found("cgroup does not exist");
  m.SerializeToString(&bytes);
  return std::pair{std::string("io.containerd.cgroups.v1.Metrics"), bytes};
}

Result<std::unique_ptr<Cgroup::OomWatch>> Cgroup::watch_oom(ttrpc::EventLoop& loop,
                                                            std::function<void()> on_oom) const {
  if (unified_) {
    // memory.events changes on every event it counts: re-read oom_kill.
    UniqueFd in(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!in) return errno_status("inotify_init1", errno);
    const std::string events = v2_dir_ + "/memory.events";
    if (::inotify_add_watch(in.get(), events.c_str(), IN_MODIFY) < 0)
      return errno_status("watch " + events, errno);
    auto watch = std::make_unique<OomWatch>(loop, std::move(in));
    const int fd = watch->fd();
    auto last = std::make_shared<std::uint64_t>(read_keyed(events)["oom_kill"]);
    Status s = loop.watch(fd, EPOLLIN, [fd, events, last, on_oom = std::move(on_oom)](std::uint32_t) {
      char buf[4096];
      while (::read(fd, buf, sizeof buf) > 0) {
      }
      const std::uint64_t now = read_keyed(events)["oom_kill"];
      if (now > *last) on_oom();
      *last = now;
    });
    if (!s.ok()) return s;
    return watch;
  }
  const std::string dir = v1("memory");
  if (dir.empty()) return not_found("no memory cgroup to watch for OOM");
  UniqueFd efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!efd) return errno_status("eventfd", errno);
  auto control = files::open_file(dir + "/memory.oom_control", O_RDONLY);
  if (!control.ok()) return control.status();
  const std::string reg = std::to_string(efd.get()) + " " + std::to_string(control->get());
  auto ec = files::open_file(dir + "/cgroup.event_control", O_WRONLY);
  if (!ec.ok()) return ec.status();
  if (Status s = files::write_all(ec->get(), reg, dir + "/cgroup.event_control"); !s.ok()) return s;
  auto watch = std::make_unique<OomWatch>(loop, std::move(efd));
  const int fd = watch->fd();
  Status s = loop.watch(fd, EPOLLIN, [fd, dir, on_oom = std::move(on_oom)](std::uint32_t) {
    std::uint64_t n = 0;
    if (::read(fd, &n, sizeof n) != sizeof n) return;
    // The eventfd also fires when the cgroup is removed: not an OOM.
    if (!exists(dir)) return;
    on_oom();
  });
  if (!s.ok()) return s;
  return watch;
}

}  // namespace berth::shim

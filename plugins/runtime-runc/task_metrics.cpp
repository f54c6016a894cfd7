#include "task_metrics.hpp"

#include <cstdint>
#include <functional>
#include <string>

#include "github.com/containerd/cgroups/stats/v1/metrics.pb.h"
#include "github.com/containerd/cgroups/v2/stats/metrics.pb.h"

namespace berth::runtime_runc {
namespace {

namespace v1 = io::containerd::cgroups::v1;
namespace v2 = io::containerd::cgroups::v2;

constexpr std::string_view kV1Type = "io.containerd.cgroups.v1.Metrics";
constexpr std::string_view kV2Type = "io.containerd.cgroups.v2.Metrics";

// One figure read from a message M: containerd's name without "container_"
// and its help.
template <class M>
struct Figure {
  const char* name;
  const char* help;
  std::function<uint64_t(const M&)> get;
};

class Appender {
 public:
  Appender(std::string_view ns, std::string_view id, std::vector<metrics::Family>& out)
      : ns_(ns), id_(id), out_(out) {}

  void add(const char* name, const char* help, double value, Labels extra = {}) {
    extra["container_id"] = std::string(id_);
    extra["namespace"] = std::string(ns_);
    out_.push_back({.name = std::string("container_") + name,
                    .help = help,
                    .kind = metrics::Kind::kGauge,
                    .samples = {{.labels = std::move(extra), .value = value}}});
  }
  template <class M>
  void add_all(const std::vector<Figure<M>>& figures, const M& message) {
    for (const auto& f : figures) add(f.name, f.help, static_cast<double>(f.get(message)));
  }

 private:
  std::string_view ns_;
  std::string_view id_;
  std::vector<metrics::Family>& out_;
};

#define BERTH_V1_MEMORY(field, name)                                                                  \
  Figure<v1::MemoryStat> {                                                                            \
    "memory_" name "_bytes", "The " name " amount", [](const v1::MemoryStat& m) { return m.field(); } \
  }
#define BERTH_V1_MEMORY_ENTRY(entry, prefix)                                                \
  Figure<v1::MemoryStat>{"memory_" prefix "_failcnt_total", "The " prefix " failcnt",       \
                         [](const v1::MemoryStat& m) { return m.entry().failcnt(); }},      \
      Figure<v1::MemoryStat>{"memory_" prefix "_limit_bytes", "The " prefix " limit",       \
                             [](const v1::MemoryStat& m) { return m.entry().limit(); }},    \
      Figure<v1::MemoryStat>{"memory_" prefix "_max_bytes", "The " prefix " maximum usage", \
                             [](const v1::MemoryStat& m) { return m.entry().max(); }},      \
      Figure<v1::MemoryStat> {                                                              \
    "memory_" prefix "_usage_bytes", "The " prefix " usage",                                \
        [](const v1::MemoryStat& m) { return m.entry().usage(); }                           \
  }

const std::vector<Figure<v1::MemoryStat>>& v1_memory() {
  static const std::vector<Figure<v1::MemoryStat>> figures{
      BERTH_V1_MEMORY(cache, "cache"),
      BERTH_V1_MEMORY(rss, "rss"),
      BERTH_V1_MEMORY(rss_huge, "rss_huge"),
      BERTH_V1_MEMORY(mapped_file, "mapped_file"),
      BERTH_V1_MEMORY(dirty, "dirty"),
      BERTH_V1_MEMORY(writeback, "writeback"),
      BERTH_V1_MEMORY(pg_pg_in, "pgpgin"),
      BERTH_V1_MEMORY(pg_pg_out, "pgpgout"),
      BERTH_V1_MEMORY(pg_fault, "pgfault"),
      BERTH_V1_MEMORY(pg_maj_fault, "pgmajfault"),
      BERTH_V1_MEMORY(inactive_anon, "inactive_anon"),
      BERTH_V1_MEMORY(active_anon, "active_anon"),
      BERTH_V1_MEMORY(inactive_file, "inactive_file"),
      BERTH_V1_MEMORY(active_file, "active_file"),
      BERTH_V1_MEMORY(unevictable, "unevictable"),
      BERTH_V1_MEMORY(hierarchical_memory_limit, "hierarchical_memory_limit"),
      BERTH_V1_MEMORY(hierarchical_swap_limit, "hierarchical_memsw_limit"),
      BERTH_V1_MEMORY(total_cache, "total_cache"),
      BERTH_V1_MEMORY(total_rss, "total_rss"),
      BERTH_V1_MEMORY(total_rss_huge, "total_rss_huge"),
      BERTH_V1_MEMORY(total_mapped_file, "total_mapped_file"),
      BERTH_V1_MEMORY(total_dirty, "total_dirty"),
      BERTH_V1_MEMORY(total_writeback, "total_writeback"),
      BERTH_V1_MEMORY(total_pg_pg_in, "total_pgpgin"),
      BERTH_V1_MEMORY(total_pg_pg_out, "total_pgpgout"),
      BERTH_V1_MEMORY(total_pg_fault, "total_pgfault"),
      BERTH_V1_MEMORY(total_pg_maj_fault, "total_pgmajfault"),
      BERTH_V1_MEMORY(total_inactive_anon, "total_inactive_anon"),
      BERTH_V1_MEMORY(total_active_anon, "total_active_anon"),
      BERTH_V1_MEMORY(total_inactive_file, "total_inactive_file"),
      BERTH_V1_MEMORY(total_active_file, "total_active_file"),
      BERTH_V1_MEMORY(total_unevictable, "total_unevictable"),
      BERTH_V1_MEMORY_ENTRY(usage, "usage"),
      BERTH_V1_MEMORY_ENTRY(swap, "swap"),
      BERTH_V1_MEMORY_ENTRY(kernel, "kernel"),
      BERTH_V1_MEMORY_ENTRY(kernel_tcp, "kerneltcp"),
  };
  return figures;
}
#undef BERTH_V1_MEMORY
#undef BERTH_V1_MEMORY_ENTRY

void append_v1_blkio(Appender& a, const char* name, const char* help,
                     const google::protobuf::RepeatedPtrField<v1::BlkIOEntry>& entries) {
  for (const auto& e : entries) {
    a.add(name, help, static_cast<double>(e.value()),
          {{"op", e.op()},
           {"device", e.device()},
           {"major", std::to_string(e.major())},
           {"minor", std::to_string(e.minor())}});
  }
}

void append_v1(const v1::Metrics& m, Appender& a) {
  if (m.has_cpu()) {
    const auto& u = m.cpu().usage();
    a.add("cpu_total_nanoseconds", "The total cpu time", static_cast<double>(u.total()));
    a.add("cpu_kernel_nanoseconds", "The total kernel cpu time", static_cast<double>(u.kernel()));
    a.add("cpu_user_nanoseconds", "The total user cpu time", static_cast<double>(u.user()));
    for (int i = 0; i < u.per_cpu_size(); ++i) {
      a.add("per_cpu_nanoseconds", "The total cpu time per cpu", static_cast<double>(u.per_cpu(i)),
            {{"cpu", std::to_string(i)}});
    }
    const auto& t = m.cpu().throttling();
    a.add("cpu_throttle_periods_total", "The total cpu throttle periods", static_cast<double>(t.periods()));
    a.add("cpu_throttled_periods_total", "The total cpu throttled periods",
          static_cast<double>(t.throttled_periods()));
    a.add("cpu_throttled_time_nanoseconds", "The total cpu throttled time",
          static_cast<double>(t.throttled_time()));
  }
  if (m.has_memory()) a.add_all(v1_memory(), m.memory());
  if (m.has_pids()) {
    a.add("pids_limit", "The limit to the number of pids allowed", static_cast<double>(m.pids().limit()));
    a.add("pids_current", "The current number of pids", static_cast<double>(m.pids().current()));
  }
  if (m.has_blkio()) {
    const auto& b = m.blkio();
    append_v1_blkio(a, "blkio_io_merged_recursive_total", "The blkio io merged recursive",
                    b.io_merged_recursive());
    append_v1_blkio(a, "blkio_io_queued_recursive_total", "The blkio io queued recursive",
                    b.io_queued_recursive());
    append_v1_blkio(a, "blkio_io_service_bytes_recursive_bytes", "The blkio io service bytes recursive",
                    b.io_service_bytes_recursive());
    append_v1_blkio(a, "blkio_io_service_time_recursive_total", "The blkio io service time recursive",
                    b.io_service_time_recursive());
    append_v1_blkio(a, "blkio_io_serviced_recursive_total", "The blkio io serviced recursive",
                    b.io_serviced_recursive());
    append_v1_blkio(a, "blkio_io_time_recursive_total", "The blkio io time recursive", b.io_time_recursive());
    append_v1_blkio(a, "blkio_sectors_recursive_total", "The blkio sectors recursive", b.sectors_recursive());
  }
}

#define BERTH_V2_MEMORY(field, name)                                                                  \
  Figure<v2::MemoryStat> {                                                                            \
    "memory_" name "_bytes", "The " name " amount", [](const v2::MemoryStat& m) { return m.field(); } \
  }

const std::vector<Figure<v2::MemoryStat>>& v2_memory() {
  static const std::vector<Figure<v2::MemoryStat>> figures{
      {"memory_usage_bytes", "Current memory usage (cgroup v2)",
       [](const v2::MemoryStat& m) { return m.usage(); }},
      {"memory_usage_limit_bytes", "Current memory usage limit (cgroup v2)",
       [](const v2::MemoryStat& m) { return m.usage_limit(); }},
      {"memory_swap_usage_bytes", "Current swap usage (cgroup v2)",
       [](const v2::MemoryStat& m) { return m.swap_usage(); }},
      {"memory_swap_limit_bytes", "Current swap usage limit (cgroup v2)",
       [](const v2::MemoryStat& m) { return m.swap_limit(); }},
      BERTH_V2_MEMORY(file_mapped, "file_mapped"),
      BERTH_V2_MEMORY(file_dirty, "file_dirty"),
      BERTH_V2_MEMORY(file_writeback, "file_writeback"),
      BERTH_V2_MEMORY(pgfault, "pgfault"),
      BERTH_V2_MEMORY(pgmajfault, "pgmajfault"),
      BERTH_V2_MEMORY(inactive_anon, "inactive_anon"),
      BERTH_V2_MEMORY(active_anon, "active_anon"),
      BERTH_V2_MEMORY(inactive_file, "inactive_file"),
      BERTH_V2_MEMORY(active_file, "active_file"),
      BERTH_V2_MEMORY(unevictable, "unevictable"),
      BERTH_V2_MEMORY(anon, "anon"),
      BERTH_V2_MEMORY(file, "file"),
      BERTH_V2_MEMORY(kernel_stack, "kernel_stack"),
      BERTH_V2_MEMORY(slab, "slab"),
      BERTH_V2_MEMORY(sock, "sock"),
      BERTH_V2_MEMORY(shmem, "shmem"),
  };
  return figures;
}
#undef BERTH_V2_MEMORY

void append_v2(const v2::Metrics& m, Appender& a) {
  if (m.has_cpu()) {
    const auto& c = m.cpu();
    a.add("cpu_usage_usec_microseconds", "Total cpu usage (cgroup v2)", static_cast<double>(c.usage_usec()));
    a.add("cpu_user_usec_microseconds", "Current cpu usage in user space (cgroup v2)",
          static_cast<double>(c.user_usec()));
    a.add("cpu_system_usec_microseconds", "Current cpu usage in kernel space (cgroup v2)",
          static_cast<double>(c.system_usec()));
    a.add("cpu_nr_periods_total", "Current cpu number of periods (only if controller is enabled)",
          static_cast<double>(c.nr_periods()));
    a.add("cpu_nr_throttled_total",
          "Total number of times tasks have been throttled (only if controller is enabled)",
          static_cast<double>(c.nr_throttled()));
    a.add("cpu_throttled_usec_microseconds",
          "Total time duration for which tasks have been throttled. (only if controller is enabled)",
          static_cast<double>(c.throttled_usec()));
  }
  if (m.has_memory()) a.add_all(v2_memory(), m.memory());
  if (m.has_memory_events()) {
    a.add("memory_oom_total", "The number of times a container has received an oom event",
          static_cast<double>(m.memory_events().oom()));
  }
  if (m.has_pids()) {
    a.add("pids_limit", "The limit to the number of pids allowed (cgroup v2)",
          static_cast<double>(m.pids().limit()));
    a.add("pids_current", "The current number of pids (cgroup v2)", static_cast<double>(m.pids().current()));
  }
  if (m.has_io()) {
    for (const auto& e : m.io().usage()) {
      const Labels dev{{"major", std::to_string(e.major())}, {"minor", std::to_string(e.minor())}};
      a.add("io_rbytes_bytes", "IO bytes read", static_cast<double>(e.rbytes()), dev);
      a.add("io_wbytes_bytes", "IO bytes written", static_cast<double>(e.wbytes()), dev);
      a.add("io_rios_total", "Number of read IOs", static_cast<double>(e.rios()), dev);
      a.add("io_wios_total", "Number of write IOs", static_cast<double>(e.wios()), dev);
    }
  }
}

}  // namespace

Status append_task_metrics(const AnyValue& stats, std::string_view ns, std::string_view id,
                           std::vector<metrics::Family>& out) {
  Appender a(ns, id, out);
  const auto decode = [&](auto message, auto append) -> Status {
    if (!message.ParseFromString(stats.value))
      return invalid_argument("task " + std::string(id) + ": bad " + stats.type_url);
    append(message, a);
    return {};
  };
  if (stats.type_url == kV1Type) return decode(v1::Metrics(), append_v1);
  if (stats.type_url == kV2Type) return decode(v2::Metrics(), append_v2);
  return invalid_argument("task " + std::string(id) + ": statistics of unknown type " + stats.type_url);
}

}  // namespace berth::runtime_runc

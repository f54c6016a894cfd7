// The families a task's cgroup statistics become: containerd's names, the
// container_id and namespace labels, the values as the shim read them.
#include "task_metrics.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "github.com/containerd/cgroups/stats/v1/metrics.pb.h"
#include "github.com/containerd/cgroups/v2/stats/metrics.pb.h"

namespace berth::runtime_runc {
namespace {

// The one sample of family `name` whose labels include `match`; fails the
// test when there is not exactly one.
const metrics::Sample* sample(const std::vector<metrics::Family>& families, const std::string& name,
                              const Labels& match = {}) {
  const metrics::Sample* found = nullptr;
  int count = 0;
  for (const auto& f : families) {
    if (f.name != name) continue;
    for (const auto& s : f.samples) {
      const bool all = std::all_of(match.begin(), match.end(), [&](const auto& kv) {
        auto it = s.labels.find(kv.first);
        return it != s.labels.end() && it->second == kv.second;
      });
      if (all) {
        found = &s;
        ++count;
      }
    }
  }
  EXPECT_EQ(count, 1) << name;
  return found;
}

TEST(TaskMetrics, CgroupV1FiguresUnderContainerdsNames) {
  io::containerd::cgroups::v1::Metrics m;
  m.mutable_cpu()->mutable_usage()->set_total(5'000'000'000);
  m.mutable_cpu()->mutable_usage()->set_user(3'000'000'000);
  m.mutable_cpu()->mutable_usage()->set_kernel(2'000'000'000);
  m.mutable_cpu()->mutable_usage()->add_per_cpu(4'000'000'000);
  m.mutable_cpu()->mutable_usage()->add_per_cpu(1'000'000'000);
  m.mutable_cpu()->mutable_throttling()->set_throttled_periods(7);
  m.mutable_memory()->mutable_usage()->set_usage(64 << 20);
  m.mutable_memory()->mutable_usage()->set_limit(128 << 20);
  m.mutable_memory()->mutable_usage()->set_failcnt(2);
  m.mutable_memory()->set_rss(50 << 20);
  m.mutable_memory()->mutable_kernel_tcp()->set_max(4096);
  m.mutable_pids()->set_current(3);
  m.mutable_pids()->set_limit(100);
  auto* io = m.mutable_blkio()->add_io_service_bytes_recursive();
  io->set_op("Write");
  io->set_device("/dev/sda");
  io->set_major(8);
  io->set_minor(0);
  io->set_value(1 << 20);

  std::vector<metrics::Family> out;
  ASSERT_TRUE(
      append_task_metrics({"io.containerd.cgroups.v1.Metrics", m.SerializeAsString()}, "ns1", "web", out)
          .ok());
  const Labels task{{"container_id", "web"}, {"namespace", "ns1"}};
  const auto value = [&](const std::string& name, Labels match = {}) {
    match.insert(task.begin(), task.end());
    const auto* s = sample(out, name, match);
    return s == nullptr ? -1.0 : s->value;
  };
  EXPECT_EQ(value("container_cpu_total_nanoseconds"), 5e9);
  EXPECT_EQ(value("container_cpu_user_nanoseconds"), 3e9);
  EXPECT_EQ(value("container_cpu_kernel_nanoseconds"), 2e9);
  EXPECT_EQ(value("container_per_cpu_nanoseconds", {{"cpu", "1"}}), 1e9);
  EXPECT_EQ(value("container_cpu_throttled_periods_total"), 7);
  EXPECT_EQ(value("container_memory_usage_usage_bytes"), 64 << 20);
  EXPECT_EQ(value("container_memory_usage_limit_bytes"), 128 << 20);
  EXPECT_EQ(value("container_memory_usage_failcnt_total"), 2);
  EXPECT_EQ(value("container_memory_rss_bytes"), 50 << 20);
  EXPECT_EQ(value("container_memory_kerneltcp_max_bytes"), 4096);
  EXPECT_EQ(value("container_pids_current"), 3);
  EXPECT_EQ(value("container_pids_limit"), 100);
  EXPECT_EQ(value("container_blkio_io_service_bytes_recursive_bytes",
                  {{"op", "Write"}, {"device", "/dev/sda"}, {"major", "8"}, {"minor", "0"}}),
            1 << 20);
  for (const auto& f : out) {
    EXPECT_EQ(f.kind, metrics::Kind::kGauge) << f.name;  // as containerd reports them
    EXPECT_FALSE(f.help.empty()) << f.name;
  }
}

TEST(TaskMetrics, CgroupV2FiguresUnderContainerdsNames) {
  io::containerd::cgroups::v2::Metrics m;
  m.mutable_cpu()->set_usage_usec(1500);
  m.mutable_cpu()->set_user_usec(1000);
  m.mutable_memory()->set_usage(8 << 20);
  m.mutable_memory()->set_usage_limit(16 << 20);
  m.mutable_memory_events()->set_oom(1);
  m.mutable_pids()->set_current(2);
  auto* io = m.mutable_io()->add_usage();
  io->set_major(254);
  io->set_minor(1);
  io->set_rbytes(4096);
  io->set_wios(3);

  std::vector<metrics::Family> out;
  ASSERT_TRUE(
      append_task_metrics({"io.containerd.cgroups.v2.Metrics", m.SerializeAsString()}, "default", "db", out)
          .ok());
  const auto value = [&](const std::string& name, Labels match = {}) {
    match["container_id"] = "db";
    match["namespace"] = "default";
    const auto* s = sample(out, name, match);
    return s == nullptr ? -1.0 : s->value;
  };
  EXPECT_EQ(value("container_cpu_usage_usec_microseconds"), 1500);
  EXPECT_EQ(value("container_cpu_user_usec_microseconds"), 1000);
  EXPECT_EQ(value("container_memory_usage_bytes"), 8 << 20);
  EXPECT_EQ(value("container_memory_usage_limit_bytes"), 16 << 20);
  EXPECT_EQ(value("container_memory_oom_total"), 1);
  EXPECT_EQ(value("container_pids_current"), 2);
  EXPECT_EQ(value("container_io_rbytes_bytes", {{"major", "254"}, {"minor", "1"}}), 4096);
  EXPECT_EQ(value("container_io_wios_total", {{"major", "254"}, {"minor", "1"}}), 3);
}

TEST(TaskMetrics, RefusesWhatIsNotCgroupStatistics) {
  std::vector<metrics::Family> out;
  Status s = append_task_metrics({"io.containerd.cgroups.v3.Metrics", ""}, "ns", "t", out);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("io.containerd.cgroups.v3.Metrics"), std::string::npos);
  s = append_task_metrics({"io.containerd.cgroups.v1.Metrics", "\xff\xff\xff"}, "ns", "t", out);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace berth::runtime_runc

// The gc scheduler (plugins/gc) over the real metadata collector, content
// store and native snapshotter: containerd's config keys, defaults and
// checks; a collection on request (what a delete with `sync` waits for) and
// after a deletion; dry runs.
#include "scheduler.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "gc_collector.hpp"
#include "local_store.hpp"
#include "namespaced_content.hpp"
#include "native_snapshotter.hpp"
#include "rocks_metadata.hpp"
#include "scheduler_config.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"

namespace berth::gc_plugin {
namespace {

using namespace std::chrono_literals;

Result<SchedulerConfig> parse(const std::string& text) { return parse_scheduler_config(toml::parse(text)); }

TEST(GcSchedulerConfig, DefaultsAreContainerds) {
  auto c = parse(kDefaultConfig);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_DOUBLE_EQ(c->pause_threshold, 0.02);
  EXPECT_EQ(c->deletion_threshold, 0);
  EXPECT_EQ(c->mutation_threshold, 100);
  EXPECT_EQ(c->schedule_delay, 0ns);
  EXPECT_EQ(c->startup_delay, 100ms);
  auto empty = parse("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->startup_delay, 100ms);
}

TEST(GcSchedulerConfig, GoDurationsAreRead) {
  EXPECT_EQ(parse_go_duration("0").value(), 0ns);
  EXPECT_EQ(parse_go_duration("300ms").value(), 300ms);
  EXPECT_EQ(parse_go_duration("1m30s").value(), 90s);
  EXPECT_EQ(parse_go_duration("1.5h").value(), 90min);
  EXPECT_EQ(parse_go_duration("2us").value(), 2us);
  EXPECT_EQ(parse_go_duration("+5s").value(), 5s);
  for (const char* bad : {"", "5", "-1s", "1x", "ms", "1..5s", "1 s"})
    EXPECT_EQ(parse_go_duration(bad).status().code(), Code::kInvalidArgument) << bad;
}

TEST(GcSchedulerConfig, BadValuesAreErrorsNamingTheKey) {
  struct Case {
    const char* toml;
    const char* key;
  };
  for (const Case& c :
       {Case{"pause_threshold = 0.7", "pause_threshold"}, Case{"pause_threshold = -0.1", "pause_threshold"},
        Case{"pause_threshold = \"high\"", "pause_threshold"},
        Case{"deletion_threshold = -1", "deletion_threshold"},
        Case{"mutation_threshold = 1.5", "mutation_threshold"}, Case{"schedule_delay = 5", "schedule_delay"},
        Case{"schedule_delay = \"5 parsecs\"", "schedule_delay"},
        Case{"startup_delay = \"-1s\"", "startup_delay"}}) {
    auto r = parse(c.toml);
    ASSERT_FALSE(r.ok()) << c.toml;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << c.toml;
    EXPECT_NE(r.status().message().find(c.key), std::string::npos) << r.status().message();
  }
  auto integer_pause = parse("pause_threshold = 0");
  ASSERT_TRUE(integer_pause.ok());
  EXPECT_EQ(integer_pause->pause_threshold, 0.0);
}

class GcSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto md = metadata::RocksMetadata::open(dir_.path() / "meta.db", {.sync_writes = false});
    ASSERT_TRUE(md.ok()) << md.status().to_string();
    md_ = *md;
    auto store = content::LocalStore::open(dir_.path() / "content");
    ASSERT_TRUE(store.ok());
    blobs_ = *store;
    auto native = snapshot::NativeSnapshotter::open(dir_.path() / "native");
    ASSERT_TRUE(native.ok());
    content_ = std::make_shared<metadata::MetadataContent>(md_, blobs_);
    collector_ = std::make_shared<metadata::MetadataCollector>(md_, blobs_,
                                                               metadata::Snapshotters{{"native", *native}});
  }
  void TearDown() override {
    if (scheduler_) EXPECT_OK(scheduler_->close());
  }

  void start(SchedulerConfig config) { scheduler_ = std::make_shared<Scheduler>(collector_, config); }

  std::string blob(const std::string& data, const Labels& labels = {}) {
    auto w = content_->writer({"ns", {}}, "ref-" + data, 0, "");
    EXPECT_TRUE(w.ok()) << w.status().to_string();
    if (!w.ok()) return {};
    EXPECT_OK((*w)->write(data));
    auto d = (*w)->commit_labeled(0, "", labels);
    EXPECT_TRUE(d.ok()) << d.status().to_string();
    return d.ok() ? *d : std::string();
  }
  bool on_disk(const std::string& digest) { return blobs_->info(digest).ok(); }

  test::TempDir dir_;
  std::shared_ptr<metadata::RocksMetadata> md_;
  std::shared_ptr<content::LocalStore> blobs_;
  std::shared_ptr<metadata::MetadataContent> content_;
  std::shared_ptr<metadata::MetadataCollector> collector_;
  std::shared_ptr<Scheduler> scheduler_;
};

// What nobody would collect on their own: no startup run, no deletion or
// mutation trigger.
SchedulerConfig only_when_asked() {
  SchedulerConfig c;
  c.deletion_threshold = 1'000'000'000;
  c.mutation_threshold = 0;
  c.startup_delay = 0ns;
  return c;
}

TEST_F(GcSchedulerTest, ScheduleAndWaitReturnsTheCollectionThatFollows) {
  start(only_when_asked());
  const std::string junk = blob("junk");
  const std::string kept = blob("kept", {{"containerd.io/gc.root", "1"}});
  auto r = scheduler_->schedule_and_wait();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_FALSE(r->dry_run);
  EXPECT_EQ(r->count("blob"), 1);
  EXPECT_FALSE(on_disk(junk));
  EXPECT_TRUE(on_disk(kept));
  EXPECT_GE(r->duration_ns, r->pause_ns);
}

TEST_F(GcSchedulerTest, ManyWaitersAllGetAnAnswer) {
  start(only_when_asked());
  blob("junk");
  std::vector<std::thread> threads;
  std::atomic<int> answered{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (scheduler_->schedule_and_wait().ok()) ++answered;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(answered.load(), 8);
}

TEST_F(GcSchedulerTest, ADryRunRemovesNothing) {
  start(only_when_asked());
  const std::string junk = blob("junk");
  auto r = scheduler_->dry_run();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->dry_run);
  EXPECT_EQ(r->count("blob"), 1);
  EXPECT_TRUE(on_disk(junk));
}

// containerd's default: any deletion schedules a collection when none is.
TEST_F(GcSchedulerTest, ADeletionSchedulesACollectionByDefault) {
  SchedulerConfig c;
  c.startup_delay = 0ns;
  start(c);
  const std::string junk = blob("junk");
  const std::string root = blob("root", {{"containerd.io/gc.root", "1"}});
  ASSERT_OK(content_->remove({"ns", {}}, root));
  // Nobody asks: the deletion alone brings the collection (waited for with
  // a generous bound, as a liveness check, not a timing one).
  for (int i = 0; i < 3000 && (on_disk(junk) || on_disk(root)); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(on_disk(junk));
  EXPECT_FALSE(on_disk(root));
}

TEST_F(GcSchedulerTest, AClosedSchedulerAnswersUnavailable) {
  start(only_when_asked());
  ASSERT_OK(scheduler_->close());
  EXPECT_CODE(scheduler_->schedule_and_wait(), Code::kUnavailable);
}

}  // namespace
}  // namespace berth::gc_plugin

// The differ-walking module and the WalkingDiffer wiring: content in, mounts
// chosen, content out, over an in-memory NamespacedContent.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "apply.hpp"
#include "berth/diff.hpp"
#include "byte_source.hpp"
#include "digest.hpp"
#include "layer_builder.hpp"
#include "plugin_module_test.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"
#include "tree_snapshot.hpp"
#include "walking_differ.hpp"

namespace berth::diff {
namespace {

namespace fs = std::filesystem;

// Parks the first caller of pass() until release(): an apply held in the
// middle of reading its layer. Later callers go straight through.
class Gate {
 public:
  void pass() {
    std::unique_lock lock(mu_);
    if (entered_) return;
    entered_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
  }
  void wait_entered() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return entered_; });
  }
  void release() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false;
  bool open_ = false;
};

class MemoryContent final : public NamespacedContent {
 public:
  class Reader final : public ContentReader {
   public:
    Reader(std::string data, Gate* gate) : data_(std::move(data)), gate_(gate) {}
    [[nodiscard]] int64_t size() const override { return static_cast<int64_t>(data_.size()); }
    Result<std::size_t> read_at(int64_t offset, char* buf, std::size_t len) override {
      if (gate_ != nullptr) gate_->pass();
      if (offset > size()) return out_of_range("past the end");
      const std::size_t n = std::min(len, data_.size() - static_cast<std::size_t>(offset));
      std::memcpy(buf, data_.data() + offset, n);
      return n;
    }

   private:
    std::string data_;
    Gate* gate_;
  };
  class Writer final : public NamespacedWriter {
   public:
    Writer(MemoryContent& c, std::string ref) : c_(c), ref_(std::move(ref)) {}
    Result<IngestStatus> status() override {
      return IngestStatus{.ref = ref_, .offset = (int64_t)data_.size()};
    }
    Status write(std::string_view d) override {
      data_.append(d);
      return {};
    }
    Status truncate(int64_t size) override {
      data_.resize(size);
      return {};
    }
    Result<std::string> commit(int64_t size, std::string_view expected) override {
      return commit_labeled(size, expected, {});
    }
    std::string digest() override { return test::sha256_of(data_); }
    Result<std::string> commit_labeled(int64_t size, std::string_view expected,
                                       const Labels& labels) override {
      if (size != static_cast<int64_t>(data_.size()) || expected != digest())
        return failed_precondition("mismatch");
      c_.blobs[digest()] = data_;
      c_.labels[digest()] = labels;
      c_.refs.push_back(ref_);
      return digest();
    }

   private:
    MemoryContent& c_;
    std::string ref_;
    std::string data_;
  };

  Result<ContentInfo> info(const ContentScope&, std::string_view) override { return unimplemented("info"); }
  Result<ContentInfo> update(const ContentScope&, const ContentInfo&,
                             const std::vector<std::string>&) override {
    return unimplemented("update");
  }
  Status walk(const ContentScope&, const std::vector<std::string>&,
              const std::function<bool(const ContentInfo&)>&) override {
    return unimplemented("walk");
  }
  Status remove(const ContentScope&, std::string_view) override { return unimplemented("remove"); }
  Result<std::unique_ptr<ContentReader>> reader(const ContentScope& scope, std::string_view digest) override {
    EXPECT_EQ(scope.ns, "testns");
    auto it = blobs.find(std::string(digest));
    if (it == blobs.end()) return not_found("blob " + std::string(digest));
    return std::unique_ptr<ContentReader>(std::make_unique<Reader>(it->second, gate));
  }
  Result<std::unique_ptr<NamespacedWriter>> writer(const ContentScope&, std::string_view ref, int64_t,
                                                   std::string_view) override {
    return std::unique_ptr<NamespacedWriter>(std::make_unique<Writer>(*this, std::string(ref)));
  }
  Result<IngestStatus> status(const ContentScope&, std::string_view) override {
    return unimplemented("status");
  }
  Result<std::vector<IngestStatus>> list_statuses(const ContentScope&,
                                                  const std::vector<std::string>&) override {
    return unimplemented("list");
  }
  Status abort(const ContentScope&, std::string_view) override { return unimplemented("abort"); }

  std::string add(const std::string& blob) {
    const std::string d = test::sha256_of(blob);
    blobs[d] = blob;
    return d;
  }

  std::map<std::string, std::string> blobs;
  std::map<std::string, Labels> labels;
  std::vector<std::string> refs;
  Gate* gate = nullptr;  // every reader passes it on each read
};

class WalkingDifferTest : public ::testing::Test {
 protected:
  WalkingDifferTest() {
    fs::create_directories(dir_ / "root");
    fs::create_directories(dir_ / "state");
  }
  test::TempDir dir_;
  std::shared_ptr<MemoryContent> content_ = std::make_shared<MemoryContent>();
  WalkingDiffer differ_{content_, dir_ / "root", dir_ / "state", DifferLimits{}};
  ContentScope scope_{.ns = "testns", .lease = std::nullopt};
  const CancelCheck go_on_;
};

const std::string kLayer =
    test::LayerBuilder().dir("etc").file("etc/os-release", "berth").file(".wh.gone", "").tar();

TEST_F(WalkingDifferTest, AppliesIntoAnOverlayUpperdirWithOverlayWhiteouts) {
  for (const char* d : {"lower", "upper", "work"}) fs::create_directories(dir_ / d);
  const Descriptor blob{std::string(kMediaTypeLayerGzip), content_->add(test::gzip(kLayer)), 0, {}};
  const std::vector<Mount> mounts = {
      {"overlay",
       "overlay",
       "",
       {"lowerdir=" + (dir_ / "lower").string(), "upperdir=" + (dir_ / "upper").string(),
        "workdir=" + (dir_ / "work").string()}}};
  auto r = differ_.apply(scope_, blob, mounts, test::sha256_of(kLayer), go_on_);
  ASSERT_OK(test::status_of(r));
  EXPECT_EQ(r->media_type, kMediaTypeLayerTar);
  EXPECT_EQ(r->digest, test::sha256_of(kLayer));
  EXPECT_EQ(r->size, static_cast<int64_t>(kLayer.size()));
  EXPECT_EQ(test::read_file(dir_ / "upper/etc/os-release"), "berth");
  struct stat st {};
  ASSERT_EQ(::lstat((dir_ / "upper/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
}

TEST_F(WalkingDifferTest, AppliesIntoABindSourceAndThroughATemporaryMount) {
  for (const bool via_mount : {false, true}) {
    SCOPED_TRACE(via_mount ? "temporary mount" : "bind source");
    const fs::path snap = dir_ / (via_mount ? "snap-m" : "snap-b");
    fs::create_directories(snap);
    test::write_file(snap / "gone", "lower");
    const Descriptor blob{std::string(kMediaTypeLayerTar), content_->add(kLayer), 0, {}};
    // Two mounts never take the bind fast path: a scratch bind, then the
    // snapshot bound over it on the same mount point.
    std::vector<Mount> mounts;
    if (via_mount) {
      fs::create_directories(dir_ / "scratch");
      mounts.push_back({"bind", (dir_ / "scratch").string(), "", {"rbind"}});
    }
    mounts.push_back({"bind", snap.string(), "", {"rbind", "rw"}});
    auto r = differ_.apply(scope_, blob, mounts, "", go_on_);
    ASSERT_OK(test::status_of(r));
    EXPECT_EQ(test::read_file(snap / "etc/os-release"), "berth");
    EXPECT_FALSE(fs::exists(snap / "gone"));
  }
  EXPECT_TRUE(fs::is_empty(dir_ / "state")) << "temporary mounts are cleaned up";
}

TEST_F(WalkingDifferTest, ApplyErrors) {
  const Descriptor blob{std::string(kMediaTypeLayerTar), content_->add(kLayer), 0, {}};
  fs::create_directories(dir_ / "t");
  const std::vector<Mount> mounts = {{"bind", (dir_ / "t").string(), "", {"rbind"}}};
  EXPECT_CODE(differ_.apply(scope_, blob, mounts, "sha256:" + std::string(64, 'a'), go_on_),
              Code::kFailedPrecondition);
  Descriptor odd = blob;
  odd.media_type = "application/x-tar+lz4";
  EXPECT_CODE(differ_.apply(scope_, odd, mounts, "", go_on_), Code::kUnimplemented);
  Descriptor missing = blob;
  missing.digest = "sha256:" + std::string(64, 'b');
  EXPECT_CODE(differ_.apply(scope_, missing, mounts, "", go_on_), Code::kNotFound);
}

// Each of these once wrote the layer somewhere it does not belong (no
// mounts: into the state directory, where it stayed, setuid file and all;
// a tmpfs: into memory, gone at unmount, reported as applied) or failed
// late with an unclear error. All are refused before anything is mounted.
TEST_F(WalkingDifferTest, ApplyRefusesMountsALayerCannotGoIntoBeforeWritingAnything) {
  const Descriptor blob{std::string(kMediaTypeLayerTar),
                        content_->add(test::LayerBuilder().file("bin/su", "x", 04755).tar()),
                        0,
                        {}};
  fs::create_directories(dir_ / "snap");
  fs::create_directories(dir_ / "state/inside");
  const std::string snap = (dir_ / "snap").string();
  const std::string state = (dir_ / "state").string();
  struct Case {
    const char* what;
    std::vector<Mount> mounts;
    const char* says;
  };
  const Case cases[] = {
      {"no mounts", {}, "no mounts"},
      {"a tmpfs", {{"tmpfs", "tmpfs", "", {}}}, "type \"tmpfs\""},
      {"proc", {{"proc", "proc", "", {}}}, "type \"proc\""},
      {"a tmpfs after a bind", {{"bind", snap, "", {"rbind"}}, {"tmpfs", "tmpfs", "", {}}}, "type \"tmpfs\""},
      {"a target", {{"bind", snap, "../../etc", {"rbind"}}}, "target"},
      {"a read-only bind", {{"bind", snap, "", {"rbind", "ro"}}}, "read-only"},
      {"an overlay view", {{"overlay", "overlay", "", {"lowerdir=" + snap}}}, "no upperdir"},
      {"a relative source", {{"bind", "snap", "", {"rbind"}}}, "absolute"},
      {"a file as source",
       {{"bind", (dir_ / "state").string() + "/../file", "", {"rbind"}}},
       "not a directory"},
      {"the state directory", {{"bind", state, "", {"rbind"}}}, "own directory"},
      {"the root directory by a detour", {{"bind", snap + "/../root", "", {"rbind", "rw"}}}, "own directory"},
      {"an upperdir in the state directory",
       {{"overlay", "overlay", "", {"lowerdir=" + snap, "upperdir=" + state + "/inside", "workdir=" + snap}}},
       "own directory"},
  };
  test::write_file(dir_ / "file", "");
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto r = differ_.apply(scope_, blob, c.mounts, "", go_on_);
    EXPECT_CODE(r, Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.says), std::string::npos) << r.status().to_string();
    EXPECT_TRUE(fs::is_empty(dir_ / "snap"));
    EXPECT_TRUE(fs::is_empty(dir_ / "root"));
    EXPECT_TRUE(fs::is_empty(dir_ / "state/inside"));
    EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "state"), fs::directory_iterator()), 1)
        << "nothing but state/inside";
  }
}

// Paths a mount names that cannot be resolved are the client's mistake
// (InvalidArgument), paths that do not exist are NotFound; both name the
// mount and the path, and nothing is written. Before, a symlink loop, an
// over-long name or a file in the middle of the path came out as Internal,
// and a NUL byte cut the path short: the layer went into the directory
// named before the NUL.
TEST_F(WalkingDifferTest, ApplyRefusesMountPathsItCannotUseNamingTheMountAndThePath) {
  const Descriptor blob{std::string(kMediaTypeLayerTar), content_->add(kLayer), 0, {}};
  fs::create_directories(dir_ / "snap");
  fs::create_directories(dir_ / "lower");
  fs::create_directories(dir_ / "work");
  fs::create_directories(dir_ / "scratch");
  test::write_file(dir_ / "file", "");
  fs::create_symlink("loop-b", dir_ / "loop-a");
  fs::create_symlink("loop-a", dir_ / "loop-b");
  const std::string snap = (dir_ / "snap").string();
  const std::string lower = (dir_ / "lower").string();
  const std::string work = (dir_ / "work").string();
  const std::string nul = std::string("\0", 1);
  auto overlay = [&](std::vector<std::string> options) {
    return std::vector<Mount>{{"overlay", "overlay", "", std::move(options)}};
  };
  struct Case {
    const char* what;
    std::vector<Mount> mounts;
    Code code;
    std::vector<std::string> says;  // each somewhere in the message
  };
  const Case cases[] = {
      {"a relative source",
       {{"bind", "snap", "", {"rbind"}}},
       Code::kInvalidArgument,
       {"mount 0", "\"snap\"", "not an absolute path"}},
      {"a NUL in the source",
       {{"bind", snap + nul + "/elsewhere", "", {"rbind"}}},
       Code::kInvalidArgument,
       {"mount 0", "NUL"}},
      {"a NUL in an option",
       {{"bind", snap, "", {"rbind" + nul + "x"}}},
       Code::kInvalidArgument,
       {"mount 0", "NUL"}},
      {"a symlink loop",
       {{"bind", (dir_ / "loop-a").string(), "", {"rbind"}}},
       Code::kInvalidArgument,
       {"mount 0", (dir_ / "loop-a").string(), "cannot be resolved"}},
      {"a name too long",
       {{"bind", snap + "/" + std::string(300, 'x'), "", {"rbind"}}},
       Code::kInvalidArgument,
       {"mount 0", "cannot be resolved"}},
      {"an upperdir with a comma",
       overlay({"lowerdir=" + lower, "upperdir=" + snap + ",lowerdir=/", "workdir=" + work}),
       Code::kInvalidArgument,
       {"mount 0", "comma"}},
      {"two upperdirs",
       overlay({"lowerdir=" + lower, "upperdir=" + snap, "upperdir=" + work}),
       Code::kInvalidArgument,
       {"mount 0", "upperdir", "twice"}},
      {"a relative lowerdir",
       overlay({"lowerdir=lower", "upperdir=" + snap, "workdir=" + work}),
       Code::kInvalidArgument,
       {"mount 0", "\"lower\"", "not an absolute path"}},
      {"a missing source",
       {{"bind", snap + "/missing", "", {"rbind"}}},
       Code::kNotFound,
       {"mount 0", snap + "/missing", "does not exist"}},
      {"a source below a file",
       {{"bind", (dir_ / "file/below").string(), "", {"rbind"}}},
       Code::kNotFound,
       {"mount 0", (dir_ / "file/below").string(), "does not exist"}},
      {"a missing second mount's source",
       {{"bind", (dir_ / "scratch").string(), "", {"rbind"}}, {"bind", snap + "/missing", "", {"rbind"}}},
       Code::kNotFound,
       {"mount 1", snap + "/missing", "does not exist"}},
      {"a missing upperdir",
       overlay({"lowerdir=" + lower, "upperdir=" + snap + "/missing", "workdir=" + work}),
       Code::kNotFound,
       {"mount 0", "upperdir", snap + "/missing", "does not exist"}},
      {"a missing workdir",
       overlay({"lowerdir=" + lower, "upperdir=" + snap, "workdir=" + work + "/missing"}),
       Code::kNotFound,
       {"mount 0", "workdir", work + "/missing", "does not exist"}},
      {"a missing lowerdir",
       overlay({"lowerdir=" + lower + ":" + lower + "/missing", "upperdir=" + snap, "workdir=" + work}),
       Code::kNotFound,
       {"mount 0", "lowerdir", lower + "/missing", "does not exist"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto r = differ_.apply(scope_, blob, c.mounts, "", go_on_);
    EXPECT_CODE(r, c.code);
    for (const auto& part : c.says)
      EXPECT_NE(r.status().message().find(part), std::string::npos)
          << part << " in " << r.status().to_string();
    EXPECT_TRUE(fs::is_empty(dir_ / "snap"));
    EXPECT_TRUE(fs::is_empty(dir_ / "scratch"));
    EXPECT_TRUE(fs::is_empty(dir_ / "root"));
    EXPECT_TRUE(fs::is_empty(dir_ / "state"));
  }
}

TEST_F(WalkingDifferTest, AppliesBeyondMaxConcurrentAppliesAreRefused) {
  WalkingDiffer differ{content_, dir_ / "root", dir_ / "state", DifferLimits{.max_concurrent_applies = 1}};
  const Descriptor blob{std::string(kMediaTypeLayerTar), content_->add(kLayer), 0, {}};
  auto bind = [&](const std::string& name) {
    fs::create_directories(dir_ / name);
    return std::vector<Mount>{{"bind", (dir_ / name).string(), "", {"rbind"}}};
  };
  Gate gate;
  content_->gate = &gate;
  Status first;
  std::thread parked([&] { first = test::status_of(differ.apply(scope_, blob, bind("a"), "", go_on_)); });
  gate.wait_entered();
  auto second = differ.apply(scope_, blob, bind("b"), "", go_on_);
  EXPECT_CODE(second, Code::kResourceExhausted);
  EXPECT_NE(second.status().message().find("max_concurrent_applies = 1"), std::string::npos)
      << second.status().to_string();
  EXPECT_TRUE(fs::is_empty(dir_ / "b"));
  gate.release();
  parked.join();
  EXPECT_OK(first);
  // Its slot is free again.
  EXPECT_OK(test::status_of(differ.apply(scope_, blob, bind("b"), "", go_on_)));
  EXPECT_EQ(test::read_file(dir_ / "b/etc/os-release"), "berth");
}

TEST_F(WalkingDifferTest, ApplyHandsTheCancelCheckAndTheLimitsToTheEngine) {
  const Descriptor blob{std::string(kMediaTypeLayerTar), content_->add(kLayer), 0, {}};
  fs::create_directories(dir_ / "t");
  const std::vector<Mount> mounts = {{"bind", (dir_ / "t").string(), "", {"rbind"}}};
  auto r =
      differ_.apply(scope_, blob, mounts, "", [] { return Status(Code::kDeadlineExceeded, "too late"); });
  EXPECT_CODE(r, Code::kDeadlineExceeded);
  EXPECT_TRUE(fs::is_empty(dir_ / "t"));

  WalkingDiffer few{content_, dir_ / "root", dir_ / "state", DifferLimits{.max_apply_entries = 2}};
  auto over = few.apply(scope_, blob, mounts, "", go_on_);
  EXPECT_CODE(over, Code::kResourceExhausted);
  EXPECT_NE(over.status().message().find("max_apply_entries = 2"), std::string::npos)
      << over.status().to_string();
  EXPECT_TRUE(fs::is_empty(dir_ / "t"));
}

TEST_F(WalkingDifferTest, CompareWritesALabelledLayerIntoContent) {
  fs::create_directories(dir_ / "lower/d");
  test::write_file(dir_ / "lower/d/old", "old");
  fs::create_directories(dir_ / "upper/d");
  test::write_file(dir_ / "upper/d/new", "new");
  const std::vector<Mount> lower = {{"bind", (dir_ / "lower").string(), "", {"rbind", "ro"}}};
  const std::vector<Mount> upper = {{"bind", (dir_ / "upper").string(), "", {"rbind", "ro"}}};
  auto r = differ_.compare(scope_, lower, upper, "", "my-ref", {{"x", "y"}});
  ASSERT_OK(test::status_of(r));
  EXPECT_EQ(r->media_type, kMediaTypeLayerGzip);
  ASSERT_EQ(content_->blobs.count(r->digest), 1u);
  EXPECT_EQ(r->size, static_cast<int64_t>(content_->blobs[r->digest].size()));
  EXPECT_EQ(content_->refs.back(), "my-ref");
  const auto& labels = content_->labels[r->digest];
  EXPECT_EQ(labels.at("x"), "y");
  ASSERT_EQ(labels.count("containerd.io/uncompressed"), 1u);

  // Applying it back gives the upper tree, with the recorded diffID.
  fs::create_directories(dir_ / "copy/d");
  test::write_file(dir_ / "copy/d/old", "old");
  const std::vector<Mount> target = {{"bind", (dir_ / "copy").string(), "", {"rbind"}}};
  auto applied = differ_.apply(scope_, *r, target, labels.at("containerd.io/uncompressed"), go_on_);
  ASSERT_OK(test::status_of(applied));
  EXPECT_FALSE(fs::exists(dir_ / "copy/d/old"));
  EXPECT_EQ(test::read_file(dir_ / "copy/d/new"), "new");

  auto plain = differ_.compare(scope_, {}, upper, kMediaTypeLayerTar, "", {});
  ASSERT_OK(test::status_of(plain));
  EXPECT_EQ(plain->media_type, kMediaTypeLayerTar);
  EXPECT_EQ(content_->labels[plain->digest].at("containerd.io/uncompressed"), plain->digest);
  EXPECT_TRUE(fs::is_empty(dir_ / "state"));
}

class DifferModuleTest : public test::PluginModuleTest {
 protected:
  DifferModuleTest() : PluginModuleTest(BERTH_DIFFER_PLUGIN, "io.containerd.differ.v1", "walking") {}
};

TEST_F(DifferModuleTest, DeclaresItselfAndNeedsTheMetadataPlugin) {
  EXPECT_STREQ(plugin().type, "io.containerd.differ.v1");
  EXPECT_STREQ(plugin().id, "walking");
  ASSERT_NE(plugin().requires_types[0], nullptr);
  EXPECT_STREQ(plugin().requires_types[0], "io.containerd.metadata.v1");
  auto ctx = context(root_, "");
  EXPECT_CODE(init(ctx), Code::kNotFound);
}

TEST_F(DifferModuleTest, DeclaresItsBoundsAndRefusesOnesThatAreNotPositive) {
  const std::string defaults = plugin().default_config;
  for (const char* key :
       {"max_apply_bytes = 68719476736", "max_apply_entries = 1000000", "max_concurrent_applies = 16"})
    EXPECT_NE(defaults.find(key), std::string::npos) << defaults;
  for (const char* config : {"max_apply_bytes = 0", "max_apply_entries = -1", "max_concurrent_applies = 0",
                             "max_concurrent_applies = 100000"}) {
    SCOPED_TRACE(config);
    auto ctx = context(root_, config);
    auto r = init(ctx);
    EXPECT_CODE(r, Code::kInvalidArgument);
    const std::string key = std::string(config).substr(0, std::string(config).find(' '));
    EXPECT_NE(r.status().message().find(key), std::string::npos) << r.status().to_string();
  }
}

}  // namespace
}  // namespace berth::diff

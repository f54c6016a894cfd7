// The Diff service over gRPC against the real berthd and both snapshotters:
// a layer applied into a prepared snapshot as an image unpack does it
// (Prepare, Apply, Commit, then a View), `ctr snapshots diff` making a
// layer from two snapshots, and what a hostile or impatient client meets:
// mounts refused, deadlines honoured, bounds on one apply and on applies at
// once.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "../support/digest.hpp"
#include "../support/temp_dir.hpp"
#include "github.com/containerd/containerd/api/services/diff/v1/diff.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/snapshots/v1/snapshots.grpc.pb.h"
#include "harness.hpp"
#include "layer_builder.hpp"

namespace berth::test {
namespace {

namespace diff_v1 = containerd::services::diff::v1;
namespace snapshots_v1 = containerd::services::snapshots::v1;

constexpr const char* kGzipLayer = "application/vnd.oci.image.layer.v1.tar+gzip";

std::string sh(const std::string& cmd) {
  auto r = run({"/bin/sh", "-c", cmd});
  EXPECT_EQ(r.exit_code, 0) << cmd << "\n" << r.output;
  return r.output;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// 100,000 empty files in 100 directories: seconds of work for the daemon.
constexpr int kManyFiles = 100000;
const std::string& many_files_tar() {
  static const std::string tar = [] {
    LayerBuilder layer;
    for (int d = 0; d < 100; ++d) {
      layer.dir("d" + std::to_string(d));
      for (int f = 0; f < kManyFiles / 100; ++f)
        layer.file("d" + std::to_string(d) + "/f" + std::to_string(f), "");
    }
    return layer.tar();
  }();
  return tar;
}

class DiffApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() / "daemon");
    // Snapshots prepared without a lease: the collector must not take them.
    const auto config = dir_.path() / "config.toml";
    std::ofstream(config) << "version = 2\n" << kGcWhenAskedToml;
    std::string why;
    ASSERT_TRUE(daemon_.start({"--config", config.string()}, why)) << why;
    connect();
  }

  void connect() {
    auto channel = grpc::CreateChannel("unix:" + daemon_.address(), grpc::InsecureChannelCredentials());
    snapshots_ = snapshots_v1::Snapshots::NewStub(channel);
    diff_ = diff_v1::Diff::NewStub(channel);
  }

  // Restarts berthd with `keys` in the walking differ's config section.
  void restart_with_differ_config(const std::string& keys) {
    daemon_.stop();
    const auto config = dir_.path() / "config.toml";
    std::ofstream(config) << "version = 2\n"
                          << kGcWhenAskedToml << "[plugins.\"io.containerd.differ.v1.walking\"]\n"
                          << keys << "\n";
    std::string why;
    ASSERT_TRUE(daemon_.start({"--config", config.string()}, why)) << why;
    connect();
  }

  // The differ's own directories under the daemon's root and state.
  std::vector<std::filesystem::path> differ_dirs() const {
    return {daemon_.root() / "io.containerd.differ.v1.walking",
            daemon_.state() / "io.containerd.differ.v1.walking"};
  }

  static std::unique_ptr<grpc::ClientContext> ctx() {
    auto c = std::make_unique<grpc::ClientContext>();
    c->AddMetadata("containerd-namespace", "default");
    return c;
  }

  struct Layer {
    std::string digest;   // of the gzip blob
    int64_t size = 0;     // of the gzip blob
    std::string diff_id;  // of the tar inside
  };

  // tar+gzip of directory `src` (its contents, numeric owners), ingested with ctr.
  Layer make_layer(const std::string& name, const std::filesystem::path& src) {
    const auto blob = dir_.path() / (name + ".tar.gz");
    sh("tar --numeric-owner -C '" + src.string() + "' -cf - . | gzip -n > '" + blob.string() + "'");
    Layer l;
    l.digest = "sha256:" + sh("sha256sum < '" + blob.string() + "'").substr(0, 64);
    l.diff_id = "sha256:" + sh("gzip -dc < '" + blob.string() + "' | sha256sum").substr(0, 64);
    l.size = static_cast<int64_t>(std::filesystem::file_size(blob));
    auto r = run({"/bin/sh", "-c",
                  "exec ctr -a '" + daemon_.address() + "' content ingest --expected-digest " + l.digest +
                      " " + name + " < '" + blob.string() + "'"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return l;
  }

  // `blob` (a layer whose tar is `tar`) ingested with ctr.
  Layer ingest(const std::string& name, const std::string& blob, const std::string& tar) {
    const auto path = dir_.path() / (name + ".blob");
    std::ofstream(path, std::ios::binary) << blob;
    Layer l{sha256_of(blob), static_cast<int64_t>(blob.size()), sha256_of(tar)};
    auto r = run({"/bin/sh", "-c",
                  "exec ctr -a '" + daemon_.address() + "' content ingest --expected-digest " + l.digest +
                      " " + name + " < '" + path.string() + "'"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return l;
  }

  // An active snapshot KEY over a committed empty base (so that overlayfs
  // hands out an overlay with an upperdir), and the directory its mounts
  // put a layer into.
  struct Target {
    snapshots_v1::PrepareSnapshotResponse mounts;
    std::filesystem::path dir;
  };
  Target prepare_target(const std::string& key) {
    const std::string base = "base-of-" + key;
    Target t;
    snapshots_v1::PrepareSnapshotRequest prep;
    prep.set_snapshotter(GetParam());
    prep.set_key(base + "-active");
    EXPECT_TRUE(snapshots_->Prepare(ctx().get(), prep, &t.mounts).ok());
    snapshots_v1::CommitSnapshotRequest commit;
    commit.set_snapshotter(GetParam());
    commit.set_name(base);
    commit.set_key(base + "-active");
    google::protobuf::Empty empty;
    EXPECT_TRUE(snapshots_->Commit(ctx().get(), commit, &empty).ok());
    prep.set_key(key);
    prep.set_parent(base);
    t.mounts.Clear();
    auto st = snapshots_->Prepare(ctx().get(), prep, &t.mounts);
    EXPECT_TRUE(st.ok()) << st.error_message();
    if (t.mounts.mounts_size() != 1) {
      ADD_FAILURE() << "expected one mount, got " << t.mounts.mounts_size();
      return t;
    }
    const auto& m = t.mounts.mounts(0);
    t.dir = m.source();
    for (const auto& o : m.options())
      if (o.rfind("upperdir=", 0) == 0) t.dir = o.substr(std::string("upperdir=").size());
    return t;
  }

  grpc::Status apply(const Layer& layer, const Target& target, grpc::ClientContext& c) {
    diff_v1::ApplyRequest req;
    req.mutable_diff()->set_media_type(kGzipLayer);
    req.mutable_diff()->set_digest(layer.digest);
    req.mutable_diff()->set_size(layer.size);
    *req.mutable_mounts() = target.mounts.mounts();
    diff_v1::ApplyResponse applied;
    return diff_->Apply(&c, req, &applied);
  }

  // Prepare KEY on PARENT, Apply LAYER into it, Commit it as NAME; the
  // Apply's status.
  grpc::Status unpack(const Layer& layer, const std::string& name, const std::string& parent,
                      const std::string& diff_id) {
    snapshots_v1::PrepareSnapshotRequest prep;
    prep.set_snapshotter(GetParam());
    prep.set_key("extract-" + name);
    prep.set_parent(parent);
    snapshots_v1::PrepareSnapshotResponse mounts;
    auto st = snapshots_->Prepare(ctx().get(), prep, &mounts);
    if (!st.ok()) return st;

    diff_v1::ApplyRequest apply;
    apply.mutable_diff()->set_media_type(kGzipLayer);
    apply.mutable_diff()->set_digest(layer.digest);
    apply.mutable_diff()->set_size(layer.size);
    (*apply.mutable_diff()->mutable_annotations())["containerd.io/uncompressed"] = diff_id;
    *apply.mutable_mounts() = mounts.mounts();
    diff_v1::ApplyResponse applied;
    st = diff_->Apply(ctx().get(), apply, &applied);
    if (!st.ok()) return st;
    EXPECT_EQ(applied.applied().digest(), layer.diff_id);
    EXPECT_EQ(applied.applied().media_type(), "application/vnd.oci.image.layer.v1.tar");

    snapshots_v1::CommitSnapshotRequest commit;
    commit.set_snapshotter(GetParam());
    commit.set_name(name);
    commit.set_key("extract-" + name);
    google::protobuf::Empty empty;
    return snapshots_->Commit(ctx().get(), commit, &empty);
  }

  // A view of `name` mounted on `target` until the returned guard dies.
  void view_and_mount(const std::string& name, const std::filesystem::path& target) {
    snapshots_v1::ViewSnapshotRequest view;
    view.set_snapshotter(GetParam());
    view.set_key("view-" + name);
    view.set_parent(name);
    snapshots_v1::ViewSnapshotResponse mounts;
    auto st = snapshots_->View(ctx().get(), view, &mounts);
    ASSERT_TRUE(st.ok()) << st.error_message();
    for (const auto& m : mounts.mounts()) {
      std::string options;
      for (const auto& o : m.options()) options += (options.empty() ? "" : ",") + o;
      sh("mount -t " + m.type() + " -o '" + options + "' '" + m.source() + "' '" + target.string() + "'");
    }
  }

  TempDir dir_;
  Berthd daemon_{BERTHD_PATH, dir_.path() / "daemon"};
  std::unique_ptr<snapshots_v1::Snapshots::Stub> snapshots_;
  std::unique_ptr<diff_v1::Diff::Stub> diff_;
};

TEST_P(DiffApiTest, LayersAppliedIntoSnapshotsStackWithWhiteouts) {
  const auto base = dir_.path() / "base";
  std::filesystem::create_directories(base / "etc");
  std::ofstream(base / "etc" / "hostname") << "berth\n";
  std::ofstream(base / "keep") << "kept\n";
  std::ofstream(base / "remove-me") << "soon gone\n";
  std::filesystem::create_symlink("etc/hostname", base / "link");
  const Layer l1 = make_layer("l1", base);

  const auto upper = dir_.path() / "upper";
  std::filesystem::create_directories(upper / "etc");
  std::ofstream(upper / "etc" / "hostname") << "changed\n";
  std::ofstream(upper / ".wh.remove-me");  // an OCI whiteout
  const Layer l2 = make_layer("l2", upper);

  // A third layer holding only a hardlink to a file of the first: GNU tar
  // keeps the link entry when the file's own entry is deleted from the tar.
  const auto links = dir_.path() / "links";
  std::filesystem::create_directories(links);
  std::ofstream(links / "keep") << "kept\n";
  std::filesystem::create_hard_link(links / "keep", links / "hl");
  const auto l3_tar = dir_.path() / "l3.tar";
  sh("tar --numeric-owner -C '" + links.string() + "' -cf '" + l3_tar.string() +
     "' ./keep ./hl && tar --delete -f '" + l3_tar.string() + "' ./keep && gzip -n '" + l3_tar.string() +
     "'");
  Layer l3;
  const auto l3_blob = dir_.path() / "l3.tar.gz";
  l3.digest = "sha256:" + sh("sha256sum < '" + l3_blob.string() + "'").substr(0, 64);
  l3.diff_id = "sha256:" + sh("gzip -dc < '" + l3_blob.string() + "' | sha256sum").substr(0, 64);
  l3.size = static_cast<int64_t>(std::filesystem::file_size(l3_blob));
  sh("exec ctr -a '" + daemon_.address() + "' content ingest l3 < '" + l3_blob.string() + "'");

  auto st = unpack(l1, "layer1", "", l1.diff_id);
  ASSERT_TRUE(st.ok()) << st.error_message() << "\n" << daemon_.log();
  st = unpack(l2, "layer2", "layer1", l2.diff_id);
  ASSERT_TRUE(st.ok()) << st.error_message() << "\n" << daemon_.log();
  st = unpack(l3, "layer3", "layer2", l3.diff_id);
  ASSERT_TRUE(st.ok()) << st.error_message() << "\n" << daemon_.log();

  TempDir mnt;
  view_and_mount("layer3", mnt.path());
  // The link made in layer 3 to layer 1's file (copied up on overlayfs).
  EXPECT_EQ(slurp(mnt.path() / "hl"), "kept\n");
  EXPECT_EQ(slurp(mnt.path() / "etc" / "hostname"), "changed\n");
  EXPECT_EQ(slurp(mnt.path() / "keep"), "kept\n");
  EXPECT_FALSE(std::filesystem::exists(mnt.path() / "remove-me"));
  EXPECT_FALSE(std::filesystem::exists(mnt.path() / ".wh.remove-me"));
  EXPECT_EQ(std::filesystem::read_symlink(mnt.path() / "link"), "etc/hostname");
  ASSERT_EQ(::umount2(mnt.path().c_str(), 0), 0);
}

TEST_P(DiffApiTest, AWrongDiffIdIsFailedPrecondition) {
  const auto src = dir_.path() / "src";
  std::filesystem::create_directories(src);
  std::ofstream(src / "f") << "x";
  const Layer l = make_layer("l", src);
  auto st = unpack(l, "bad", "", "sha256:" + std::string(64, '0'));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << st.error_message();
}

TEST_P(DiffApiTest, AnUnknownLayerIsNotFoundAndABadMediaTypeUnimplemented) {
  snapshots_v1::PrepareSnapshotRequest prep;
  prep.set_snapshotter(GetParam());
  prep.set_key("target");
  snapshots_v1::PrepareSnapshotResponse mounts;
  ASSERT_TRUE(snapshots_->Prepare(ctx().get(), prep, &mounts).ok());
  diff_v1::ApplyRequest apply;
  apply.mutable_diff()->set_media_type(kGzipLayer);
  apply.mutable_diff()->set_digest("sha256:" + std::string(64, 'a'));
  *apply.mutable_mounts() = mounts.mounts();
  diff_v1::ApplyResponse applied;
  EXPECT_EQ(diff_->Apply(ctx().get(), apply, &applied).error_code(), grpc::StatusCode::NOT_FOUND);
  apply.mutable_diff()->set_media_type("application/x-rar");
  EXPECT_EQ(diff_->Apply(ctx().get(), apply, &applied).error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_P(DiffApiTest, CtrSnapshotsDiffMakesTheLayerOfAChange) {
  const std::string ctr =
      "exec ctr -a '" + daemon_.address() + "' snapshots --snapshotter " + GetParam() + " ";
  TempDir mnt;
  sh(ctr + "prepare base-active");
  sh(sh(ctr + "mounts '" + mnt.path().string() + "' base-active"));
  std::ofstream(mnt.path() / "old") << "old\n";
  std::ofstream(mnt.path() / "same") << "same\n";
  ASSERT_EQ(::umount2(mnt.path().c_str(), 0), 0);
  sh(ctr + "commit base base-active");
  sh(ctr + "prepare child base");
  sh(sh(ctr + "mounts '" + mnt.path().string() + "' child"));
  std::filesystem::remove(mnt.path() / "old");
  std::ofstream(mnt.path() / "new") << "new\n";
  ASSERT_EQ(::umount2(mnt.path().c_str(), 0), 0);

  // ctr writes the layer (tar+gzip) to stdout.
  const auto layer = dir_.path() / "diff.tar.gz";
  auto r = run({"/bin/sh", "-c", ctr + "diff child > '" + layer.string() + "'"});
  ASSERT_EQ(r.exit_code, 0) << r.output << "\n" << daemon_.log();
  const std::string listing = sh("tar -tzf '" + layer.string() + "'");
  EXPECT_NE(listing.find("new"), std::string::npos) << listing;
  EXPECT_NE(listing.find(".wh.old"), std::string::npos) << listing;
  EXPECT_EQ(listing.find("same"), std::string::npos) << listing;
}

// Without mounts the differ once applied the layer into a directory of its
// own state, failed to remove it, and left it there (a setuid file among
// it) across restarts. No mounts, mounts it cannot apply onto and a view's
// read-only mounts are all refused before anything is written.
TEST_P(DiffApiTest, MountsALayerCannotGoIntoAreInvalidAndNothingIsWritten) {
  const std::string tar = LayerBuilder().file("bin/su", "x", 04755).tar();
  const Layer l = ingest("suid", gzip(tar), tar);
  prepare_target("viewed");  // for its committed base
  snapshots_v1::ViewSnapshotRequest view;
  view.set_snapshotter(GetParam());
  view.set_key("a-view");
  view.set_parent("base-of-viewed");
  snapshots_v1::ViewSnapshotResponse view_mounts;
  ASSERT_TRUE(snapshots_->View(ctx().get(), view, &view_mounts).ok());

  std::vector<std::pair<std::string, google::protobuf::RepeatedPtrField<containerd::types::Mount>>> cases;
  cases.emplace_back("no mounts", google::protobuf::RepeatedPtrField<containerd::types::Mount>());
  cases.emplace_back("a view", view_mounts.mounts());
  google::protobuf::RepeatedPtrField<containerd::types::Mount> tmpfs;
  tmpfs.Add()->set_type("tmpfs");
  cases.emplace_back("a tmpfs", tmpfs);
  google::protobuf::RepeatedPtrField<containerd::types::Mount> state;
  auto* m = state.Add();
  m->set_type("bind");
  m->set_source(differ_dirs()[1].string());
  m->add_options("rbind");
  cases.emplace_back("the differ's state directory", state);
  for (const auto& [what, mounts] : cases) {
    SCOPED_TRACE(what);
    diff_v1::ApplyRequest req;
    req.mutable_diff()->set_media_type(kGzipLayer);
    req.mutable_diff()->set_digest(l.digest);
    req.mutable_diff()->set_size(l.size);
    *req.mutable_mounts() = mounts;
    diff_v1::ApplyResponse applied;
    auto st = diff_->Apply(ctx().get(), req, &applied);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
    for (const auto& dir : differ_dirs()) EXPECT_TRUE(std::filesystem::is_empty(dir)) << dir;
  }
}

// Paths the daemon cannot use: the client hears INVALID_ARGUMENT or
// NOT_FOUND naming the mount and the path, never INTERNAL, and nothing is
// written. A NUL byte in the source once cut the path short at the NUL, and
// the layer went into the directory named before it.
TEST_P(DiffApiTest, MountPathsThatCannotBeUsedAreRefusedNamingThem) {
  const std::string tar = LayerBuilder().file("bin/su", "x", 04755).tar();
  const Layer l = ingest("suid", gzip(tar), tar);
  const Target target = prepare_target("named");
  ASSERT_FALSE(target.dir.empty());
  std::filesystem::create_symlink("loop", dir_.path() / "loop");
  const std::string dir = target.dir.string();
  struct Case {
    const char* what;
    std::string source;
    grpc::StatusCode code;
    std::string says;
  };
  const Case cases[] = {
      {"a relative source", "relative/dir", grpc::StatusCode::INVALID_ARGUMENT,
       "mount 0 (type \"bind\", source \"relative/dir\") source \"relative/dir\" is not an absolute path"},
      {"a NUL in the source", dir + std::string("\0", 1) + "/elsewhere", grpc::StatusCode::INVALID_ARGUMENT,
       "has a NUL byte in its source"},
      {"a symlink loop", (dir_.path() / "loop").string(), grpc::StatusCode::INVALID_ARGUMENT,
       "source \"" + (dir_.path() / "loop").string() + "\" cannot be resolved"},
      {"a missing directory", dir + "/missing", grpc::StatusCode::NOT_FOUND,
       "source \"" + dir + "/missing\" does not exist"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    diff_v1::ApplyRequest req;
    req.mutable_diff()->set_media_type(kGzipLayer);
    req.mutable_diff()->set_digest(l.digest);
    req.mutable_diff()->set_size(l.size);
    auto* m = req.add_mounts();
    m->set_type("bind");
    m->set_source(c.source);
    m->add_options("rbind");
    diff_v1::ApplyResponse applied;
    auto st = diff_->Apply(ctx().get(), req, &applied);
    EXPECT_EQ(st.error_code(), c.code) << st.error_message();
    EXPECT_NE(st.error_message().find(c.says), std::string::npos) << st.error_message();
    EXPECT_TRUE(std::filesystem::is_empty(target.dir));
    for (const auto& d : differ_dirs()) EXPECT_TRUE(std::filesystem::is_empty(d)) << d;
  }
}

// The client gives up after 300 ms of a layer that takes seconds: the daemon
// stops at the next entry and takes back what it wrote, instead of writing
// every one of 100,000 files for nobody.
TEST_P(DiffApiTest, ADeadlineStopsTheApplyAndLeavesTheSnapshotEmpty) {
  const Layer many = ingest("many", gzip(many_files_tar(), 1), many_files_tar());
  const Target target = prepare_target("impatient");
  ASSERT_FALSE(target.dir.empty());
  grpc::ClientContext c;
  c.AddMetadata("containerd-namespace", "default");
  c.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
  auto st = apply(many, target, c);
  ASSERT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << st.error_message();

  // Stopped and undone well within the time a whole apply takes.
  const auto gave_up = std::chrono::steady_clock::now();
  while (!std::filesystem::is_empty(target.dir) &&
         std::chrono::steady_clock::now() - gave_up < std::chrono::seconds(30))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - gave_up).count();
  EXPECT_TRUE(std::filesystem::is_empty(target.dir)) << "the apply went on for " << took << " s";
  RecordProperty("seconds_to_empty_after_deadline", std::to_string(took));

  // The same snapshot takes a layer afterwards, within a deadline.
  const std::string small_tar = LayerBuilder().file("after", "ok").tar();
  const Layer small = ingest("small", gzip(small_tar), small_tar);
  grpc::ClientContext again;
  again.AddMetadata("containerd-namespace", "default");
  again.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  st = apply(small, target, again);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(slurp(target.dir / "after"), "ok");
}

// 64 MiB of zeros in 64 KiB of gzip, against a bound of 8 MiB.
TEST_P(DiffApiTest, ALayerOverMaxApplyBytesIsRefusedNamingTheBound) {
  restart_with_differ_config("max_apply_bytes = 8388608");
  const std::string tar = LayerBuilder().file("bomb", std::string(64 << 20, '\0')).tar();
  const Layer bomb = ingest("bomb", gzip(tar, 9), tar);
  const Target target = prepare_target("bombed");
  grpc::ClientContext c;
  c.AddMetadata("containerd-namespace", "default");
  auto st = apply(bomb, target, c);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();
  EXPECT_NE(st.error_message().find("max_apply_bytes = 8388608"), std::string::npos) << st.error_message();
  EXPECT_TRUE(std::filesystem::is_empty(target.dir));
}

// One apply at a time: a second is refused while the first runs, and the
// first, cancelled by its client, stops and gives its slot back.
TEST_P(DiffApiTest, AppliesBeyondMaxConcurrentAppliesAreRefused) {
  restart_with_differ_config("max_concurrent_applies = 1");
  const Layer many = ingest("many", gzip(many_files_tar(), 1), many_files_tar());
  const std::string small_tar = LayerBuilder().file("second", "ok").tar();
  const Layer small = ingest("small", gzip(small_tar), small_tar);
  const Target first = prepare_target("first");
  const Target second = prepare_target("second");
  grpc::ClientContext first_call;
  first_call.AddMetadata("containerd-namespace", "default");
  grpc::Status first_status;
  std::thread running([&] { first_status = apply(many, first, first_call); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::filesystem::is_empty(first.dir) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  grpc::ClientContext c;
  c.AddMetadata("containerd-namespace", "default");
  auto st = apply(small, second, c);
  first_call.TryCancel();
  running.join();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();
  EXPECT_NE(st.error_message().find("max_concurrent_applies = 1"), std::string::npos) << st.error_message();
  EXPECT_TRUE(std::filesystem::is_empty(second.dir));
  EXPECT_EQ(first_status.error_code(), grpc::StatusCode::CANCELLED) << first_status.error_message();

  // The client hears CANCELLED at once; the daemon frees the slot once it
  // has stopped and taken back what it wrote.
  do {
    grpc::ClientContext retry;
    retry.AddMetadata("containerd-namespace", "default");
    st = apply(small, second, retry);
    if (st.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(slurp(second.dir / "second"), "ok");
  EXPECT_TRUE(std::filesystem::is_empty(first.dir));
}

INSTANTIATE_TEST_SUITE_P(Snapshotters, DiffApiTest, ::testing::Values("overlayfs", "native"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace berth::test

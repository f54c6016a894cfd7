#include "walking_differ.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <string>

#include "apply.hpp"
#include "apply_mounts.hpp"
#include "compare.hpp"
#include "layer_writer.hpp"

namespace berth::diff {
namespace {

constexpr const char* kUncompressedLabel = "containerd.io/uncompressed";

// An empty directory for a missing lower (the first layer's diff).
class EmptyDir {
 public:
  static Result<EmptyDir> create(const std::filesystem::path& parent) {
    std::string tmpl = (parent / "berth-empty-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr)
      return errno_status("create a directory under " + parent.string(), errno);
    return EmptyDir(tmpl);
  }
  EmptyDir(EmptyDir&& o) noexcept : path_(std::exchange(o.path_, {})) {}
  EmptyDir(const EmptyDir&) = delete;
  EmptyDir& operator=(const EmptyDir&) = delete;
  EmptyDir& operator=(EmptyDir&&) = delete;
  ~EmptyDir() {
    if (!path_.empty()) (void)::rmdir(path_.c_str());
  }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  explicit EmptyDir(std::filesystem::path p) : path_(std::move(p)) {}
  std::filesystem::path path_;
};

// Looks at a snapshot read-only. A bind mount ignores "ro" until remounted,
// and the trees are only read anyway, so binds are left as they are.
std::vector<Mount> read_only(std::vector<Mount> mounts) {
  for (auto& m : mounts) {
    if (!is_bind_mount(m) && !has_mount_option(m, "ro")) {
      std::erase(m.options, std::string("rw"));
      m.options.emplace_back("ro");
    }
  }
  return mounts;
}

std::string random_ref() {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "walking-diff-";
  for (int i = 0; i < 16; ++i) out += kHex[rd() & 0xf];
  return out;
}

// The namespace's ingest, as a sink.
class WriterSink final : public ByteSink {
 public:
  explicit WriterSink(ContentWriter& w) : w_(w) {}
  Status write(std::string_view data) override { return w_.write(data); }

 private:
  ContentWriter& w_;
};

}  // namespace

WalkingDiffer::WalkingDiffer(std::shared_ptr<NamespacedContent> content, const std::filesystem::path& root,
                             std::filesystem::path state, DifferLimits limits)
    : content_(std::move(content)),
      state_dir_(std::move(state)),
      limits_(limits),
      slots_(limits.max_concurrent_applies) {
  for (const auto& dir : {root, state_dir_}) {
    std::error_code ec;
    auto canonical = std::filesystem::weakly_canonical(dir, ec);
    own_dirs_.push_back(ec ? dir : canonical);
  }
}

namespace {

// A committed blob's reader and the source reading it, kept together.
class OwnedReaderSource final : public ByteSource {
 public:
  explicit OwnedReaderSource(std::unique_ptr<ContentReader> reader)
      : reader_(std::move(reader)), source_(*reader_) {}
  Result<std::size_t> read(char* buf, std::size_t len) override { return source_.read(buf, len); }

 private:
  std::unique_ptr<ContentReader> reader_;
  ContentReaderSource source_;
};

// The differ's engine reading a LayerSource.
class LayerByteSource final : public ByteSource {
 public:
  explicit LayerByteSource(LayerSource& source) : source_(source) {}
  Result<std::size_t> read(char* buf, std::size_t len) override { return source_.read(buf, len); }

 private:
  LayerSource& source_;
};

}  // namespace

Result<Descriptor> WalkingDiffer::apply(const ContentScope& scope, const Descriptor& layer,
                                        const std::vector<Mount>& mounts, std::string_view diff_id,
                                        const CancelCheck& cancelled) {
  return apply_checked(layer, mounts, diff_id, cancelled, [&]() -> Result<std::unique_ptr<ByteSource>> {
    auto reader = content_->reader(scope, layer.digest);
    if (!reader.ok()) return reader.status().with_context("open layer " + layer.digest);
    return std::unique_ptr<ByteSource>(std::make_unique<OwnedReaderSource>(std::move(*reader)));
  });
}

Result<Descriptor> WalkingDiffer::apply_stream(LayerSource& layer_source, const Descriptor& layer,
                                               const std::vector<Mount>& mounts, std::string_view diff_id,
                                               const CancelCheck& cancelled) {
  return apply_checked(layer, mounts, diff_id, cancelled, [&]() -> Result<std::unique_ptr<ByteSource>> {
    return std::unique_ptr<ByteSource>(std::make_unique<LayerByteSource>(layer_source));
  });
}

Result<Descriptor> WalkingDiffer::apply_checked(
    const Descriptor& layer, const std::vector<Mount>& mounts, std::string_view diff_id,
    const CancelCheck& cancelled, const std::function<Result<std::unique_ptr<ByteSource>>()>& open) {
  // Unimplemented, InvalidArgument and NotFound before anything is read or mounted.
  auto compression = compression_for_media_type(layer.media_type);
  if (!compression.ok()) return compression.status();
  if (Status st = check_apply_mounts(mounts, own_dirs_); !st.ok())
    return st.with_context("apply layer " + layer.digest);
  auto slot = slots_.take();
  if (!slot.ok()) return slot.status().with_context("apply layer " + layer.digest);
  auto source = open();
  if (!source.ok()) return source.status();
  return apply_from(**source, *compression, layer, mounts, diff_id, cancelled);
}

Result<Descriptor> WalkingDiffer::apply_from(ByteSource& source, Compression compression,
                                             const Descriptor& layer, const std::vector<Mount>& mounts,
                                             std::string_view diff_id, const CancelCheck& cancelled) {
  ApplyOptions options{.whiteouts = WhiteoutMode::kDelete,
                       .expected_diff_id = std::string(diff_id),
                       .max_bytes = limits_.max_apply_bytes,
                       .max_entries = limits_.max_apply_entries,
                       .cancelled = cancelled};

  Result<ApplyResult> result = internal("no apply target");
  const std::string upper = mounts.size() == 1 && mounts[0].type == "overlay"
                                ? mount_option(mounts[0].options, "upperdir")
                                : std::string();
  if (!upper.empty()) {
    // The layer goes straight into the new snapshot's upperdir: no mount,
    // and whiteouts in overlay's own form.
    options.whiteouts = WhiteoutMode::kOverlay;
    const std::string lowers = mount_option(mounts[0].options, "lowerdir");
    for (std::size_t pos = 0; pos < lowers.size();) {
      auto next = lowers.find(':', pos);
      if (next == std::string::npos) next = lowers.size();
      if (next > pos) options.lower_dirs.emplace_back(lowers.substr(pos, next - pos));
      pos = next + 1;
    }
    result = apply_layer(source, compression, upper, options);
  } else if (mounts.size() == 1 && is_bind_mount(mounts[0])) {
    // check_apply_mounts has refused read-only mounts.
    result = apply_layer(source, compression, mounts[0].source, options);
  } else {
    auto mounted = TempMount::create(mounts, state_dir_);
    if (!mounted.ok()) return mounted.status().with_context("mount the snapshot to apply " + layer.digest);
    // The mount point is in our state directory: write nothing unless the
    // snapshot really is mounted on it.
    if (Status st = check_mount_root(mounted->path()); !st.ok()) return st;
    result = apply_layer(source, compression, mounted->path(), options);
    if (Status st = mounted->release(); !st.ok() && result.ok()) return st;
  }
  if (!result.ok()) return result.status().with_context("apply layer " + layer.digest);
  return Descriptor{
      .media_type = std::string(kMediaTypeLayerTar), .digest = result->diff_id, .size = result->size};
}

Result<Descriptor> WalkingDiffer::compare(const ContentScope& scope, const std::vector<Mount>& lower,
                                          const std::vector<Mount>& upper, std::string_view media_type,
                                          std::string_view ref, const Labels& labels) {
  const std::string type = media_type.empty() ? std::string(kMediaTypeLayerGzip) : std::string(media_type);
  auto compression = compression_for_media_type(type);
  if (!compression.ok()) return compression.status();

  std::optional<TempMount> lower_mount;
  std::optional<EmptyDir> empty;
  std::filesystem::path lower_path;
  if (lower.empty()) {
    auto e = EmptyDir::create(state_dir_);
    if (!e.ok()) return e.status();
    empty.emplace(std::move(e).value());
    lower_path = empty->path();
  } else {
    auto m = TempMount::create(read_only(lower), state_dir_);
    if (!m.ok()) return m.status().with_context("mount the lower snapshot");
    lower_mount.emplace(std::move(m).value());
    lower_path = lower_mount->path();
  }
  auto upper_mount = TempMount::create(read_only(upper), state_dir_);
  if (!upper_mount.ok()) return upper_mount.status().with_context("mount the upper snapshot");

  auto writer = content_->writer(scope, ref.empty() ? random_ref() : std::string(ref), 0, "");
  if (!writer.ok()) return writer.status();
  WriterSink to_store(**writer);
  DigestingSink sink(to_store);
  auto diff = write_diff(lower_path, upper_mount->path(), *compression, sink);
  if (!diff.ok()) return diff.status();
  const int64_t size = sink.size();
  auto digest = sink.digest();
  if (!digest.ok()) return digest.status();

  Labels all = labels;
  all[kUncompressedLabel] = diff->uncompressed_digest;
  auto committed = (*writer)->commit_labeled(size, *digest, all);
  // The same layer already in this namespace is a success, as in containerd.
  if (!committed.ok() && committed.status().code() != Code::kAlreadyExists) return committed.status();
  return Descriptor{.media_type = type, .digest = *digest, .size = size};
}

}  // namespace berth::diff

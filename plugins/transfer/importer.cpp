#include "importer.hpp"

#include <algorithm>
#include <atomic>
#include <optional>
#include <random>
#include <set>

#include "blob_download.hpp"
#include "clock/clock.hpp"
#include "content_labels.hpp"
#include "documents.hpp"
#include "image-archive/content_adapters.hpp"
#include "image-archive/import.hpp"
#include "image_records.hpp"
#include "oci/oci.hpp"
#include "platforms/platforms.hpp"
#include "progress.hpp"
#include "transfer_lease.hpp"
#include "unpacker.hpp"

namespace berth::transfer {
namespace {

namespace archive = image_archive;

// Passes the archive's blobs on to the content store and reports them as
// they stream: keyed by the digest the archive names them by, or by their
// entry path (a docker-archive's files) until they verify.
class ReportingSink final : public archive::BlobSink {
 public:
  ReportingSink(archive::BlobSink& inner, ProgressReporter& reporter) : inner_(inner), reporter_(reporter) {}

  Result<std::unique_ptr<archive::BlobWriter>> open(std::string_view entry, std::string_view expected_digest,
                                                    int64_t size) override {
    std::string key(expected_digest.empty() ? entry : expected_digest);
    auto writer = inner_.open(entry, expected_digest, size);
    if (!writer.ok()) {
      if (writer.status().code() == Code::kAlreadyExists)
        reporter_.report("blob", key, TransferState::kExists, size, size);
      return writer.status();
    }
    reporter_.report("blob", key, TransferState::kDownloading, 0, size);
    return std::unique_ptr<archive::BlobWriter>(
        std::make_unique<Writer>(std::move(*writer), reporter_, std::move(key), size));
  }

 private:
  class Writer final : public archive::BlobWriter {
   public:
    Writer(std::unique_ptr<archive::BlobWriter> inner, ProgressReporter& reporter, std::string key,
           int64_t size)
        : inner_(std::move(inner)), reporter_(reporter), key_(std::move(key)), size_(size) {}
    Status write(std::string_view data) override {
      BERTH_RETURN_IF_ERROR(inner_->write(data));
      written_ += static_cast<int64_t>(data.size());
      reporter_.report("blob", key_, TransferState::kDownloading, written_, size_);
      return {};
    }
    Status commit(const Descriptor& verified) override {
      BERTH_RETURN_IF_ERROR(inner_->commit(verified));
      reporter_.report("blob", key_, TransferState::kVerified, size_, size_);
      return {};
    }

   private:
    std::unique_ptr<archive::BlobWriter> inner_;
    ProgressReporter& reporter_;
    std::string key_;
    int64_t size_;
    int64_t written_ = 0;
  };

  archive::BlobSink& inner_;
  ProgressReporter& reporter_;
};

// The import's own lease, if the caller brought none: removed at the end
// whatever happened. A failed import is not resumed (the archive is read
// again whole), so nothing it wrote is worth keeping.
class ImportLease {
 public:
  ImportLease(const TransferDeps& deps, std::string ns) : deps_(deps), ns_(std::move(ns)) {}
  ImportLease(const ImportLease&) = delete;
  ImportLease& operator=(const ImportLease&) = delete;
  ~ImportLease() {
    if (lease_) (void)lease_->remove(*deps_.metadata, *deps_.leases, ns_);
  }
  Status create() {
    auto lease = TransferLease::create(*deps_.metadata, *deps_.leases, "import", ns_);
    if (!lease.ok()) return lease.status().with_context("create the import's lease");
    lease_.emplace(std::move(*lease));
    return {};
  }
  [[nodiscard]] const std::string& id() const { return lease_->id(); }
  // Removes it now, reporting a failure.
  Status remove() {
    if (!lease_) return {};
    Status st = lease_->remove(*deps_.metadata, *deps_.leases, ns_);
    lease_.reset();
    return st.ok() ? st : st.with_context("remove the import's lease");
  }

 private:
  const TransferDeps& deps_;
  std::string ns_;
  std::optional<TransferLease> lease_;
};

// A manifest as the unpacker needs it.
struct UnpackPlan {
  oci::Manifest manifest;
  Descriptor config_desc;
  oci::ImageConfig config;
};

Result<UnpackPlan> read_plan(NamespacedContent& content, const ContentScope& scope, const Descriptor& desc) {
  auto bytes = read_document(content, scope, desc, oci::kMaxManifestBytes);
  if (!bytes.ok()) return bytes.status();
  auto manifest = oci::parse_manifest(*bytes, desc);
  if (!manifest.ok()) return manifest.status();
  UnpackPlan plan{.manifest = std::move(*manifest)};
  plan.config_desc = plan.manifest.config;
  auto config_bytes = read_document(content, scope, plan.config_desc, oci::kMaxConfigBytes);
  if (!config_bytes.ok()) return config_bytes.status();
  auto config = oci::parse_config(*config_bytes, plan.config_desc);
  if (!config.ok()) return config.status();
  plan.config = std::move(*config);
  if (plan.config.diff_ids.size() != plan.manifest.layers.size())
    return invalid_argument("manifest " + desc.digest + " has " +
                            std::to_string(plan.manifest.layers.size()) + " layers but its config " +
                            plan.config_desc.digest + " has " + std::to_string(plan.config.diff_ids.size()) +
                            " diff IDs");
  return plan;
}

std::string platform_names(const std::vector<platforms::Platform>& list) {
  std::string out;
  for (const auto& p : list) out += (out.empty() ? "" : ", ") + platforms::format(p);
  return out.empty() ? "none" : out;
}

// The import's steps after the archive is read, sharing what they need.
class Import {
 public:
  Import(const TransferDeps& deps, const PullTarget& target, const ImportOptions& options,
         std::vector<platforms::Platform> wants, const archive::ImportResult& result,
         const std::function<Status()>& check)
      : deps_(deps),
        target_(target),
        options_(options),
        wants_(std::move(wants)),
        result_(result),
        check_(check) {
    for (const auto& b : result_.blobs) {
      if (!b.children.empty()) checked_.insert(b.descriptor.digest);
    }
  }

  // containerd's gc.ref labels from each index and manifest the import
  // checked down to what it references.
  Status label() {
    for (const archive::ImportedBlob& b : result_.blobs) {
      if (b.children.empty()) continue;
      Labels labels;
      if (oci::is_index(b.descriptor.media_type)) {
        for (std::size_t i = 0; i < b.children.size(); ++i)
          labels[index_child_label(i)] = b.children[i].digest;
      } else if (oci::is_manifest(b.descriptor.media_type)) {
        labels[config_label()] = b.children.front().digest;
        for (std::size_t i = 1; i < b.children.size(); ++i) labels[layer_label(i - 1)] = b.children[i].digest;
      } else {
        continue;
      }
      BERTH_RETURN_IF_ERROR(check_());
      BERTH_RETURN_IF_ERROR(label_blob(target_, b.descriptor, labels));
    }
    return {};
  }

  // Unpacks the manifest of `image` for the platform wanted; nothing when an
  // import of all platforms has none for it.
  Status unpack_image(const archive::ImportedImage& image, Snapshotter& snapshotter,
                      const std::string& snapshotter_name) {
    auto chosen = choose(image);
    if (!chosen.ok()) return chosen.status().with_context("unpack " + image.name);
    if (!*chosen) return {};
    auto plan = read_plan(target_.content, target_.scope, **chosen);
    if (!plan.ok()) return plan.status().with_context("unpack " + image.name);
    auto chain = oci::chain_ids(plan->config.diff_ids);
    if (!chain.ok()) return chain.status();
    std::vector<UnpackLayer> layers;
    for (std::size_t i = 0; i < plan->manifest.layers.size(); ++i)
      layers.push_back(UnpackLayer{.blob = plan->manifest.layers[i],
                                   .diff_id = plan->config.diff_ids[i],
                                   .chain_id = (*chain)[i],
                                   .download = nullptr});
    CancelCheck check = check_;
    BERTH_RETURN_IF_ERROR(
        unpack(target_, snapshotter, *deps_.differ, layers, check).with_context("unpack " + image.name));
    BERTH_RETURN_IF_ERROR(label_uncompressed(target_, layers));
    if (chain->empty()) return {};
    return label_blob(target_, plan->config_desc, {{snapshot_label(snapshotter_name), chain->back()}});
  }

 private:
  // The manifest to unpack for `image`: the best for the first wanted
  // platform that has one, among those the import checked.
  Result<std::optional<Descriptor>> choose(const archive::ImportedImage& image) {
    const Descriptor& target = image.target;
    std::vector<platforms::Platform> has;
    if (oci::is_manifest(target.media_type)) {
      auto plan = read_plan(target_.content, target_.scope, target);
      if (!plan.ok()) return plan.status();
      for (const auto& want : wants_)
        if (platforms::matches(want, plan->config.platform)) return std::optional<Descriptor>(target);
      has.push_back(plan->config.platform);
    } else if (oci::is_index(target.media_type)) {
      auto bytes = read_document(target_.content, target_.scope, target, oci::kMaxManifestBytes);
      if (!bytes.ok()) return bytes.status();
      auto index = oci::parse_index(*bytes, target);
      if (!index.ok()) return index.status();
      // Only what the import checked (the platform filter kept): a manifest
      // it skipped may not be in the archive at all.
      std::erase_if(index->manifests, [&](const oci::IndexEntry& e) {
        return !oci::is_manifest(e.descriptor.media_type) || !checked_.contains(e.descriptor.digest);
      });
      for (const auto& want : wants_) {
        auto matches = oci::choose(*index, want);
        if (!matches.empty()) return std::optional<Descriptor>(matches.front().descriptor);
      }
      for (const auto& e : index->manifests)
        if (e.platform) has.push_back(*e.platform);
    } else {
      return invalid_argument("image " + image.name + " names " + target.digest + " of media type " +
                              target.media_type + ", which is neither an image manifest nor an index");
    }
    if (options_.all_platforms) return std::optional<Descriptor>();
    return not_found("image " + image.name + " has no manifest for " + platform_names(wants_) + " (it has: " +
                     platform_names(has) + "); import it for its platform or without unpacking");
  }

  const TransferDeps& deps_;
  const PullTarget& target_;
  const ImportOptions& options_;
  std::vector<platforms::Platform> wants_;
  const archive::ImportResult& result_;
  const std::function<Status()>& check_;
  std::set<std::string> checked_;  // digests of the indexes and manifests the import walked
};

std::string unique_token() {
  std::random_device rd;
  return std::to_string(clock::now_ns()) + "-" + std::to_string(rd());
}

}  // namespace

Result<std::vector<Image>> import_image_archive(const TransferDeps& deps, const ContentScope& scope,
                                                const ImportOptions& options,
                                                const image_archive::ByteSource& source,
                                                const ProgressFn& progress, const CancelCheck& cancelled) {
  std::vector<platforms::Platform> asked;
  for (const std::string& p : options.platforms) {
    auto parsed = platforms::parse(p);
    if (!parsed.ok()) return parsed.status();
    asked.push_back(std::move(*parsed));
  }
  archive::ImportOptions archive_options{.base_name = options.base_name,
                                         .only_base_name = options.only_base_name};
  // As ctr: the host's platform and what runs on it by default, exactly
  // the platforms asked for otherwise, everything with all_platforms.
  if (!options.all_platforms)
    archive_options.platforms = asked.empty() ? platforms::compatible(platforms::host()) : asked;
  const std::vector<platforms::Platform> wants = asked.empty() ? std::vector{platforms::host()} : asked;
  const std::string snapshotter_name =
      options.snapshotter.empty() ? deps.default_snapshotter : options.snapshotter;
  if (options.unpack && !deps.differ)
    return failed_precondition(
        "no differ plugin is loaded, so an import cannot unpack (import without unpacking)");

  ContentScope work = scope;
  ImportLease own_lease(deps, scope.ns);
  if (!work.lease) {
    BERTH_RETURN_IF_ERROR(own_lease.create());
    work.lease = own_lease.id();
  }
  std::unique_ptr<Snapshotter> snapshotter;
  if (options.unpack) {
    auto sn = deps.snapshots->get(work, snapshotter_name);
    if (!sn.ok()) return sn.status();
    snapshotter = std::move(*sn);
  }

  ProgressReporter reporter(progress);
  std::atomic<bool> stop{false};
  const PullTarget target{
      .content = *deps.content,
      .scope = work,
      .progress = reporter,
      .stop = stop,
      .hold_snapshot = snapshot_holder(*deps.metadata, *deps.leases, work, snapshotter_name)};
  const std::function<Status()> check = [&]() -> Status {
    if (cancelled) return cancelled();
    return {};
  };
  const archive::ByteSource checked_source = [&](char* buf, std::size_t len) -> Result<std::size_t> {
    BERTH_RETURN_IF_ERROR(check());
    return source(buf, len);
  };

  // Ingest refs of their own, so two imports of one archive never wait for
  // each other's ref; a failed blob's ingest is aborted by the sink.
  archive::NamespacedBlobSink content_sink(*deps.content, work, "import-" + unique_token() + "-");
  ReportingSink sink(content_sink, reporter);
  auto imported = archive::import_archive(checked_source, sink, archive_options);
  if (!imported.ok()) return imported.status();
  if (imported->images.empty())
    return invalid_argument(
        "the image archive names no image (an index entry with only a tag is named with a base name)");

  Import import(deps, target, options, wants, *imported, check);
  BERTH_RETURN_IF_ERROR(import.label());
  if (options.unpack) {
    std::set<std::string> unpacked;
    for (const archive::ImportedImage& image : imported->images) {
      if (!unpacked.insert(image.target.digest).second) continue;
      BERTH_RETURN_IF_ERROR(import.unpack_image(image, *snapshotter, snapshotter_name));
    }
  }
  BERTH_RETURN_IF_ERROR(check());

  // Every image or none.
  std::vector<Image> out;
  BERTH_RETURN_IF_ERROR(deps.metadata->update([&](Transaction& tx) -> Status {
    out.clear();
    for (const archive::ImportedImage& image : imported->images) {
      auto recorded = record_image(tx, *deps.images, scope.ns, image.name, image.target, options.labels);
      if (!recorded.ok()) return recorded.status().with_context("record image " + image.name);
      out.push_back(std::move(*recorded));
    }
    return {};
  }));
  // The image records and their labels hold everything now.
  BERTH_RETURN_IF_ERROR(own_lease.remove());
  return out;
}

}  // namespace berth::transfer

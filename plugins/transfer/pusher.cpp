#include "pusher.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "blob_download.hpp"
#include "content_labels.hpp"
#include "documents.hpp"
#include "oci/oci.hpp"
#include "platforms/platforms.hpp"
#include "progress.hpp"
#include "reference/reference.hpp"
#include "registry_session.hpp"
#include "worker_pool.hpp"

namespace berth::transfer {
namespace {

// How deep indexes may nest (an index naming indexes...).
constexpr int kMaxIndexDepth = 4;

// A config or layer to send.
struct PushBlob {
  std::string kind;  // "config", "layer"
  Descriptor desc;
  std::string mount_from;  // a repository of the registry that has it, "" for none
};

// A manifest or index to put once its blobs are there.
struct PushDocument {
  std::string kind;  // "manifest", "index"
  Descriptor desc;
  std::string bytes;
};

// What a push sends, in order: blobs (in any order), then the documents,
// each after the ones it names; the root is the last document.
struct PushPlan {
  std::vector<PushBlob> blobs;
  std::vector<PushDocument> documents;
};

Status stopped() { return cancelled("the push stopped"); }

// Walks an image from the namespace's content into a PushPlan, checking
// that every blob is there.
class Planner {
 public:
  Planner(NamespacedContent& content, const ContentScope& scope, std::string source_key,
          std::string target_repo)
      : content_(content),
        scope_(scope),
        source_key_(std::move(source_key)),
        target_repo_(std::move(target_repo)) {}

  // `what` names the document in messages: "image x", "manifest ... (linux/arm64) of index ...".
  Status visit(const Descriptor& desc, const std::string& what, int depth) {
    if (seen_.contains(desc.digest)) return {};
    if (depth > kMaxIndexDepth)
      return invalid_argument(what + " nests indexes more than " + std::to_string(kMaxIndexDepth) + " deep");
    auto bytes = read_present(desc, what);
    if (!bytes.ok()) return bytes.status();
    if (oci::is_index(desc.media_type)) {
      auto index = oci::parse_index(*bytes, desc);
      if (!index.ok()) return index.status();
      for (const oci::IndexEntry& e : index->manifests) {
        const Descriptor& child = e.descriptor;
        if (!oci::is_manifest(child.media_type) && !oci::is_index(child.media_type))
          return invalid_argument("index " + desc.digest + " names " + child.digest + " of media type " +
                                  child.media_type + "; only image manifests and indexes can be pushed");
        const std::string platform = e.platform ? " (" + platforms::format(*e.platform) + ")" : "";
        BERTH_RETURN_IF_ERROR(
            visit(child, "manifest " + child.digest + platform + " of index " + desc.digest, depth + 1));
      }
      add_document("index", desc, std::move(*bytes));
      return {};
    }
    if (!oci::is_manifest(desc.media_type))
      return invalid_argument(what + " is " + desc.digest + " of media type " + desc.media_type +
                              ", which is neither an image manifest nor an index");
    auto manifest = oci::parse_manifest(*bytes, desc);
    if (!manifest.ok()) return manifest.status();
    BERTH_RETURN_IF_ERROR(add_blob("config", manifest->config, desc));
    for (const Descriptor& layer : manifest->layers) BERTH_RETURN_IF_ERROR(add_blob("layer", layer, desc));
    add_document("manifest", desc, std::move(*bytes));
    return {};
  }

  PushPlan take() { return std::move(plan_); }

 private:
  Result<std::string> read_present(const Descriptor& desc, const std::string& what) {
    if (Status st = present(desc, what); !st.ok()) return st;
    return read_document(content_, scope_, desc, oci::kMaxManifestBytes);
  }

  Status present(const Descriptor& desc, const std::string& what) {
    auto info = content_.info(scope_, desc.digest);
    if (info.ok()) {
      if (auto label = info->labels.find(source_key_); label != info->labels.end())
        mount_from_[desc.digest] = mount_source(label->second, target_repo_);
      return {};
    }
    if (info.status().code() != Code::kNotFound) return info.status();
    return failed_precondition(
        what + " is not in namespace " + scope_.ns +
        "'s content, so it cannot be pushed (pull the image with all its platforms, or push one platform)");
  }

  Status add_blob(const std::string& kind, const Descriptor& desc, const Descriptor& manifest) {
    if (seen_.contains(desc.digest)) return {};
    BERTH_RETURN_IF_ERROR(present(desc, kind + " " + desc.digest + " of manifest " + manifest.digest));
    seen_.insert(desc.digest);
    plan_.blobs.push_back(PushBlob{.kind = kind, .desc = desc, .mount_from = mount_from_[desc.digest]});
    return {};
  }

  void add_document(const std::string& kind, const Descriptor& desc, std::string bytes) {
    seen_.insert(desc.digest);
    plan_.documents.push_back(PushDocument{.kind = kind, .desc = desc, .bytes = std::move(bytes)});
  }

  NamespacedContent& content_;
  const ContentScope& scope_;
  std::string source_key_;
  std::string target_repo_;
  std::set<std::string> seen_;
  std::map<std::string, std::string> mount_from_;  // by digest
  PushPlan plan_;
};

// The image record `name`, else the one under its normalized name
// ("busybox" is recorded as "docker.io/library/busybox:latest").
Result<Image> find_image(const TransferDeps& deps, const std::string& ns, const std::string& name) {
  auto get = [&](const std::string& n) -> Result<Image> {
    Image image;
    BERTH_RETURN_IF_ERROR(deps.metadata->view([&](Transaction& tx) -> Status {
      auto got = deps.images->get(tx, ns, n);
      if (!got.ok()) return got.status();
      image = std::move(*got);
      return {};
    }));
    return image;
  };
  auto image = get(name);
  if (image.ok() || image.status().code() != Code::kNotFound) return image;
  auto ref = reference::parse_normalized(name);
  if (ref.ok() && ref->string() != name) {
    auto normalized = get(ref->string());
    if (normalized.ok() || normalized.status().code() != Code::kNotFound) return normalized;
  }
  return image;
}

// The root to push for `platform`: the image's target, or the manifest its
// index has for that platform.
Result<Descriptor> choose_root(NamespacedContent& content, const ContentScope& scope, const Image& image,
                               const std::string& platform) {
  if (platform.empty()) return image.target;
  auto want = platforms::parse(platform);
  if (!want.ok()) return want.status();
  const Descriptor& target = image.target;
  auto bytes = read_document(content, scope, target, oci::kMaxManifestBytes);
  if (!bytes.ok()) return bytes.status().with_context("read image " + image.name + "'s " + target.digest);
  if (oci::is_index(target.media_type)) {
    auto index = oci::parse_index(*bytes, target);
    if (!index.ok()) return index.status();
    auto matches = oci::choose(*index, *want);
    if (matches.empty())
      return not_found("image " + image.name + "'s index " + target.digest + " has no manifest for " +
                       platforms::format(*want));
    return matches.front().descriptor;
  }
  if (!oci::is_manifest(target.media_type)) return target;  // the plan says what is wrong with it
  auto manifest = oci::parse_manifest(*bytes, target);
  if (!manifest.ok()) return manifest.status();
  auto config_bytes = read_document(content, scope, manifest->config, oci::kMaxConfigBytes);
  if (!config_bytes.ok()) return config_bytes.status().with_context("read the config of image " + image.name);
  auto config = oci::parse_config(*config_bytes, manifest->config);
  if (!config.ok()) return config.status();
  if (!platforms::matches(*want, config->platform))
    return not_found("image " + image.name + " is for " + platforms::format(config->platform) + ", not " +
                     platforms::format(*want));
  return target;
}

// What every upload worker shares.
struct PushTarget {
  NamespacedContent& content;
  const ContentScope& scope;
  ProgressReporter& progress;
  std::atomic<bool>& stop;
  std::string repo;
  TransferFigures& figures;
};

// Sends one blob the repository may lack: nothing when it has it, a mount
// when another repository of the registry does, else its bytes.
Status push_blob(const PushTarget& target, distribution::Client& client, const PushBlob& blob) {
  const Descriptor& desc = blob.desc;
  auto exists = client.blob_exists(target.repo, desc);
  if (!exists.ok()) return exists.status();
  if (*exists) {
    target.progress.report(blob.kind, desc.digest, TransferState::kExists, desc.size, desc.size);
    return {};
  }
  if (target.stop.load()) return stopped();
  if (!blob.mount_from.empty()) {
    // A mount that fails for any reason (the source repository is gone,
    // or the credentials may not read it) leaves the upload to do the job.
    auto mounted = client.mount_blob(target.repo, desc, blob.mount_from);
    if (mounted.ok() && *mounted) {
      target.progress.report(blob.kind, desc.digest, TransferState::kMounted, desc.size, desc.size);
      return {};
    }
  }
  auto reader = target.content.reader(target.scope, desc.digest);
  if (!reader.ok()) return reader.status().with_context("read " + blob.kind + " " + desc.digest);
  target.progress.report(blob.kind, desc.digest, TransferState::kUploading, 0, desc.size);
  auto read = [&](int64_t offset, char* buf, std::size_t len) -> Result<std::size_t> {
    if (target.stop.load()) return stopped();
    auto got = (*reader)->read_at(offset, buf, len);
    if (got.ok())
      target.progress.report(blob.kind, desc.digest, TransferState::kUploading,
                             offset + static_cast<int64_t>(*got), desc.size);
    return got;
  };
  BERTH_RETURN_IF_ERROR(client.push_blob(target.repo, desc, read));
  target.figures.pushed_bytes += static_cast<uint64_t>(desc.size);
  target.progress.report(blob.kind, desc.digest, TransferState::kDone, desc.size, desc.size);
  return {};
}

}  // namespace

Result<Descriptor> push_image(const TransferDeps& deps, const ContentScope& scope, const PushOptions& options,
                              const ProgressFn& progress, const CancelCheck& cancelled) {
  if (options.image.empty()) return invalid_argument("push needs the name of a local image");
  if (options.max_concurrent_uploads < 0 || options.max_concurrent_uploads > kMaxConcurrentBlobs)
    return invalid_argument("max_concurrent_uploads is " + std::to_string(options.max_concurrent_uploads) +
                            "; it must be between 1 and " + std::to_string(kMaxConcurrentBlobs) +
                            " (0: the default)");
  const int max_uploads =
      options.max_concurrent_uploads > 0 ? options.max_concurrent_uploads : deps.max_uploads;
  auto image = find_image(deps, scope.ns, options.image);
  if (!image.ok()) return image.status();
  const std::string& where = options.reference.empty() ? image->name : options.reference;
  auto ref = reference::parse_normalized(where);
  if (!ref.ok()) return ref.status().with_context("the reference to push " + image->name + " to");

  auto root = choose_root(*deps.content, scope, *image, options.platform);
  if (!root.ok()) return root.status();
  if (!ref->digest.empty() && ref->digest != root->digest)
    return invalid_argument("reference " + ref->string() + " names digest " + ref->digest + ", but image " +
                            image->name + (options.platform.empty() ? "" : " for " + options.platform) +
                            " is " + root->digest);

  auto session = RegistrySession::open(*ref, options.registry, deps.hosts_dir);
  if (!session.ok()) return session.status();
  const auto host = (*session)->push_host();
  if (!host)
    return failed_precondition("no host of " + ref->domain +
                               " may be pushed to (its hosts.toml gives none the \"push\" capability)");

  // Everything is checked before the first byte leaves.
  const std::string source_key = source_label((*session)->source_host());
  Planner planner(*deps.content, scope, source_key, (*session)->repo());
  BERTH_RETURN_IF_ERROR(planner.visit(*root, "image " + image->name + "'s " + root->digest, 0));
  const PushPlan plan = planner.take();

  ProgressReporter reporter(progress);
  for (const PushBlob& b : plan.blobs)
    reporter.report(b.kind, b.desc.digest, TransferState::kWaiting, 0, b.desc.size);
  for (const PushDocument& d : plan.documents)
    reporter.report(d.kind, d.desc.digest, TransferState::kWaiting, 0, d.desc.size);

  std::atomic<bool> stop{false};
  // The caller's check, on this thread only; a failed upload stops the rest.
  auto check = [&]() -> Status {
    if (cancelled) {
      if (Status st = cancelled(); !st.ok()) {
        stop = true;
        return st;
      }
    }
    if (stop.load()) return stopped();
    return {};
  };
  const PushTarget target{.content = *deps.content,
                          .scope = scope,
                          .progress = reporter,
                          .stop = stop,
                          .repo = (*session)->repo(),
                          .figures = *deps.figures};
  {
    // Each worker with its own client of the push host; the first failure
    // stops the rest.
    WorkerPool uploads(plan.blobs.size(), max_uploads, stop, [&]() -> WorkerPool::Worker {
      std::shared_ptr<distribution::Client> client = (*session)->client(*host);
      return [&target, &plan, client](std::size_t i) { return push_blob(target, *client, plan.blobs[i]); };
    });
    BERTH_RETURN_IF_ERROR(uploads.wait(check));
  }

  // Documents after the blobs they name; the root last, under the tag.
  auto client = (*session)->client(*host);
  for (const PushDocument& d : plan.documents) {
    BERTH_RETURN_IF_ERROR(check());
    const bool is_root = &d == &plan.documents.back();
    const std::string reference = is_root && !ref->tag.empty() ? ref->tag : d.desc.digest;
    BERTH_RETURN_IF_ERROR(client->put_manifest(target.repo, reference, d.desc, d.bytes));
    reporter.report(d.kind, d.desc.digest, TransferState::kDone, d.desc.size, d.desc.size);
  }

  // The repository has every blob now: later pushes to the registry may
  // mount them from it. Only an optimization, so a label that cannot be
  // written does not fail the push that succeeded.
  const PullTarget labels{.content = *deps.content,
                          .scope = scope,
                          .progress = reporter,
                          .stop = stop,
                          .source_key = source_key,
                          .repo = target.repo};
  for (const PushBlob& b : plan.blobs) (void)label_blob(labels, b.desc, {});
  for (const PushDocument& d : plan.documents) (void)label_blob(labels, d.desc, {});
  return *root;
}

}  // namespace berth::transfer

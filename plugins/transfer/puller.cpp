#include "puller.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "blob_download.hpp"
#include "content_labels.hpp"
#include "growing_blob.hpp"
#include "image_records.hpp"
#include "oci/oci.hpp"
#include "platforms/platforms.hpp"
#include "progress.hpp"
#include "pull_journal.hpp"
#include "reference/reference.hpp"
#include "registry_session.hpp"
#include "transfer_lease.hpp"
#include "unpacker.hpp"
#include "worker_pool.hpp"

namespace berth::transfer {
namespace {

struct ChosenManifest {
  Descriptor desc;
  std::string bytes;
  oci::Manifest manifest;
  Descriptor config_desc;
  std::string config_bytes;
  oci::ImageConfig config;
};

Result<std::vector<platforms::Platform>> wanted_platforms(const PullOptions& options) {
  std::vector<platforms::Platform> out;
  for (const std::string& p : options.platforms) {
    auto parsed = platforms::parse(p);
    if (!parsed.ok()) return parsed.status();
    out.push_back(std::move(*parsed));
  }
  if (out.empty()) out.push_back(platforms::host());
  return out;
}

std::string platform_list(const oci::Index& index) {
  std::string out;
  for (const auto& e : index.manifests) {
    if (!e.platform) continue;
    if (!out.empty()) out += ", ";
    out += platforms::format(*e.platform);
  }
  return out.empty() ? "none" : out;
}

// The manifests of `index` to download, the one to unpack first.
Result<std::vector<Descriptor>> choose_manifests(const oci::Index& index, const Descriptor& desc,
                                                 const std::vector<platforms::Platform>& wants, bool all) {
  std::vector<Descriptor> out;
  auto add = [&](const Descriptor& d) -> Status {
    if (!oci::is_manifest(d.media_type))
      return invalid_argument("index " + desc.digest + " names " + d.digest + " of media type " +
                              d.media_type + "; only image manifests can be pulled from an index");
    if (std::none_of(out.begin(), out.end(), [&](const Descriptor& o) { return o.digest == d.digest; }))
      out.push_back(d);
    return {};
  };
  for (const auto& want : wants) {
    auto matches = oci::choose(index, want);
    if (matches.empty()) {
      if (all) continue;
      return not_found("image index " + desc.digest + " has no manifest for " + platforms::format(want) +
                       " (it has: " + platform_list(index) + ")");
    }
    BERTH_RETURN_IF_ERROR(add(matches.front().descriptor));
  }
  if (all) {
    for (const auto& e : index.manifests) {
      // Attestations and other artifacts an index may carry are not images.
      if (oci::is_manifest(e.descriptor.media_type)) BERTH_RETURN_IF_ERROR(add(e.descriptor));
    }
  }
  if (out.empty()) return not_found("image index " + desc.digest + " has no image manifest");
  return out;
}

Result<ChosenManifest> read_manifest(HostClients& hosts, const Descriptor& desc, std::string bytes) {
  ChosenManifest m{.desc = desc, .bytes = std::move(bytes)};
  auto manifest = oci::parse_manifest(m.bytes, desc);
  if (!manifest.ok()) return manifest.status();
  m.manifest = std::move(*manifest);
  m.config_desc = m.manifest.config;
  auto config = hosts.fetch_document(m.config_desc, oci::kMaxConfigBytes);
  if (!config.ok()) return config.status().with_context("fetch config of manifest " + desc.digest);
  m.config_bytes = std::move(*config);
  auto parsed = oci::parse_config(m.config_bytes, m.config_desc);
  if (!parsed.ok()) return parsed.status();
  m.config = std::move(*parsed);
  if (m.config.diff_ids.size() != m.manifest.layers.size())
    return invalid_argument("manifest " + desc.digest + " has " + std::to_string(m.manifest.layers.size()) +
                            " layers but its config " + m.config_desc.digest + " has " +
                            std::to_string(m.config.diff_ids.size()) + " diff IDs");
  return m;
}

Status record_documents(const PullTarget& target, const Descriptor& root, const std::string& root_bytes,
                        const std::vector<ChosenManifest>& manifests) {
  for (const ChosenManifest& m : manifests) {
    BERTH_RETURN_IF_ERROR(store_document(target, "config", m.config_desc, m.config_bytes, {}));
    Labels labels{{config_label(), m.config_desc.digest}};
    for (std::size_t i = 0; i < m.manifest.layers.size(); ++i)
      labels[layer_label(i)] = m.manifest.layers[i].digest;
    BERTH_RETURN_IF_ERROR(store_document(target, "manifest", m.desc, m.bytes, std::move(labels)));
  }
  if (oci::is_index(root.media_type)) {
    Labels labels;
    for (std::size_t i = 0; i < manifests.size(); ++i)
      labels[index_child_label(i)] = manifests[i].desc.digest;
    BERTH_RETURN_IF_ERROR(store_document(target, "index", root, root_bytes, std::move(labels)));
  }
  return {};
}

// Everything after the checks, under the lease in `work`.
Result<Image> pull_into(const TransferDeps& deps, const ContentScope& work, const reference::Reference& ref,
                        const std::vector<platforms::Platform>& wants, const PullOptions& options,
                        Snapshotter* snapshotter, const std::string& snapshotter_name, int max_downloads,
                        PullJournal& journal, const ProgressFn& progress, const CancelCheck& cancelled) {
  auto session = RegistrySession::open(ref, options.registry, deps.hosts_dir);
  if (!session.ok()) return session.status();

  ProgressReporter reporter(progress);
  std::atomic<bool> stop{false};
  const PullTarget target{
      .content = *deps.content,
      .scope = work,
      .progress = reporter,
      .stop = stop,
      .source_key = source_label((*session)->source_host()),
      .repo = (*session)->repo(),
      .journal = &journal,
      .hold_snapshot = snapshot_holder(*deps.metadata, *deps.leases, work, snapshotter_name)};
  // The caller's check, on this thread only; a failed download stops the rest.
  auto check = [&]() -> Status {
    if (cancelled) {
      if (Status st = cancelled(); !st.ok()) {
        stop = true;
        return st;
      }
    }
    if (stop.load()) return berth::cancelled("the pull stopped");
    return {};
  };

  HostClients hosts(*session, &deps.figures->pulled_bytes);
  auto resolved = ref.digest.empty() ? hosts.resolve(ref.tag) : hosts.resolve(ref.digest, registry::kPull);
  if (!resolved.ok()) return resolved.status().with_context("resolve " + ref.string());
  const Descriptor root = resolved->first;
  reporter.report(oci::is_index(root.media_type) ? "index" : "manifest", root.digest,
                  TransferState::kVerified, root.size, root.size);

  std::vector<ChosenManifest> manifests;
  if (oci::is_index(root.media_type)) {
    auto index = oci::parse_index(resolved->second, root);
    if (!index.ok()) return index.status();
    auto chosen = choose_manifests(*index, root, wants, options.all_platforms);
    if (!chosen.ok()) return chosen.status();
    for (const Descriptor& d : *chosen) {
      auto bytes = hosts.fetch_manifest(d);
      if (!bytes.ok()) return bytes.status().with_context("fetch manifest " + d.digest);
      auto m = read_manifest(hosts, d, std::move(*bytes));
      if (!m.ok()) return m.status();
      manifests.push_back(std::move(*m));
    }
  } else if (oci::is_manifest(root.media_type)) {
    auto m = read_manifest(hosts, root, resolved->second);
    if (!m.ok()) return m.status();
    manifests.push_back(std::move(*m));
  } else {
    return invalid_argument(ref.string() + " resolves to " + root.digest + " of media type " +
                            root.media_type + ", which is neither an image manifest nor an index");
  }
  BERTH_RETURN_IF_ERROR(check());
  BERTH_RETURN_IF_ERROR(record_documents(target, root, resolved->second, manifests));

  // The first manifest is the one to unpack (the first platform asked for).
  const ChosenManifest& main = manifests.front();
  std::vector<std::string> chain;
  if (options.unpack) {
    auto ids = oci::chain_ids(main.config.diff_ids);
    if (!ids.ok()) return ids.status();
    chain = std::move(*ids);
  }
  std::vector<std::unique_ptr<GrowingBlob>> growing;
  std::vector<std::pair<Descriptor, GrowingBlob*>> queue;
  std::map<std::string, GrowingBlob*> by_digest;
  for (const ChosenManifest& m : manifests) {
    for (const Descriptor& layer : m.manifest.layers) {
      if (by_digest.contains(layer.digest)) continue;
      GrowingBlob* g = nullptr;
      if (options.unpack && &m == &main) {
        growing.push_back(std::make_unique<GrowingBlob>(check));
        g = growing.back().get();
      }
      by_digest.emplace(layer.digest, g);
      queue.emplace_back(layer, g);
      reporter.report("layer", layer.digest, TransferState::kWaiting, 0, layer.size);
    }
  }

  Status unpacked;
  Status downloaded;
  std::vector<UnpackLayer> layers;
  {
    // A failed download stops the others and the unpacker through `stop`.
    // Each worker has its own registry clients. A layer not downloaded
    // because the pull stopped is finished as such, so the unpacker never
    // waits for a layer no one fetches.
    WorkerPool downloads(
        queue.size(), max_downloads, stop,
        [&]() -> WorkerPool::Worker {
          auto hosts = std::make_shared<HostClients>(*session, &deps.figures->pulled_bytes);
          return [&target, &queue, hosts](std::size_t i) {
            return download_blob(target, *hosts, "layer", queue[i].first, {}, queue[i].second);
          };
        },
        [&queue](std::size_t i) {
          if (queue[i].second) queue[i].second->finish(berth::cancelled("the pull stopped"));
        });
    if (options.unpack) {
      for (std::size_t i = 0; i < main.manifest.layers.size(); ++i) {
        const Descriptor& blob = main.manifest.layers[i];
        layers.push_back(UnpackLayer{.blob = blob,
                                     .diff_id = main.config.diff_ids[i],
                                     .chain_id = chain[i],
                                     .download = by_digest.at(blob.digest)});
      }
      unpacked = unpack(target, *snapshotter, *deps.differ, layers, check);
      if (!unpacked.ok()) stop = true;
    }
    downloaded = downloads.wait(check);
    if (!downloaded.ok()) stop = true;
    downloads.join();
    if (Status st = downloads.error(); !st.ok()) return st;  // the cause, before its consequences
  }
  BERTH_RETURN_IF_ERROR(unpacked);
  BERTH_RETURN_IF_ERROR(downloaded);
  BERTH_RETURN_IF_ERROR(label_uncompressed(target, layers));

  if (options.unpack && !chain.empty()) {
    BERTH_RETURN_IF_ERROR(
        label_blob(target, main.config_desc, {{snapshot_label(snapshotter_name), chain.back()}}));
  }
  return record_image(*deps.metadata, *deps.images, work.ns, ref.string(), root, options.labels);
}

}  // namespace

Result<Image> pull_image(const TransferDeps& deps, const ContentScope& scope, const PullOptions& options,
                         const ProgressFn& progress, const CancelCheck& cancelled) {
  auto ref = reference::parse_normalized(options.reference);
  if (!ref.ok()) return ref.status();
  auto wants = wanted_platforms(options);
  if (!wants.ok()) return wants.status();
  if (options.max_concurrent_downloads < 0 || options.max_concurrent_downloads > kMaxConcurrentBlobs)
    return invalid_argument("max_concurrent_downloads is " +
                            std::to_string(options.max_concurrent_downloads) + "; it must be between 1 and " +
                            std::to_string(kMaxConcurrentBlobs) + " (0: the default)");
  const int max_downloads =
      options.max_concurrent_downloads > 0 ? options.max_concurrent_downloads : deps.max_downloads;
  const std::string snapshotter_name =
      options.snapshotter.empty() ? deps.default_snapshotter : options.snapshotter;
  if (options.unpack && !deps.differ)
    return failed_precondition(
        "no differ plugin is loaded, so a pull cannot unpack (pull without unpacking)");
  if (options.unpack) {
    // Before anything is made: an unknown snapshotter is the caller's mistake.
    auto names = deps.snapshots->names();
    if (std::find(names.begin(), names.end(), snapshotter_name) == names.end())
      return not_found("snapshotter " + snapshotter_name + " is not loaded");
  }

  ContentScope work = scope;
  std::optional<TransferLease> own_lease;
  if (!work.lease) {
    auto lease = TransferLease::create(*deps.metadata, *deps.leases, "pull", scope.ns);
    if (!lease.ok()) return lease.status().with_context("create the pull's lease");
    own_lease.emplace(std::move(*lease));
    work.lease = own_lease->id();
  }
  PullJournal journal;
  std::unique_ptr<Snapshotter> snapshotter;
  Result<Image> image = internal("no image");
  if (options.unpack) {
    auto sn = deps.snapshots->get(work, snapshotter_name);
    if (sn.ok())
      snapshotter = std::move(*sn);
    else
      image = sn.status();
  }
  if (!options.unpack || snapshotter) {
    image = pull_into(deps, work, *ref, *wants, options, snapshotter.get(), snapshotter_name, max_downloads,
                      journal, progress, cancelled);
  }
  // A failed pull takes back what it added; what it kept in ingests stays
  // for the next try to resume.
  if (!image.ok()) journal.roll_back(*deps.content, work, snapshotter.get());
  if (own_lease) {
    // On success the image record and its labels hold everything now.
    Status removed = own_lease->remove(*deps.metadata, *deps.leases, scope.ns);
    if (image.ok() && !removed.ok())
      return removed.with_context("remove the pull's lease " + own_lease->id());
  }
  return image;
}

}  // namespace berth::transfer

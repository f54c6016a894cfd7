// berth::ContentStore on the local filesystem: containerd's local store
// layout and semantics (see paths.hpp for the layout). Not namespaced: each
// blob is kept once; namespaces and labels belong to the metadata plugin.
#pragma once

#include <filesystem>
#include <memory>

#include "berth/content_store.hpp"
#include "berth/instance.hpp"
#include "berth/metrics.hpp"
#include "hash_pool.hpp"
#include "paths.hpp"
#include "ref_lock.hpp"
#include "staging_pool.hpp"
#include "write_behind.hpp"

namespace berth::content {

class LocalStore final : public Instance, public ContentStore, public MetricsSource {
 public:
  // Creates blobs/sha256 and ingest under `root` if needed.
  static Result<std::shared_ptr<LocalStore>> open(const std::filesystem::path& root);

  [[nodiscard]] const Layout& layout() const { return layout_; }

  Result<ContentInfo> info(std::string_view digest) override;
  Result<std::unique_ptr<ContentReader>> reader(std::string_view digest) override;
  Status remove(std::string_view digest) override;
  Status walk(const std::function<bool(const ContentInfo&)>& fn) override;

  Result<std::unique_ptr<ContentWriter>> writer(std::string_view ref, int64_t total,
                                                std::string_view expected) override;
  Result<IngestStatus> status(std::string_view ref) override;
  Result<std::vector<IngestStatus>> list_statuses() override;
  Status abort(std::string_view ref) override;
  Result<std::unique_ptr<ContentReader>> ingest_reader(std::string_view ref) override;

  // The metrics endpoint's figures (store_figures.cpp): blobs and their
  // bytes, ingests in progress. Walks the store at each scrape.
  std::vector<metrics::Family> collect() override;

 private:
  explicit LocalStore(Layout layout) : layout_(std::move(layout)) {}

  Layout layout_;
  // Shared with the writers, which release their ref when they finish, even
  // if the store is dropped first.
  std::shared_ptr<RefLockTable> locks_ = std::make_shared<RefLockTable>();
  // Hashing threads for all writers: at most one per CPU (see hash_pool.hpp).
  std::shared_ptr<HashPool> hashers_ = make_hash_pool(usable_cpus());
  // Buffers for writing around the page cache (see staging_pool.hpp), and
  // the threads that write them behind the writers (see write_behind.hpp).
  std::shared_ptr<StagingPool> staging_ = make_staging_pool(kStagingBuffers);
  std::shared_ptr<WriteBehindPool> behind_ = make_write_behind_pool(usable_cpus());
};

}  // namespace berth::content

// Blobs into the namespace's content, as a pull needs them: a document
// already fetched (manifest, index, config) written with its labels; a
// layer streamed from the registry, verified on the way, resumed from what
// an earlier pull kept in its ingest, and shown to the unpacker as it grows.
// A blob the namespace already has is not fetched again; its labels are
// brought up to date.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "berth/descriptor.hpp"
#include "berth/namespaced_content.hpp"
#include "growing_blob.hpp"
#include "progress.hpp"
#include "pull_journal.hpp"
#include "registry_session.hpp"

namespace berth::transfer {

struct PullTarget {
  NamespacedContent& content;
  ContentScope scope;
  ProgressReporter& progress;
  std::atomic<bool>& stop;         // another part of the pull failed, or the caller gave up
  std::string source_key;          // containerd.io/distribution.source.<host>; "" for none
  std::string repo;                // "library/busybox"
  PullJournal* journal = nullptr;  // records what this pull commits (null: nothing recorded)
  // Adds a snapshot found unpacked already to the transfer's lease, so the
  // collector leaves it until the image's labels name it (empty: no lease).
  std::function<Status(std::string_view key)> hold_snapshot;
};

// containerd's ingest ref for a blob: "layer-sha256:...", "manifest-sha256:...".
std::string ingest_ref(std::string_view kind, std::string_view digest);

// Sets `labels` on the namespace's blob `desc` (the distribution source is
// appended to what the label holds). NotFound if the namespace lacks it.
Status label_blob(const PullTarget& target, const Descriptor& desc, const Labels& labels);

// Writes `bytes`, which hash to desc.digest, with `labels`.
Status store_document(const PullTarget& target, std::string_view kind, const Descriptor& desc,
                      std::string_view bytes, Labels labels);

// Downloads blob `desc` with `labels`. `growing` (may be null) is finished
// exactly once, whatever happens.
Status download_blob(const PullTarget& target, HostClients& hosts, std::string_view kind,
                     const Descriptor& desc, Labels labels, GrowingBlob* growing);

}  // namespace berth::transfer

#include "gc_collector.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <utility>

#include "berth/log.hpp"
#include "blob_records.hpp"
#include "clock/clock.hpp"
#include "ingest_records.hpp"
#include "keys.hpp"
#include "lease_store.hpp"
#include "snapshot_records.hpp"

namespace berth::metadata {
namespace {

using gc::Kind;
using gc::Node;

// Backend snapshots removed per Snapshotter::remove_all call: one flush for
// each chunk, and the snapshotter's lock held for no more than that many.
constexpr std::size_t kSnapshotsPerRemove = 256;

// Set on the thread running the collector's own update, whose commit is not
// a mutation the scheduler should hear of, nor a write to re-mark from.
// The flag is set around the whole update(), since the observer runs after
// the update's function has returned.
thread_local bool tl_collecting = false;

struct Collecting {
  Collecting() { tl_collecting = true; }
  ~Collecting() { tl_collecting = false; }
  Collecting(const Collecting&) = delete;
  Collecting& operator=(const Collecting&) = delete;
};

int64_t since_ns(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
      .count();
}

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::kContent:
      return "content";
    case Kind::kSnapshot:
      return "snapshot";
    case Kind::kLease:
      return "lease";
    case Kind::kIngest:
      return "ingest";
    case Kind::kImage:
      return "image";
    case Kind::kContainer:
      return "container";
  }
  return "object";
}

// "<ns>/<n>/<key>" (NamespacedSnapshotter::backend_key) split into ns and key.
std::optional<std::pair<std::string_view, std::string_view>> parse_backend_key(std::string_view bkey) {
  const std::size_t a = bkey.find('/');
  if (a == std::string_view::npos) return std::nullopt;
  const std::size_t b = bkey.find('/', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  return std::pair{bkey.substr(0, a), bkey.substr(b + 1)};
}

// Removes one unreferenced record in the collector's update.
Status remove_record(Transaction& tx, KvLeaseStore& leases, const Node& n, bool& removed,
                     std::optional<std::string>& ingest_backend_ref) {
  removed = false;
  switch (n.kind) {
    case Kind::kContent: {
      auto held = has_blob(tx, n.ns, n.id);
      if (!held.ok()) return held.status();
      if (!*held) return {};
      removed = true;
      return delete_blob(tx, n.ns, n.id);
    }
    case Kind::kSnapshot: {
      const std::size_t slash = n.id.find('/');
      const std::string_view sn = std::string_view(n.id).substr(0, slash);
      const std::string_view key = std::string_view(n.id).substr(slash + 1);
      auto record = read_snapshot(tx, n.ns, sn, key);
      if (!record.ok()) return record.status();
      if (!record->has_value()) return {};
      BERTH_RETURN_IF_ERROR(delete_snapshot(tx, n.ns, sn, key));
      if (!(*record)->info.parent.empty())
        BERTH_RETURN_IF_ERROR(remove_child(tx, n.ns, sn, (*record)->info.parent, key));
      removed = true;
      return {};
    }
    case Kind::kLease: {
      Status st = leases.remove(tx, n.ns, n.id);
      if (st.code() == Code::kNotFound) return {};
      removed = st.ok();
      return st;
    }
    case Kind::kIngest: {
      auto record = read_ingest(tx, n.ns, n.id);
      if (!record.ok()) return record.status();
      if (!record->has_value()) return {};
      ingest_backend_ref = (*record)->backend_ref;
      removed = true;
      return delete_ingest(tx, leases, n.ns, n.id);
    }
    case Kind::kImage:
    case Kind::kContainer:
      return {};  // always roots
  }
  return {};
}

}  // namespace

MetadataCollector::MetadataCollector(std::shared_ptr<RocksMetadata> md, std::shared_ptr<ContentStore> content,
                                     Snapshotters snapshotters, std::shared_ptr<EventPublisher> events,
                                     SweepOptions sweep)
    : md_(std::move(md)),
      content_(std::move(content)),
      snapshotters_(std::move(snapshotters)),
      events_(std::move(events)),
      sweep_(std::move(sweep)) {
  md_->observe_commits([this](const std::vector<CommittedWrite>& writes) { observed(writes); });
}

MetadataCollector::~MetadataCollector() { (void)close(); }

Status MetadataCollector::close() {
  md_->observe_commits(nullptr);
  return {};
}

void MetadataCollector::on_mutation(std::function<void(bool deletion)> fn) {
  std::lock_guard lock(observe_mu_);
  on_mutation_ = std::move(fn);
}

void MetadataCollector::observed(const std::vector<CommittedWrite>& writes) {
  if (tl_collecting) return;
  bool deletion = false;
  std::lock_guard lock(observe_mu_);
  for (const auto& w : writes) {
    if (w.deleted && !deletion) deletion = gc::drops_reference(w.key);
    if (tracking_) {
      if (auto n = gc::object_of_key(w.key)) touched_.insert(std::move(*n));
    }
  }
  if (on_mutation_) on_mutation_(deletion);
}

Status MetadataCollector::sweep_records(
    bool dry_run, GcResult& out, SweepFigures& figures, std::set<std::string>& kept_blobs,
    std::map<std::string, std::set<std::string>, std::less<>>& kept_snapshots,
    std::vector<std::string>& ingests_removed) {
  {
    std::lock_guard lock(observe_mu_);
    tracking_ = true;
    touched_.clear();
  }
  struct StopTracking {
    MetadataCollector& c;
    ~StopTracking() {
      std::lock_guard lock(c.observe_mu_);
      c.tracking_ = false;
      c.touched_.clear();
    }
  } stop{*this};

  // 1. Mark on a snapshot; writers go on meanwhile. The marks are kept for
  // the sweep, which adds to them what writers change.
  const auto begun = std::chrono::steady_clock::now();
  const int64_t now = clock::now_ns();
  gc::Inventory inv;
  std::vector<Node> unreachable;
  std::optional<gc::Marker> marker;
  BERTH_RETURN_IF_ERROR(md_->view([&](Transaction& tx) -> Status {
    auto scanned = gc::scan(tx, now);
    if (!scanned.ok()) return scanned.status();
    inv = std::move(*scanned);
    marker.emplace(tx, now);
    for (const auto& root : inv.roots) BERTH_RETURN_IF_ERROR(marker->mark(root));
    for (auto& n : inv.collectable) {
      if (!marker->marked(n)) unreachable.push_back(std::move(n));
    }
    // Snapshots last and children before parents, so that no chunk of the
    // sweep leaves a record whose parent has gone.
    std::map<Node, int> depth;
    for (const auto& n : unreachable) {
      if (n.kind != Kind::kSnapshot) continue;
      const std::size_t slash = n.id.find('/');
      const std::string sn = n.id.substr(0, slash);
      std::string key = n.id.substr(slash + 1);
      int d = 0;
      for (int guard = 0; guard < 4096; ++guard) {
        auto record = read_snapshot(tx, n.ns, sn, key);
        if (!record.ok()) return record.status();
        if (!record->has_value() || (*record)->info.parent.empty()) break;
        key = (*record)->info.parent;
        ++d;
      }
      depth[n] = d;
    }
    std::stable_sort(unreachable.begin(), unreachable.end(), [&](const Node& a, const Node& b) {
      const int da = a.kind == Kind::kSnapshot ? depth[a] : -1;
      const int db = b.kind == Kind::kSnapshot ? depth[b] : -1;
      if ((da < 0) != (db < 0)) return da < 0;
      return da > db;
    });
    return Status();
  }));

  log::debug("gc: marked in {:.3f} ms: {} of {} collectable objects unreachable", since_ns(begun) / 1e6,
             unreachable.size(), inv.collectable.size());
  std::set<Node> removed;
  if (dry_run) {
    removed.insert(unreachable.begin(), unreachable.end());
  } else {
    // 2. Sweep in short updates (sweep_.budget of work each, 1 ms in the
    // daemon: a count does not bound them, as 64 records took 1-10 ms on two
    // cores with clients running, the records' sizes and the re-marking
    // varying), each first marking again from what writers touched since the
    // one before (tracking
    // stays on until the last), so no write waits for more than one of them:
    // these are the only pauses. They are not flushed one by one: a crash
    // may bring records back, which the next collection takes again, and
    // the flush below comes before the backends lose anything.
    KvLeaseStore leases;
    auto take_touched = [&] {
      std::set<Node> touched;
      std::lock_guard lock(observe_mu_);
      touched.swap(touched_);
      return touched;
    };
    auto remark = [&](Transaction& tx, const std::set<Node>& touched) -> Status {
      marker->rebind(tx);
      for (const auto& n : touched) BERTH_RETURN_IF_ERROR(marker->remark(n));
      figures.remarked += touched.size();
      return Status();
    };
    std::size_t next = 0;
    while (next < unreachable.size()) {
      // Most of the re-marking, outside the writer lock, on a snapshot taken
      // after the touched objects were handed over (not before: a write
      // between the two would be neither seen nor touched again). What is
      // written meanwhile is touched again, for the update below, which is
      // left with only that: the marking above takes long enough for
      // hundreds of writes, and re-marked under the lock they took 13 ms.
      const std::set<Node> early = take_touched();
      BERTH_RETURN_IF_ERROR(md_->view([&](Transaction& tx) { return remark(tx, early); }));
      Status swept;
      {
        const auto up = raised();
        Collecting collecting;
        swept = md_->update_unsynced([&](Transaction& tx) -> Status {
          const auto start = std::chrono::steady_clock::now();
          // Under the writer lock every commit so far has been observed.
          BERTH_RETURN_IF_ERROR(remark(tx, take_touched()));
          do {
            const Node& n = unreachable[next++];
            if (marker->marked(n)) continue;
            bool gone = false;
            std::optional<std::string> backend_ref;
            BERTH_RETURN_IF_ERROR(remove_record(tx, leases, n, gone, backend_ref));
            if (gone) removed.insert(n);
            if (backend_ref) ingests_removed.push_back(std::move(*backend_ref));
          } while (next < unreachable.size() && std::chrono::steady_clock::now() - start < sweep_.budget);
          const int64_t took = since_ns(start);
          out.pause_ns += took;
          figures.longest_ns = std::max(figures.longest_ns, took);
          ++figures.updates;
          return Status();
        });
      }
      BERTH_RETURN_IF_ERROR(swept);
      if (sweep_.after_update) sweep_.after_update(next, unreachable.size());
    }
    BERTH_RETURN_IF_ERROR(md_->sync());
    log::debug("gc: records swept at {:.3f} ms", since_ns(begun) / 1e6);
  }
  for (const auto& n : removed) out.removed.push_back({std::string(kind_name(n.kind)), n.ns, n.id});

  // What the records keep of the backends, once the removed are gone. The
  // real sweeps look again under their locks; a dry run goes by this.
  for (const auto& [digest, holders] : inv.blobs) {
    for (const auto& ns : holders) {
      if (!removed.contains(Node{Kind::kContent, ns, digest})) {
        kept_blobs.insert(digest);
        break;
      }
    }
  }
  for (const auto& [sn, by_key] : inv.backend_keys) {
    for (const auto& [bkey, node] : by_key) {
      if (!removed.contains(node)) kept_snapshots[sn].insert(bkey);
    }
  }
  return {};
}

Status MetadataCollector::sweep_blobs(bool dry_run, const std::set<std::string>& kept_dry, GcResult& out) {
  // The backend's blobs no namespace records: candidates, looked at again
  // below before each goes (a dry run goes by the records' sweep).
  std::set<std::string> kept = kept_dry;
  if (!dry_run) {
    BERTH_RETURN_IF_ERROR(md_->view([&](Transaction& tx) -> Status {
      auto names = gc::namespaces(tx);
      if (!names.ok()) return names.status();
      for (const auto& ns : *names) {
        const std::string prefix = keys::kind_prefix(ns, keys::kBlobs);
        BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view key, std::string_view) {
          auto parsed = keys::parse_object_key(prefix, key);
          if (parsed && parsed->field == keys::kBlobSize) kept.emplace(parsed->id);
          return true;
        }));
      }
      return Status();
    }));
  }
  std::vector<std::string> orphans;
  BERTH_RETURN_IF_ERROR(content_->walk([&](const ContentInfo& info) {
    if (!kept.contains(info.digest)) orphans.push_back(info.digest);
    return true;
  }));
  if (dry_run) {
    for (auto& digest : orphans) out.removed.push_back({"blob", "", std::move(digest)});
    return {};
  }
  // Removed in short turns (sweep_.budget each) under RocksMetadata::
  // sweep_blobs, each blob looked up again in every namespace first: while
  // that is held no commit is between its backend commit and its record, so
  // one recorded since the walk is seen and kept. A content commit then
  // waits for one turn, not for every removal (2,500 took 2 s on a busy disk).
  std::size_t next = 0;
  while (next < orphans.size()) {
    const auto up = raised();  // content commits wait for the lock
    const auto lock = md_->sweep_blobs();
    BERTH_RETURN_IF_ERROR(md_->view([&](Transaction& tx) -> Status {
      const auto start = std::chrono::steady_clock::now();
      auto names = gc::namespaces(tx);
      if (!names.ok()) return names.status();
      do {
        std::string& digest = orphans[next++];
        bool recorded = false;
        for (const auto& ns : *names) {
          auto held = has_blob(tx, ns, digest);
          if (!held.ok()) return held.status();
          recorded = *held;
          if (recorded) break;
        }
        if (recorded) continue;
        Status st = content_->remove(digest);
        if (!st.ok() && st.code() != Code::kNotFound) {
          log::warn("gc: remove blob {}: {}", digest, st.to_string());
          continue;
        }
        out.removed.push_back({"blob", "", std::move(digest)});
      } while (next < orphans.size() && std::chrono::steady_clock::now() - start < sweep_.budget);
      return Status();
    }));
  }
  return {};
}

Status MetadataCollector::sweep_snapshots(bool dry_run, const std::string& sn, Snapshotter& backend,
                                          const std::set<std::string>& kept_dry, GcResult& out) {
  // The backend's snapshots with their parents, then those no record names,
  // removed children first.
  std::map<std::string, std::string> parent_of;
  BERTH_RETURN_IF_ERROR(backend.walk({}, [&](const SnapshotInfo& info) {
    parent_of.emplace(info.name, info.parent);
    return true;
  }));
  std::set<std::string> candidates;
  if (dry_run) {
    for (const auto& [bkey, parent] : parent_of) {
      if (!kept_dry.contains(bkey)) candidates.insert(bkey);
    }
  } else {
    // A snapshot is made in the backend and recorded in one update, so once
    // every update that was running has finished (an empty one has had the
    // writer lock), a backend snapshot walked above without a record has
    // none for good: its key, with a sequence number never used again, is
    // one no later record names. It can go without holding up writers.
    {
      const auto up = raised();
      BERTH_RETURN_IF_ERROR(md_->update([](Transaction&) { return Status(); }));
    }
    BERTH_RETURN_IF_ERROR(md_->view([&](Transaction& tx) -> Status {
      for (const auto& [bkey, parent] : parent_of) {
        auto parsed = parse_backend_key(bkey);
        if (!parsed) continue;  // not one of ours: leave it
        auto recorded =
            tx.get(keys::snapshot_key(parsed->first, sn, parsed->second, keys::kSnapshotBackendKey));
        if (!recorded.ok()) return recorded.status();
        if (*recorded != bkey) candidates.insert(bkey);
      }
      return Status();
    }));
  }
  // Leaf first: a candidate goes once no remaining candidate is its child.
  std::map<std::string, int> children;
  for (const auto& c : candidates) {
    const std::string& p = parent_of[c];
    if (candidates.contains(p)) ++children[p];
  }
  std::vector<std::string> order;
  std::vector<std::string> ready;
  for (const auto& c : candidates) {
    if (children[c] == 0) ready.push_back(c);
  }
  while (!ready.empty()) {
    std::string c = std::move(ready.back());
    ready.pop_back();
    const std::string& p = parent_of[c];
    if (candidates.contains(p) && --children[p] == 0) ready.push_back(p);
    order.push_back(std::move(c));
  }

  if (dry_run) {
    for (const auto& bkey : order) out.removed.push_back({"backend-snapshot", "", sn + "/" + bkey});
    return {};
  }
  // In chunks, each one durable change in the backend (one flush, not one
  // per snapshot), yet few enough that its lock is not held for long.
  for (std::size_t begin = 0; begin < order.size(); begin += kSnapshotsPerRemove) {
    const std::vector<std::string> chunk(
        order.begin() + static_cast<std::ptrdiff_t>(begin),
        order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), begin + kSnapshotsPerRemove)));
    std::vector<Status> done = [&] {
      const auto up = raised();  // under the snapshotter's own lock
      return backend.remove_all(chunk);
    }();
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      const Status st = i < done.size() ? done[i] : internal("the snapshotter returned too few results");
      // NotFound: gone meanwhile (committed into another key, or a failed
      // create taking back what it made).
      if (st.code() == Code::kNotFound) continue;
      if (!st.ok()) {
        log::warn("gc: remove snapshot {} from {}: {}", chunk[i], sn, st.to_string());
        continue;
      }
      out.removed.push_back({"backend-snapshot", "", sn + "/" + chunk[i]});
    }
  }
  // What the backend left for its cleanup (overlayfs without sync_remove).
  if (Status st = backend.cleanup(); !st.ok()) log::warn("gc: cleanup of {}: {}", sn, st.to_string());
  return {};
}

Result<GcResult> MetadataCollector::collect(bool dry_run) {
  std::lock_guard run(run_mu_);
  const ThreadPriority low(sweep_.nice);
  priority_ = &low;
  struct Forget {
    const ThreadPriority*& p;
    ~Forget() { p = nullptr; }
  } forget{priority_};
  const auto start = std::chrono::steady_clock::now();
  GcResult out;
  out.dry_run = dry_run;
  std::set<std::string> kept_blobs;
  std::map<std::string, std::set<std::string>, std::less<>> kept_snapshots;
  std::vector<std::string> ingests_removed;
  SweepFigures figures;
  BERTH_RETURN_IF_ERROR(sweep_records(dry_run, out, figures, kept_blobs, kept_snapshots, ingests_removed));
  for (const auto& bref : ingests_removed) {
    // A writer still open keeps its data (Unavailable); it fails at commit.
    if (Status st = content_->abort(bref); !st.ok() && st.code() != Code::kNotFound)
      log::warn("gc: abort ingest {}: {}", bref, st.to_string());
  }
  BERTH_RETURN_IF_ERROR(sweep_blobs(dry_run, kept_blobs, out));
  log::debug("gc: blobs swept at {:.3f} ms", since_ns(start) / 1e6);
  for (const auto& [sn, backend] : snapshotters_) {
    static const std::set<std::string> kNone;
    auto kept = kept_snapshots.find(sn);
    BERTH_RETURN_IF_ERROR(
        sweep_snapshots(dry_run, sn, *backend, kept == kept_snapshots.end() ? kNone : kept->second, out));
  }
  out.duration_ns = since_ns(start);
  if (!dry_run) {
    // containerd logs each run at debug; one that removed something is worth more.
    const auto level = out.removed.empty() ? log::Level::kDebug : log::Level::kInfo;
    log::write(level,
               fmt::format("gc: collected in {:.3f} ms (paused {:.3f} ms in {} updates, the longest "
                           "{:.3f} ms; {} objects re-marked): {} blobs, {} snapshots, {} "
                           "leases, {} ingests removed",
                           static_cast<double>(out.duration_ns) / 1e6,
                           static_cast<double>(out.pause_ns) / 1e6, figures.updates,
                           static_cast<double>(figures.longest_ns) / 1e6, figures.remarked, out.count("blob"),
                           out.count("backend-snapshot"), out.count("lease"), out.count("ingest")));
    publish(out);
  }
  return out;
}

void MetadataCollector::publish(const GcResult& result) {
  if (!events_) return;
  events::GcRun run{.duration_ns = result.duration_ns,
                    .pause_ns = result.pause_ns,
                    .blobs = result.count("blob"),
                    .snapshots = result.count("backend-snapshot"),
                    .leases = result.count("lease"),
                    .ingests = result.count("ingest")};
  // Collections span namespaces, but an envelope needs one: containerd's
  // default, where `ctr events` and subscribers without a filter see it.
  if (Status st = events_->publish("default", events::kGcRunTopic, run); !st.ok())
    log::warn("gc: publish {}: {}", events::kGcRunTopic, st.message());
}

}  // namespace berth::metadata

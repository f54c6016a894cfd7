#include "snapshot-storage/meta_store.hpp"

#include <fcntl.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>
#include <utility>

#include "berth/filters.hpp"
#include "berth/validate.hpp"
#include "clock/clock.hpp"
#include "files/atomic_file.hpp"
#include "files/dir_stream.hpp"
#include "files/dirs.hpp"
#include "files/fd_io.hpp"
#include "snapshot-storage/disk_usage.hpp"
#include "snapshot-storage/record_json.hpp"
#include "text/text.hpp"

namespace berth::snapshot {
namespace {

constexpr std::string_view kMetadataFile = "metadata.json";
constexpr std::string_view kJournalFile = "metadata.journal";

// The id a directory name under snapshots/ stands for, if it is one.
std::optional<SnapshotId> id_of_name(std::string_view name) {
  SnapshotId id = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
  if (ec != std::errc() || end != name.data() + name.size() || name.empty() || name[0] == '0')
    return std::nullopt;
  return id;
}

Result<std::vector<std::string>> list_dir(const std::filesystem::path& dir) {
  auto fd = files::open_at(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY);
  if (!fd.ok()) return fd.status();
  auto stream = files::DirStream::open(std::move(fd).value(), dir);
  if (!stream.ok()) return stream.status();
  std::vector<std::string> names;
  for (;;) {
    auto e = stream->next();
    if (!e.ok()) return e.status();
    if (*e == nullptr) return names;
    names.emplace_back((*e)->d_name);
  }
}

// containerd's snapshot adaptor: name, parent, kind, and labels.<key> where
// the rest of the path is joined back with '.' (labels.a.b is label "a.b").

}  // namespace

Result<std::unique_ptr<MetaStore>> MetaStore::open(const std::filesystem::path& root,
                                                   std::size_t fold_after) {
  BERTH_RETURN_IF_ERROR(files::make_dir(root, 0700, true).with_context("open snapshot store"));
  const auto snapshots = root / "snapshots";
  BERTH_RETURN_IF_ERROR(files::make_dir(snapshots, 0700, true).with_context("open snapshot store"));

  State state;
  const auto file = root / kMetadataFile;
  auto text = files::read_file(file);
  if (text.ok()) {
    auto decoded = decode_state(*text, file);
    if (!decoded.ok()) return decoded.status();
    state = std::move(decoded).value();
  } else if (text.status().code() != Code::kNotFound) {
    return text.status().with_context("open snapshot store");
  }
  const auto journal_file = root / kJournalFile;
  std::vector<std::string> lines;
  auto journal = Journal::open(journal_file, lines);
  if (!journal.ok()) return journal.status().with_context("open snapshot store");
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto change = decode_change(lines[i], journal_file, i + 1);
    if (!change.ok()) return change.status();
    apply(state, std::move(change).value());
  }
  for (const auto& [key, r] : state.records) {
    if (!r.info.parent.empty() && state.records.find(r.info.parent) == state.records.end()) {
      return data_loss(file.string() + ": snapshot " + text::quote(key) + " names a missing parent " +
                       text::quote(r.info.parent));
    }
    if (r.id >= state.next_id) state.next_id = r.id + 1;
  }
  // A crash between creating a directory and recording it may have used an
  // id that next_id in the file does not account for.
  auto names = list_dir(snapshots);
  if (!names.ok()) return names.status();
  for (const auto& name : *names) {
    if (auto id = id_of_name(name); id && *id >= state.next_id) state.next_id = *id + 1;
  }
  return std::unique_ptr<MetaStore>(
      new MetaStore(root, std::move(state), std::move(journal).value(), fold_after));
}

MetaStore::MetaStore(std::filesystem::path root, State state, std::unique_ptr<Journal> journal,
                     std::size_t fold_after)
    : root_(std::move(root)),
      state_(std::move(state)),
      journal_(std::move(journal)),
      fold_after_(fold_after) {}

MetaStore::~MetaStore() = default;

Status MetaStore::save(Change change) {
  BERTH_RETURN_IF_ERROR(journal_->append(encode_change(change)));
  apply(state_, std::move(change));
  if (journal_->lines() > std::max(fold_after_, state_.records.size())) {
    // The change is durable already; a fold that fails is tried again after
    // the next change, and until one succeeds the journal only grows.
    if (files::replace_file(root_ / kMetadataFile, encode_state(state_), files::Durability::kDurable, 0600)
            .ok())
      (void)journal_->clear();
  }
  return {};
}

std::map<std::string, std::size_t, std::less<>> MetaStore::child_counts() const {
  std::map<std::string, std::size_t, std::less<>> counts;
  for (const auto* m : {&state_.records, &pending_}) {
    for (const auto& [k, r] : *m) {
      if (!r.info.parent.empty()) ++counts[r.info.parent];
    }
  }
  return counts;
}

std::vector<SnapshotId> MetaStore::ancestors(std::string_view parent) const {
  std::vector<SnapshotId> ids;
  for (std::string_view p = parent; !p.empty();) {
    auto it = state_.records.find(p);
    if (it == state_.records.end()) break;  // open() checked every link
    ids.push_back(it->second.id);
    p = it->second.info.parent;
  }
  return ids;
}

Result<Reservation> MetaStore::reserve(SnapshotKind kind, std::string_view key, std::string_view parent,
                                       const Labels& labels) {
  if (key.empty()) return invalid_argument("snapshot key must not be empty");
  BERTH_RETURN_IF_ERROR(validate_labels(labels).with_context("snapshot " + text::quote(key)));
  std::lock_guard lock(mu_);
  if (state_.records.count(key) != 0 || pending_.count(key) != 0) {
    return already_exists("snapshot " + text::quote(key) + " already exists");
  }
  if (!parent.empty()) {
    auto it = state_.records.find(parent);
    if (it == state_.records.end())
      return not_found("parent snapshot " + text::quote(parent) + " does not exist");
    if (it->second.info.kind != SnapshotKind::kCommitted) {
      return failed_precondition("parent snapshot " + text::quote(parent) + " is not committed");
    }
  }
  Record r;
  r.id = state_.next_id++;
  r.info.name = std::string(key);
  r.info.parent = std::string(parent);
  r.info.kind = kind;
  r.info.labels = labels;
  Reservation out{r.id, r.info.name, kind, ancestors(parent)};
  pending_.emplace(r.info.name, std::move(r));
  return out;
}

Status MetaStore::record(const Reservation& reservation) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(reservation.key);
  if (it == pending_.end() || it->second.id != reservation.id) {
    return internal("snapshot " + text::quote(reservation.key) + " is not reserved");
  }
  Record r = it->second;
  r.info.created_at = r.info.updated_at = clock::now_ns();
  Change change;
  change.put.push_back(std::move(r));
  change.next_id = state_.next_id;
  BERTH_RETURN_IF_ERROR(
      save(std::move(change)).with_context("record snapshot " + text::quote(reservation.key)));
  pending_.erase(it);
  return {};
}

void MetaStore::abandon(const Reservation& reservation) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(reservation.key);
  if (it != pending_.end() && it->second.id == reservation.id) pending_.erase(it);
}

Result<Snapshot> MetaStore::get(std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = state_.records.find(key);
  if (it == state_.records.end()) return not_found("snapshot " + text::quote(key) + " does not exist");
  return Snapshot{it->second, ancestors(it->second.info.parent)};
}

Status MetaStore::commit(std::string_view name, std::string_view key, const Labels& labels,
                         const SnapshotUsage& usage) {
  if (name.empty()) return invalid_argument("committed snapshot name must not be empty");
  BERTH_RETURN_IF_ERROR(validate_labels(labels).with_context("commit " + text::quote(name)));
  std::lock_guard lock(mu_);
  auto it = state_.records.find(key);
  if (it == state_.records.end()) return not_found("snapshot " + text::quote(key) + " does not exist");
  if (it->second.info.kind != SnapshotKind::kActive) {
    return failed_precondition("snapshot " + text::quote(key) + " is " +
                               std::string(snapshot_kind_name(it->second.info.kind)) + ", not active");
  }
  if (state_.records.count(name) != 0 || pending_.count(name) != 0) {
    return already_exists("snapshot " + text::quote(name) + " already exists");
  }
  Record r = it->second;
  r.info.name = std::string(name);
  r.info.kind = SnapshotKind::kCommitted;
  r.info.labels = labels;
  r.info.created_at = r.info.updated_at = clock::now_ns();
  r.usage = usage;
  Change change;
  change.removed.emplace_back(key);
  change.put.push_back(std::move(r));
  return save(std::move(change)).with_context("commit " + text::quote(key) + " as " + text::quote(name));
}

Result<Record> MetaStore::remove(std::string_view key) {
  return std::move(remove_all({std::string(key)}).front());
}

std::vector<Result<Record>> MetaStore::remove_all(const std::vector<std::string>& keys) {
  std::vector<Result<Record>> out;
  out.reserve(keys.size());
  std::lock_guard lock(mu_);
  // Counted once for the whole call, and lowered as children go, so a batch
  // costs one pass over the records rather than one per key.
  auto children = child_counts();
  std::set<std::string, std::less<>> gone;
  Change change;
  for (const auto& key : keys) {
    auto it = state_.records.find(key);
    if (it == state_.records.end() || gone.contains(key)) {
      out.emplace_back(not_found("snapshot " + text::quote(key) + " does not exist"));
      continue;
    }
    if (auto c = children.find(key); c != children.end() && c->second > 0) {
      out.emplace_back(failed_precondition("cannot remove snapshot with child: " + text::quote(key)));
      continue;
    }
    const Record& r = it->second;
    if (!r.info.parent.empty()) --children[r.info.parent];
    gone.insert(key);
    change.removed.push_back(key);
    out.emplace_back(r);
  }
  if (change.removed.empty()) return out;
  const std::string what = change.removed.size() == 1
                               ? "remove snapshot " + text::quote(change.removed.front())
                               : "remove " + std::to_string(change.removed.size()) + " snapshots";
  if (Status st = save(std::move(change)).with_context(what); !st.ok()) {
    for (auto& r : out) {
      if (r.ok()) r = st;
    }
  }
  return out;
}

Result<SnapshotInfo> MetaStore::update(const SnapshotInfo& info, const std::vector<std::string>& paths) {
  if (info.name.empty()) return invalid_argument("snapshot key must not be empty");
  std::lock_guard lock(mu_);
  auto it = state_.records.find(info.name);
  if (it == state_.records.end()) return not_found("snapshot " + text::quote(info.name) + " does not exist");
  auto labels =
      update_labels(it->second.info.labels, info.labels, paths, "snapshot " + text::quote(info.name));
  if (!labels.ok()) return labels.status();
  Record r = it->second;
  r.info.labels = std::move(*labels);
  r.info.updated_at = clock::now_ns();
  SnapshotInfo out = r.info;
  Change change;
  change.put.push_back(std::move(r));
  BERTH_RETURN_IF_ERROR(save(std::move(change)).with_context("update snapshot " + text::quote(info.name)));
  return out;
}

Status MetaStore::walk(const std::vector<std::string>& filters, const SnapshotWalkFn& fn) const {
  auto filter = Filter::parse(filters);
  if (!filter.ok()) return filter.status();
  std::vector<SnapshotInfo> matched;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, r] : state_.records) {
      const SnapshotInfo& info = r.info;
      if (filter->match([&](const std::vector<std::string>& path) { return snapshot_field(info, path); })) {
        matched.push_back(info);
      }
    }
  }
  for (const auto& info : matched) {
    if (!fn(info)) break;
  }
  return {};
}

Status MetaStore::cleanup() {
  std::vector<std::filesystem::path> orphans;
  {
    // Listed under the lock: a directory made for a later reservation gets
    // an id this listing cannot contain.
    std::lock_guard lock(mu_);
    std::set<SnapshotId> live;
    for (const auto* m : {&state_.records, &pending_}) {
      for (const auto& [k, r] : *m) live.insert(r.id);
    }
    auto names = list_dir(snapshots_dir());
    if (!names.ok()) return names.status().with_context("cleanup");
    for (const auto& name : *names) {
      auto id = id_of_name(name);
      if (!id || live.count(*id) == 0) orphans.push_back(snapshots_dir() / name);
    }
  }
  for (const auto& dir : orphans) BERTH_RETURN_IF_ERROR(files::remove_tree(dir).with_context("cleanup"));
  return {};
}

Result<Reservation> MetaStore::create(SnapshotKind kind, std::string_view key, std::string_view parent,
                                      const Labels& labels,
                                      const std::function<Status(const Reservation&)>& make) {
  auto reservation = reserve(kind, key, parent, labels);
  if (!reservation.ok()) return reservation.status();
  Status st = make(*reservation);
  if (st.ok()) st = record(*reservation);
  if (!st.ok()) {
    (void)files::remove_tree(dir_of(reservation->id));
    abandon(*reservation);
    return st.with_context(std::string(snapshot_kind_name(kind)) + " snapshot " + text::quote(key));
  }
  return reservation;
}

Status MetaStore::commit_measured(std::string_view name, std::string_view key, const Labels& labels,
                                  const std::function<std::filesystem::path(SnapshotId)>& layer_dir) {
  auto s = get(key);
  if (!s.ok()) return s.status();
  SnapshotUsage used;
  if (s->record.info.kind == SnapshotKind::kActive) {
    auto u = disk_usage(layer_dir(s->record.id));
    if (!u.ok()) return u.status().with_context("commit " + text::quote(key));
    used = *u;
  }
  return commit(name, key, labels, used);
}

std::vector<Status> remove_all_then(MetaStore& store, const std::vector<std::string>& keys,
                                    const std::function<Status(const Record&, std::string_view key)>& after) {
  auto removed = store.remove_all(keys);
  std::vector<Status> out;
  out.reserve(removed.size());
  for (std::size_t i = 0; i < removed.size(); ++i) {
    out.push_back(removed[i].ok() ? after(*removed[i], keys[i]) : removed[i].status());
  }
  return out;
}

}  // namespace berth::snapshot

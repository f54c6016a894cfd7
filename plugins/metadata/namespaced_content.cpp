#include "namespaced_content.hpp"

#include <charconv>
#include <chrono>
#include <map>
#include <optional>
#include <system_error>
#include <utility>

#include "berth/filters.hpp"
#include "keys.hpp"
#include "kv_util.hpp"
#include "lease_store.hpp"
#include "namespace_store.hpp"

namespace berth::metadata {
namespace {

constexpr std::string_view kContentResource = "content";
constexpr std::string_view kIngestsResource = "ingests";
constexpr std::string_view kLabelsPath = "labels";
constexpr std::string_view kLabelPathPrefix = "labels.";

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string quote_ref(std::string_view ref) { return "ingest ref \"" + keys::printable(ref) + "\""; }

Status not_found_digest(std::string_view digest) {
  return not_found("content digest " + std::string(digest) + ": not found");
}

Status not_found_ref(std::string_view ref) { return not_found(quote_ref(ref) + ": not found"); }

Status already_exists_digest(std::string_view digest) {
  return already_exists("content " + std::string(digest) + ": already exists");
}

// The namespace and the lease become key components, so both are checked on
// every call: a '/' in the namespace or a NUL in the lease would address
// someone else's keys.
Status check_scope(const ContentScope& scope) {
  BERTH_RETURN_IF_ERROR(validate_identifier(scope.ns).with_context("namespace"));
  if (scope.lease) BERTH_RETURN_IF_ERROR(validate_lease_id(*scope.lease));
  return {};
}

Status check_ref(std::string_view ref) {
  if (ref.empty()) return invalid_argument("ingest ref must not be empty");
  if (ref.find(keys::kIdTerminator) != std::string_view::npos)
    return invalid_argument(quote_ref(ref) + " holds a NUL byte");
  return {};
}

Result<int64_t> parse_int(std::string_view what, std::string_view value) {
  int64_t out = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, out);
  if (ec != std::errc() || ptr != end)
    return data_loss(std::string(what) + ": unreadable number \"" + keys::printable(value) + "\"");
  return out;
}

// The namespace's record of `digest`, nullopt if it holds none.
Result<std::optional<ContentInfo>> read_blob(Transaction& tx, std::string_view ns, std::string_view digest) {
  auto size = tx.get(keys::blob_key(ns, digest, keys::kBlobSize));
  if (!size.ok()) return size.status();
  if (!size->has_value()) return std::optional<ContentInfo>();
  const std::string what = "content " + std::string(digest) + " in namespace \"" + std::string(ns) + "\"";
  ContentInfo info;
  info.digest = std::string(digest);
  auto parsed = parse_int(what + " size", **size);
  if (!parsed.ok()) return parsed.status();
  info.size = *parsed;
  for (auto [field, out] : {std::pair{keys::kBlobCreatedAt, &info.created_at},
                            std::pair{keys::kBlobUpdatedAt, &info.updated_at}}) {
    auto v = tx.get(keys::blob_key(ns, digest, field));
    if (!v.ok()) return v.status();
    if (!v->has_value()) continue;
    auto t = parse_int(what + " " + std::string(field), **v);
    if (!t.ok()) return t.status();
    *out = *t;
  }
  const std::string labels = keys::blob_labels_prefix(ns, digest);
  BERTH_RETURN_IF_ERROR(tx.scan(labels, [&](std::string_view key, std::string_view value) {
    info.labels.emplace(key.substr(labels.size()), value);
    return true;
  }));
  return std::optional<ContentInfo>(std::move(info));
}

Status put_labels(Transaction& tx, std::string_view ns, std::string_view digest, const Labels& labels) {
  BERTH_RETURN_IF_ERROR(delete_prefix(tx, keys::blob_labels_prefix(ns, digest)));
  for (const auto& [k, v] : labels) {
    // As containerd: an empty value is no label.
    if (!v.empty()) BERTH_RETURN_IF_ERROR(tx.put(keys::blob_labels_prefix(ns, digest) + k, v));
  }
  return {};
}

Labels without_empty(const Labels& labels) {
  Labels out;
  for (const auto& [k, v] : labels)
    if (!v.empty()) out.emplace(k, v);
  return out;
}

// containerd's content adaptor: digest, size, and labels.<key> with the rest
// of the path joined back with '.', so labels.a.b finds the label "a.b".
std::optional<std::string> content_field(const ContentInfo& info, const std::vector<std::string>& path) {
  if (path.empty()) return std::nullopt;
  if (path[0] == "digest") return info.digest;
  if (path[0] == "size") return std::to_string(info.size);
  return label_field(info.labels, path);
}

struct IngestRecord {
  std::string backend_ref;
  std::optional<std::string> lease;
};

Result<std::optional<IngestRecord>> read_ingest(Transaction& tx, std::string_view ns, std::string_view ref) {
  auto bref = tx.get(keys::ingest_key(ns, ref, keys::kIngestBackendRef));
  if (!bref.ok()) return bref.status();
  if (!bref->has_value()) return std::optional<IngestRecord>();
  auto lease = tx.get(keys::ingest_key(ns, ref, keys::kIngestLease));
  if (!lease.ok()) return lease.status();
  return std::optional<IngestRecord>(IngestRecord{std::move(**bref), std::move(*lease)});
}

// The namespace's ingest `ref`, or NotFound naming the client's ref.
Result<IngestRecord> find_ingest(Metadata& md, std::string_view ns, std::string_view ref) {
  std::optional<IngestRecord> record;
  BERTH_RETURN_IF_ERROR(md.view([&](Transaction& tx) {
    auto r = read_ingest(tx, ns, ref);
    if (!r.ok()) return r.status();
    record = std::move(*r);
    return Status();
  }));
  if (!record) return not_found_ref(ref);
  return std::move(*record);
}

// Deletes the namespace's ingest record and the reference its lease holds to
// it. A lease removed since is no error: it held nothing any more.
Status delete_ingest(Transaction& tx, LeaseStore& leases, std::string_view ns, std::string_view ref) {
  auto record = read_ingest(tx, ns, ref);
  if (!record.ok()) return record.status();
  if (!record->has_value()) return {};
  if ((*record)->lease) {
    Status st =
        leases.delete_resource(tx, ns, *(*record)->lease, {std::string(ref), std::string(kIngestsResource)});
    if (!st.ok() && st.code() != Code::kNotFound) return st;
  }
  return delete_prefix(tx, keys::object_prefix(keys::kind_prefix(ns, keys::kIngests), ref));
}

// Whether any namespace but `except` holds a record of `digest`. Every
// namespace holding blobs was created by ensure_namespace, so the namespace
// markers name them all; one get per namespace.
Result<bool> held_elsewhere(Transaction& tx, std::string_view except, std::string_view digest) {
  std::vector<std::string> names;
  BERTH_RETURN_IF_ERROR(tx.scan(keys::kNamespacesPrefix, [&](std::string_view key, std::string_view) {
    std::string_view name = key.substr(keys::kNamespacesPrefix.size());
    if (name.find('/') == std::string_view::npos && name != except) names.emplace_back(name);
    return true;
  }));
  for (const auto& name : names) {
    auto size = tx.get(keys::blob_key(name, digest, keys::kBlobSize));
    if (!size.ok()) return size.status();
    if (size->has_value()) return true;
  }
  return false;
}

Status require_lease(Metadata& md, const ContentScope& scope) {
  if (!scope.lease) return {};
  return md.view([&](Transaction& tx) { return md.leases().get(tx, scope.ns, *scope.lease).status(); });
}

}  // namespace

// ---------------------------------------------------------------- writer

// A namespace's ingest: either a backend writer, or (when the backend already
// holds the expected blob for another namespace) a complete one that only
// records the blob at commit.
class MetadataContent::Writer final : public NamespacedWriter {
 public:
  Writer(MetadataContent& owner, ContentScope scope, std::string ref, std::shared_ptr<ContentStore> backend,
         std::unique_ptr<ContentWriter> w)
      : owner_(owner),
        scope_(std::move(scope)),
        ref_(std::move(ref)),
        backend_(std::move(backend)),
        w_(std::move(w)) {}
  Writer(MetadataContent& owner, ContentScope scope, std::string ref, std::shared_ptr<ContentStore> backend,
         ContentInfo existing)
      : owner_(owner),
        scope_(std::move(scope)),
        ref_(std::move(ref)),
        backend_(std::move(backend)),
        existing_(std::move(existing)),
        started_at_(now_ns()) {}

  Result<IngestStatus> status() override {
    BERTH_RETURN_IF_ERROR(check_open());
    if (existing_) {
      return IngestStatus{ref_,        existing_->size, existing_->size, existing_->digest,
                          started_at_, started_at_};
    }
    auto s = w_->status();
    if (!s.ok()) return s.status();
    s->ref = ref_;
    return s;
  }

  Status write(std::string_view data) override {
    BERTH_RETURN_IF_ERROR(check_open());
    if (existing_) {
      // Copying the rest of the data after seeking to the reported offset
      // (containerd's content.Copy) writes nothing at all: fine.
      if (data.empty()) return {};
      return complete_error();
    }
    return w_->write(data);
  }

  Status truncate(int64_t size) override {
    BERTH_RETURN_IF_ERROR(check_open());
    if (existing_) return complete_error();
    return w_->truncate(size);
  }

  std::string digest() override {
    if (existing_) return existing_->digest;
    return w_ ? w_->digest() : std::string();
  }

  Result<std::string> commit(int64_t size, std::string_view expected) override {
    return commit_labeled(size, expected, {});
  }

  Result<std::string> commit_labeled(int64_t size, std::string_view expected, const Labels& labels) override {
    BERTH_RETURN_IF_ERROR(check_open());
    BERTH_RETURN_IF_ERROR(validate_labels(labels).with_context("content labels"));
    if (!expected.empty()) BERTH_RETURN_IF_ERROR(validate_digest(expected));
    // Before anything is committed: content written under a lease that does
    // not exist would otherwise be left unprotected.
    BERTH_RETURN_IF_ERROR(require_lease(owner_.md_, scope_));

    std::string digest;
    if (existing_) {
      if (size > 0 && size != existing_->size) {
        return failed_precondition(quote_ref(ref_) + ": unexpected commit size " + std::to_string(size) +
                                   ", expected " + std::to_string(existing_->size));
      }
      if (!expected.empty() && expected != existing_->digest) {
        return failed_precondition(quote_ref(ref_) + ": unexpected commit digest " + std::string(expected) +
                                   ", expected " + existing_->digest);
      }
      digest = existing_->digest;
    } else {
      // The backend names the digest only on success; for AlreadyExists it
      // is the expected one or that of the data written.
      std::string written = expected.empty() ? w_->digest() : std::string(expected);
      auto committed = w_->commit(size, expected);
      if (committed.ok()) {
        digest = std::move(*committed);
      } else if (committed.status().code() == Code::kAlreadyExists) {
        // Another namespace committed the same blob first: it is there, and
        // this namespace may still record it.
        digest = std::move(written);
      } else {
        return committed.status();
      }
    }
    // The backend ingest is gone now, whatever the recording below says.
    done_ = true;
    w_.reset();
    return owner_.record_commit(scope_, ref_, *backend_, digest, labels, !existing_);
  }

 private:
  Status check_open() const {
    if (done_) return failed_precondition(quote_ref(ref_) + ": writer already committed");
    return {};
  }
  Status complete_error() const {
    return failed_precondition(quote_ref(ref_) + ": content " + existing_->digest +
                               " is already complete; commit it without writing");
  }

  MetadataContent& owner_;
  const ContentScope scope_;
  const std::string ref_;
  const std::shared_ptr<ContentStore> backend_;
  std::unique_ptr<ContentWriter> w_;
  std::optional<ContentInfo> existing_;
  TimestampNs started_at_ = 0;
  bool done_ = false;
};

// ---------------------------------------------------------------- store

MetadataContent::MetadataContent(Metadata& md, std::shared_ptr<ContentStore> backend)
    : md_(md), backend_(std::move(backend)) {}

MetadataContent::~MetadataContent() = default;

void MetadataContent::set_backend(std::shared_ptr<ContentStore> backend) {
  std::lock_guard lock(backend_mu_);
  backend_ = std::move(backend);
}

Result<std::shared_ptr<ContentStore>> MetadataContent::backend() const {
  std::lock_guard lock(backend_mu_);
  if (!backend_) return failed_precondition("no content store plugin is loaded");
  return backend_;
}

Result<ContentInfo> MetadataContent::info(const ContentScope& scope, std::string_view digest) {
  BERTH_RETURN_IF_ERROR(check_scope(scope));
  BERTH_RETURN_IF_ERROR(validate_digest(digest));
  BERTH_RETURN_IF_ERROR(backend().status());
  std::optional<ContentInfo> found;
  BERTH_RETURN_IF_ERROR(md_.view([&](Transaction& tx) {
    auto r = read_blob(tx, scope.ns, digest);
    if (!r.ok()) return r.status();
    found = std::move(*r);
    return Status();
  }));
  if (!found) return not_found_digest(digest);
  return std::move(*found);
}

Result<ContentInfo> MetadataContent::update(const ContentScope& scope, const ContentInfo& info,
                                            const std::vector<std::string>& paths) {
  BERTH_RETURN_IF_ERROR(check_scope(scope));
  BERTH_RETURN_IF_ERROR(validate_digest(info.digest));
  BERTH_RETURN_IF_ERROR(backend().status());
  // Checked before anything is read, so a bad mask changes nothing.
  bool replace_all = paths.empty();
  std::vector<std::string> keys_to_set;
  for (const auto& p : paths) {
    if (p == kLabelsPath) {
      replace_all = true;
    } else if (p.starts_with(kLabelPathPrefix) && p.size() > kLabelPathPrefix.size()) {
      keys_to_set.push_back(p.substr(kLabelPathPrefix.size()));
    } else {
      return invalid_argument("cannot update \"" + p + "\" field on content info \"" + info.digest + "\"");
    }
  }
  ContentInfo out;
  BERTH_RETURN_IF_ERROR(md_.update([&](Transaction& tx) {
    auto r = read_blob(tx, scope.ns, info.digest);
    if (!r.ok()) return r.status();
    if (!r->has_value()) return not_found_digest(info.digest);
    out = std::move(**r);
    Labels labels = replace_all ? without_empty(info.labels) : out.labels;
    for (const auto& k : keys_to_set) {
      auto it = info.labels.find(k);
      if (it == info.labels.end() || it->second.empty()) {
        labels.erase(k);
      } else {
        labels[k] = it->second;
      }
    }
    BERTH_RETURN_IF_ERROR(validate_labels(labels).with_context("content labels"));
    BERTH_RETURN_IF_ERROR(put_labels(tx, scope.ns, info.digest, labels));
    out.labels = std::move(labels);
    out.updated_at = now_ns();
    return tx.put(keys::blob_key(scope.ns, info.digest, keys::kBlobUpdatedAt),
                  std::to_string(out.updated_at));
  }));
  return out;
}

Status MetadataContent::walk(const ContentScope& scope, const std::vector<std::string>& filters,
                             const std::function<bool(const ContentInfo&)>& fn) {
  BERTH_RETURN_IF_ERROR(check_scope(scope));
  auto filter = Filter::parse(filters);
  if (!filter.ok()) return filter.status();
  BERTH_RETURN_IF_ERROR(backend().status());

  // Collected first and handed out after the transaction, so `fn` may call
  // back into this store.
  std::vector<ContentInfo> found;
  BERTH_RETURN_IF_ERROR(md_.view([&](Transaction& tx) {
    const std::string prefix = keys::kind_prefix(scope.ns, keys::kBlobs);
    std::optional<ContentInfo> current;
    bool current_exists = false;
    Status failed;
    auto finish = [&] {
      if (current && current_exists) found.push_back(std::move(*current));
      current.reset();
      current_exists = false;
    };
    BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view key, std::string_view value) {
      auto parsed = keys::parse_object_key(prefix, key);
      if (!parsed) return true;
      if (!current || current->digest != parsed->id) {
        finish();
        current.emplace();
        current->digest = std::string(parsed->id);
      }
      const std::string what = "content " + current->digest + " in namespace \"" + scope.ns + "\"";
      if (parsed->field == keys::kBlobSize || parsed->field == keys::kBlobCreatedAt ||
          parsed->field == keys::kBlobUpdatedAt) {
        auto n = parse_int(what + " " + std::string(parsed->field), value);
        if (!n.ok()) {
          failed = n.status();
          return false;
        }
        if (parsed->field == keys::kBlobSize) {
          current->size = *n;
          current_exists = true;
        } else if (parsed->field == keys::kBlobCreatedAt) {
          current->created_at = *n;
        } else {
          current->updated_at = *n;
        }
      } else if (auto label = keys::parse_lease_label_field(parsed->field)) {
        // Blob labels share the lease layout: "labels\0<key>".
        current->labels.emplace(*label, value);
      }
      return true;
    }));
    BERTH_RETURN_IF_ERROR(failed);
    finish();
    return Status();
  }));
  for (const auto& info : found) {
    if (!filter->match([&](const std::vector<std::string>& path) { return content_field(info, path); }))
      continue;
    if (!fn(info)) break;
  }
  return {};
}

Status MetadataContent::remove(const ContentScope& scope, std::string_view digest) {
  BERTH_RETURN_IF_ERROR(check_scope(scope));
  BERTH_RETURN_IF_ERROR(validate_digest(digest));
  auto store = backend();
  if (!store.ok()) return store.status();

  std::lock_guard lock(blob_mu_);
  bool last = false;
  BERTH_RETURN_IF_ERROR(md_.update([&](Transaction& tx) {
    auto size = tx.get(keys::blob_key(scope.ns, digest, keys::kBlobSize));
    if (!size.ok()) return size.status();
    if (!size->has_value()) return not_found_digest(digest);
    BERTH_RETURN_IF_ERROR(
        delete_prefix(tx, keys::object_prefix(keys::kind_prefix(scope.ns, keys::kBlobs), digest)));
    auto elsewhere = held_elsewhere(tx, scope.ns, digest);
    if (!elsewhere.ok()) return elsewhere.status();
    last = !*elsewhere;
    return Status();
  }));
  if (!last) return {};
  // TODO(gc): the garbage collector will own this, honouring leases; until it
  // exists the blob goes as soon as no namespace holds it. A crash right here
  // leaves an unreferenced blob, which that collector will remove.
  Status st = (*store)->remove(digest);
  if (!st.ok() && st.code() != Code::kNotFound)
    return st.with_context("remove content " + std::string(digest));
  return {};
}

Result<std::unique_ptr<ContentReader>> MetadataContent::reader(const ContentScope& scope,
                                                               std::string_view digest) {
  auto found = info(scope, digest);
  if (!found.ok()) return found.status();
  auto store = backend();
  if (!store.ok()) return store.status();
  return (*store)->reader(digest);
}

Result<std::unique_ptr<NamespacedWriter>> MetadataContent::writer(const ContentScope& scope,
                                                                  std::string_view ref, int64_t total,
                                                                  std::string_view expected) {
  BERTH_RETURN_IF_ERROR(check_scope(scope));
  BERTH_RETURN_IF_ERROR(check_ref(ref));
  if (total < 0) return invalid_argument(quote_ref(ref) + ": negative total " + std::to_string(total));
  if (!expected.empty()) BERTH_RETURN_IF_ERROR(validate_digest(expected));
  auto store = backend();
  if (!store.ok()) return store.status();

  BERTH_RETURN_IF_ERROR(md_.view([&](Transaction& tx) {
    if (!expected.empty()) {
      auto size = tx.get(keys::blob_key(scope.ns, expected, keys::kBlobSize));
      if (!size.ok()) return size.status();
      if (size->has_value()) return already_exists_digest(expected);
    }
    if (scope.lease) return md_.leases().get(tx, scope.ns, *scope.lease).status();
    return Status();
  }));

  auto complete = [&](ContentInfo existing) -> std::unique_ptr<NamespacedWriter> {
    return std::make_unique<Writer>(*this, scope, std::string(ref), *store, std::move(existing));
  };
  if (!expected.empty()) {
    // Another namespace has it: nothing to receive (ctr then skips writing).
    auto existing = (*store)->info(expected);
    if (existing.ok()) return complete(std::move(*existing));
    if (existing.status().code() != Code::kNotFound) return existing.status();
  }

  const std::string bref = keys::content_backend_ref(scope.ns, ref);
  auto w = (*store)->writer(bref, total, expected);
  if (!w.ok()) {
    if (w.status().code() == Code::kAlreadyExists && !expected.empty()) {
      // Committed by another namespace since we looked.
      auto existing = (*store)->info(expected);
      if (existing.ok()) return complete(std::move(*existing));
    }
    return w.status();
  }

  BERTH_RETURN_IF_ERROR(md_.update([&](Transaction& tx) {
    BERTH_RETURN_IF_ERROR(ensure_namespace(tx, scope.ns));
    BERTH_RETURN_IF_ERROR(tx.put(keys::ingest_key(scope.ns, ref, keys::kIngestBackendRef), bref));
    if (scope.lease) {
      // As containerd: an ingest written under a lease is held by it.
      BERTH_RETURN_IF_ERROR(tx.put(keys::ingest_key(scope.ns, ref, keys::kIngestLease), *scope.lease));
      BERTH_RETURN_IF_ERROR(md_.leases().add_resource(tx, scope.ns, *scope.lease,
                                                      {std::string(ref), std::string(kIngestsResource)}));
    }
    return Status();
  }));
  return std::unique_ptr<NamespacedWriter>(
      std::make_unique<Writer>(*this, scope, std::string(ref), *store, std::move(*w)));
}

Result<std::string> MetadataContent::record_commit(const ContentScope& scope, std::string_view ref,
                                                   ContentStore& backend, const std::string& digest,
                                                   const Labels& labels, bool had_ingest) {
  std::lock_guard lock(blob_mu_);
  // Under blob_mu_ the blob cannot vanish before it is recorded: remove()
  // deletes backend blobs only while holding it.
  auto present = backend.info(digest);
  if (!present.ok()) {
    if (present.status().code() == Code::kNotFound) {
      return aborted("content " + digest + " was removed while " + quote_ref(ref) +
                     " was being committed; write it again");
    }
    return present.status();
  }
  const int64_t now = now_ns();
  Status st = md_.update([&](Transaction& tx) {
    auto existing = tx.get(keys::blob_key(scope.ns, digest, keys::kBlobSize));
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) return already_exists_digest(digest);
    if (scope.lease) {
      BERTH_RETURN_IF_ERROR(
          md_.leases().add_resource(tx, scope.ns, *scope.lease, {digest, std::string(kContentResource)}));
    }
    BERTH_RETURN_IF_ERROR(ensure_namespace(tx, scope.ns));
    BERTH_RETURN_IF_ERROR(
        tx.put(keys::blob_key(scope.ns, digest, keys::kBlobSize), std::to_string(present->size)));
    BERTH_RETURN_IF_ERROR(
        tx.put(keys::blob_key(scope.ns, digest, keys::kBlobCreatedAt), std::to_string(now)));
    BERTH_RETURN_IF_ERROR(
        tx.put(keys::blob_key(scope.ns, digest, keys::kBlobUpdatedAt), std::to_string(now)));
    BERTH_RETURN_IF_ERROR(put_labels(tx, scope.ns, digest, labels));
    if (had_ingest) BERTH_RETURN_IF_ERROR(delete_ingest(tx, md_.leases(), scope.ns, ref));
    return Status();
  });
  if (!st.ok()) {
    // AlreadyExists, or the lease was removed since commit_labeled checked
    // it (the blob is then unreferenced until the garbage collector comes).
    // Either way the backend ingest was consumed by its commit, so its
    // record goes too.
    if (had_ingest) {
      Status cleanup =
          md_.update([&](Transaction& tx) { return delete_ingest(tx, md_.leases(), scope.ns, ref); });
      (void)cleanup;
    }
    return st;
  }
  return digest;
}

Result<IngestStatus> MetadataContent::status(const ContentScope& scope, std::string_view ref) {
  BERTH_RETURN_IF_ERROR(check_scope(scope));
  BERTH_RETURN_IF_ERROR(check_ref(ref));
  auto store = backend();
  if (!store.ok()) return store.status();
  auto record = find_ingest(md_, scope.ns, ref);
  if (!record.ok()) return record.status();
  auto s = (*store)->status(record->backend_ref);
  if (!s.ok()) {
    if (s.status().code() == Code::kNotFound) return not_found_ref(ref);
    return s.status();
  }
  s->ref = std::string(ref);
  return s;
}

Result<std::vector<IngestStatus>> MetadataContent::list_statuses(const ContentScope& scope,
                                                                 const std::vector<std::string>& filters) {
  BERTH_RETURN_IF_ERROR(check_scope(scope));
  auto filter = Filter::parse(filters);
  if (!filter.ok()) return filter.status();
  auto store = backend();
  if (!store.ok()) return store.status();

  std::vector<std::pair<std::string, std::string>> refs;  // (ref, backend ref), in ref order
  BERTH_RETURN_IF_ERROR(md_.view([&](Transaction& tx) {
    const std::string prefix = keys::kind_prefix(scope.ns, keys::kIngests);
    return tx.scan(prefix, [&](std::string_view key, std::string_view value) {
      auto parsed = keys::parse_object_key(prefix, key);
      if (parsed && parsed->field == keys::kIngestBackendRef) refs.emplace_back(parsed->id, value);
      return true;
    });
  }));
  std::vector<IngestStatus> out;
  for (auto& [ref, bref] : refs) {
    auto s = (*store)->status(bref);
    if (!s.ok()) {
      // Committed or aborted while we listed.
      if (s.status().code() == Code::kNotFound) continue;
      return s.status();
    }
    s->ref = ref;
    auto lookup = [&](const std::vector<std::string>& path) -> std::optional<std::string> {
      if (path.size() == 1 && path[0] == "ref") return s->ref;
      return std::nullopt;
    };
    if (filter->match(lookup)) out.push_back(std::move(*s));
  }
  return out;
}

Status MetadataContent::abort(const ContentScope& scope, std::string_view ref) {
  BERTH_RETURN_IF_ERROR(check_scope(scope));
  BERTH_RETURN_IF_ERROR(check_ref(ref));
  auto store = backend();
  if (!store.ok()) return store.status();
  auto record = find_ingest(md_, scope.ns, ref);
  if (!record.ok()) return record.status();
  // Unavailable while a writer holds the ref; the record then stays too.
  Status st = (*store)->abort(record->backend_ref);
  if (!st.ok() && st.code() != Code::kNotFound) return st;
  return md_.update([&](Transaction& tx) { return delete_ingest(tx, md_.leases(), scope.ns, ref); });
}

}  // namespace berth::metadata

#include "namespaced_content.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "berth/filters.hpp"
#include "berth/log.hpp"
#include "blob_records.hpp"
#include "clock/clock.hpp"
#include "content_labels.hpp"
#include "content_writer.hpp"
#include "ingest_records.hpp"
#include "keys.hpp"
#include "namespace_store.hpp"
#include "rocks_metadata.hpp"

namespace berth::metadata {
namespace {

constexpr std::string_view kContentResource = "content";

// The namespace and the lease become key components, so both are checked on
// every call: a '/' in the namespace or a NUL in the lease would address
// someone else's keys.
Status check_scope(const ContentScope& scope) {
  BERTH_RETURN_IF_ERROR(validate_identifier(scope.ns).with_context("namespace"));
  if (scope.lease) BERTH_RETURN_IF_ERROR(validate_lease_id(*scope.lease));
  return {};
}

}  // namespace

MetadataContent::MetadataContent(std::shared_ptr<Metadata> md, std::shared_ptr<ContentStore> backend,
                                 std::shared_ptr<EventPublisher> events)
    : md_(std::move(md)), backend_(std::move(backend)), events_(std::move(events)) {}

MetadataContent::~MetadataContent() = default;

Status MetadataContent::check_lease(const ContentScope& scope) {
  if (!scope.lease) return {};
  return md_->view([&](Transaction& tx) { return leases_.get(tx, scope.ns, *scope.lease).status(); });
}

std::shared_lock<std::shared_mutex> MetadataContent::hold_blobs() {
  if (auto* rocks = dynamic_cast<RocksMetadata*>(md_.get())) return rocks->hold_blobs();
  return std::shared_lock(own_blobs_mu_);
}

Result<ContentInfo> MetadataContent::info(const ContentScope& scope, std::string_view digest) {
  BERTH_RETURN_IF_ERROR(check_scope(scope));
  BERTH_RETURN_IF_ERROR(validate_digest(digest));
  std::optional<ContentInfo> found;
  BERTH_RETURN_IF_ERROR(md_->view([&](Transaction& tx) {
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
  auto mask = ContentLabelMask::parse(paths, info.digest);
  if (!mask.ok()) return mask.status();
  ContentInfo out;
  BERTH_RETURN_IF_ERROR(md_->update([&](Transaction& tx) {
    auto r = read_blob(tx, scope.ns, info.digest);
    if (!r.ok()) return r.status();
    if (!r->has_value()) return not_found_digest(info.digest);
    out = std::move(**r);
    Labels labels = mask->apply(out.labels, info.labels);
    BERTH_RETURN_IF_ERROR(validate_labels(labels).with_context("content labels"));
    BERTH_RETURN_IF_ERROR(put_blob_labels(tx, scope.ns, info.digest, labels));
    out.labels = std::move(labels);
    out.updated_at = clock::now_ns();
    return set_blob_updated_at(tx, scope.ns, info.digest, out.updated_at);
  }));
  return out;
}

Status MetadataContent::walk(const ContentScope& scope, const std::vector<std::string>& filters,
                             const std::function<bool(const ContentInfo&)>& fn) {
  BERTH_RETURN_IF_ERROR(check_scope(scope));
  auto filter = Filter::parse(filters);
  if (!filter.ok()) return filter.status();
  // Collected first and handed out after the transaction, so `fn` may call
  // back into this store.
  std::vector<ContentInfo> found;
  BERTH_RETURN_IF_ERROR(md_->view([&](Transaction& tx) {
    auto all = list_blobs(tx, scope.ns);
    if (!all.ok()) return all.status();
    found = std::move(*all);
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
  BERTH_RETURN_IF_ERROR(md_->update([&](Transaction& tx) {
    auto held = has_blob(tx, scope.ns, digest);
    if (!held.ok()) return held.status();
    if (!*held) return not_found_digest(digest);
    return delete_blob(tx, scope.ns, digest);
  }));
  if (events_) {
    if (Status st = events_->publish(scope.ns, events::kContentDeleteTopic,
                                     events::ContentDelete{.digest = std::string(digest)});
        !st.ok())
      log::warn("content: publish {} in namespace {}: {}", events::kContentDeleteTopic, scope.ns,
                st.message());
  }
  return {};
}

Result<std::unique_ptr<ContentReader>> MetadataContent::reader(const ContentScope& scope,
                                                               std::string_view digest) {
  auto found = info(scope, digest);
  if (!found.ok()) return found.status();
  return backend_->reader(digest);
}

Result<std::unique_ptr<NamespacedWriter>> MetadataContent::writer(const ContentScope& scope,
                                                                  std::string_view ref, int64_t total,
                                                                  std::string_view expected) {
  BERTH_RETURN_IF_ERROR(check_scope(scope));
  BERTH_RETURN_IF_ERROR(check_ref(ref));
  if (total < 0) return invalid_argument(quote_ref(ref) + ": negative total " + std::to_string(total));
  if (!expected.empty()) BERTH_RETURN_IF_ERROR(validate_digest(expected));

  bool recorded = false;
  bool shared = false;  // another namespace records it
  BERTH_RETURN_IF_ERROR(md_->view([&](Transaction& tx) {
    if (!expected.empty()) {
      auto held = has_blob(tx, scope.ns, expected);
      if (!held.ok()) return held.status();
      recorded = *held;
      if (recorded && !scope.lease) return already_exists_digest(expected);
      if (!recorded) {
        auto elsewhere = held_elsewhere(tx, scope.ns, expected);
        if (!elsewhere.ok()) return elsewhere.status();
        shared = *elsewhere;
      }
    }
    if (scope.lease) return leases_.get(tx, scope.ns, *scope.lease).status();
    return Status();
  }));
  if (recorded) {
    // The caller skips a blob its namespace has, so its lease must hold it
    // (as containerd's writer does): the record may otherwise be collected
    // before the caller's image names it, e.g. one left unreferenced by an
    // earlier transfer that failed.
    BERTH_RETURN_IF_ERROR(md_->update([&](Transaction& tx) -> Status {
      auto held = has_blob(tx, scope.ns, expected);
      if (!held.ok()) return held.status();
      recorded = *held;
      if (!recorded) return Status();  // removed since: it is written below
      return leases_.add_resource(tx, scope.ns, *scope.lease,
                                  {std::string(expected), std::string(kContentResource)});
    }));
    if (recorded) return already_exists_digest(expected);
  }

  if (shared) {
    // Another namespace has it: nothing to receive (ctr then skips writing).
    auto existing = backend_->info(expected);
    if (existing.ok()) {
      return std::unique_ptr<NamespacedWriter>(std::make_unique<RecordingWriter>(
          *this, scope, std::string(ref), std::move(*existing), clock::now_ns()));
    }
    if (existing.status().code() != Code::kNotFound) return existing.status();
  }

  const std::string bref = keys::content_backend_ref(scope.ns, ref);
  std::string unchecked;  // `expected`, when the backend writer could not take it
  auto w = backend_->writer(bref, total, expected);
  if (!w.ok() && w.status().code() == Code::kAlreadyExists && !expected.empty()) {
    // The backend has the blob, but no namespace recorded it when we looked
    // (an orphan: a collection may take it before this writer commits, as
    // after `content rm` then an ingest of the same blob), or one did only
    // since. Either way the data is received again, not counted on: the
    // commit checks it against `expected` and keeps whichever copy the
    // collector leaves, under hold_blobs().
    w = backend_->writer(bref, total, "");
    unchecked = expected;
  }
  if (!w.ok()) return w.status();

  BERTH_RETURN_IF_ERROR(md_->update([&](Transaction& tx) {
    BERTH_RETURN_IF_ERROR(ensure_namespace(tx, scope.ns));
    return put_ingest(tx, leases_, scope.ns, ref, bref, scope.lease);
  }));
  return std::unique_ptr<NamespacedWriter>(
      std::make_unique<RecordingWriter>(*this, scope, std::string(ref), std::move(*w), std::move(unchecked)));
}

Result<std::unique_ptr<ContentWriter>> MetadataContent::unshare(const ContentScope& scope,
                                                                std::string_view ref, std::string_view digest,
                                                                int64_t total, int64_t keep) {
  const std::string bref = keys::content_backend_ref(scope.ns, ref);
  // No expected digest: the blob exists, so the backend would refuse one.
  // The commit then finds it there and records it (AlreadyExists).
  auto w = backend_->writer(bref, total, "");
  if (!w.ok()) return w.status();
  BERTH_RETURN_IF_ERROR((*w)->truncate(0));
  if (keep > 0) {
    auto r = backend_->reader(digest);
    if (!r.ok()) return r.status();
    std::string buf(std::min<int64_t>(keep, 1 << 20), '\0');
    for (int64_t at = 0; at < keep;) {
      auto n =
          (*r)->read_at(at, buf.data(), static_cast<std::size_t>(std::min<int64_t>(keep - at, buf.size())));
      if (!n.ok()) return n.status();
      if (*n == 0)
        return data_loss("content " + std::string(digest) + " is shorter than " + std::to_string(keep));
      BERTH_RETURN_IF_ERROR((*w)->write(std::string_view(buf.data(), *n)));
      at += static_cast<int64_t>(*n);
    }
  }
  BERTH_RETURN_IF_ERROR(md_->update([&](Transaction& tx) {
    BERTH_RETURN_IF_ERROR(ensure_namespace(tx, scope.ns));
    return put_ingest(tx, leases_, scope.ns, ref, bref, scope.lease);
  }));
  return std::move(w).value();
}

Result<std::string> MetadataContent::record_commit(const ContentScope& scope, std::string_view ref,
                                                   const std::string& digest, const Labels& labels,
                                                   bool had_ingest) {
  // The caller holds hold_blobs(), so the blob checked here stays until recorded.
  auto present = backend_->info(digest);
  if (!present.ok()) {
    if (present.status().code() == Code::kNotFound) {
      return aborted("content " + digest + " was removed while " + quote_ref(ref) +
                     " was being committed; write it again");
    }
    return present.status();
  }
  const int64_t now = clock::now_ns();
  bool exists = false;
  Status st = md_->update([&](Transaction& tx) {
    auto held = has_blob(tx, scope.ns, digest);
    if (!held.ok()) return held.status();
    if (scope.lease) {
      // Even when the namespace has it already: the caller goes on as if it
      // had committed it, so the lease must keep it (containerd does too).
      BERTH_RETURN_IF_ERROR(
          leases_.add_resource(tx, scope.ns, *scope.lease, {digest, std::string(kContentResource)}));
    }
    if (*held) {
      exists = true;
      if (had_ingest) BERTH_RETURN_IF_ERROR(delete_ingest(tx, leases_, scope.ns, ref));
      return Status();
    }
    BERTH_RETURN_IF_ERROR(ensure_namespace(tx, scope.ns));
    BERTH_RETURN_IF_ERROR(put_blob(tx, scope.ns, digest, present->size, now, labels));
    if (had_ingest) BERTH_RETURN_IF_ERROR(delete_ingest(tx, leases_, scope.ns, ref));
    return Status();
  });
  if (!st.ok()) {
    // The lease was removed since commit_labeled checked it (the blob is
    // then unreferenced until the garbage collector comes). The backend
    // ingest was consumed by its commit all the same, so its record goes too.
    if (had_ingest) {
      Status cleanup =
          md_->update([&](Transaction& tx) { return delete_ingest(tx, leases_, scope.ns, ref); });
      (void)cleanup;
    }
    return st;
  }
  if (exists) return already_exists_digest(digest);
  return digest;
}

Result<IngestStatus> MetadataContent::status(const ContentScope& scope, std::string_view ref) {
  BERTH_RETURN_IF_ERROR(check_scope(scope));
  BERTH_RETURN_IF_ERROR(check_ref(ref));
  auto record = find_ingest(*md_, scope.ns, ref);
  if (!record.ok()) return record.status();
  auto s = backend_->status(record->backend_ref);
  if (!s.ok()) {
    if (s.status().code() == Code::kNotFound) return not_found_ref(ref);
    return s.status();
  }
  s->ref = std::string(ref);
  return s;
}

Result<std::unique_ptr<ContentReader>> MetadataContent::ingest_reader(const ContentScope& scope,
                                                                      std::string_view ref) {
  BERTH_RETURN_IF_ERROR(check_scope(scope));
  BERTH_RETURN_IF_ERROR(check_ref(ref));
  auto record = find_ingest(*md_, scope.ns, ref);
  if (!record.ok()) return record.status();
  auto reader = backend_->ingest_reader(record->backend_ref);
  if (!reader.ok() && reader.status().code() == Code::kNotFound) return not_found_ref(ref);
  return reader;
}

Result<std::vector<IngestStatus>> MetadataContent::list_statuses(const ContentScope& scope,
                                                                 const std::vector<std::string>& filters) {
  BERTH_RETURN_IF_ERROR(check_scope(scope));
  auto filter = Filter::parse(filters);
  if (!filter.ok()) return filter.status();

  std::vector<std::pair<std::string, std::string>> refs;  // (ref, backend ref), in ref order
  BERTH_RETURN_IF_ERROR(md_->view([&](Transaction& tx) {
    auto all = list_ingests(tx, scope.ns);
    if (!all.ok()) return all.status();
    refs = std::move(*all);
    return Status();
  }));
  std::vector<IngestStatus> out;
  for (auto& [ref, bref] : refs) {
    auto s = backend_->status(bref);
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
  auto record = find_ingest(*md_, scope.ns, ref);
  if (!record.ok()) return record.status();
  // Unavailable while a writer holds the ref; the record then stays too.
  Status st = backend_->abort(record->backend_ref);
  if (!st.ok() && st.code() != Code::kNotFound) return st;
  return md_->update([&](Transaction& tx) { return delete_ingest(tx, leases_, scope.ns, ref); });
}

}  // namespace berth::metadata

// A namespace's content records in the metadata database (keys.hpp,
// content/blobs): which blobs the namespace holds, with their size, times
// and labels. The blobs themselves are in the backend content store, once
// for every namespace.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/content_store.hpp"
#include "berth/metadata.hpp"
#include "berth/status.hpp"

namespace berth::metadata {

Status not_found_digest(std::string_view digest);
Status already_exists_digest(std::string_view digest);

// The namespace's record of `digest`, nullopt if it holds none.
Result<std::optional<ContentInfo>> read_blob(Transaction& tx, std::string_view ns, std::string_view digest);
// Whether the namespace holds a record of `digest`; one get.
Result<bool> has_blob(Transaction& tx, std::string_view ns, std::string_view digest);
// Every record of the namespace, in digest order.
Result<std::vector<ContentInfo>> list_blobs(Transaction& tx, std::string_view ns);

// Records that the namespace holds the blob `digest` of `size` bytes, created
// and updated at `now`, with `labels` (content_labels.hpp).
Status put_blob(Transaction& tx, std::string_view ns, std::string_view digest, int64_t size, TimestampNs now,
                const Labels& labels);
Status set_blob_updated_at(Transaction& tx, std::string_view ns, std::string_view digest, TimestampNs now);
// Deletes the namespace's record of `digest`, labels and all.
Status delete_blob(Transaction& tx, std::string_view ns, std::string_view digest);

// Whether any namespace but `except` holds a record of `digest`.
Result<bool> held_elsewhere(Transaction& tx, std::string_view except, std::string_view digest);

// containerd's content filter adaptor: digest, size, and labels.<key> with the
// rest of the path joined back with '.', so labels.a.b finds the label "a.b".
std::optional<std::string> content_field(const ContentInfo& info, const std::vector<std::string>& path);

}  // namespace berth::metadata

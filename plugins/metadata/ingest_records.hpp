// A namespace's ingests in progress, as records in the metadata database
// (keys.hpp, content/ingests): the client's ref, the backend store's ref for
// it, and the lease holding it. The data itself is in the backend's ingest.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "berth/leases.hpp"
#include "berth/metadata.hpp"
#include "berth/status.hpp"

namespace berth::metadata {

// `ingest ref "<ref>"`, for messages.
std::string quote_ref(std::string_view ref);
Status not_found_ref(std::string_view ref);
// InvalidArgument for an empty ref, or one holding NUL (it ends key components).
Status check_ref(std::string_view ref);

struct IngestRecord {
  std::string backend_ref;
  std::optional<std::string> lease;
};

// The namespace's record of ingest `ref`, nullopt if it has none.
Result<std::optional<IngestRecord>> read_ingest(Transaction& tx, std::string_view ns, std::string_view ref);
// The same in a view of its own, or NotFound naming the client's ref.
Result<IngestRecord> find_ingest(Metadata& md, std::string_view ns, std::string_view ref);
// Every ingest of the namespace as (ref, backend ref), in ref order.
Result<std::vector<std::pair<std::string, std::string>>> list_ingests(Transaction& tx, std::string_view ns);

// Records ingest `ref` and, as containerd does, attaches it to `lease`.
Status put_ingest(Transaction& tx, LeaseStore& leases, std::string_view ns, std::string_view ref,
                  std::string_view backend_ref, const std::optional<std::string>& lease);
// Deletes the namespace's ingest record and the reference its lease holds to
// it. A lease removed since is no error: it held nothing any more.
Status delete_ingest(Transaction& tx, LeaseStore& leases, std::string_view ns, std::string_view ref);

}  // namespace berth::metadata

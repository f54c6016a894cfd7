#include "ingest_records.hpp"

#include "keys.hpp"
#include "kv_util.hpp"

namespace berth::metadata {
namespace {

constexpr std::string_view kIngestsResource = "ingests";

}  // namespace

std::string quote_ref(std::string_view ref) { return "ingest ref \"" + keys::printable(ref) + "\""; }

Status not_found_ref(std::string_view ref) { return not_found(quote_ref(ref) + ": not found"); }

Status check_ref(std::string_view ref) {
  if (ref.empty()) return invalid_argument("ingest ref must not be empty");
  if (ref.find(keys::kIdTerminator) != std::string_view::npos)
    return invalid_argument(quote_ref(ref) + " holds a NUL byte");
  return {};
}

Result<std::optional<IngestRecord>> read_ingest(Transaction& tx, std::string_view ns, std::string_view ref) {
  auto bref = tx.get(keys::ingest_key(ns, ref, keys::kIngestBackendRef));
  if (!bref.ok()) return bref.status();
  if (!bref->has_value()) return std::optional<IngestRecord>();
  auto lease = tx.get(keys::ingest_key(ns, ref, keys::kIngestLease));
  if (!lease.ok()) return lease.status();
  return std::optional<IngestRecord>(IngestRecord{std::move(**bref), std::move(*lease)});
}

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

Result<std::vector<std::pair<std::string, std::string>>> list_ingests(Transaction& tx, std::string_view ns) {
  std::vector<std::pair<std::string, std::string>> refs;
  const std::string prefix = keys::kind_prefix(ns, keys::kIngests);
  BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view key, std::string_view value) {
    auto parsed = keys::parse_object_key(prefix, key);
    if (parsed && parsed->field == keys::kIngestBackendRef) refs.emplace_back(parsed->id, value);
    return true;
  }));
  return refs;
}

Status put_ingest(Transaction& tx, LeaseStore& leases, std::string_view ns, std::string_view ref,
                  std::string_view backend_ref, const std::optional<std::string>& lease) {
  BERTH_RETURN_IF_ERROR(tx.put(keys::ingest_key(ns, ref, keys::kIngestBackendRef), backend_ref));
  if (!lease) return {};
  BERTH_RETURN_IF_ERROR(tx.put(keys::ingest_key(ns, ref, keys::kIngestLease), *lease));
  return leases.add_resource(tx, ns, *lease, {std::string(ref), std::string(kIngestsResource)});
}

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

}  // namespace berth::metadata

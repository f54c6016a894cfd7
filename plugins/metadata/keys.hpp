// The key layout of the metadata database. Every store in plugins/metadata
// builds its keys here, so the whole layout can be read in one place.
//
// One flat, byte-ordered keyspace (RocksDB's default column family):
//
//   berth/schema-version                          -> decimal schema version ("1")
//   v1/namespaces/<ns>                            -> "" (the namespace exists)
//   v1/namespaces/<ns>/labels/<label-key>         -> label value
//   v1/ns/<ns>/<kind>/<id>\0<field>[\0<sub>...]   -> an object's fields
//   v1/gc/...                                     -> reserved: GC marks and state
//   v1/sequences/<what>                           -> counters (snapshots: see below)
//
// Kinds under v1/ns/<ns>/ (leases, content blobs, ingests and snapshots are stored today;
// the rest are reserved so later stores slot in without a migration):
//
//   images/<name>\0...                  image records (names contain '/')
//   containers/<id>\0...                container records
//   content/blobs/<digest>\0...         content references of this namespace
//   content/ingests/<ref>\0...          ingests in progress
//   snapshots/<snapshotter>/<key>\0...  snapshot keys, per snapshotter
//   leases/<id>\0...                    leases and the resources they hold
//
// A lease's fields (see lease_created_at_key and friends below):
//
//   v1/ns/<ns>/leases/<id>\0created_at                      -> ns since the epoch, decimal;
//                                                             present iff the lease exists
//   v1/ns/<ns>/leases/<id>\0labels\0<label-key>             -> label value (never empty)
//   v1/ns/<ns>/leases/<id>\0resources\0<type>\0<resource>   -> ""
//
//   <id> is any non-empty string without NUL, as containerd allows (its
//   clients' random ids are not identifiers), so it may hold '/'.
//   <type> is "content" (<resource> a digest), "ingests" (an ingest ref) or
//   "snapshots/<snapshotter>" (a snapshot key); no type or resource holds NUL.
//
// Resources stay inside the lease's object rather than in a kind of their
// own: one scan of kind_prefix(ns, kLeases) then hands the garbage collector
// every lease of the namespace with its fields in the order it needs them,
// created_at, then labels (containerd.io/gc.expire, gc.flat: is the lease
// still a root?), then the resources it holds. Within a lease the resources
// come sorted by (type, resource), since NUL ends the type and sorts first.
// The price is that listing leases steps over their resources too; a lease
// holds tens to hundreds of them, and leases are listed rarely.
//
// Why these separators:
// - Namespace names and snapshotter names are identifiers (validate_identifier:
//   no '/'), so '/' after them is unambiguous, and "v1/namespaces/<ns>/" or
//   "v1/ns/<ns>/" can never be a prefix of another namespace's keys.
// - Object ids (image names, snapshot keys) and label keys may contain '/'.
//   Label keys are always the last component. An object id is terminated by a
//   0x00 byte, which no id contains (callers reject ids holding NUL); since
//   0x00 sorts first, one object's keys are contiguous and objects come in id
//   order when a kind is scanned.
// - Everything that is layout-versioned sits under "v1/"; a future incompatible
//   layout gets "v2/" plus a schema bump, and the version key stays outside both.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth::metadata::keys {

// Bump when the data written by this code cannot be read by older code; open
// refuses a database whose version is newer than this.
inline constexpr int kSchemaVersion = 1;
inline constexpr std::string_view kSchemaVersionKey = "berth/schema-version";

inline constexpr std::string_view kNamespacesPrefix = "v1/namespaces/";
inline constexpr std::string_view kObjectsRoot = "v1/ns/";
inline constexpr std::string_view kGcPrefix = "v1/gc/";

// Object kinds: the <kind> segment under a namespace's object prefix.
inline constexpr std::string_view kImages = "images";
inline constexpr std::string_view kContainers = "containers";
inline constexpr std::string_view kBlobs = "content/blobs";
inline constexpr std::string_view kIngests = "content/ingests";
inline constexpr std::string_view kSnapshots = "snapshots";
inline constexpr std::string_view kLeases = "leases";

inline constexpr char kIdTerminator = '\0';

// v1/namespaces/<ns>
inline std::string namespace_key(std::string_view ns) {
  std::string k(kNamespacesPrefix);
  k += ns;
  return k;
}

// v1/namespaces/<ns>/labels/
inline std::string namespace_labels_prefix(std::string_view ns) {
  std::string k = namespace_key(ns);
  k += "/labels/";
  return k;
}

// v1/namespaces/<ns>/labels/<label-key>
inline std::string namespace_label_key(std::string_view ns, std::string_view label) {
  std::string k = namespace_labels_prefix(ns);
  k += label;
  return k;
}

// v1/ns/<ns>/ : every object of every kind in the namespace.
inline std::string namespace_objects_prefix(std::string_view ns) {
  std::string k(kObjectsRoot);
  k += ns;
  k += '/';
  return k;
}

// v1/ns/<ns>/<kind>/ : every object of one kind. For snapshots use
// snapshotter_prefix to address one snapshotter.
inline std::string kind_prefix(std::string_view ns, std::string_view kind) {
  std::string k = namespace_objects_prefix(ns);
  k += kind;
  k += '/';
  return k;
}

// v1/ns/<ns>/snapshots/<snapshotter>/
inline std::string snapshotter_prefix(std::string_view ns, std::string_view snapshotter) {
  std::string k = kind_prefix(ns, kSnapshots);
  k += snapshotter;
  k += '/';
  return k;
}

// <kind prefix><id>\0 : every field of one object. `kind_prefix_key` is the
// result of kind_prefix() or snapshotter_prefix().
inline std::string object_prefix(std::string_view kind_prefix_key, std::string_view id) {
  std::string k(kind_prefix_key);
  k += id;
  k += kIdTerminator;
  return k;
}

// <kind prefix><id>\0<field>
inline std::string object_key(std::string_view kind_prefix_key, std::string_view id, std::string_view field) {
  std::string k = object_prefix(kind_prefix_key, id);
  k += field;
  return k;
}

struct ObjectKey {
  std::string_view id;
  std::string_view field;  // may itself hold \0-separated parts
};

// Splits a key found while scanning `kind_prefix_key` into id and field;
// nullopt for a key outside the prefix or without an id terminator. The views
// point into `key`.
inline std::optional<ObjectKey> parse_object_key(std::string_view kind_prefix_key, std::string_view key) {
  if (!key.starts_with(kind_prefix_key)) return std::nullopt;
  std::string_view rest = key.substr(kind_prefix_key.size());
  std::size_t end = rest.find(kIdTerminator);
  if (end == std::string_view::npos) return std::nullopt;
  return ObjectKey{rest.substr(0, end), rest.substr(end + 1)};
}

// ---- leases

inline constexpr std::string_view kLeaseCreatedAt = "created_at";
inline constexpr std::string_view kLeaseLabels = "labels";
inline constexpr std::string_view kLeaseResources = "resources";

// v1/ns/<ns>/leases/<id>\0created_at
inline std::string lease_created_at_key(std::string_view ns, std::string_view id) {
  return object_key(kind_prefix(ns, kLeases), id, kLeaseCreatedAt);
}

// v1/ns/<ns>/leases/<id>\0labels\0
inline std::string lease_labels_prefix(std::string_view ns, std::string_view id) {
  std::string k = object_key(kind_prefix(ns, kLeases), id, kLeaseLabels);
  k += kIdTerminator;
  return k;
}

// v1/ns/<ns>/leases/<id>\0labels\0<label-key>
inline std::string lease_label_key(std::string_view ns, std::string_view id, std::string_view label) {
  std::string k = lease_labels_prefix(ns, id);
  k += label;
  return k;
}

// v1/ns/<ns>/leases/<id>\0resources\0
inline std::string lease_resources_prefix(std::string_view ns, std::string_view id) {
  std::string k = object_key(kind_prefix(ns, kLeases), id, kLeaseResources);
  k += kIdTerminator;
  return k;
}

// v1/ns/<ns>/leases/<id>\0resources\0<type>\0<resource>
inline std::string lease_resource_key(std::string_view ns, std::string_view id, std::string_view type,
                                      std::string_view resource) {
  std::string k = lease_resources_prefix(ns, id);
  k += type;
  k += kIdTerminator;
  k += resource;
  return k;
}

// The label key in the field of a lease key ("labels\0<label-key>"); nullopt
// when the field is not a label. The view points into `field`.
inline std::optional<std::string_view> parse_lease_label_field(std::string_view field) {
  if (!field.starts_with(kLeaseLabels)) return std::nullopt;
  std::string_view rest = field.substr(kLeaseLabels.size());
  if (rest.empty() || rest.front() != kIdTerminator) return std::nullopt;
  return rest.substr(1);
}

struct LeaseResourceField {
  std::string_view type;
  std::string_view resource;
};

// Splits the field of a lease key (ObjectKey::field, as parse_object_key
// returns it) into a resource's type and id; nullopt when the field is not a
// resource (created_at, a label) or is malformed. The views point into `field`.
inline std::optional<LeaseResourceField> parse_lease_resource_field(std::string_view field) {
  if (!field.starts_with(kLeaseResources)) return std::nullopt;
  std::string_view rest = field.substr(kLeaseResources.size());
  if (rest.empty() || rest.front() != kIdTerminator) return std::nullopt;
  rest.remove_prefix(1);
  const std::size_t end = rest.find(kIdTerminator);
  if (end == std::string_view::npos || end == 0) return std::nullopt;
  return LeaseResourceField{rest.substr(0, end), rest.substr(end + 1)};
}

// ---- content (blobs and ingests of a namespace)
//
//   v1/ns/<ns>/content/blobs/<digest>\0size                -> decimal bytes; present iff
//                                                            the namespace holds the blob
//   v1/ns/<ns>/content/blobs/<digest>\0created_at          -> ns since the epoch, decimal
//   v1/ns/<ns>/content/blobs/<digest>\0updated_at          -> ns since the epoch, decimal
//   v1/ns/<ns>/content/blobs/<digest>\0labels\0<label-key> -> label value (never empty)
//   v1/ns/<ns>/content/ingests/<ref>\0backend_ref          -> the backend store's ref;
//                                                            present iff the ingest exists
//   v1/ns/<ns>/content/ingests/<ref>\0lease                -> the lease holding the ingest
//
//   <digest> is "sha256:<hex>"; <ref> is the client's ref (any non-empty
//   string without NUL). The backend store is not namespaced, so its ref is
//   derived from both (content_backend_ref) and namespaces never collide.

inline constexpr std::string_view kBlobSize = "size";
inline constexpr std::string_view kBlobCreatedAt = "created_at";
inline constexpr std::string_view kBlobUpdatedAt = "updated_at";
inline constexpr std::string_view kBlobLabels = "labels";
inline constexpr std::string_view kIngestBackendRef = "backend_ref";
inline constexpr std::string_view kIngestLease = "lease";

// v1/ns/<ns>/content/blobs/<digest>\0<field>
inline std::string blob_key(std::string_view ns, std::string_view digest, std::string_view field) {
  return object_key(kind_prefix(ns, kBlobs), digest, field);
}

// v1/ns/<ns>/content/blobs/<digest>\0labels\0
inline std::string blob_labels_prefix(std::string_view ns, std::string_view digest) {
  std::string k = blob_key(ns, digest, kBlobLabels);
  k += kIdTerminator;
  return k;
}

// v1/ns/<ns>/content/ingests/<ref>\0<field>
inline std::string ingest_key(std::string_view ns, std::string_view ref, std::string_view field) {
  return object_key(kind_prefix(ns, kIngests), ref, field);
}

// ---- images
//
//   v1/ns/<ns>/images/<name>\0record    the image as JSON (image_record.hpp)
//
// <name> is the client's image name: any non-empty string without NUL.

inline constexpr std::string_view kImageRecord = "record";

// v1/ns/<ns>/images/<name>\0record
inline std::string image_key(std::string_view ns, std::string_view name) {
  return object_key(kind_prefix(ns, kImages), name, kImageRecord);
}

// ---- containers
//
//   v1/ns/<ns>/containers/<id>\0record    the container as CBOR (container_record.hpp)
//
// <id> is an identifier (containerd validates container ids).

inline constexpr std::string_view kContainerRecord = "record";

// v1/ns/<ns>/containers/<id>\0record
inline std::string container_key(std::string_view ns, std::string_view id) {
  return object_key(kind_prefix(ns, kContainers), id, kContainerRecord);
}

// The ref under which the backend content store keeps namespace `ns`'s ingest
// `ref`: "<ns>/<ref>". Namespace names hold no '/', so distinct (ns, ref)
// pairs never share a backend ref.
inline std::string content_backend_ref(std::string_view ns, std::string_view ref) {
  std::string k(ns);
  k += '/';
  k += ref;
  return k;
}

// ---- snapshots (per namespace and snapshotter)
//
//   v1/ns/<ns>/snapshots/<sn>/<key>\0backend_key          -> the backend snapshotter's key;
//                                                         present iff the snapshot exists
//   v1/ns/<ns>/snapshots/<sn>/<key>\0kind                 -> "active", "view" or "committed"
//   v1/ns/<ns>/snapshots/<sn>/<key>\0parent               -> the parent's key in this namespace
//   v1/ns/<ns>/snapshots/<sn>/<key>\0created_at           -> ns since the epoch, decimal
//   v1/ns/<ns>/snapshots/<sn>/<key>\0updated_at           -> ns since the epoch, decimal
//   v1/ns/<ns>/snapshots/<sn>/<key>\0labels\0<label-key>  -> label value (never empty)
//   v1/ns/<ns>/snapshots/<sn>/<key>\0children\0<child>    -> "" (a snapshot made on this one)
//   v1/sequences/snapshots                               -> decimal: the last number used
//
//   <sn> is the snapshotter's plugin id (an identifier); <key> is the
//   client's key (any non-empty string without NUL). Backend snapshotters are
//   not namespaced, so the backend key is "<ns>/<n>/<key>" with <n> from the
//   sequence: unique across namespaces and across a key's re-creations, as
//   containerd's are.

inline constexpr std::string_view kSnapshotBackendKey = "backend_key";
inline constexpr std::string_view kSnapshotKind = "kind";
inline constexpr std::string_view kSnapshotParent = "parent";
inline constexpr std::string_view kSnapshotCreatedAt = "created_at";
inline constexpr std::string_view kSnapshotUpdatedAt = "updated_at";
inline constexpr std::string_view kSnapshotLabels = "labels";
inline constexpr std::string_view kSnapshotChildren = "children";
inline constexpr std::string_view kSnapshotSequenceKey = "v1/sequences/snapshots";

// v1/ns/<ns>/snapshots/<sn>/<key>\0<field>
inline std::string snapshot_key(std::string_view ns, std::string_view sn, std::string_view key,
                                std::string_view field) {
  return object_key(snapshotter_prefix(ns, sn), key, field);
}

// v1/ns/<ns>/snapshots/<sn>/<key>\0<list>\0 : the labels or children of a snapshot.
inline std::string snapshot_list_prefix(std::string_view ns, std::string_view sn, std::string_view key,
                                        std::string_view list) {
  std::string k = snapshot_key(ns, sn, key, list);
  k += kIdTerminator;
  return k;
}

// The label key or child in a snapshot key's field ("<list>\0<item>"); nullopt
// when the field is something else. The view points into `field`.
inline std::optional<std::string_view> parse_list_field(std::string_view field, std::string_view list) {
  if (!field.starts_with(list)) return std::nullopt;
  std::string_view rest = field.substr(list.size());
  if (rest.empty() || rest.front() != kIdTerminator) return std::nullopt;
  return rest.substr(1);
}

// The smallest key greater than every key starting with `prefix`, or "" when
// there is none (empty prefix, or all bytes 0xff): the exclusive upper bound
// of a prefix scan.
inline std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last != 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return end;
}

// A key made readable for error messages: NUL and other control or non-ASCII
// bytes become \xNN.
std::string printable(std::string_view key);

}  // namespace berth::metadata::keys

// The graph the garbage collector walks, read from metadata records: which
// objects are roots, what each object references, and which object a
// metadata key belongs to (so writes made while marking can be taken into
// account). containerd's semantics (berth/gc.hpp); the collection itself is
// gc_collector.hpp.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "berth/metadata.hpp"
#include "berth/status.hpp"
#include "berth/validate.hpp"

namespace berth::metadata::gc {

inline constexpr std::string_view kRootLabel = "containerd.io/gc.root";
inline constexpr std::string_view kContentRefLabel = "containerd.io/gc.ref.content";
inline constexpr std::string_view kSnapshotRefLabel = "containerd.io/gc.ref.snapshot.";
inline constexpr std::string_view kExpireLabel = "containerd.io/gc.expire";
inline constexpr std::string_view kFlatLabel = "containerd.io/gc.flat";

enum class Kind { kContent, kSnapshot, kLease, kIngest, kImage, kContainer };

// One object of one namespace. A snapshot's id is "<snapshotter>/<key>"
// (snapshotter names hold no '/').
struct Node {
  Kind kind = Kind::kContent;
  std::string ns;
  std::string id;

  auto operator<=>(const Node&) const = default;
};

// Emits the content and snapshot nodes that `labels` reference
// (gc.ref.content[.*|/*], gc.ref.snapshot.<snapshotter>[/*]).
void label_refs(std::string_view ns, const Labels& labels, const std::function<void(Node)>& emit);

// Whether a lease with `labels` has expired at `now_ns` (an unparsable
// gc.expire is ignored, as containerd does).
bool lease_expired(const Labels& labels, int64_t now_ns);

// The object a metadata key belongs to; nullopt for keys outside objects.
std::optional<Node> object_of_key(std::string_view key);
// Whether deleting `key` drops an object or a reference (containerd's dirty
// flag): an object's existence key, a lease's resource, a gc label.
bool drops_reference(std::string_view key);

// Every namespace with objects.
Result<std::vector<std::string>> namespaces(Transaction& tx);

// What one scan of the whole database finds.
struct Inventory {
  std::vector<Node> roots;
  // Objects a collection may remove: content, snapshots, expired leases, ingests.
  std::vector<Node> collectable;
  // Per namespace, for the backends' sweeps: digests recorded, and per
  // snapshotter the backend keys recorded (with the node recording each).
  std::map<std::string, std::set<std::string>> blobs;  // digest -> namespaces
  std::map<std::string, std::map<std::string, Node, std::less<>>, std::less<>>
      backend_keys;  // sn -> key -> node
};
Result<Inventory> scan(Transaction& tx, int64_t now_ns);

// Marks what is reachable, reading each object's references from `tx`.
// The marks outlive the transaction: rebind() moves the marker to a later
// one, and remark() follows again the objects writers changed meanwhile, so
// a collection re-marks only what changed instead of everything again.
class Marker {
 public:
  Marker(Transaction& tx, int64_t now_ns) : tx_(&tx), now_ns_(now_ns) {}
  // Reads from `tx` from now on; the marks made so far stay.
  void rebind(Transaction& tx) { tx_ = &tx; }
  // Marks `n` and everything it references. `flat` (reached through a flat
  // lease) follows a snapshot's parents only, and no labels.
  Status mark(const Node& n, bool flat = false);
  // Marks `n` as mark() does, but reads its references again even if it was
  // marked already: for an object written since. Only a written object can
  // have gained a reference, so remarking each of them keeps every mark
  // true of the current state (objects no longer reachable may stay
  // marked: they are kept for the next collection).
  Status remark(const Node& n);
  [[nodiscard]] bool marked(const Node& n) const { return seen_.contains(n); }

 private:
  Status walk(const Node& n, bool flat, bool force);
  Status refs(const Node& n, bool flat, const std::function<void(Node, bool)>& emit);

  Transaction* tx_;
  const int64_t now_ns_;
  std::map<Node, bool> seen_;  // node -> reached other than flat
};

}  // namespace berth::metadata::gc

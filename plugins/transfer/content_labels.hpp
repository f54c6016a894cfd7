// The labels containerd puts on pulled content, which its garbage collector
// (and Berth's) follows from an image record down to every blob and
// snapshot it needs, and which a push reads to mount blobs across
// repositories instead of uploading them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "berth/descriptor.hpp"
#include "berth/status.hpp"

namespace berth::transfer {

inline constexpr std::string_view kUncompressedLabel = "containerd.io/uncompressed";

// containerd.io/gc.ref.content.m.<i> for an index's manifests.
std::string index_child_label(std::size_t i);
// containerd.io/gc.ref.content.config / .l.<i> for a manifest's config and layers.
std::string config_label();
std::string layer_label(std::size_t i);
// containerd.io/gc.ref.snapshot.<snapshotter> on a config: its unpacked top snapshot.
std::string snapshot_label(std::string_view snapshotter);
// containerd.io/distribution.source.<host>: the repositories a blob came from.
std::string source_label(std::string_view host);
// `repos` (a comma-separated list, maybe empty) with `repo` added: sorted,
// each once, as containerd keeps it.
std::string append_source(std::string_view repos, std::string_view repo);
// The repository of `repos` (a source label's value) to mount a blob from
// into `target`: the one sharing the most leading path components with it
// (the later one of a tie), never `target` itself; "" when `repos` names no
// other. containerd chooses the same way.
std::string mount_source(std::string_view repos, std::string_view target);

}  // namespace berth::transfer

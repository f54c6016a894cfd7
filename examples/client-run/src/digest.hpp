// SHA-256 digests in the OCI form "sha256:<hex>", for blobs fetched from a
// registry and for the chain IDs that name unpacked snapshots.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace client_run {

std::string sha256_digest(std::string_view bytes);

// The OCI image spec's ChainID of diff IDs [0..n): each layer's snapshot is
// named by it, so images sharing lower layers share their snapshots.
std::vector<std::string> chain_ids(const std::vector<std::string>& diff_ids);

}  // namespace client_run

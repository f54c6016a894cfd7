// Reading small blobs (manifests, indexes, configs) from the daemon's content
// store through the Content API, as ctr does for `images ls` and `check`.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "client.hpp"

namespace berth::cli {

// The blob `digest`, whole, into `out`; OUT_OF_RANGE (naming the blob) when
// it is longer than `limit`, so a huge "manifest" is not read into memory.
// `size` is the one its descriptor names (< 0: not known, asked with Info
// first); a blob of another length is DATA_LOSS.
grpc::Status read_blob(Client& client, std::string_view digest, int64_t size, std::size_t limit,
                       std::string& out);

// Whether the store has the blob: OK, NOT_FOUND, or the error.
grpc::Status blob_info(Client& client, std::string_view digest, int64_t* size);

}  // namespace berth::cli

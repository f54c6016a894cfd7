// Manifests, indexes and configs read whole into memory, each within its
// limit (libs/oci: 4 MiB and 20 MiB), whether from a registry or from the
// namespace's content: the size is checked against the limit before a byte
// is read.
#pragma once

#include <cstddef>
#include <string>

#include "berth/descriptor.hpp"
#include "berth/namespaced_content.hpp"
#include "berth/status.hpp"

namespace berth::transfer {

// InvalidArgument naming the document unless 0 <= desc.size <= limit.
Status check_document_size(const Descriptor& desc, std::size_t limit);

// The bytes of `desc` from the namespace's content; DataLoss when the blob
// is shorter than its descriptor says.
Result<std::string> read_document(NamespacedContent& content, const ContentScope& scope,
                                  const Descriptor& desc, std::size_t limit);

}  // namespace berth::transfer

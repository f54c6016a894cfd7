#include "documents.hpp"

#include <cstdint>

namespace berth::transfer {

Status check_document_size(const Descriptor& desc, std::size_t limit) {
  if (desc.size >= 0 && static_cast<uint64_t>(desc.size) <= limit) return {};
  return invalid_argument(desc.media_type + " " + desc.digest + " is " + std::to_string(desc.size) +
                          " bytes, more than the " + std::to_string(limit >> 20) + " MiB allowed");
}

Result<std::string> read_document(NamespacedContent& content, const ContentScope& scope,
                                  const Descriptor& desc, std::size_t limit) {
  BERTH_RETURN_IF_ERROR(check_document_size(desc, limit));
  auto reader = content.reader(scope, desc.digest);
  if (!reader.ok()) return reader.status();
  std::string out(static_cast<std::size_t>(desc.size), '\0');
  for (std::size_t at = 0; at < out.size();) {
    auto got = (*reader)->read_at(static_cast<int64_t>(at), out.data() + at, out.size() - at);
    if (!got.ok()) return got.status();
    if (*got == 0)
      return data_loss("blob " + desc.digest + " is shorter in the content store than its descriptor says");
    at += *got;
  }
  return out;
}

}  // namespace berth::transfer

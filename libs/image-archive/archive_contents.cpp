#include "archive_contents.hpp"

#include "digest/sha256.hpp"
#include "oci/oci.hpp"

namespace berth::image_archive {

SeenBlob* ArchiveContents::find(std::string_view digest) {
  auto it = by_digest.find(std::string(digest));
  return it == by_digest.end() ? nullptr : &blobs[it->second];
}

SeenBlob& ArchiveContents::add(SeenBlob seen) {
  if (SeenBlob* existing = find(seen.blob.descriptor.digest)) return *existing;
  if (seen.kept == Kept::kYes) kept_bytes += seen.json.size();
  by_digest.emplace(seen.blob.descriptor.digest, blobs.size());
  blobs.push_back(std::move(seen));
  return blobs.back();
}

Result<std::string_view> document_of(const SeenBlob& seen, const Descriptor& desc, std::size_t limit) {
  const std::string what = (desc.media_type.empty() ? std::string("document") : desc.media_type) + " " +
                           desc.digest + " (archive entry " + seen.blob.entry + ")";
  switch (seen.kept) {
    case Kept::kYes:
      return std::string_view(seen.json);
    case Kept::kNotJson:
      return std::string_view();  // the parser says it is not JSON
    case Kept::kTooLarge:
      return invalid_argument(what + " is " + std::to_string(seen.blob.descriptor.size) +
                              " bytes, more than the " + std::to_string(limit >> 20) + " MiB a " +
                              (limit == oci::kMaxConfigBytes ? "config" : "manifest or index") + " may have");
    case Kept::kOverBudget:
      break;
  }
  return Status(Code::kResourceExhausted, what + ": the archive's JSON documents exceed the " +
                                              std::to_string(kMaxKeptDocumentBytes >> 20) +
                                              " MiB an import keeps in memory");
}

Result<Descriptor> write_document(BlobSink& sink, ArchiveContents& contents, std::string bytes,
                                  std::string_view media_type) {
  auto hex = digest::sha256_hex(bytes);
  if (!hex.ok()) return hex.status();
  Descriptor desc{std::string(media_type), "sha256:" + *hex, static_cast<int64_t>(bytes.size()), {}};
  if (contents.find(desc.digest) != nullptr) return desc;
  SeenBlob seen;
  seen.blob.entry = "manifest-" + desc.digest;
  seen.blob.descriptor = desc;
  auto writer = sink.open(seen.blob.entry, desc.digest, desc.size);
  if (writer.ok()) {
    BERTH_RETURN_IF_ERROR((*writer)->write(bytes).with_context("write " + seen.blob.entry));
    Status st = (*writer)->commit(desc);
    if (!st.ok() && st.code() != Code::kAlreadyExists) return st.with_context("commit " + seen.blob.entry);
    seen.blob.written = true;
  } else if (writer.status().code() != Code::kAlreadyExists) {
    return writer.status().with_context("open " + seen.blob.entry);
  }
  seen.kept = Kept::kYes;
  seen.json = std::move(bytes);
  contents.add(std::move(seen));
  return desc;
}

}  // namespace berth::image_archive

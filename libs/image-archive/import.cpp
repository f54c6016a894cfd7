// The single pass over the archive. The tar's order is not known in advance
// (docker save and containerd's exporter put index.json or manifest.json after
// the blobs), so every file that may be a blob is streamed to the sink as it
// comes and checked against its name at once; what depends on the whole
// archive (which blobs the index reaches, the docker-archive's manifests) is
// decided after the last entry from what ArchiveContents kept.
#include "image-archive/import.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "archive_contents.hpp"
#include "digest/digest.hpp"
#include "digest/sha256.hpp"
#include "entry_path.hpp"
#include "names.hpp"
#include "oci/oci.hpp"
#include "text/text.hpp"

namespace berth::image_archive {
namespace {

constexpr std::size_t kChunkBytes = 1u << 20;
constexpr std::size_t kHeadBytes = 8;
constexpr std::string_view kLayoutFile = "oci-layout";
constexpr std::string_view kIndexFile = "index.json";
constexpr std::string_view kDockerManifestFile = "manifest.json";
constexpr std::string_view kLayoutVersion = "1.0.0";

bool is_blob_path(std::string_view path) { return path.starts_with("blobs/"); }

// Files of docker's legacy v1 layout (`repositories`, `<id>/json`,
// `<id>/VERSION`) that no manifest.json names: not written as blobs.
bool is_legacy_docker_file(std::string_view path) {
  if (path == "repositories") return true;
  const std::size_t slash = path.find('/');
  if (slash == std::string_view::npos || path.find('/', slash + 1) != std::string_view::npos) return false;
  const std::string_view base = path.substr(slash + 1);
  return base == "json" || base == "VERSION";
}

std::string_view entry_kind(mode_t type) {
  switch (type) {
    case AE_IFCHR:
      return "character device";
    case AE_IFBLK:
      return "block device";
    case AE_IFIFO:
      return "fifo";
    case AE_IFSOCK:
      return "socket";
    default:
      return "special file";
  }
}

class Importer {
 public:
  Importer(const ByteSource& source, BlobSink& sink, const ImportOptions& options)
      : source_(source), sink_(sink), options_(options), archive_(archive_read_new()), buf_(kChunkBytes) {
    // Tar in any of its dialects, plain or gzip-compressed; nothing else.
    archive_read_support_format_tar(archive_);
    archive_read_support_filter_gzip(archive_);
  }
  ~Importer() { archive_read_free(archive_); }
  Importer(const Importer&) = delete;
  Importer& operator=(const Importer&) = delete;

  Result<ImportResult> run();

 private:
  static la_ssize_t read_callback(struct archive* a, void* self, const void** out);
  Status archive_error(const std::string& what) const;
  Status read_entries();
  Status on_link(const std::string& path, Result<std::string> target);
  Status on_file(const std::string& path, struct archive_entry* entry);
  Result<std::string> read_small(const std::string& path, int64_t size, std::size_t limit);
  Status stream_blob(const std::string& path, std::string_view expected, int64_t size);
  Result<Descriptor> oci_index();

  const ByteSource& source_;
  BlobSink& sink_;
  const ImportOptions& options_;
  struct archive* archive_;
  std::vector<char> buf_;   // the source's bytes
  std::vector<char> data_;  // an entry's bytes
  Status source_error_;
  ArchiveContents contents_;
};

la_ssize_t Importer::read_callback(struct archive* a, void* self, const void** out) {
  auto* imp = static_cast<Importer*>(self);
  auto n = imp->source_(imp->buf_.data(), imp->buf_.size());
  if (!n.ok()) {
    imp->source_error_ = n.status();
    archive_set_error(a, EIO, "%s", n.status().message().c_str());
    return -1;
  }
  *out = imp->buf_.data();
  return static_cast<la_ssize_t>(*n);
}

Status Importer::archive_error(const std::string& what) const {
  if (!source_error_.ok()) return source_error_.with_context(what);
  const char* msg = archive_error_string(archive_);
  return invalid_argument(what + ": " + (msg != nullptr ? msg : "not a tar archive") +
                          " (an image archive is a tar, possibly gzip-compressed)");
}

Status Importer::read_entries() {
  if (archive_read_open(archive_, this, nullptr, &Importer::read_callback, nullptr) != ARCHIVE_OK) {
    return archive_error("open the image archive");
  }
  data_.resize(kChunkBytes);
  for (;;) {
    struct archive_entry* entry = nullptr;
    const int rc = archive_read_next_header(archive_, &entry);
    if (rc == ARCHIVE_EOF) return {};
    // ARCHIVE_WARN: a name not convertible to the locale; the bytes are right.
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return archive_error("read the image archive");
    const char* raw = archive_entry_pathname(entry);
    if (raw == nullptr) return invalid_argument("image archive entry without a name");
    auto path = clean_entry_path(raw);
    if (!path.ok()) return path.status();

    if (const char* hard = archive_entry_hardlink(entry); hard != nullptr) {
      // A hard link names another entry from the archive's root.
      auto target = clean_entry_path(hard);
      BERTH_RETURN_IF_ERROR(on_link(*path, std::move(target)));
      continue;
    }
    switch (archive_entry_filetype(entry)) {
      case AE_IFDIR:
        break;
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(entry);
        BERTH_RETURN_IF_ERROR(on_link(*path, resolve_link(*path, target != nullptr ? target : "")));
        break;
      }
      case AE_IFREG:
        BERTH_RETURN_IF_ERROR(on_file(*path, entry));
        break;
      default:
        return invalid_argument("image archive entry " + text::quote(*path) + " is a " +
                                std::string(entry_kind(archive_entry_filetype(entry))) +
                                "; an image archive holds only files, directories and links");
    }
  }
}

Status Importer::on_link(const std::string& path, Result<std::string> target) {
  // A blob or a document is read from a regular file only: a link there
  // could make one name stand for another's bytes, or point outside.
  if (is_blob_path(path) || path == kIndexFile || path == kLayoutFile || path == kDockerManifestFile) {
    return invalid_argument("image archive entry " + text::quote(path) +
                            " is a link where a blob or an index should be a regular file");
  }
  if (!target.ok()) return target.status();
  contents_.links[path] = std::move(*target);
  return {};
}

Status Importer::on_file(const std::string& path, struct archive_entry* entry) {
  if (archive_entry_size_is_set(entry) == 0) {
    return invalid_argument("image archive entry " + text::quote(path) + " has no size");
  }
  const int64_t size = archive_entry_size(entry);
  if (path == kLayoutFile) {
    auto text = read_small(path, size, oci::kMaxManifestBytes);
    if (!text.ok()) return text.status();
    contents_.oci_layout = std::move(*text);
    return {};
  }
  if (path == kDockerManifestFile) {
    auto text = read_small(path, size, oci::kMaxManifestBytes);
    if (!text.ok()) return text.status();
    contents_.docker_manifest = std::move(*text);
    return {};
  }
  if (is_legacy_docker_file(path)) return {};  // libarchive skips the data on the next header
  if (is_blob_path(path)) {
    // blobs/<algorithm>/<encoded>: the name is the digest to verify.
    const std::string_view rest = std::string_view(path).substr(6);
    const std::size_t slash = rest.find('/');
    const std::string_view alg = rest.substr(0, slash);
    const std::string_view hex =
        slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (alg != "sha256") {
      return invalid_argument(
          "image archive entry " + text::quote(path) +
          " is not a sha256 blob (blobs/sha256/<64 hex>); Berth reads sha256 digests only");
    }
    if (!digest::is_sha256_hex(hex)) {
      return invalid_argument("image archive entry " + text::quote(path) +
                              " is not named blobs/sha256/<64 lowercase hex>");
    }
    return stream_blob(path, "sha256:" + std::string(hex), size);
  }
  // index.json and a docker-archive's configs and layers: blobs whose digest
  // the archive does not state.
  return stream_blob(path, "", size);
}

Result<std::string> Importer::read_small(const std::string& path, int64_t size, std::size_t limit) {
  if (size < 0 || static_cast<uint64_t>(size) > limit) {
    return invalid_argument("image archive entry " + text::quote(path) + " is " + std::to_string(size) +
                            " bytes, more than the " + std::to_string(limit >> 20) + " MiB it may have");
  }
  std::string out;
  out.reserve(static_cast<std::size_t>(size));
  for (;;) {
    const la_ssize_t n = archive_read_data(archive_, data_.data(), data_.size());
    if (n < 0) return archive_error("read image archive entry " + text::quote(path));
    if (n == 0) break;
    out.append(data_.data(), static_cast<std::size_t>(n));
  }
  if (out.size() != static_cast<std::size_t>(size)) {
    return data_loss("image archive entry " + text::quote(path) + " ends after " +
                     std::to_string(out.size()) + " of its " + std::to_string(size) + " bytes");
  }
  return out;
}

Status Importer::stream_blob(const std::string& path, std::string_view expected, int64_t size) {
  SeenBlob seen;
  seen.blob.entry = path;
  // The size is in the header, so whether the blob can be kept as a
  // document is known before its first byte.
  if (static_cast<uint64_t>(size) > oci::kMaxConfigBytes) {
    seen.kept = Kept::kTooLarge;
  } else if (contents_.kept_bytes + static_cast<std::size_t>(size) > kMaxKeptDocumentBytes) {
    seen.kept = Kept::kOverBudget;
  } else {
    seen.kept = Kept::kYes;  // until its first non-blank byte says it is not JSON
  }
  bool decided = false;

  std::unique_ptr<BlobWriter> writer;
  if (auto opened = sink_.open(path, expected, size); opened.ok()) {
    writer = std::move(*opened);
  } else if (opened.status().code() != Code::kAlreadyExists) {
    return opened.status().with_context("open a blob for image archive entry " + text::quote(path));
  }
  auto hash = digest::Sha256::create();
  if (!hash.ok()) return hash.status();

  int64_t total = 0;
  for (;;) {
    const la_ssize_t n = archive_read_data(archive_, data_.data(), data_.size());
    if (n < 0) return archive_error("read image archive entry " + text::quote(path));
    if (n == 0) break;
    const std::string_view chunk(data_.data(), static_cast<std::size_t>(n));
    total += n;
    BERTH_RETURN_IF_ERROR(hash->update(chunk));
    if (writer) BERTH_RETURN_IF_ERROR(writer->write(chunk).with_context("write image archive entry " + path));
    if (seen.head.size() < kHeadBytes) seen.head.append(chunk.substr(0, kHeadBytes - seen.head.size()));
    if (seen.kept != Kept::kYes) continue;
    if (!decided) {
      const std::size_t first = chunk.find_first_not_of(" \t\r\n");
      if (first != std::string_view::npos) {
        decided = true;
        if (chunk[first] != '{' && chunk[first] != '[') {
          seen.kept = Kept::kNotJson;
          seen.json.clear();
          continue;
        }
      }
    }
    seen.json.append(chunk);
  }
  if (!decided && seen.kept == Kept::kYes) seen.kept = Kept::kNotJson;
  if (total != size) {
    return data_loss("image archive entry " + text::quote(path) + " ends after " + std::to_string(total) +
                     " of its " + std::to_string(size) + " bytes");
  }
  auto digest = hash->digest();
  if (!digest.ok()) return digest.status();
  if (!expected.empty() && *digest != expected) {
    // `writer` goes out of scope uncommitted: the sink aborts the ingest.
    return data_loss("image archive entry " + text::quote(path) + " holds content with digest " + *digest +
                     ", not the " + std::string(expected) + " its name claims");
  }
  seen.blob.descriptor = Descriptor{"", *digest, size, {}};
  if (writer) {
    Status st = writer->commit(seen.blob.descriptor);
    if (!st.ok() && st.code() != Code::kAlreadyExists) {
      return st.with_context("commit image archive entry " + text::quote(path));
    }
    seen.blob.written = true;
  }
  contents_.files[path] = *digest;
  if (path == kIndexFile) contents_.index_json = *digest;
  contents_.add(std::move(seen));
  return {};
}

// index.json of an OCI layout, as a descriptor to walk from.
Result<Descriptor> Importer::oci_index() {
  std::string version;
  try {
    const auto j = nlohmann::json::parse(*contents_.oci_layout);
    if (j.is_object()) version = j.value("imageLayoutVersion", "");
  } catch (const nlohmann::json::exception& e) {
    return invalid_argument(std::string("image archive entry \"oci-layout\" is not JSON: ") + e.what());
  }
  if (version != kLayoutVersion) {
    return invalid_argument("image archive's oci-layout has imageLayoutVersion " + text::quote(version) +
                            "; Berth reads OCI image layout " + std::string(kLayoutVersion));
  }
  if (!contents_.index_json)
    return invalid_argument("image archive is an OCI image layout without index.json");
  const SeenBlob* index = contents_.find(*contents_.index_json);
  return Descriptor{
      std::string(oci::kOciIndex), index->blob.descriptor.digest, index->blob.descriptor.size, {}};
}

Result<ImportResult> Importer::run() {
  BERTH_RETURN_IF_ERROR(read_entries());
  ImportResult result;
  // An archive with both (containerd's exports) is read as OCI, as containerd does.
  if (contents_.oci_layout) {
    auto index = oci_index();
    if (!index.ok()) return index.status();
    result.format = ArchiveFormat::kOciLayout;
    result.index = std::move(*index);
  } else if (contents_.docker_manifest) {
    auto index = convert_docker_archive(contents_, sink_);
    if (!index.ok()) return index.status();
    result.format = ArchiveFormat::kDockerArchive;
    result.index = std::move(*index);
  } else {
    return invalid_argument(
        "image archive is neither an OCI image layout (no oci-layout) nor a docker-archive (no "
        "manifest.json)");
  }
  BERTH_RETURN_IF_ERROR(
      verify_tree(contents_, result.index,
                  result.format == ArchiveFormat::kOciLayout ? "index.json" : "manifest.json", options_));

  // The images: every named entry of the top index, whatever its platform,
  // as containerd's Client.Import names them before it filters the walk.
  auto doc = document_of(*contents_.find(result.index.digest), result.index, oci::kMaxManifestBytes);
  if (!doc.ok()) return doc.status();
  auto index = oci::parse_index(*doc, result.index);
  if (!index.ok()) return index.status();
  for (const auto& entry : index->manifests) {
    std::string name = imported_image_name(entry.descriptor.annotations, options_);
    if (!name.empty()) result.images.push_back({std::move(name), entry.descriptor});
  }
  for (auto& seen : contents_.blobs) result.blobs.push_back(std::move(seen.blob));
  return result;
}

}  // namespace

Result<ImportResult> import_archive(const ByteSource& source, BlobSink& sink, const ImportOptions& options) {
  return Importer(source, sink, options).run();
}

}  // namespace berth::image_archive

#include "local_store.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "blob_reader.hpp"
#include "clock/clock.hpp"
#include "digest/digest.hpp"
#include "digest/sha256.hpp"
#include "files/dirs.hpp"
#include "ingest.hpp"
#include "text/text.hpp"

namespace berth::content {
namespace {

ContentInfo make_info(std::string digest, const struct stat& st) {
  ContentInfo info;
  info.digest = std::move(digest);
  info.size = st.st_size;
  // As containerd's local store: commit stamps the file's mtime, and the
  // access time stands for the last use.
  info.created_at = clock::to_ns(st.st_mtim);
  info.updated_at = clock::to_ns(st.st_atim);
  return info;
}

Status check_ref(std::string_view ref) {
  if (ref.empty()) return invalid_argument("ingest ref must not be empty");
  return {};
}

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

// Calls fn(dir_fd, name, error) for each entry of `dir` but "." and "..";
// fn returns false to stop, after setting `error` if it stops on a failure.
template <class Fn>
Status for_each_entry(const std::filesystem::path& dir, Fn&& fn) {
  DirPtr d(::opendir(dir.c_str()));
  if (!d) return errno_status("open directory " + dir.string(), errno);
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(d.get());
    if (e == nullptr) {
      if (errno != 0) return errno_status("read directory " + dir.string(), errno);
      return {};
    }
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    Status st;
    if (!fn(dirfd(d.get()), name, st)) return st;
  }
}

}  // namespace

Result<std::shared_ptr<LocalStore>> LocalStore::open(const std::filesystem::path& root) {
  Layout layout(root);
  BERTH_RETURN_IF_ERROR(files::make_dirs(layout.blobs_dir()));
  BERTH_RETURN_IF_ERROR(files::make_dirs(layout.ingest_root()));
  // Fail now, not at the first write, if OpenSSL cannot hash here.
  auto probe = digest::Sha256::create();
  if (!probe.ok()) return probe.status().with_context("open content store " + root.string());
  return std::shared_ptr<LocalStore>(new LocalStore(std::move(layout)));
}

Result<ContentInfo> LocalStore::info(std::string_view digest) {
  BERTH_RETURN_IF_ERROR(validate_digest(digest));
  const auto path = layout_.blob_path(digest);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return not_found("content " + std::string(digest) + ": not found");
    return errno_status("stat " + path.string(), errno);
  }
  return make_info(std::string(digest), st);
}

Result<std::unique_ptr<ContentReader>> LocalStore::reader(std::string_view digest) {
  BERTH_RETURN_IF_ERROR(validate_digest(digest));
  return BlobReader::open(layout_.blob_path(digest), digest);
}

Status LocalStore::remove(std::string_view digest) {
  BERTH_RETURN_IF_ERROR(validate_digest(digest));
  const auto path = layout_.blob_path(digest);
  // No directory fsync: a removal lost to a crash brings back a complete,
  // correct blob, which the metadata layer's GC removes again.
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return not_found("content " + std::string(digest) + ": not found");
    return errno_status("remove " + path.string(), errno);
  }
  return {};
}

Status LocalStore::walk(const std::function<bool(const ContentInfo&)>& fn) {
  const auto& dir = layout_.blobs_dir();
  return for_each_entry(dir, [&](int dfd, std::string_view name, Status& st) {
    if (!digest::is_sha256_hex(name)) return true;  // not a blob: a stray or temporary file
    struct stat s {};
    if (::fstatat(dfd, std::string(name).c_str(), &s, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return true;  // removed while we walked
      st = errno_status("stat " + (dir / name).string(), errno);
      return false;
    }
    if (!S_ISREG(s.st_mode)) return true;
    return fn(make_info(std::string(digest::kSha256Prefix) + std::string(name), s));
  });
}

Result<std::unique_ptr<ContentWriter>> LocalStore::writer(std::string_view ref, int64_t total,
                                                          std::string_view expected) {
  BERTH_RETURN_IF_ERROR(check_ref(ref));
  if (total < 0)
    return invalid_argument("ingest ref " + text::quote(ref) + ": negative total " + std::to_string(total));
  if (!expected.empty()) {
    BERTH_RETURN_IF_ERROR(validate_digest(expected));
    // Nothing to receive if the blob is here already (containerd does this too).
    struct stat st {};
    if (::stat(layout_.blob_path(expected).c_str(), &st) == 0)
      return already_exists("content " + std::string(expected) + ": already exists");
  }
  auto dir = layout_.ingest_dir(ref);
  if (!dir.ok()) return dir.status();
  auto lock = RefLock::acquire(locks_, std::string(ref), std::move(*dir), RefLock::Mode::kCreate);
  if (!lock.ok()) return lock.status();
  return IngestWriter::open(layout_, std::move(*lock), hashers_, staging_, behind_, total,
                            std::string(expected));
}

Result<IngestStatus> LocalStore::status(std::string_view ref) {
  BERTH_RETURN_IF_ERROR(check_ref(ref));
  auto dir = layout_.ingest_dir(ref);
  if (!dir.ok()) return dir.status();
  auto s = read_ingest_status(*dir);
  if (!s.ok()) {
    if (s.status().code() == Code::kNotFound)
      return not_found("ingest ref " + text::quote(ref) + ": not found");
    return s.status();
  }
  if (s->ref != ref) return not_found("ingest ref " + text::quote(ref) + ": not found");
  return s;
}

Result<std::unique_ptr<ContentReader>> LocalStore::ingest_reader(std::string_view ref) {
  // status() checks the ingest directory really is this ref's.
  BERTH_RETURN_IF_ERROR(status(ref).status());
  auto dir = layout_.ingest_dir(ref);
  if (!dir.ok()) return dir.status();
  return BlobReader::open_growing(*dir / kDataFile, text::quote(ref));
}

Result<std::vector<IngestStatus>> LocalStore::list_statuses() {
  std::vector<IngestStatus> out;
  const auto& root = layout_.ingest_root();
  Status st = for_each_entry(root, [&](int, std::string_view name, Status& err) {
    if (!digest::is_sha256_hex(name)) return true;  // ingest directories are named by a sha256 hex too
    auto s = read_ingest_status(root / name);
    if (s.ok()) {
      out.push_back(std::move(*s));
    } else if (s.status().code() != Code::kNotFound) {
      // Ingests being set up, committed or aborted right now are simply
      // skipped; anything else is damage worth reporting.
      err = s.status();
      return false;
    }
    return true;
  });
  if (!st.ok()) return st;
  return out;
}

Status LocalStore::abort(std::string_view ref) {
  BERTH_RETURN_IF_ERROR(check_ref(ref));
  auto dir = layout_.ingest_dir(ref);
  if (!dir.ok()) return dir.status();
  // Abort takes the ref like a writer would, so it never pulls an ingest out
  // from under an open writer (Unavailable then) or from another process.
  auto lock = RefLock::acquire(locks_, std::string(ref), std::move(*dir), RefLock::Mode::kExisting);
  if (!lock.ok()) return lock.status();
  return files::remove_tree(lock->dir());
}

}  // namespace berth::content

#include "ingest.hpp"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "berth/log.hpp"
#include "clock/clock.hpp"
#include "files/atomic_file.hpp"
#include "files/dirs.hpp"
#include "files/fd_io.hpp"
#include "text/text.hpp"

namespace berth::content {
namespace {

// Writes at least this large are hashed on the worker thread while they are
// written; below it, handing over costs more than it saves.
constexpr std::size_t kParallelHashMin = 128 * 1024;
// Writes at least this large go around the page cache (see staging_pool.hpp).
constexpr std::size_t kDirectMin = 256 * 1024;
// The most one queued O_DIRECT write carries: a berth message. The disk
// here writes 4 MiB at a time about a fifth faster than 1 MiB, and the
// write-behind thread joins consecutive ones.
constexpr std::size_t kDirectWriteMax = 4 * StagingBuffer::kBytes;
// How long a writer waits at a time for its queued work to give buffers back.
constexpr std::chrono::milliseconds kBufferWait(20);
// How much written data to gather before asking the kernel to start writing
// it back (see start_writeback).
constexpr int64_t kWritebackChunk = 8 * 1024 * 1024;
// The buffer for re-reading data on resume and truncate.
constexpr std::size_t kRehashChunk = 1024 * 1024;

Result<int64_t> parse_count(const std::filesystem::path& path, std::string_view recorded) {
  const auto value = text::parse_int(recorded);
  if (!value || *value < 0)
    return data_loss("ingest file " + path.string() + " holds " + text::quote(recorded, 40) +
                     ", not a non-negative integer");
  return *value;
}

// An integer file of the ingest; `missing` when it is absent.
Result<int64_t> read_int_file(const std::filesystem::path& path, std::optional<int64_t> missing) {
  auto recorded = files::read_file(path);
  if (!recorded.ok()) {
    if (recorded.status().code() == Code::kNotFound && missing) return *missing;
    return recorded.status();
  }
  return parse_count(path, *recorded);
}

Status write_int_file(const std::filesystem::path& path, int64_t value) {
  return files::replace_file(path, std::to_string(value), files::Durability::kAtomicOnly);
}

// Atomically moves `from` to `to` unless `to` exists: EEXIST then. Two ingests
// of one blob may finish at once (in two processes, say); the second must get
// AlreadyExists rather than silently replace the first's file.
int rename_no_replace(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return errno;
  // A filesystem without RENAME_NOREPLACE: check, then rename. Losing that
  // race replaces a blob with identical bytes, which readers cannot notice.
  struct stat st {};
  if (::stat(to.c_str(), &st) == 0) return EEXIST;
  if (::rename(from.c_str(), to.c_str()) != 0) return errno;
  return 0;
}

// The `n` bytes of `pieces` from byte `from` on, as pieces.
std::vector<std::string_view> slice_pieces(std::span<const std::string_view> pieces, std::size_t from,
                                           std::size_t n) {
  std::vector<std::string_view> out;
  for (std::string_view p : pieces) {
    if (n == 0) break;
    if (from >= p.size()) {
      from -= p.size();
      continue;
    }
    const std::string_view part = p.substr(from, n);
    out.push_back(part);
    n -= part.size();
    from = 0;
  }
  return out;
}

// Copies the `n` bytes of `pieces` from byte `from` on to `to`.
void copy_pieces(std::span<const std::string_view> pieces, std::size_t from, std::size_t n, char* to) {
  for (std::string_view part : slice_pieces(pieces, from, n)) {
    std::memcpy(to, part.data(), part.size());
    to += part.size();
  }
}

}  // namespace

Result<IngestStatus> read_ingest_status(const std::filesystem::path& dir) {
  const auto data = dir / kDataFile;
  struct stat st {};
  if (::stat(data.c_str(), &st) != 0) return errno_status("stat " + data.string(), errno);
  auto ref = files::read_file(dir / kRefFile);
  if (!ref.ok()) return ref.status();
  auto started = read_int_file(dir / kStartedAtFile, std::nullopt);
  if (!started.ok()) return started.status();
  auto updated = read_int_file(dir / kUpdatedAtFile, std::nullopt);
  if (!updated.ok()) return updated.status();
  auto total = read_int_file(dir / kTotalFile, 0);
  if (!total.ok()) return total.status();
  auto expected = files::read_file(dir / kExpectedFile);
  if (!expected.ok() && expected.status().code() != Code::kNotFound) return expected.status();

  IngestStatus s;
  s.ref = std::move(*ref);
  s.offset = st.st_size;
  s.total = *total;
  s.expected = expected.ok() ? std::move(*expected) : std::string();
  s.started_at = *started;
  // updatedat is written when a writer closes, not on every write (that would
  // be a second file write per chunk); the data file's mtime covers the rest.
  s.updated_at = std::max<TimestampNs>(*updated, clock::to_ns(st.st_mtim));
  return s;
}

IngestWriter::IngestWriter(Layout layout, RefLock lock, std::shared_ptr<HashPool> hashers,
                           std::shared_ptr<StagingPool> staging, std::shared_ptr<WriteBehindPool> behind,
                           digest::Sha256 hash, digest::Sha256 snapshot)
    : layout_(std::move(layout)),
      lock_(std::move(lock)),
      dir_(lock_.dir()),
      data_path_(dir_ / kDataFile),
      hash_(std::move(hash)),
      snapshot_(std::move(snapshot)),
      hashers_(std::move(hashers)),
      staging_(std::move(staging)),
      behind_pool_(std::move(behind)) {}

Result<std::unique_ptr<ContentWriter>> IngestWriter::open(Layout layout, RefLock lock,
                                                          std::shared_ptr<HashPool> hashers,
                                                          std::shared_ptr<StagingPool> staging,
                                                          std::shared_ptr<WriteBehindPool> behind,
                                                          int64_t total, std::string expected) {
  auto hash = digest::Sha256::create();
  if (!hash.ok()) return hash.status();
  auto snapshot = digest::Sha256::create();
  if (!snapshot.ok()) return snapshot.status();
  std::unique_ptr<IngestWriter> w(new IngestWriter(std::move(layout), std::move(lock), std::move(hashers),
                                                   std::move(staging), std::move(behind), std::move(*hash),
                                                   std::move(*snapshot)));

  auto recorded = read_ingest_status(w->dir_);
  Status st;
  if (recorded.ok()) {
    st = w->resume(*recorded, total, std::move(expected));
  } else if (recorded.status().code() == Code::kNotFound) {
    st = w->start(total, std::move(expected));
  } else {
    st = recorded.status().with_context("resume ingest ref " + text::quote(w->lock_.ref()));
  }
  if (!st.ok()) {
    // Leave the ingest exactly as found: a writer that never opened must not
    // record a close.
    w->closed_ = true;
    return st;
  }
  return std::unique_ptr<ContentWriter>(std::move(w));
}

Status IngestWriter::start(int64_t total, std::string expected) {
  // `ref` is written last and read_ingest_status needs it, so an ingest whose
  // setup is cut short reads as absent and is set up afresh here next time.
  // Drop it first in case this is such a retry over a damaged ingest.
  if (::unlink((dir_ / kRefFile).c_str()) != 0 && errno != ENOENT)
    return errno_status("remove " + (dir_ / kRefFile).string(), errno);
  auto fd = files::open_file(data_path_, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (!fd.ok()) return fd.status();
  data_ = std::move(*fd);
  started_at_ = updated_at_ = clock::now_ns();
  total_ = total;
  expected_ = std::move(expected);
  BERTH_RETURN_IF_ERROR(write_int_file(dir_ / kStartedAtFile, started_at_));
  BERTH_RETURN_IF_ERROR(write_int_file(dir_ / kUpdatedAtFile, updated_at_));
  if (total_ > 0) {
    BERTH_RETURN_IF_ERROR(write_int_file(dir_ / kTotalFile, total_));
  } else if (::unlink((dir_ / kTotalFile).c_str()) != 0 && errno != ENOENT) {
    return errno_status("remove " + (dir_ / kTotalFile).string(), errno);
  }
  if (!expected_.empty()) {
    BERTH_RETURN_IF_ERROR(
        files::replace_file(dir_ / kExpectedFile, expected_, files::Durability::kAtomicOnly));
  } else if (::unlink((dir_ / kExpectedFile).c_str()) != 0 && errno != ENOENT) {
    return errno_status("remove " + (dir_ / kExpectedFile).string(), errno);
  }
  return files::replace_file(dir_ / kRefFile, lock_.ref(), files::Durability::kAtomicOnly);
}

Status IngestWriter::resume(const IngestStatus& recorded, int64_t total, std::string expected) {
  const std::string& ref = lock_.ref();
  if (recorded.ref != ref)
    return data_loss("ingest directory " + dir_.string() + " holds ref " + text::quote(recorded.ref) +
                     ", not " + text::quote(ref));
  if (total > 0 && recorded.total > 0 && total != recorded.total)
    return failed_precondition("resume ingest ref " + text::quote(ref) + ": total " + std::to_string(total) +
                               " differs from the " + std::to_string(recorded.total) +
                               " it was started with");
  if (!expected.empty() && !recorded.expected.empty() && expected != recorded.expected)
    return failed_precondition("resume ingest ref " + text::quote(ref) + ": expected digest " + expected +
                               " differs from the " + recorded.expected + " it was started with");
  auto fd = files::open_file(data_path_, O_RDWR);
  if (!fd.ok() && fd.status().code() == Code::kPermissionDenied) {
    // A commit killed between making the data read-only and renaming it.
    if (::chmod(data_path_.c_str(), 0644) != 0) return errno_status("chmod " + data_path_.string(), errno);
    fd = files::open_file(data_path_, O_RDWR);
  }
  if (!fd.ok()) return fd.status();
  data_ = std::move(*fd);
  auto st_or = files::stat_fd(data_.get(), data_path_);
  if (!st_or.ok()) return st_or.status();
  const struct stat& st = *st_or;
  offset_ = writeback_from_ = st.st_size;
  total_ = total > 0 ? total : recorded.total;
  expected_ = !expected.empty() ? std::move(expected) : recorded.expected;
  started_at_ = recorded.started_at;
  updated_at_ = recorded.updated_at;
  // The digest state cannot be saved portably (OpenSSL has no export of a
  // running SHA-256), so resuming re-reads the data received so far: a read
  // of `offset` bytes, mostly from the page cache, once per resume.
  BERTH_RETURN_IF_ERROR(rehash(offset_));
  // A total or digest announced only now is recorded for later writers, once
  // nothing else can fail.
  if (total_ != recorded.total) BERTH_RETURN_IF_ERROR(write_int_file(dir_ / kTotalFile, total_));
  if (expected_ != recorded.expected)
    return files::replace_file(dir_ / kExpectedFile, expected_, files::Durability::kAtomicOnly);
  return {};
}

IngestWriter::~IngestWriter() {
  if (hasher_ || behind_) {
    if (const Status settled = settle(); !settled.ok())
      log::warn("close ingest ref {}: {}", text::quote(lock_.ref()), settled.to_string());
  }
  // The last writer to let go of its staging buffers frees the surplus.
  if (staging_) staging_->shrink_idle(kStagingKept);
  if (closed_) return;
  // Keep the ingest for a later writer. No fsync: a resumed writer re-hashes
  // whatever the disk holds, so a machine crash can only cost progress, never
  // correctness, and commit syncs before anything becomes visible.
  const Status st = write_int_file(dir_ / kUpdatedAtFile, updated_at_);
  if (!st.ok()) log::warn("close ingest ref {}: {}", text::quote(lock_.ref()), st.to_string());
}

Status IngestWriter::usable() const {
  if (closed_) return failed_precondition("ingest ref " + text::quote(lock_.ref()) + ": writer is closed");
  return broken_;
}

Result<IngestStatus> IngestWriter::status() {
  BERTH_RETURN_IF_ERROR(usable());
  IngestStatus s;
  s.ref = lock_.ref();
  s.offset = offset_;
  s.total = total_;
  s.expected = expected_;
  s.started_at = started_at_;
  s.updated_at = updated_at_;
  return s;
}

// A pull writes through write() and its unpacker reads the ingest back while
// it downloads: that data had better stay in the page cache. Content.Write's
// data comes through write_pieces() and is not read back until after the
// commit, if at all: it may go around the page cache (see staging_pool.hpp).
Status IngestWriter::write(std::string_view data) { return append({&data, 1}, false); }

Status IngestWriter::write_pieces(std::span<const std::string_view> pieces) { return append(pieces, true); }

Status IngestWriter::append(std::span<const std::string_view> pieces, bool may_bypass_cache) {
  BERTH_RETURN_IF_ERROR(usable());
  std::size_t size = 0;
  for (std::string_view piece : pieces) size += piece.size();
  if (size == 0) return {};
  if (may_bypass_cache && size >= kDirectMin && hold_workers()) return append_behind(pieces, size);
  // Work queued by earlier writes lands first: a failure among it is this
  // write's failure, and the hash must take these bytes after those.
  BERTH_RETURN_IF_ERROR(settle());
  return append_inline(pieces, size, may_bypass_cache);
}

Status IngestWriter::append_inline(std::span<const std::string_view> pieces, std::size_t size,
                                   bool may_bypass_cache) {
  // The caller's buffers go straight to pwritev (the kernel's copy into the
  // page cache is the only one) and are hashed as they arrive, so commit
  // never reads the data back.
  std::size_t written = 0;
  Status st;
  Status hashed;
  // Hashes the first `n` bytes of `pieces` into hash_.
  auto hash_prefix = [&](std::size_t n) {
    Status h;
    for (std::string_view part : slice_pieces(pieces, 0, n)) {
      h = hash_.update(part);
      if (!h.ok()) break;
    }
    return h;
  };
  std::optional<HashPool::Lease> worker;
  if (size >= kParallelHashMin && hashers_) worker = hashers_->try_acquire();
  if (worker) {
    hashed = snapshot_.copy_from(hash_);
    if (hashed.ok()) {
      (*worker)->submit(hash_, pieces);
      st = store(pieces, size, may_bypass_cache, &written);
      hashed = (*worker)->wait();
      // The worker hashed all of `pieces`; if only part reached the file, hash
      // that part again from the state before, so the digest always covers
      // exactly the bytes on disk.
      if (hashed.ok() && written < size) {
        hashed = hash_.copy_from(snapshot_);
        if (hashed.ok()) hashed = hash_prefix(written);
      }
    }
  } else {
    st = store(pieces, size, may_bypass_cache, &written);
    hashed = hash_prefix(written);
  }
  offset_ += static_cast<int64_t>(written);
  if (written > 0) updated_at_ = clock::now_ns();
  if (!hashed.ok()) {
    broken_ = hashed.with_context("ingest ref " + text::quote(lock_.ref()) +
                                  ": digest lost; close and reopen the writer to resume");
    return broken_;
  }
  start_writeback();
  return st;
}

Status IngestWriter::append_behind(std::span<const std::string_view> pieces, std::size_t size) {
  constexpr std::size_t kAlign = StagingBuffer::kAlign;
  // Work queued earlier that failed fails this write, not only the commit.
  if ((*hasher_)->failed() || (*behind_)->failed()) return settle();
  std::size_t done = 0;
  while (done < size) {
    const int64_t at = offset_;
    const std::size_t left = size - done;
    const auto misaligned = static_cast<std::size_t>(at % static_cast<int64_t>(kAlign));
    std::shared_ptr<StagedChunk> chunk;
    if (misaligned == 0 && left >= kAlign && hold_workers())
      chunk = stage(pieces, done, std::min(left - left % kAlign, kDirectWriteMax));
    if (!chunk) {
      // A head up to the next aligned offset, a tail shorter than a block,
      // or no buffer or thread to be had: the rest of it here and now.
      const std::size_t n = misaligned != 0 ? std::min(left, kAlign - misaligned) : left;
      BERTH_RETURN_IF_ERROR(settle());
      BERTH_RETURN_IF_ERROR(append_inline(slice_pieces(pieces, done, n), n, true));
      done += n;
      continue;
    }
    // The copy is the caller's to answer with: hashing and writing it go on
    // behind, and either failing breaks the writer at its next step.
    (*hasher_)->submit(hash_, chunk->pieces(), chunk);
    (*behind_)->submit(WriteBehind::Write{direct_.get(), data_.get(), at, chunk, data_path_});
    offset_ += static_cast<int64_t>(chunk->size);
    done += chunk->size;
  }
  updated_at_ = clock::now_ns();
  return {};
}

bool IngestWriter::hold_workers() {
  if (!staging_ || !hashers_ || !behind_pool_ || direct_refused_) return false;
  if (!direct_) {
    auto fd = files::open_file(data_path_, O_WRONLY | O_DIRECT);
    if (!fd.ok()) {
      direct_refused_ = true;  // tmpfs, say
      return false;
    }
    direct_ = std::move(*fd);
  }
  if (!hasher_) hasher_ = hashers_->try_acquire();
  if (!behind_) behind_ = behind_pool_->try_acquire();
  if (hasher_ && behind_) return true;
  // Half a pair is no use; nothing is queued on it yet.
  hasher_.reset();
  behind_.reset();
  return false;
}

std::shared_ptr<StagedChunk> IngestWriter::stage(std::span<const std::string_view> pieces, std::size_t from,
                                                 std::size_t size) {
  auto chunk = std::make_shared<StagedChunk>();
  const std::size_t want = (size + StagingBuffer::kBytes - 1) / StagingBuffer::kBytes;
  while (chunk->buffers.size() < want) {
    // Wait only while this writer has work queued, whose buffers will come
    // back; otherwise take what is free now (another writer may hold the
    // rest for as long as its client pleases).
    const bool ours_coming = (*hasher_)->pending() > 0 || (*behind_)->pending() > 0;
    auto buffer = chunk->buffers.empty() && ours_coming ? staging_->acquire_within(kBufferWait)
                                                        : staging_->try_acquire();
    if (!buffer) {
      if (chunk->buffers.empty() && ours_coming) continue;
      break;
    }
    chunk->buffers.push_back(std::move(*buffer));
  }
  if (chunk->buffers.empty()) return nullptr;
  chunk->size = std::min(size, chunk->buffers.size() * StagingBuffer::kBytes);
  for (std::size_t i = 0; i * StagingBuffer::kBytes < chunk->size; ++i) {
    const std::size_t at = i * StagingBuffer::kBytes;
    copy_pieces(pieces, from + at, std::min(StagingBuffer::kBytes, chunk->size - at),
                chunk->buffers[i]->data());
  }
  return chunk;
}

Status IngestWriter::settle() {
  Status hashed;
  WriteBehind::Outcome out;
  if (hasher_) hashed = (*hasher_)->wait();
  if (behind_) out = (*behind_)->drain();
  hasher_.reset();
  behind_.reset();
  direct_refused_ = direct_refused_ || out.direct_refused;
  const std::string what = "ingest ref " + text::quote(lock_.ref());
  if (!out.status.ok()) {
    broken_ = out.status.with_context(what +
                                      ": a write queued earlier failed; close and reopen the writer to "
                                      "resume from what reached the file");
  } else if (!hashed.ok()) {
    broken_ = hashed.with_context(what + ": digest lost; close and reopen the writer to resume");
  }
  return broken_;
}

Status IngestWriter::store(std::span<const std::string_view> pieces, std::size_t size, bool may_bypass_cache,
                           std::size_t* written) {
  if (may_bypass_cache && size >= kDirectMin && staging_ && !direct_refused_) {
    if (auto buffer = staging_->try_acquire()) {
      if (!direct_) {
        auto fd = files::open_file(data_path_, O_WRONLY | O_DIRECT);
        if (fd.ok()) {
          direct_ = std::move(*fd);
        } else {
          direct_refused_ = true;
        }
      }
      if (direct_) {
        auto stage = std::make_shared<StagedChunk>();
        stage->buffers.push_back(std::move(*buffer));
        return store_direct(pieces, size, stage, written);
      }
    }
  }
  return files::pwritev_all(data_.get(), pieces, offset_, data_path_, written);
}

Status IngestWriter::store_direct(std::span<const std::string_view> pieces, std::size_t size,
                                  const std::shared_ptr<StagedChunk>& stage, std::size_t* written) {
  constexpr std::size_t kAlign = StagingBuffer::kAlign;
  std::size_t done = 0;
  Status st;
  while (done < size && st.ok()) {
    const int64_t at = offset_ + static_cast<int64_t>(done);
    const std::size_t left = size - done;
    const auto misaligned = static_cast<std::size_t>(at % static_cast<int64_t>(kAlign));
    if (misaligned != 0 || left < kAlign || direct_refused_) {
      // Up to the next aligned offset, a tail shorter than a block, or all of
      // it once O_DIRECT was refused: through the page cache.
      const std::size_t n = direct_refused_ || misaligned == 0 ? left : std::min(left, kAlign - misaligned);
      std::size_t w = 0;
      st = files::pwritev_all(data_.get(), slice_pieces(pieces, done, n), at, data_path_, &w);
      done += w;
      continue;
    }
    // The one buffer, refilled each time: nothing else holds it meanwhile.
    stage->size = std::min(StagingBuffer::kBytes, left - left % kAlign);
    copy_pieces(pieces, done, stage->size, stage->buffers.front()->data());
    const WriteBehind::Write write{direct_.get(), data_.get(), at, stage, data_path_};
    WriteBehind::Outcome out = WriteBehind::write_now({&write, 1}, false);
    direct_refused_ = direct_refused_ || out.direct_refused;
    done += out.written;
    st = std::move(out.status);
  }
  *written = done;
  return st;
}

void IngestWriter::start_writeback() {
  // Left alone, the kernel keeps a large ingest's pages dirty and commit's
  // fsync then writes them all while the client waits. Starting writeback as
  // data arrives overlaps the disk with receiving and hashing, so the final
  // fsync finds little left. Only a hint: real I/O errors surface at fsync.
  if (offset_ - writeback_from_ < kWritebackChunk) return;
  (void)::sync_file_range(data_.get(), writeback_from_, offset_ - writeback_from_, SYNC_FILE_RANGE_WRITE);
  writeback_from_ = offset_;
}

Status IngestWriter::rehash(int64_t size) {
  BERTH_RETURN_IF_ERROR(hash_.reset());
  if (size == 0) return {};
  std::unique_ptr<char[]> buf(new char[kRehashChunk]);
  for (int64_t pos = 0; pos < size;) {
    const auto want = static_cast<std::size_t>(std::min<int64_t>(size - pos, kRehashChunk));
    auto n = files::pread_full(data_.get(), buf.get(), want, pos, data_path_);
    if (!n.ok()) return n.status();
    if (*n < want)
      return data_loss("re-read " + data_path_.string() + ": ends at " + std::to_string(pos + *n) +
                       ", expected " + std::to_string(size) + " bytes");
    BERTH_RETURN_IF_ERROR(hash_.update(buf.get(), *n));
    pos += static_cast<int64_t>(*n);
  }
  return {};
}

Status IngestWriter::truncate(int64_t size) {
  BERTH_RETURN_IF_ERROR(usable());
  BERTH_RETURN_IF_ERROR(settle());
  if (size < 0 || size > offset_)
    return invalid_argument("truncate ingest ref " + text::quote(lock_.ref()) + " to " +
                            std::to_string(size) + ": it holds " + std::to_string(offset_) + " bytes");
  if (::ftruncate(data_.get(), size) != 0) return errno_status("truncate " + data_path_.string(), errno);
  offset_ = size;
  writeback_from_ = std::min(writeback_from_, size);
  updated_at_ = clock::now_ns();
  // Cutting back means hashing the kept prefix again: a read of `size` bytes.
  Status st = rehash(size);
  if (!st.ok()) {
    broken_ = st.with_context("ingest ref " + text::quote(lock_.ref()) +
                              ": digest lost; close and reopen the writer to resume");
  }
  return st;
}

Result<std::string> IngestWriter::commit(int64_t size, std::string_view expected) {
  BERTH_RETURN_IF_ERROR(usable());
  BERTH_RETURN_IF_ERROR(settle());
  if (!expected.empty()) BERTH_RETURN_IF_ERROR(validate_digest(expected));
  const std::string what = "commit ingest ref " + text::quote(lock_.ref());

  auto st_or = files::stat_fd(data_.get(), data_path_);
  if (!st_or.ok()) return st_or.status();
  const struct stat& st = *st_or;
  if (st.st_size != offset_)
    return data_loss(what + ": " + data_path_.string() + " holds " + std::to_string(st.st_size) +
                     " bytes, but this writer wrote " + std::to_string(offset_));
  // The checks come before any sync, so a refused commit costs nothing and
  // leaves the ingest as it was: the client may truncate, write more and
  // commit again, or abort. (containerd also keeps the data on a mismatch.)
  if (size > 0 && size != offset_)
    return failed_precondition(what + ": unexpected size " + std::to_string(offset_) + ", expected " +
                               std::to_string(size));
  if (total_ > 0 && total_ != offset_)
    return failed_precondition(what + ": unexpected size " + std::to_string(offset_) + ", expected " +
                               std::to_string(total_) + " (the total given when the ingest started)");
  auto digest = hash_.digest();
  if (!digest.ok()) return digest.status().with_context(what);
  if (!expected.empty() && expected != *digest)
    return failed_precondition(what + ": unexpected digest " + *digest + ", expected " +
                               std::string(expected));
  if (!expected_.empty() && expected_ != *digest)
    return failed_precondition(what + ": unexpected digest " + *digest + ", expected " + expected_ +
                               " (the digest given when the ingest started)");

  const std::filesystem::path target = layout_.blob_path(*digest);
  auto exists = [&] {
    finish();
    return already_exists("content " + *digest + ": already exists");
  };
  struct stat present {};
  if (::stat(target.c_str(), &present) == 0) return exists();

  // Durable before visible: the bytes, the read-only mode and the commit time
  // (a blob's created_at, as containerd sets it) reach the disk first, then one
  // rename publishes the whole blob, then the directory is synced so the
  // rename itself survives a crash.
  auto undo_mode = [&] { (void)::fchmod(data_.get(), 0644); };
  if (::fchmod(data_.get(), 0444) != 0) return errno_status(what + ": chmod " + data_path_.string(), errno);
  if (::futimens(data_.get(), nullptr) != 0) {
    const int err = errno;
    undo_mode();
    return errno_status(what + ": set times of " + data_path_.string(), err);
  }
  if (::fsync(data_.get()) != 0) {
    const int err = errno;
    undo_mode();
    return errno_status(what + ": fsync " + data_path_.string(), err);
  }
  if (const int err = rename_no_replace(data_path_, target); err != 0) {
    if (err == EEXIST) return exists();
    undo_mode();
    return errno_status(what + ": rename " + data_path_.string() + " to " + target.string(), err);
  }
  // The blob is visible and complete from here on; whatever happens next, the
  // ingest is over.
  Status synced = files::fsync_dir(layout_.blobs_dir());
  finish();
  if (!synced.ok())
    return synced.with_context(what + " (the blob is in place but may not survive a machine crash)");
  return std::move(*digest);
}

std::string IngestWriter::digest() {
  if (!settle().ok()) return {};
  auto d = hash_.digest();
  return d.ok() ? std::move(*d) : std::string();
}

void IngestWriter::finish() {
  closed_ = true;
  data_.reset();
  // Remove the directory while still holding its flock (see RefLock), then let go.
  const Status st = files::remove_tree(dir_);
  if (!st.ok()) log::warn("finish ingest ref {}: {}", text::quote(lock_.ref()), st.to_string());
  lock_.release();
}

}  // namespace berth::content

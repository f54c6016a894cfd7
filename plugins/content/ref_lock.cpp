#include "ref_lock.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "files/fd_io.hpp"
#include "text/text.hpp"

namespace berth::content {
namespace {

Status locked(const std::string& ref) { return unavailable("ref " + text::quote(ref) + " locked"); }

}  // namespace

bool RefLockTable::try_acquire(const std::string& ref) {
  std::lock_guard lock(mu_);
  return held_.insert(ref).second;
}

void RefLockTable::release(const std::string& ref) {
  std::lock_guard lock(mu_);
  held_.erase(ref);
}

Result<RefLock> RefLock::acquire(std::shared_ptr<RefLockTable> table, std::string ref,
                                 std::filesystem::path dir, Mode mode) {
  if (!table->try_acquire(ref)) return locked(ref);
  // From here the table entry is ours; RefLock's destructor gives it back on
  // every return below.
  RefLock lock(std::move(table), std::move(ref), std::move(dir), UniqueFd());

  // A holder that commits or aborts removes the directory before it lets go
  // of the flock, so we may lock a directory that is no longer in the tree.
  // Then the path names a new directory (or none): look again. Each round
  // means another process finished an ingest on this ref under our feet; a
  // handful of rounds is plenty.
  for (int attempt = 0; attempt < 8; ++attempt) {
    if (mode == Mode::kCreate && ::mkdir(lock.dir_.c_str(), 0755) != 0 && errno != EEXIST)
      return errno_status("create ingest directory " + lock.dir_.string(), errno);
    auto fd = files::open_file(lock.dir_, O_RDONLY | O_DIRECTORY);
    if (!fd.ok()) {
      if (fd.status().code() == Code::kNotFound && mode == Mode::kCreate) continue;
      if (fd.status().code() == Code::kNotFound)
        return not_found("ingest ref " + text::quote(lock.ref_) + ": not found");
      return fd.status();
    }
    int rc;
    do {
      rc = ::flock(fd->get(), LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      if (errno == EWOULDBLOCK) return locked(lock.ref_);
      return errno_status("lock ingest directory " + lock.dir_.string(), errno);
    }
    struct stat held {};
    struct stat now {};
    auto held_or = files::stat_fd(fd->get(), lock.dir_);
    if (!held_or.ok()) return held_or.status();
    held = *held_or;
    if (::stat(lock.dir_.c_str(), &now) == 0 && now.st_dev == held.st_dev && now.st_ino == held.st_ino) {
      lock.dir_fd_ = std::move(*fd);
      return lock;
    }
    if (mode == Mode::kExisting) return not_found("ingest ref " + text::quote(lock.ref_) + ": not found");
  }
  return unavailable("ref " + text::quote(lock.ref_) + ": ingest directory " + lock.dir_.string() +
                     " keeps being replaced by another process");
}

RefLock& RefLock::operator=(RefLock&& other) noexcept {
  if (this != &other) {
    release();
    table_ = std::move(other.table_);
    ref_ = std::move(other.ref_);
    dir_ = std::move(other.dir_);
    dir_fd_ = std::move(other.dir_fd_);
  }
  return *this;
}

RefLock::~RefLock() { release(); }

void RefLock::release() {
  // The flock first: once the table entry is gone another thread may try it.
  dir_fd_.reset();
  if (table_) {
    table_->release(ref_);
    table_.reset();
  }
}

}  // namespace berth::content

// Exclusive ownership of one ingest ref.
//
// Two locks, because each covers what the other cannot: the in-process table
// gives threads of this daemon an immediate, clear answer without touching
// the disk, and a flock on the ingest directory keeps a second process (or a
// second store opened on the same root) from writing the same ingest. The
// kernel drops the flock when its holder dies, so a daemon killed with -9
// leaves no stale lock behind.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "berth/status.hpp"
#include "berth/unique_fd.hpp"

namespace berth::content {

class RefLockTable {
 public:
  bool try_acquire(const std::string& ref);
  void release(const std::string& ref);

 private:
  std::mutex mu_;
  std::set<std::string, std::less<>> held_;
};

class RefLock {
 public:
  enum class Mode {
    kCreate,    // make the ingest directory if it is missing (a writer)
    kExisting,  // NotFound if it is missing (abort)
  };

  // Unavailable `ref "x" locked` while another writer holds it.
  static Result<RefLock> acquire(std::shared_ptr<RefLockTable> table, std::string ref,
                                 std::filesystem::path dir, Mode mode);

  RefLock(RefLock&& other) noexcept = default;
  RefLock& operator=(RefLock&& other) noexcept;
  RefLock(const RefLock&) = delete;
  RefLock& operator=(const RefLock&) = delete;
  ~RefLock();

  [[nodiscard]] const std::string& ref() const { return ref_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  // Drops both locks now (the destructor does it too).
  void release();

 private:
  RefLock(std::shared_ptr<RefLockTable> table, std::string ref, std::filesystem::path dir, UniqueFd dir_fd)
      : table_(std::move(table)), ref_(std::move(ref)), dir_(std::move(dir)), dir_fd_(std::move(dir_fd)) {}

  std::shared_ptr<RefLockTable> table_;
  std::string ref_;
  std::filesystem::path dir_;
  UniqueFd dir_fd_;  // holds the flock
};

}  // namespace berth::content

// The task's stdout and stderr: two FIFOs in a private directory that the
// daemon's shim opens for writing, and a thread each copying what arrives to
// this process's stdout and stderr. The container gets no stdin (it reads
// EOF from /dev/null, as `ctr run` without -i does).
//
// Opened read-only and non-blocking before the task exists, so neither side
// waits for the other; a FIFO reports hang-up only once a writer has come and
// gone, which is how a copier knows the shim is done with it.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "result.hpp"

namespace client_run {

class StdioFifos {
 public:
  // Makes `parent`/<id>-XXXXXX holding `stdout` and `stderr`.
  static Result<std::unique_ptr<StdioFifos>> create(const std::string& parent, const std::string& id);
  StdioFifos(const StdioFifos&) = delete;
  StdioFifos& operator=(const StdioFifos&) = delete;
  // Stops the copiers (after a last drain), closes and removes everything.
  ~StdioFifos();

  [[nodiscard]] const std::string& dir() const { return dir_; }
  [[nodiscard]] std::string stdout_path() const { return dir_ + "/stdout"; }
  [[nodiscard]] std::string stderr_path() const { return dir_ + "/stderr"; }

  // Gives the copiers up to `grace` to see the writers close, so all the
  // output is printed, then stops them.
  void finish(std::chrono::milliseconds grace);

 private:
  StdioFifos() = default;
  void copy(int fifo, int out);

  std::string dir_;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  int stop_read_ = -1;
  int stop_write_ = -1;
  std::atomic<int> running_{0};
  std::thread stdout_copier_;
  std::thread stderr_copier_;
};

}  // namespace client_run

// A task's stdio as the client sees it: FIFOs under /run/berth/fifo/<random>/,
// made as ctr's cio makes them under /run/containerd/fifo, and the threads
// that copy between them and this process's stdin, stdout and stderr.
#pragma once

#include <termios.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "berth/status.hpp"
#include "berth/unique_fd.hpp"

namespace berth::cli {

inline constexpr std::string_view kFifoRoot = "/run/berth/fifo";

struct FifoPaths {
  std::string stdin_path;  // "" when the process has no stdin
  std::string stdout_path;
  std::string stderr_path;  // "" with a terminal: the pty carries both
};

// The FIFOs of one process, in a fresh directory of their own; the
// directory goes when the object dies unless keep() was called (a detached
// task: `tasks attach` reopens them and `tasks rm` removes them).
class FifoSet {
 public:
  // <root>/<random>/<name>-stdin, -stdout and (without a terminal) -stderr.
  static Result<FifoSet> create(std::string_view name, bool terminal,
                                const std::filesystem::path& root = std::filesystem::path(kFifoRoot));
  FifoSet(FifoSet&& other) noexcept;
  FifoSet& operator=(FifoSet&&) = delete;
  FifoSet(const FifoSet&) = delete;
  FifoSet& operator=(const FifoSet&) = delete;
  ~FifoSet();

  [[nodiscard]] const FifoPaths& paths() const { return paths_; }
  void keep() { dir_.clear(); }

 private:
  FifoSet(std::filesystem::path dir, FifoPaths paths) : dir_(std::move(dir)), paths_(std::move(paths)) {}
  std::filesystem::path dir_;
  FifoPaths paths_;
};

// Removes the FIFO directory holding `fifo` when it is one FifoSet made
// (directly under kFifoRoot); other paths (another client's) are left alone.
void remove_fifo_dir(const std::string& fifo);

// The client ends of a process's FIFOs, and the copying between them and
// this process's own stdio.
class StdioCopy {
 public:
  // Opens the FIFOs before the task is created: stdout and stderr for
  // reading without waiting for a writer (so the shim's open for writing
  // finds a reader), stdin (when `with_stdin`) read-write, which on Linux
  // never waits for the other end. `attach`: the task exists and its shim
  // holds the other ends, so stdin is opened write-only.
  static Result<StdioCopy> open(const FifoPaths& paths, bool with_stdin, bool attach = false);
  StdioCopy(StdioCopy&& other) noexcept = default;
  StdioCopy& operator=(StdioCopy&&) = delete;
  StdioCopy(const StdioCopy&) = delete;
  StdioCopy& operator=(const StdioCopy&) = delete;
  // Stops and joins the copying threads.
  ~StdioCopy();

  // Starts copying: our stdin to the FIFO until EOF (then `on_stdin_eof`,
  // from the copying thread, after the FIFO is closed), the FIFOs to our
  // stdout and stderr until their writers are gone.
  void start(std::function<void()> on_stdin_eof);
  // The process has started. Until then our end of stdin stays open even
  // after EOF: a shim opens an exec's stdin only when it starts it, and a
  // FIFO that nobody holds open loses what was written to it.
  void process_started();
  // Waits until the output FIFOs reached EOF: the shim has copied all the
  // process wrote. Bounded, so a shim that never closes cannot hang us.
  void wait_output(std::chrono::milliseconds limit);

 private:
  StdioCopy() = default;
  void stop();

  UniqueFd stdin_;
  UniqueFd stdout_;
  UniqueFd stderr_;
  // Written to stop the threads; each polls the read end beside its input.
  UniqueFd stop_read_;
  UniqueFd stop_write_;
  UniqueFd started_read_;
  UniqueFd started_write_;
  std::vector<std::thread> threads_;
  std::shared_ptr<std::atomic<int>> outputs_open_ = std::make_shared<std::atomic<int>>(0);
};

// Puts the terminal on our stdin in raw mode (ctr's console.SetRaw) while it
// lives, so keys go to the container's pty unchanged; a no-op when stdin is
// not a terminal.
class RawTerminal {
 public:
  RawTerminal();
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  bool active_ = false;
  termios saved_{};
};

// The size of the terminal on our stdin (else stdout): false if neither is one.
bool terminal_size(uint32_t& width, uint32_t& height);

}  // namespace berth::cli

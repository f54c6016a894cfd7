// A container process's standard streams, held by the shim for its life.
//
// Without a terminal the runtime hands the FIFOs' fds straight to the
// process (no copying): stdout and stderr are opened O_RDWR, so opening
// never waits for a reader and a reader that comes and goes never gives the
// process EPIPE. stdin goes through a pipe the shim feeds from its FIFO, so
// the process's input ends when the client closes the FIFO, or at CloseIO
// while the client keeps it open.
//
// With a terminal the runtime sends the pty's master over a console socket;
// the shim copies master -> stdout FIFO and stdin FIFO -> master on its
// event loop.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "berth/status.hpp"
#include "berth/unique_fd.hpp"
#include "runc.hpp"
#include "ttrpc/event_loop.hpp"

namespace berth::shim {

struct StdioPaths {
  std::string in, out, err;  // FIFO paths; any may be empty
  bool terminal = false;
};

// Copies src to dst on the loop until src ends (or stop()). Writes wait for
// dst (on the loop) when it is full, reading nothing meanwhile.
class Pump {
 public:
  Pump(ttrpc::EventLoop& loop, int src, int dst, std::function<void()> on_end);
  ~Pump();
  Pump(const Pump&) = delete;
  Pump& operator=(const Pump&) = delete;
  Status start();
  void stop();
  // Copies what src has now without waiting (src must be non-blocking).
  void drain();

 private:
  void on_readable();
  void on_writable();
  void end();

  ttrpc::EventLoop& loop_;
  int src_;
  int dst_;
  std::function<void()> on_end_;
  std::string pending_;  // read, not yet written
  bool running_ = false;
};

class ProcessIo {
 public:
  // Opens the FIFOs (and, for a terminal, a console socket in a private
  // temporary directory).
  static Result<std::unique_ptr<ProcessIo>> open(ttrpc::EventLoop& loop, const StdioPaths& paths);
  ~ProcessIo();
  ProcessIo(const ProcessIo&) = delete;
  ProcessIo& operator=(const ProcessIo&) = delete;

  // What the runtime gets: the process's ends, or nothing with a terminal.
  [[nodiscard]] ChildStdio child_stdio() const;
  // For --console-socket; empty without a terminal.
  [[nodiscard]] const std::string& console_socket() const { return console_path_; }

  // After the runtime's create/exec returned: drops our copies of the
  // process's ends, receives the pty master (terminal), starts copying.
  Status started();
  // The runtime failed: nothing to receive.
  void abandon();

  Status resize(unsigned width, unsigned height);
  // The process's stdin ends (CloseIO).
  void close_stdin();
  // The process exited: copies what the pty still holds and closes the
  // outputs, so the client's reader sees end of file.
  void finish();

 private:
  explicit ProcessIo(ttrpc::EventLoop& loop) : loop_(loop) {}
  Status receive_master();
  void remove_console_socket();

  ttrpc::EventLoop& loop_;
  bool terminal_ = false;
  UniqueFd stdin_fifo_;
  UniqueFd stdout_fifo_;
  UniqueFd stderr_fifo_;
  UniqueFd stdin_pipe_read_;   // the process's stdin, until started
  UniqueFd stdin_pipe_write_;  // fed from stdin_fifo_
  std::string console_dir_;
  std::string console_path_;
  UniqueFd console_listener_;
  UniqueFd master_;
  std::unique_ptr<Pump> in_pump_;
  std::unique_ptr<Pump> out_pump_;
};

}  // namespace berth::shim

// Signals for commands that run a process in the foreground (run, tasks
// start, exec, attach): blocked in every thread and read from a signalfd by
// a thread of our own, which hands each to a callback (that forwards it to
// the task, or resizes its pty).
#pragma once

#include <signal.h>

#include <functional>
#include <initializer_list>
#include <thread>

#include "berth/unique_fd.hpp"

namespace berth::cli {

// The signals ctr's ForwardAllSignals forwards that a shell user sends:
// hang-up, Ctrl-C, Ctrl-\, kill's default and the two user signals.
inline constexpr std::initializer_list<int> kForwardedSignals = {SIGHUP,  SIGINT,  SIGQUIT,
                                                                 SIGTERM, SIGUSR1, SIGUSR2};

class SignalThread {
 public:
  // Blocks `signals` (and SIGWINCH) in this thread, so in every thread it
  // starts later (gRPC's too): construct it before the first RPC.
  explicit SignalThread(std::initializer_list<int> signals = kForwardedSignals);
  ~SignalThread();  // stops the thread and restores the signal mask
  SignalThread(const SignalThread&) = delete;
  SignalThread& operator=(const SignalThread&) = delete;

  // From now on each signal goes to `handler`, on the signal thread.
  // Signals that came before are handled first, in order.
  void start(std::function<void(int)> handler);
  // A signal that came before start(), other than SIGWINCH: the user
  // wants to stop while we are still setting up.
  [[nodiscard]] int pending() const;

 private:
  sigset_t set_{};
  sigset_t old_{};
  UniqueFd signal_fd_;
  UniqueFd stop_read_;
  UniqueFd stop_write_;
  std::thread thread_;
};

}  // namespace berth::cli

// containerd.task.v2.Task for one container, on the shim's event loop: every
// handler runs on the loop's thread, one at a time (the OCI runtime's verbs
// are run to completion inside them), and Wait answers from the reaper when
// the process exits. Semantics and error codes follow containerd 1.6's runc
// shim (runtime/v2/runc/task/service.go, pkg/process).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "flags.hpp"
#include "process.hpp"
#include "publisher.hpp"
#include "ttrpc/event_loop.hpp"
#include "ttrpc/server.hpp"

namespace berth::shim {

class TaskService {
 public:
  TaskService(const Flags& flags, ttrpc::EventLoop& loop, Publisher& publisher)
      : flags_(flags), loop_(loop), publisher_(publisher) {}
  ~TaskService();
  TaskService(const TaskService&) = delete;
  TaskService& operator=(const TaskService&) = delete;

  void register_on(ttrpc::Server& server);
  // A child was reaped (the loop's SIGCHLD handler).
  void on_exit(pid_t pid, int wait_status);
  // Shutdown was accepted: the loop should end after this call's answer.
  [[nodiscard]] bool shutting_down() const { return shutting_down_; }

 private:
  Result<Process*> find(const std::string& id, const std::string& exec_id);
  void exited(Process& p, std::uint32_t status);
  template <class Event>
  void send(const std::string& topic, const std::string& type, const Event& event);

  const Flags& flags_;
  ttrpc::EventLoop& loop_;
  Publisher& publisher_;
  std::unique_ptr<Container> container_;
  bool shutting_down_ = false;
};

}  // namespace berth::shim

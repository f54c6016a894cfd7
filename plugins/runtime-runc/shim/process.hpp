// A container's processes as the shim tracks them: the init (exec id "")
// and its execs, each with its stdio, state, exit and the Wait calls that
// wait for that exit.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cgroups.hpp"
#include "runc.hpp"
#include "stdio.hpp"
#include "ttrpc/server.hpp"

namespace berth::shim {

enum class ProcState { kCreated, kRunning, kPaused, kStopped };

struct Process {
  std::string exec_id;  // "" for the init
  StdioPaths stdio;
  std::unique_ptr<ProcessIo> io;
  pid_t pid = 0;
  ProcState state = ProcState::kCreated;
  std::uint32_t exit_status = 0;
  std::int64_t exited_at_ns = 0;
  std::string spec_file;              // an exec's process.json
  std::vector<ttrpc::Reply> waiters;  // Wait calls answered at exit
};

struct Container {
  std::string id;
  std::string bundle;
  std::unique_ptr<Runc> runc;
  bool rootfs_mounted = false;
  Process init;
  std::map<std::string, std::unique_ptr<Process>> execs;
  std::unique_ptr<Cgroup> cgroup;
  std::unique_ptr<Cgroup::OomWatch> oom;
};

// 128 + signal for a killed process, the exit code otherwise (containerd's).
std::uint32_t exit_status_of(int wait_status);

}  // namespace berth::shim

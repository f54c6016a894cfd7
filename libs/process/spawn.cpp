#include "process/spawn.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace berth::process {
namespace {

// posix_spawn's attribute and file-action objects, destroyed on every path.
struct SpawnAttrs {
  posix_spawnattr_t attr{};
  posix_spawn_file_actions_t actions{};
  SpawnAttrs() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnAttrs() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnAttrs(const SpawnAttrs&) = delete;
  SpawnAttrs& operator=(const SpawnAttrs&) = delete;
};

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Connects the child's descriptor `target` as `stream` says; a pipe's end
// for the child goes to `child_end` (closed in the parent once spawned), ours
// to `ours`.
Status plan_stream(const Stream& stream, int target, SpawnAttrs& sa, UniqueFd& ours, UniqueFd& child_end) {
  switch (stream.kind) {
    case Stream::Kind::kInherit:
      return {};
    case Stream::Kind::kNull:
      posix_spawn_file_actions_addopen(&sa.actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY,
                                       0);
      return {};
    case Stream::Kind::kFd:
      posix_spawn_file_actions_adddup2(&sa.actions, stream.fd, target);
      return {};
    case Stream::Kind::kPipe: {
      int fds[2];
      if (::pipe2(fds, O_CLOEXEC) != 0) return internal(std::string("pipe: ") + std::strerror(errno));
      // stdin: the child reads fds[0]; stdout/stderr: the child writes fds[1].
      UniqueFd read_end(fds[0]);
      UniqueFd write_end(fds[1]);
      if (target == 0) {
        child_end = std::move(read_end);
        ours = std::move(write_end);
      } else {
        child_end = std::move(write_end);
        ours = std::move(read_end);
      }
      posix_spawn_file_actions_adddup2(&sa.actions, child_end.get(), target);
      return {};
    }
  }
  return {};
}

}  // namespace

Result<Child> spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return invalid_argument("spawn: no program named");
  SpawnAttrs sa;
  Child child;
  UniqueFd child_in;
  UniqueFd child_out;
  UniqueFd child_err;
  if (auto st = plan_stream(options.in, 0, sa, child.in, child_in); !st.ok()) return st;
  if (auto st = plan_stream(options.out, 1, sa, child.out, child_out); !st.ok()) return st;
  if (auto st = plan_stream(options.err, 2, sa, child.err, child_err); !st.ok()) return st;
  // Anything else the daemon holds stays ours, CLOEXEC or not.
  posix_spawn_file_actions_addclosefrom_np(&sa.actions, 3);
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&sa.actions, options.cwd.c_str());

  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (options.new_session) flags |= POSIX_SPAWN_SETSID;
  posix_spawnattr_setflags(&sa.attr, flags);
  // The child starts with no signal blocked and every signal at its default,
  // whatever our threads block or ignore (SIGPIPE, SIGCHLD).
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&sa.attr, &none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigdefault(&sa.attr, &all);

  auto argv = c_strings(options.argv);
  std::vector<char*> envp;
  if (options.env) envp = c_strings(*options.env);
  char** env = options.env ? envp.data() : environ;

  const int rc = options.argv[0].find('/') == std::string::npos
                     ? ::posix_spawnp(&child.pid, argv[0], &sa.actions, &sa.attr, argv.data(), env)
                     : ::posix_spawn(&child.pid, argv[0], &sa.actions, &sa.attr, argv.data(), env);
  if (rc != 0) {
    const std::string what = options.argv[0] + ": " + std::strerror(rc);
    if (rc == ENOENT || rc == EACCES || rc == ENOEXEC) return not_found("cannot run " + what);
    return internal("cannot run " + what);
  }
  return child;
}

Result<int> wait(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return internal("waitpid " + std::to_string(pid) + ": " + std::strerror(errno));
  }
  return status;
}

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

}  // namespace berth::process

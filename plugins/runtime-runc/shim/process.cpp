#include "process.hpp"

#include <sys/wait.h>

namespace berth::shim {

std::uint32_t exit_status_of(int wait_status) {
  if (WIFSIGNALED(wait_status)) return 128u + static_cast<std::uint32_t>(WTERMSIG(wait_status));
  return static_cast<std::uint32_t>(WEXITSTATUS(wait_status));
}

}  // namespace berth::shim

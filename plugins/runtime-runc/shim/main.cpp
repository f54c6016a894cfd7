// containerd-shim-berth-v2: Berth's shim v2 (see actions.hpp).
#include <unistd.h>

#include <string>

#include "actions.hpp"
#include "flags.hpp"

namespace berth::log {
void set_debug(bool on);
}

int main(int argc, char** argv) {
  auto flags = berth::shim::parse_flags(argc, argv);
  if (!flags.ok()) {
    const std::string msg = std::string(argv[0]) + ": " + flags.status().message() + "\n";
    (void)!::write(STDERR_FILENO, msg.data(), msg.size());
    return 2;
  }
  berth::log::set_debug(flags->debug);
  if (flags->action == "start") return berth::shim::start_action(*flags);
  if (flags->action == "delete") return berth::shim::delete_action(*flags);
  return berth::shim::serve(*flags);
}

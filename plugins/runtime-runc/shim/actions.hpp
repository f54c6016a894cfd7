// The shim's three modes, chosen by the action on its command line.
#pragma once

#include "flags.hpp"

namespace berth::shim {

// `start`: make the socket, start the long-lived shim on it, print its
// address. Returns the process's exit code.
int start_action(const Flags& flags);
// `delete`: clean up after a shim that is gone; prints a DeleteResponse.
int delete_action(const Flags& flags);
// No action: serve the task API until Shutdown.
int serve(const Flags& flags);

}  // namespace berth::shim

// sd_notify(3) without libsystemd: tells systemd (Type=notify) when berthd is
// ready and when it is stopping. A no-op when NOTIFY_SOCKET is not set.
#pragma once

#include <string_view>

namespace berth::host {

void systemd_notify(std::string_view state);  // e.g. "READY=1", "STOPPING=1"

}  // namespace berth::host

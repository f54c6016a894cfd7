// Cancellation of long operations, as backends see it: no gRPC here.
#pragma once

#include <functional>

#include "berth/status.hpp"

namespace berth {

// Whether the caller still wants a long operation's result. A backend asks
// it between units of work (each layer entry, each chunk of a large file,
// each wake-up while waiting for a process); OK means go on, anything else
// (Cancelled, DeadlineExceeded, with the reason) stops the work there with
// that status. The API edge builds it from the call's cancellation and
// deadline, so backends never see gRPC. An empty function never stops
// anything. Called only on the thread that called the operation.
using CancelCheck = std::function<Status()>;

}  // namespace berth

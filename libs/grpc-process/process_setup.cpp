#include "process_setup.hpp"

#include <absl/synchronization/mutex.h>

namespace berth::grpc_process {

void setup() { absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore); }

}  // namespace berth::grpc_process

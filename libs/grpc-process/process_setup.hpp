// Process-wide settings for a program that uses gRPC (berthd, the berth CLI).
#pragma once

namespace berth::grpc_process {

// Call first thing in main(), before any gRPC call or thread.
//
// Debian builds abseil without NDEBUG, so every absl::Mutex lock and unlock
// (gRPC takes several per call) also runs abseil's debug-only deadlock
// detector: a process-wide graph of lock order, kept under a global lock.
// The detector is for finding lock-order bugs while developing gRPC; for us
// it is only cost (per callgrind, GraphCycles bookkeeping was a fifth of the
// instructions of every lock and unlock in berthd).
void setup();

}  // namespace berth::grpc_process

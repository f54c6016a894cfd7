// How a long call (Diff.Apply) learns that its client gave up: the call's
// cancellation and deadline as a berth::CancelCheck, asked at a bounded rate.
#pragma once

#include <grpcpp/server_context.h>

#include <chrono>
#include <functional>
#include <optional>

#include "berth/diff.hpp"
#include "berth/status.hpp"

namespace berth::api {

// Wraps a check that is costly to ask (it takes a lock, makes a system call)
// for a caller that asks very often. The first call asks `check`; later calls
// ask it again only once `interval` has passed on `now` since it was last
// asked, and answer OK in between. Once `check` has said stop (not OK), every
// later call says the same without asking again: a call stopped stays stopped.
//
// Copyable, so it fits in a CancelCheck; not thread-safe, as a CancelCheck is
// asked on one thread only (berth/diff.hpp).
class ThrottledCheck {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  ThrottledCheck(std::function<Status()> check, Clock::duration interval, Now now = &Clock::now);

  Status operator()();

 private:
  std::function<Status()> check_;
  Clock::duration interval_;
  Now now_;
  std::optional<Clock::time_point> last_asked_;
  Status stopped_;
};

// How often call_cancel_check asks gRPC. ServerContext::IsCancelled() takes a
// lock inside gRPC, and the differ asks before every tar entry and every
// chunk: tens of thousands of times a second on a layer of small files. At
// most every 10 ms, a cancelled or expired call does at most about 10 ms more
// work before it stops, and the lock is off the apply's path.
inline constexpr std::chrono::milliseconds kCancelCheckInterval{10};

// The call's cancellation and its deadline, asked at most every
// kCancelCheckInterval. The deadline is checked here too, not only through
// IsCancelled(): that is what the client was told (DEADLINE_EXCEEDED),
// whenever gRPC gets round to cancelling the call. `ctx` must outlive the
// returned check.
CancelCheck call_cancel_check(const grpc::ServerContext& ctx);

}  // namespace berth::api

#include "cancel_check.hpp"

#include <utility>

namespace berth::api {

ThrottledCheck::ThrottledCheck(std::function<Status()> check, Clock::duration interval, Now now)
    : check_(std::move(check)), interval_(interval), now_(std::move(now)) {}

Status ThrottledCheck::operator()() {
  if (!stopped_.ok()) return stopped_;
  const Clock::time_point now = now_();
  if (last_asked_ && now - *last_asked_ < interval_) return {};
  last_asked_ = now;
  stopped_ = check_();
  return stopped_;
}

CancelCheck call_cancel_check(const grpc::ServerContext& ctx) {
  return ThrottledCheck(
      [&ctx]() -> Status {
        if (ctx.deadline() <= std::chrono::system_clock::now())
          return {Code::kDeadlineExceeded, "the client's deadline has passed"};
        if (ctx.IsCancelled()) return cancelled("the client cancelled the call");
        return {};
      },
      kCancelCheckInterval);
}

}  // namespace berth::api

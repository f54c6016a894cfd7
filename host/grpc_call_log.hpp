// Logs every gRPC call the daemon answers, at debug level: method, status code
// and time from the call's arrival to its status. With --log-level debug this
// is where an operator sees which call is slow or failing.
#pragma once

#include <memory>

namespace grpc::experimental {
class ServerInterceptorFactoryInterface;
}  // namespace grpc::experimental

namespace berth::host {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> make_call_log_interceptor();

}  // namespace berth::host

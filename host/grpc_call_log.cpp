#include "grpc_call_log.hpp"

#include <grpcpp/support/server_interceptor.h>
#include <spdlog/spdlog.h>

#include <chrono>

namespace berth::host {
namespace {

using grpc::experimental::InterceptionHookPoints;

class CallLog final : public grpc::experimental::Interceptor {
 public:
  explicit CallLog(grpc::experimental::ServerRpcInfo* info)
      : method_(info->method()), start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const auto took =
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start_);
      const grpc::Status status = methods->GetSendStatus();
      spdlog::debug("grpc {} -> {} in {} us", method_, static_cast<int>(status.error_code()), took.count());
    }
    methods->Proceed();
  }

 private:
  const char* method_;  // gRPC's registered method name, alive for the server's life
  std::chrono::steady_clock::time_point start_;
};

class CallLogFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    // Nothing to log: no interceptor in the call's path at all.
    if (!spdlog::should_log(spdlog::level::debug)) return nullptr;
    return new CallLog(info);
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> make_call_log_interceptor() {
  return std::make_unique<CallLogFactory>();
}

}  // namespace berth::host

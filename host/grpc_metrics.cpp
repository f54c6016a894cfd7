#include "grpc_metrics.hpp"

#include <grpcpp/support/server_interceptor.h>
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <utility>

namespace berth::host {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;

// prometheus.DefBuckets, which go-grpc-prometheus's histogram uses.
const std::vector<double> kBuckets{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};

std::string_view type_name(ServerRpcInfo::Type type) {
  switch (type) {
    case ServerRpcInfo::Type::UNARY:
      return "unary";
    case ServerRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case ServerRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    case ServerRpcInfo::Type::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "unary";
}

// The handles of one method, made the first time it is called; a method's
// handled_total counters by code, made the first time it ends with that code.
struct MethodFigures {
  Labels labels;  // grpc_type, grpc_service, grpc_method
  std::shared_ptr<Counter> started;
  std::map<int, std::shared_ptr<Counter>> handled;
  std::shared_ptr<Histogram> seconds;
  bool seconds_made = false;
};

class Figures {
 public:
  Figures(std::shared_ptr<MetricsSink> sink, bool histogram)
      : sink_(std::move(sink)), histogram_(histogram) {}

  void started(const char* method, ServerRpcInfo::Type type) {
    std::lock_guard lock(mu_);
    MethodFigures& m = method_locked(method, type);
    if (m.started) m.started->add(1);
  }

  void handled(const char* method, ServerRpcInfo::Type type, int code, double seconds) {
    std::lock_guard lock(mu_);
    MethodFigures& m = method_locked(method, type);
    auto h = m.handled.find(code);
    if (h == m.handled.end()) {
      Labels labels = m.labels;
      labels["grpc_code"] = std::string(grpc_code_name(code));
      h = m.handled
              .emplace(code, made(sink_->counter("grpc_server_handled_total",
                                                 "Total number of RPCs completed on the server, regardless "
                                                 "of success or failure.",
                                                 labels)))
              .first;
    }
    if (h->second) h->second->add(1);
    if (!histogram_) return;
    if (!m.seconds_made) {
      m.seconds_made = true;
      m.seconds = made(sink_->histogram(
          "grpc_server_handling_seconds",
          "Histogram of response latency (seconds) of gRPC that had been application-level handled by the "
          "server.",
          m.labels, kBuckets));
    }
    if (m.seconds) m.seconds->observe(seconds);
  }

 private:
  // A handle, or null (and one warning) when the sink refused it: the call
  // goes on uncounted rather than failing.
  template <class T>
  std::shared_ptr<T> made(Result<std::shared_ptr<T>> r) {
    if (r.ok()) return std::move(r).value();
    spdlog::warn("gRPC call metrics: {}", r.status().message());
    return nullptr;
  }

  MethodFigures& method_locked(const char* method, ServerRpcInfo::Type type) {
    auto it = methods_.find(method);
    if (it != methods_.end()) return it->second;
    MethodFigures m;
    auto [service, name] = split_grpc_method(method);
    m.labels = {
        {"grpc_type", std::string(type_name(type))}, {"grpc_service", service}, {"grpc_method", name}};
    m.started = made(
        sink_->counter("grpc_server_started_total", "Total number of RPCs started on the server.", m.labels));
    return methods_.emplace(method, std::move(m)).first->second;
  }

  std::shared_ptr<MetricsSink> sink_;
  bool histogram_;
  std::mutex mu_;
  // Keyed by gRPC's registered method name, alive for the server's life.
  std::map<const char*, MethodFigures> methods_;
};

class CallFigures final : public grpc::experimental::Interceptor {
 public:
  CallFigures(ServerRpcInfo* info, std::shared_ptr<Figures> figures)
      : method_(info->method()),
        type_(info->type()),
        figures_(std::move(figures)),
        start_(std::chrono::steady_clock::now()) {
    figures_->started(method_, type_);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start_;
      figures_->handled(method_, type_, static_cast<int>(methods->GetSendStatus().error_code()),
                        took.count());
    }
    methods->Proceed();
  }

 private:
  const char* method_;
  ServerRpcInfo::Type type_;
  std::shared_ptr<Figures> figures_;
  std::chrono::steady_clock::time_point start_;
};

class CallFiguresFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallFiguresFactory(std::shared_ptr<Figures> figures) : figures_(std::move(figures)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(ServerRpcInfo* info) override {
    if (info->method() == nullptr) return nullptr;
    return new CallFigures(info, figures_);
  }

 private:
  std::shared_ptr<Figures> figures_;
};

}  // namespace

std::pair<std::string, std::string> split_grpc_method(std::string_view full_method) {
  if (full_method.starts_with('/')) full_method.remove_prefix(1);
  const auto slash = full_method.find('/');
  if (slash == std::string_view::npos) return {"unknown", std::string(full_method)};
  return {std::string(full_method.substr(0, slash)), std::string(full_method.substr(slash + 1))};
}

std::string_view grpc_code_name(int code) {
  static constexpr std::array<std::string_view, 17> kNames{
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  if (code < 0 || code >= static_cast<int>(kNames.size())) return "Unknown";
  return kNames[static_cast<std::size_t>(code)];
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> make_metrics_interceptor(
    std::shared_ptr<MetricsSink> sink, bool histogram) {
  return std::make_unique<CallFiguresFactory>(std::make_shared<Figures>(std::move(sink), histogram));
}

}  // namespace berth::host

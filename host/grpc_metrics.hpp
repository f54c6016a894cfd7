// Counts every gRPC call the daemon answers into the metrics sink, under the
// names containerd's endpoint uses (go-grpc-prometheus's), so dashboards
// made for containerd read berthd's too:
//   grpc_server_started_total{grpc_type,grpc_service,grpc_method}
//   grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code}
//   grpc_server_handling_seconds{...} (a histogram; only with
//     [metrics] grpc_histogram = true, as in containerd)
// Only installed when [metrics] address is set: otherwise no interceptor is
// in the call path at all.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "berth/metrics.hpp"

namespace grpc::experimental {
class ServerInterceptorFactoryInterface;
}  // namespace grpc::experimental

namespace berth::host {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> make_metrics_interceptor(
    std::shared_ptr<MetricsSink> sink, bool histogram);

// "/containerd.services.tasks.v1.Tasks/Create" -> {"containerd.services.tasks.v1.Tasks", "Create"}.
std::pair<std::string, std::string> split_grpc_method(std::string_view full_method);
// gRPC's code names as Go spells them ("OK", "NotFound", "DeadlineExceeded").
std::string_view grpc_code_name(int code);

}  // namespace berth::host

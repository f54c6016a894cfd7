// The API edge: berth::Status <-> grpc::Status, and what every request
// carries in its metadata (namespace, lease).
#pragma once

#include <grpcpp/grpcpp.h>

#include <optional>
#include <string>

#include "berth/namespaced_content.hpp"
#include "berth/status.hpp"

namespace berth::api {

inline grpc::Status to_grpc(const Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return {static_cast<grpc::StatusCode>(s.code()), s.message()};
}

// The `containerd-namespace` a namespaced request must carry. Missing:
// FAILED_PRECONDITION "namespace is required" (as containerd); malformed:
// INVALID_ARGUMENT.
Result<std::string> request_namespace(const grpc::ServerContext& ctx);

// The `containerd-lease` a request was made under, if any.
std::optional<std::string> request_lease(const grpc::ServerContext& ctx);

// Both: who a content, diff or transfer request acts for.
Result<ContentScope> request_scope(const grpc::ServerContext& ctx);

}  // namespace berth::api

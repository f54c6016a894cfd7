#include "grpc_status.hpp"

#include "berth/validate.hpp"

namespace berth::api {
namespace {

std::optional<std::string> first_value(const grpc::ServerContext& ctx, const char* key) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(key);
  if (it == md.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

}  // namespace

Result<std::string> request_namespace(const grpc::ServerContext& ctx) {
  auto ns = first_value(ctx, "containerd-namespace");
  if (!ns || ns->empty()) return failed_precondition("namespace is required");
  if (Status s = validate_identifier(*ns); !s.ok()) return s.with_context("namespace");
  return *ns;
}

std::optional<std::string> request_lease(const grpc::ServerContext& ctx) {
  return first_value(ctx, "containerd-lease");
}

Result<ContentScope> request_scope(const grpc::ServerContext& ctx) {
  auto ns = request_namespace(ctx);
  if (!ns.ok()) return ns.status();
  return ContentScope{std::move(*ns), request_lease(ctx)};
}

}  // namespace berth::api

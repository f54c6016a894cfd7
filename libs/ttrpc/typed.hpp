// Typed calls and handlers over protobuf messages (generated code, any
// MessageLite), on top of the bytes-based Client and Server. Header-only: the
// library itself never names a generated type.
#pragma once

#include <google/protobuf/message_lite.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "ttrpc/client.hpp"
#include "ttrpc/server.hpp"

namespace berth::ttrpc {

// client.call() with `request` serialized and the answer parsed into Resp.
template <class Resp, class Req>
Result<Resp> call(Client& client, std::string_view service, std::string_view method, const Req& request,
                  std::chrono::nanoseconds timeout = {}, const Metadata& metadata = {}) {
  std::string bytes;
  if (!request.SerializeToString(&bytes)) {
    return internal("ttrpc: cannot serialize the request of " + std::string(method));
  }
  auto answer = client.call(service, method, bytes, timeout, metadata);
  if (!answer.ok()) return answer.status();
  Resp response;
  if (!response.ParseFromString(*answer)) {
    return internal("ttrpc: malformed response to " + std::string(service) + "/" + std::string(method));
  }
  return response;
}

// Registers a handler taking Req and answering Resp. A payload that does not
// parse is INTERNAL, as containerd's ttrpc answers it.
template <class Req, class Resp>
void handle(Server& server, std::string service, std::string method,
            std::function<Result<Resp>(const Req&, const Call&)> handler) {
  server.handle(std::move(service), std::move(method),
                [handler = std::move(handler)](const Call& call) -> Result<std::string> {
                  Req request;
                  if (!request.ParseFromString(call.payload)) {
                    return internal("ttrpc: error unmarshalling payload of " + call.method);
                  }
                  auto response = handler(request, call);
                  if (!response.ok()) return response.status();
                  std::string bytes;
                  if (!response->SerializeToString(&bytes)) {
                    return internal("ttrpc: error marshaling payload of " + call.method);
                  }
                  return bytes;
                });
}

}  // namespace berth::ttrpc

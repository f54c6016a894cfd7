// ttrpc's own Request and Response messages, the envelope around every
// call's payload. They are encoded by hand with protobuf's coded streams so
// neither side needs a .proto (nor gRPC) for them:
//   Request  { string service = 1; string method = 2; bytes payload = 3;
//              int64 timeout_nano = 4; repeated KeyValue metadata = 5; }
//   KeyValue { string key = 1; string value = 2; }
//   Response { google.rpc.Status status = 1; bytes payload = 2; }
//   google.rpc.Status { int32 code = 1; string message = 2; repeated Any details = 3; }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "berth/status.hpp"

namespace berth::ttrpc {

// A call's metadata, in wire order. A key may repeat; containerd's ttrpc
// lower-cases keys when it sets them (containerd-namespace-ttrpc, say).
using Metadata = std::vector<std::pair<std::string, std::string>>;

// The first value of `key` (compared as given, then lower-cased).
std::optional<std::string> metadata_value(const Metadata& metadata, std::string_view key);

struct Request {
  std::string service;
  std::string method;
  std::string payload;
  // The caller's time left, in nanoseconds; 0 when it has no deadline.
  std::int64_t timeout_nano = 0;
  Metadata metadata;
};

struct Response {
  Status status;  // the code and message of google.rpc.Status; details are dropped
  std::string payload;
};

std::string encode_request(const Request& request);
// INVALID_ARGUMENT when the bytes are not a Request.
Result<Request> decode_request(std::string_view bytes);

std::string encode_response(const Response& response);
// INTERNAL when the bytes are not a Response. A status code outside gRPC's
// range becomes UNKNOWN, as in gRPC.
Result<Response> decode_response(std::string_view bytes);

}  // namespace berth::ttrpc

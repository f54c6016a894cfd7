#include "ttrpc/envelope.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <cctype>

namespace berth::ttrpc {
namespace {

using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;
using google::protobuf::io::StringOutputStream;
using WireFormat = google::protobuf::internal::WireFormatLite;

constexpr int kMaxCode = static_cast<int>(Code::kUnauthenticated);

// proto3 leaves fields at their default value off the wire; so do we, so our
// bytes match what containerd's Go ttrpc sends.
void put_bytes(CodedOutputStream& out, int field, std::string_view value) {
  if (value.empty()) return;
  out.WriteTag(WireFormat::MakeTag(field, WireFormat::WIRETYPE_LENGTH_DELIMITED));
  out.WriteVarint32(static_cast<std::uint32_t>(value.size()));
  out.WriteRaw(value.data(), static_cast<int>(value.size()));
}

void put_message(CodedOutputStream& out, int field, const std::string& encoded) {
  // An embedded message is written even when empty: presence is its point
  // (an OK Response still carries a status, as containerd's does).
  out.WriteTag(WireFormat::MakeTag(field, WireFormat::WIRETYPE_LENGTH_DELIMITED));
  out.WriteVarint32(static_cast<std::uint32_t>(encoded.size()));
  out.WriteRaw(encoded.data(), static_cast<int>(encoded.size()));
}

// Calls `field(number, wire_type, in)` for each field; the callback reads the
// value and returns false on bad input. Fields it does not know it skips
// with SkipField, so newer peers' additions pass.
template <class OnField>
bool parse(std::string_view bytes, OnField on_field) {
  CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()), static_cast<int>(bytes.size()));
  for (;;) {
    const std::uint32_t tag = in.ReadTag();
    if (tag == 0) return in.ConsumedEntireMessage();  // the end, not a stray zero tag
    int handled = on_field(WireFormat::GetTagFieldNumber(tag), WireFormat::GetTagWireType(tag), in);
    if (handled < 0) return false;
    if (handled == 0 && !WireFormat::SkipField(&in, tag)) return false;
  }
}

bool read_string(CodedInputStream& in, std::string* out) {
  std::uint32_t len = 0;
  return in.ReadVarint32(&len) && in.ReadString(out, static_cast<int>(len));
}

std::string encode_key_value(const std::string& key, const std::string& value) {
  std::string out;
  {
    StringOutputStream stream(&out);
    CodedOutputStream coded(&stream);
    put_bytes(coded, 1, key);
    put_bytes(coded, 2, value);
  }
  return out;
}

bool decode_key_value(std::string_view bytes, std::pair<std::string, std::string>* kv) {
  return parse(bytes, [&](int field, WireFormat::WireType type, CodedInputStream& in) -> int {
    if (type != WireFormat::WIRETYPE_LENGTH_DELIMITED || (field != 1 && field != 2)) return 0;
    return read_string(in, field == 1 ? &kv->first : &kv->second) ? 1 : -1;
  });
}

std::string encode_status(const Status& status) {
  std::string out;
  {
    StringOutputStream stream(&out);
    CodedOutputStream coded(&stream);
    if (!status.ok()) {
      coded.WriteTag(WireFormat::MakeTag(1, WireFormat::WIRETYPE_VARINT));
      coded.WriteVarint32SignExtended(static_cast<int>(status.code()));
    }
    put_bytes(coded, 2, status.message());
  }
  return out;
}

bool decode_status(std::string_view bytes, Status* status) {
  std::uint32_t code = 0;
  std::string message;
  const bool ok = parse(bytes, [&](int field, WireFormat::WireType type, CodedInputStream& in) -> int {
    if (field == 1 && type == WireFormat::WIRETYPE_VARINT) return in.ReadVarint32(&code) ? 1 : -1;
    if (field == 2 && type == WireFormat::WIRETYPE_LENGTH_DELIMITED)
      return read_string(in, &message) ? 1 : -1;
    return 0;  // details (3) and anything newer
  });
  if (!ok) return false;
  const int c = static_cast<int>(code);
  if (c == 0) {
    *status = Status();
  } else {
    *status = Status(c > 0 && c <= kMaxCode ? static_cast<Code>(c) : Code::kUnknown, std::move(message));
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

std::optional<std::string> metadata_value(const Metadata& metadata, std::string_view key) {
  for (const auto& [k, v] : metadata) {
    if (k == key) return v;
  }
  const std::string low = lower(key);
  for (const auto& [k, v] : metadata) {
    if (k == low) return v;
  }
  return std::nullopt;
}

std::string encode_request(const Request& request) {
  std::string out;
  {
    StringOutputStream stream(&out);
    CodedOutputStream coded(&stream);
    put_bytes(coded, 1, request.service);
    put_bytes(coded, 2, request.method);
    put_bytes(coded, 3, request.payload);
    if (request.timeout_nano != 0) {
      coded.WriteTag(WireFormat::MakeTag(4, WireFormat::WIRETYPE_VARINT));
      coded.WriteVarint64(static_cast<std::uint64_t>(request.timeout_nano));
    }
    for (const auto& [key, value] : request.metadata) put_message(coded, 5, encode_key_value(key, value));
  }
  return out;
}

Result<Request> decode_request(std::string_view bytes) {
  Request request;
  bool kv_ok = true;
  const bool ok = parse(bytes, [&](int field, WireFormat::WireType type, CodedInputStream& in) -> int {
    if (field == 4) {
      if (type != WireFormat::WIRETYPE_VARINT) return 0;
      std::uint64_t v = 0;
      if (!in.ReadVarint64(&v)) return -1;
      request.timeout_nano = static_cast<std::int64_t>(v);
      return 1;
    }
    if (type != WireFormat::WIRETYPE_LENGTH_DELIMITED) return 0;
    switch (field) {
      case 1:
        return read_string(in, &request.service) ? 1 : -1;
      case 2:
        return read_string(in, &request.method) ? 1 : -1;
      case 3:
        return read_string(in, &request.payload) ? 1 : -1;
      case 5: {
        std::string kv_bytes;
        if (!read_string(in, &kv_bytes)) return -1;
        auto& kv = request.metadata.emplace_back();
        kv_ok = kv_ok && decode_key_value(kv_bytes, &kv);
        return kv_ok ? 1 : -1;
      }
      default:
        return 0;
    }
  });
  if (!ok) return invalid_argument("unmarshal request error: not a ttrpc Request");
  return request;
}

std::string encode_response(const Response& response) {
  std::string out;
  {
    StringOutputStream stream(&out);
    CodedOutputStream coded(&stream);
    put_message(coded, 1, encode_status(response.status));
    put_bytes(coded, 2, response.payload);
  }
  return out;
}

Result<Response> decode_response(std::string_view bytes) {
  Response response;
  const bool ok = parse(bytes, [&](int field, WireFormat::WireType type, CodedInputStream& in) -> int {
    if (type != WireFormat::WIRETYPE_LENGTH_DELIMITED) return 0;
    if (field == 2) return read_string(in, &response.payload) ? 1 : -1;
    if (field != 1) return 0;
    std::string status_bytes;
    if (!read_string(in, &status_bytes)) return -1;
    return decode_status(status_bytes, &response.status) ? 1 : -1;
  });
  if (!ok) return internal("malformed ttrpc Response");
  return response;
}

}  // namespace berth::ttrpc

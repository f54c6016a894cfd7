#include "write_request.hpp"

#include <algorithm>
#include <cstdint>

namespace berth::api {
namespace {

using containerd::services::content::v1::WriteContentRequest;

// The protobuf wire types (https://protobuf.dev/programming-guides/encoding/).
enum WireType : uint64_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };
constexpr uint64_t kMaxFieldNumber = (1U << 29) - 1;
constexpr int kMaxVarintBytes = 10;

// Reads a message spread over slices, front to back, without copying unless
// asked to.
class Cursor {
 public:
  explicit Cursor(const std::vector<grpc::Slice>& slices) : slices_(slices) {
    for (const auto& s : slices_) left_ += s.size();
  }
  [[nodiscard]] std::size_t left() const { return left_; }

  // A varint of at most ten bytes; its bytes are appended to `copy` if given.
  bool varint(uint64_t& value, std::string* copy) {
    value = 0;
    for (int i = 0; i < kMaxVarintBytes; ++i) {
      if (left_ == 0) return false;
      skip_empty();
      const auto byte = static_cast<uint8_t>(slices_[slice_].begin()[pos_]);
      advance(1);
      if (copy != nullptr) copy->push_back(static_cast<char>(byte));
      value |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }

  // The next `n` bytes, as the pieces of slices they lie in.
  template <class Piece>
  bool take(uint64_t n, Piece piece) {
    if (n > left_) return false;
    while (n > 0) {
      skip_empty();
      const grpc::Slice& s = slices_[slice_];
      const std::size_t here = std::min<std::size_t>(n, s.size() - pos_);
      piece(std::string_view(reinterpret_cast<const char*>(s.begin()) + pos_, here));
      advance(here);
      n -= here;
    }
    return true;
  }

 private:
  void skip_empty() {
    while (pos_ == slices_[slice_].size()) {
      ++slice_;
      pos_ = 0;
    }
  }
  void advance(std::size_t n) {
    pos_ += n;
    left_ -= n;
  }

  const std::vector<grpc::Slice>& slices_;
  std::size_t slice_ = 0;
  std::size_t pos_ = 0;
  std::size_t left_ = 0;
};

Status malformed(std::string_view what) {
  return invalid_argument("malformed WriteContentRequest: " + std::string(what));
}

}  // namespace

Status WriteRequest::parse(const grpc::ByteBuffer& buffer) {
  data_.clear();
  data_size_ = 0;
  other_fields_.clear();
  if (auto st = buffer.Dump(&slices_); !st.ok())
    return invalid_argument("WriteContentRequest: unreadable message: " + st.error_message());
  Cursor in(slices_);
  auto append = [this](std::string_view piece) { other_fields_.append(piece); };
  while (in.left() > 0) {
    const std::size_t field_start = other_fields_.size();
    uint64_t tag = 0;
    if (!in.varint(tag, &other_fields_)) return malformed("truncated field tag");
    const uint64_t field = tag >> 3;
    if (field == 0 || field > kMaxFieldNumber) return malformed("field number " + std::to_string(field));
    uint64_t value = 0;
    switch (tag & 7) {
      case kVarint:
        if (!in.varint(value, &other_fields_)) return malformed("truncated varint");
        break;
      case kFixed64:
        if (!in.take(8, append)) return malformed("truncated fixed64");
        break;
      case kFixed32:
        if (!in.take(4, append)) return malformed("truncated fixed32");
        break;
      case kLengthDelimited:
        if (field == WriteContentRequest::kDataFieldNumber) {
          // Data stays in the slices. A repeated field replaces the one
          // before, as protobuf's own parser does.
          other_fields_.resize(field_start);
          if (!in.varint(value, nullptr)) return malformed("truncated data length");
          if (value > in.left()) return malformed("data longer than the message");
          data_.clear();
          data_size_ = static_cast<std::size_t>(value);
          in.take(value, [this](std::string_view piece) { data_.push_back(piece); });
        } else {
          if (!in.varint(value, &other_fields_)) return malformed("truncated length");
          if (!in.take(value, append)) return malformed("field longer than the message");
        }
        break;
      default:
        return malformed("wire type " + std::to_string(tag & 7) + " of field " + std::to_string(field));
    }
  }
  // Everything else (the small fields, labels, unknown fields) is protobuf's
  // to check, as it would be without this reader.
  fields_.Clear();
  if (!fields_.ParseFromString(other_fields_)) return malformed("its fields do not parse");
  return {};
}

}  // namespace berth::api

// ttrpc's framing: every message on a connection is a 10-byte header
// (payload length u32, stream id u32, both big-endian; message type u8;
// flags u8) followed by the payload, at most 4 MiB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "berth/status.hpp"

namespace berth::ttrpc {

inline constexpr std::size_t kFrameHeaderSize = 10;
// The largest payload either side accepts, as in containerd's ttrpc.
inline constexpr std::uint32_t kMaxPayload = 4u << 20;

enum class MessageType : std::uint8_t { kRequest = 1, kResponse = 2 };

struct FrameHeader {
  std::uint32_t length = 0;
  std::uint32_t stream_id = 0;
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
};

void encode_header(const FrameHeader& header, char out[kFrameHeaderSize]);
FrameHeader decode_header(const char in[kFrameHeaderSize]);

struct Frame {
  FrameHeader header;
  std::string payload;
  // The peer announced more than kMaxPayload: its bytes were read and
  // dropped, so the connection stays in step, and `payload` is empty. The
  // receiver answers or fails that one stream with RESOURCE_EXHAUSTED, as
  // containerd's ttrpc does.
  bool oversized = false;
};

// Reads one whole frame from a connected socket. UNAVAILABLE when the peer
// closed the connection (between frames or inside one) or it broke.
Result<Frame> read_frame(int fd);

// Writes one whole frame. Several threads share a connection, so the caller
// holds that connection's writer lock: two frames' bytes never interleave.
// Never raises SIGPIPE; a closed peer is UNAVAILABLE.
Status write_frame(int fd, std::uint32_t stream_id, MessageType type, std::string_view payload);

// RESOURCE_EXHAUSTED naming `what` when `size` is more than a frame may carry.
Status check_payload_size(std::size_t size, std::string_view what);

}  // namespace berth::ttrpc

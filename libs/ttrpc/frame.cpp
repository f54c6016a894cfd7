#include "ttrpc/frame.hpp"

#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace berth::ttrpc {
namespace {

void put_u32(char* p, std::uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}

std::uint32_t get_u32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) | u[3];
}

// Fills buf[0, len). `started` says whether part of the frame was already
// read, which only changes the message.
Status read_exact(int fd, char* buf, std::size_t len, bool started) {
  std::size_t done = 0;
  while (done < len) {
    const ssize_t n = ::read(fd, buf + done, len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return unavailable(std::string("ttrpc connection broken: ") + std::strerror(errno));
    }
    if (n == 0) {
      return unavailable(started || done > 0 ? "ttrpc connection closed by the peer inside a frame"
                                             : "ttrpc connection closed by the peer");
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Status discard(int fd, std::uint32_t len) {
  char buf[65536];
  while (len > 0) {
    const std::size_t want = std::min<std::size_t>(len, sizeof buf);
    BERTH_RETURN_IF_ERROR(read_exact(fd, buf, want, true));
    len -= static_cast<std::uint32_t>(want);
  }
  return {};
}

}  // namespace

void encode_header(const FrameHeader& header, char out[kFrameHeaderSize]) {
  put_u32(out, header.length);
  put_u32(out + 4, header.stream_id);
  out[8] = static_cast<char>(header.type);
  out[9] = static_cast<char>(header.flags);
}

FrameHeader decode_header(const char in[kFrameHeaderSize]) {
  FrameHeader h;
  h.length = get_u32(in);
  h.stream_id = get_u32(in + 4);
  h.type = static_cast<std::uint8_t>(in[8]);
  h.flags = static_cast<std::uint8_t>(in[9]);
  return h;
}

Status check_payload_size(std::size_t size, std::string_view what) {
  if (size <= kMaxPayload) return {};
  return resource_exhausted(std::string(what) + " is " + std::to_string(size) + " bytes, more than the " +
                            std::to_string(kMaxPayload) + " a ttrpc message may carry");
}

Result<Frame> read_frame(int fd) {
  char head[kFrameHeaderSize];
  BERTH_RETURN_IF_ERROR(read_exact(fd, head, sizeof head, false));
  Frame frame;
  frame.header = decode_header(head);
  if (frame.header.length > kMaxPayload) {
    BERTH_RETURN_IF_ERROR(discard(fd, frame.header.length));
    frame.oversized = true;
    return frame;
  }
  frame.payload.resize(frame.header.length);
  BERTH_RETURN_IF_ERROR(read_exact(fd, frame.payload.data(), frame.payload.size(), true));
  return frame;
}

Status write_frame(int fd, std::uint32_t stream_id, MessageType type, std::string_view payload) {
  BERTH_RETURN_IF_ERROR(check_payload_size(payload.size(), "ttrpc message"));
  char head[kFrameHeaderSize];
  encode_header({static_cast<std::uint32_t>(payload.size()), stream_id, static_cast<std::uint8_t>(type), 0},
                head);
  iovec iov[2] = {{head, sizeof head}, {const_cast<char*>(payload.data()), payload.size()}};
  std::size_t left = sizeof head + payload.size();
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = 2;
  while (left > 0) {
    // MSG_NOSIGNAL: a peer that went away must be an error value, not a
    // SIGPIPE that kills the daemon or the shim.
    const ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return unavailable(std::string("ttrpc write: ") + std::strerror(errno));
    }
    left -= static_cast<std::size_t>(n);
    // Step past what was sent: a short write resumes inside an iovec.
    auto sent = static_cast<std::size_t>(n);
    while (sent > 0 && msg.msg_iovlen > 0) {
      const std::size_t take = std::min(sent, msg.msg_iov->iov_len);
      msg.msg_iov->iov_base = static_cast<char*>(msg.msg_iov->iov_base) + take;
      msg.msg_iov->iov_len -= take;
      sent -= take;
      if (msg.msg_iov->iov_len == 0) {
        ++msg.msg_iov;
        --msg.msg_iovlen;
      }
    }
  }
  return {};
}

}  // namespace berth::ttrpc

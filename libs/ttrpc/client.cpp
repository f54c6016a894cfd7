#include "ttrpc/client.hpp"

#include <sys/socket.h>

#include "berth/log.hpp"
#include "ttrpc/frame.hpp"
#include "ttrpc/unix_socket.hpp"

namespace berth::ttrpc {

Result<std::unique_ptr<Client>> Client::dial(std::string_view address, ClientOptions options) {
  std::string path = socket_path(address);
  auto fd = dial_unix(path, options.connect_timeout);
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<Client>(new Client(std::move(fd).value(), std::move(path), std::move(options)));
}

Client::Client(UniqueFd fd, std::string path, ClientOptions options)
    : path_(std::move(path)), fd_(std::move(fd)), options_(std::move(options)) {
  reader_ = std::thread([this] { read_loop(); });
}

Client::~Client() {
  close();
  if (reader_.joinable()) reader_.join();
}

void Client::close() {
  // Wakes the reader, which fails what is pending. The fd itself stays open
  // until the destructor, so no other file can take its number while a
  // caller still writes to it.
  ::shutdown(fd_.get(), SHUT_RDWR);
}

bool Client::closed() const {
  std::lock_guard lock(mu_);
  return closed_.has_value();
}

Result<std::string> Client::call(std::string_view service, std::string_view method, std::string_view request,
                                 std::chrono::nanoseconds timeout, const Metadata& metadata) {
  const std::string name = std::string(service) + "/" + std::string(method);
  BERTH_RETURN_IF_ERROR(check_payload_size(request.size(), "ttrpc request " + name));
  Request req;
  req.service = std::string(service);
  req.method = std::string(method);
  req.payload = std::string(request);
  req.timeout_nano = timeout.count() > 0 ? timeout.count() : 0;
  req.metadata = metadata;
  const std::string bytes = encode_request(req);
  BERTH_RETURN_IF_ERROR(check_payload_size(bytes.size(), "ttrpc request " + name));

  Pending pending;
  std::uint32_t id;
  {
    std::lock_guard lock(mu_);
    if (closed_) return *closed_;
    id = next_stream_id_;
    next_stream_id_ += 2;
    pending_[id] = &pending;
  }
  // Registered before it is sent: the answer may come back before
  // write_frame returns.
  Status sent;
  {
    std::lock_guard lock(write_mu_);
    sent = write_frame(fd_.get(), id, MessageType::kRequest, bytes);
  }
  std::unique_lock lock(mu_);
  if (!sent.ok() && !pending.result) {
    pending_.erase(id);
    // A connection we cannot write to is broken both ways: let the reader
    // find out and fail the other callers too.
    ::shutdown(fd_.get(), SHUT_RDWR);
    return unavailable("ttrpc call " + name + " to " + path_ + ": " + sent.message());
  }
  const auto has_result = [&] { return pending.result.has_value(); };
  if (timeout.count() > 0) {
    if (!pending.done.wait_for(lock, timeout, has_result)) {
      pending_.erase(id);
      return Status(Code::kDeadlineExceeded, "ttrpc call " + name + " to " + path_ + ": no answer within " +
                                                 std::to_string(timeout.count() / 1000000) + " ms");
    }
  } else {
    pending.done.wait(lock, has_result);
  }
  return std::move(*pending.result);
}

void Client::complete(std::uint32_t stream_id, Result<std::string> result) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(stream_id);
  if (it == pending_.end()) {
    // Its caller gave up (timeout) or the server made the id up.
    log::debug("ttrpc {}: dropping a response for stream {} nobody waits for", path_, stream_id);
    return;
  }
  it->second->result = std::move(result);
  // Notified under the lock: once it is released the caller may return and
  // its Pending be gone.
  it->second->done.notify_one();
  pending_.erase(it);
}

void Client::read_loop() {
  Status why;
  for (;;) {
    auto frame = read_frame(fd_.get());
    if (!frame.ok()) {
      why = frame.status();
      break;
    }
    const std::uint32_t id = frame->header.stream_id;
    if (frame->oversized) {
      complete(id, resource_exhausted("ttrpc response of " + std::to_string(frame->header.length) +
                                      " bytes exceeds the maximum message size of " +
                                      std::to_string(kMaxPayload)));
      continue;
    }
    if (frame->header.type != static_cast<std::uint8_t>(MessageType::kResponse)) {
      complete(id,
               internal("ttrpc: unknown message type " + std::to_string(frame->header.type) + " received"));
      continue;
    }
    auto response = decode_response(frame->payload);
    if (!response.ok()) {
      complete(id, response.status());
    } else if (!response->status.ok()) {
      complete(id, std::move(response->status));
    } else {
      complete(id, std::move(response->payload));
    }
  }

  const Status closed = unavailable("ttrpc connection to " + path_ + " closed: " + why.message());
  {
    std::lock_guard lock(mu_);
    closed_ = closed;
    for (auto& [id, pending] : pending_) {
      pending->result = closed;
      pending->done.notify_one();
    }
    pending_.clear();
  }
  if (options_.on_close) options_.on_close(closed);
}

}  // namespace berth::ttrpc

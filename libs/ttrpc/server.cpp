#include "ttrpc/server.hpp"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <system_error>

#include "berth/log.hpp"
#include "ttrpc/frame.hpp"
#include "ttrpc/unix_socket.hpp"

namespace berth::ttrpc {

struct Server::Conn {
  UniqueFd fd;
  ucred peer{};
  std::mutex write_mu;  // one response frame at a time
};

Server::Server(ServerOptions options) : allowed_uid_(options.allowed_uid.value_or(::geteuid())) {}

Server::~Server() { shutdown(); }

void Server::handle(std::string service, std::string method, Handler handler) {
  std::lock_guard lock(mu_);
  handlers_[std::move(service)][std::move(method)] = std::move(handler);
}

Status Server::listen(const std::string& path) {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return failed_precondition("ttrpc server: listen after shutdown");
  }
  if (listener_) return failed_precondition("ttrpc server: listen called twice");
  wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_) return errno_status("eventfd", errno);
  auto fd = listen_unix(path);
  if (!fd.ok()) return fd.status();
  struct stat st {};
  if (::fstat(fd->get(), &st) == 0 && ::stat(path.c_str(), &st) == 0) socket_ino_ = st.st_ino;
  listener_ = std::move(fd).value();
  path_ = path;
  acceptor_ = std::thread([this] { accept_loop(); });
  return {};
}

void Server::shutdown() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  if (acceptor_.joinable()) {
    const std::uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
    acceptor_.join();
  }
  if (listener_) {
    listener_.reset();
    // Only our own socket: another server may have replaced it since.
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0 && st.st_ino == socket_ino_) ::unlink(path_.c_str());
  }
  std::unique_lock lock(mu_);
  // Readers see end of input and leave; responses still being written fail.
  for (auto& [raw, conn] : conns_) ::shutdown(conn->fd.get(), SHUT_RDWR);
  threads_done_.wait(lock, [this] { return threads_ == 0; });
}

bool Server::spawn(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    ++threads_;
  }
  try {
    std::thread([this, fn = std::move(fn)]() mutable {
      fn();
      fn = nullptr;  // drop what it holds while the Server surely lives
      std::lock_guard lock(mu_);
      --threads_;
      // Under the lock: shutdown() may destroy the Server once it is released.
      threads_done_.notify_all();
    }).detach();
    return true;
  } catch (const std::system_error& e) {
    log::error("ttrpc server {}: cannot start a thread: {}", path_, e.what());
    std::lock_guard lock(mu_);
    --threads_;
    threads_done_.notify_all();
    return false;
  }
}

void Server::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log::error("ttrpc server {}: poll: {}", path_, std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!fd) {
      // A client that gave up, or no fds left for a moment: keep serving.
      if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
        log::warn("ttrpc server {}: accept: {}", path_, std::strerror(errno));
        if (errno == EMFILE || errno == ENFILE) ::poll(nullptr, 0, 100);
      }
      continue;
    }
    auto cred = peer_credentials(fd.get());
    if (!cred.ok()) {
      log::warn("ttrpc server {}: refusing a connection: {}", path_, cred.status().message());
      continue;
    }
    if (cred->uid != allowed_uid_) {
      log::warn("ttrpc server {}: refusing a connection from pid {} uid {}: only uid {} may connect", path_,
                cred->pid, cred->uid, allowed_uid_);
      continue;
    }
    auto conn = std::make_shared<Conn>();
    conn->fd = std::move(fd);
    conn->peer = *cred;
    {
      std::lock_guard lock(mu_);
      conns_[conn.get()] = conn;
    }
    if (!spawn([this, conn] { serve_conn(conn); })) {
      std::lock_guard lock(mu_);
      conns_.erase(conn.get());
    }
  }
}

void Server::serve_conn(const std::shared_ptr<Conn>& conn) {
  for (;;) {
    auto frame = read_frame(conn->fd.get());
    if (!frame.ok()) break;  // the client left, or shutdown()
    const std::uint32_t id = frame->header.stream_id;
    if (frame->oversized) {
      respond(*conn, id,
              {resource_exhausted("message length " + std::to_string(frame->header.length) +
                                  " exceed maximum message size of " + std::to_string(kMaxPayload)),
               {}});
      continue;
    }
    // Other types may come with newer peers: ignored, as containerd does.
    if (frame->header.type != static_cast<std::uint8_t>(MessageType::kRequest)) continue;
    auto request = decode_request(frame->payload);
    if (!request.ok()) {
      respond(*conn, id, {request.status(), {}});
      continue;
    }
    if (id % 2 != 1) {
      respond(*conn, id, {invalid_argument("StreamID must be odd for client initiated streams"), {}});
      continue;
    }
    dispatch(conn, id, std::move(request).value());
  }
  std::lock_guard lock(mu_);
  conns_.erase(conn.get());
}

Handler Server::find(const std::string& service, const std::string& method, Status* missing) const {
  std::lock_guard lock(mu_);
  auto s = handlers_.find(service);
  if (s == handlers_.end()) {
    *missing = unimplemented("service " + service);
    return nullptr;
  }
  auto m = s->second.find(method);
  if (m == s->second.end()) {
    *missing = unimplemented("method " + method);
    return nullptr;
  }
  return m->second;
}

void Server::dispatch(const std::shared_ptr<Conn>& conn, std::uint32_t stream_id, Request request) {
  Status missing;
  Handler handler = find(request.service, request.method, &missing);
  if (!handler) {
    respond(*conn, stream_id, {missing, {}});
    return;
  }
  auto call = std::make_shared<Call>();
  call->service = std::move(request.service);
  call->method = std::move(request.method);
  call->payload = std::move(request.payload);
  call->metadata = std::move(request.metadata);
  if (request.timeout_nano != 0) {
    call->deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(request.timeout_nano);
  }
  call->peer = conn->peer;
  const bool started = spawn([conn, stream_id, handler = std::move(handler), call] {
    Result<std::string> out = handler(*call);
    if (!out.ok()) {
      respond(*conn, stream_id, {out.status(), {}});
    } else {
      respond(*conn, stream_id, {{}, std::move(out).value()});
    }
  });
  if (!started)
    respond(*conn, stream_id, {resource_exhausted("ttrpc server: no thread for the request"), {}});
}

void Server::respond(Conn& conn, std::uint32_t stream_id, const Response& response) {
  std::string bytes = encode_response(response);
  if (Status too_big = check_payload_size(bytes.size(), "ttrpc response"); !too_big.ok()) {
    // The client would refuse it anyway; tell it why instead.
    bytes = encode_response({too_big, {}});
  }
  std::lock_guard lock(conn.write_mu);
  if (Status s = write_frame(conn.fd.get(), stream_id, MessageType::kResponse, bytes); !s.ok()) {
    log::debug("ttrpc server: response on stream {} not sent: {}", stream_id, s.message());
  }
}

}  // namespace berth::ttrpc

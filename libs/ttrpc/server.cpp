#include "ttrpc/server.hpp"

#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <system_error>

#include "berth/log.hpp"
#include "ttrpc/event_loop.hpp"
#include "ttrpc/frame.hpp"
#include "ttrpc/unix_socket.hpp"

namespace berth::ttrpc {

struct Server::Conn {
  UniqueFd fd;
  ucred peer{};
  std::mutex write_mu;  // one response frame at a time
};

Server::Server(ServerOptions options)
    : allowed_uid_(options.allowed_uid.value_or(::geteuid())), loop_(options.loop) {}

Server::~Server() { shutdown(); }

void Server::handle(std::string service, std::string method, Handler handler) {
  handle_async(
      std::move(service), std::move(method),
      [handler = std::move(handler)](const Call& call, const Reply& reply) { reply(handler(call)); });
}

void Server::handle_async(std::string service, std::string method, AsyncHandler handler) {
  std::lock_guard lock(mu_);
  handlers_[std::move(service)][std::move(method)] = std::move(handler);
}

Status Server::listen(const std::string& path) {
  if (listener_) return failed_precondition("ttrpc server: listen called twice");
  auto fd = listen_unix(path);
  if (!fd.ok()) return fd.status();
  Status s = serve(std::move(fd).value(), path);
  if (!s.ok()) ::unlink(path.c_str());
  return s;
}

Status Server::serve(UniqueFd listener, const std::string& path) {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return failed_precondition("ttrpc server: serve after shutdown");
  }
  if (listener_) return failed_precondition("ttrpc server: already serving");
  struct stat st {};
  if (!path.empty() && ::stat(path.c_str(), &st) == 0) socket_ino_ = st.st_ino;
  path_ = path;
  if (loop_ != nullptr) {
    const int fd = listener.get();
    Status s = loop_->watch(fd, EPOLLIN, [this](std::uint32_t) {
      auto conn = accept_one();
      if (!conn) return;
      const int cfd = conn->fd.get();
      Status watched = loop_->watch(cfd, EPOLLIN, [this, raw = conn.get()](std::uint32_t) {
        std::shared_ptr<Conn> held;
        {
          auto it = conns_.find(raw);
          if (it == conns_.end()) return;
          held = it->second;
        }
        if (!serve_frame(held)) close_conn(raw);
      });
      if (!watched.ok()) {
        log::warn("ttrpc server {}: {}", path_, watched.message());
        close_conn(conn.get());
      }
    });
    if (!s.ok()) return s;
    listener_ = std::move(listener);
    return {};
  }
  wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_) return errno_status("eventfd", errno);
  listener_ = std::move(listener);
  try {
    acceptor_ = std::thread([this] { accept_loop(); });
  } catch (const std::system_error& e) {
    listener_.reset();
    return resource_exhausted(std::string("ttrpc server: no thread to accept: ") + e.what());
  }
  return {};
}

void Server::close_conn(Conn* conn) {
  std::shared_ptr<Conn> held;
  {
    std::lock_guard lock(mu_);
    auto it = conns_.find(conn);
    if (it == conns_.end()) return;
    held = std::move(it->second);
    conns_.erase(it);
  }
  if (loop_ != nullptr) loop_->unwatch(held->fd.get());
  // A Reply still held elsewhere keeps the Conn; its writes now fail quietly.
  ::shutdown(held->fd.get(), SHUT_RDWR);
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
    if (loop_ != nullptr) loop_->unwatch(listener_.get());
    listener_.reset();
    // Only our own socket: another server may have replaced it since.
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0 && st.st_ino == socket_ino_) ::unlink(path_.c_str());
  }
  if (loop_ != nullptr) {
    std::map<Conn*, std::shared_ptr<Conn>> conns;
    {
      std::lock_guard lock(mu_);
      conns.swap(conns_);
    }
    for (auto& [raw, conn] : conns) {
      loop_->unwatch(conn->fd.get());
      ::shutdown(conn->fd.get(), SHUT_RDWR);
    }
    return;
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
    auto conn = accept_one();
    if (!conn) continue;
    if (!spawn([this, conn] { serve_conn(conn); })) close_conn(conn.get());
  }
}

std::shared_ptr<Server::Conn> Server::accept_one() {
  UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!fd) {
    // A client that gave up, or no fds left for a moment: keep serving.
    if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
      log::warn("ttrpc server {}: accept: {}", path_, std::strerror(errno));
      if (errno == EMFILE || errno == ENFILE) ::poll(nullptr, 0, 100);
    }
    return nullptr;
  }
  auto cred = peer_credentials(fd.get());
  if (!cred.ok()) {
    log::warn("ttrpc server {}: refusing a connection: {}", path_, cred.status().message());
    return nullptr;
  }
  if (cred->uid != allowed_uid_) {
    log::warn("ttrpc server {}: refusing a connection from pid {} uid {}: only uid {} may connect", path_,
              cred->pid, cred->uid, allowed_uid_);
    return nullptr;
  }
  auto conn = std::make_shared<Conn>();
  conn->fd = std::move(fd);
  conn->peer = *cred;
  std::lock_guard lock(mu_);
  conns_[conn.get()] = conn;
  return conn;
}

void Server::serve_conn(const std::shared_ptr<Conn>& conn) {
  while (serve_frame(conn)) {
  }
  std::lock_guard lock(mu_);
  conns_.erase(conn.get());
}

bool Server::serve_frame(const std::shared_ptr<Conn>& conn) {
  // On a loop this reads a whole frame once its first bytes are in: a peer
  // (of our own uid) that stops half way holds the loop up.
  auto frame = read_frame(conn->fd.get());
  if (!frame.ok()) return false;  // the client left, or shutdown()
  const std::uint32_t id = frame->header.stream_id;
  if (frame->oversized) {
    respond(*conn, id,
            {resource_exhausted("message length " + std::to_string(frame->header.length) +
                                " exceed maximum message size of " + std::to_string(kMaxPayload)),
             {}});
    return true;
  }
  // Other types may come with newer peers: ignored, as containerd does.
  if (frame->header.type != static_cast<std::uint8_t>(MessageType::kRequest)) return true;
  auto request = decode_request(frame->payload);
  if (!request.ok()) {
    respond(*conn, id, {request.status(), {}});
    return true;
  }
  if (id % 2 != 1) {
    respond(*conn, id, {invalid_argument("StreamID must be odd for client initiated streams"), {}});
    return true;
  }
  dispatch(conn, id, std::move(request).value());
  return true;
}

AsyncHandler Server::find(const std::string& service, const std::string& method, Status* missing) const {
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
  AsyncHandler handler = find(request.service, request.method, &missing);
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
  Reply reply = [conn, stream_id](Result<std::string> out) {
    if (!out.ok()) {
      respond(*conn, stream_id, {out.status(), {}});
    } else {
      respond(*conn, stream_id, {{}, std::move(out).value()});
    }
  };
  if (loop_ != nullptr) {
    handler(*call, reply);
    return;
  }
  const bool started = spawn([handler = std::move(handler), call, reply] { handler(*call, reply); });
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

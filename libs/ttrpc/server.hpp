// A ttrpc server on a unix socket, in one of two modes.
// Threaded (the default): one thread accepts; one reads each connection; each
// request runs on a thread of its own that ends with it, so a handler that
// blocks for a container's life (Wait) holds up nobody else. No thread is
// kept idle.
// On a loop (ServerOptions::loop): no thread at all; accepting, reading and
// every handler run on the EventLoop's thread, one at a time, so handlers
// must not block: one that answers later (Wait) is registered with
// handle_async() and keeps its Reply. For Berth's shim, whose memory counts.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "berth/status.hpp"
#include "berth/unique_fd.hpp"
#include "ttrpc/envelope.hpp"

namespace berth::ttrpc {

// One request, as a handler sees it.
struct Call {
  std::string service;
  std::string method;
  std::string payload;
  Metadata metadata;
  // When the caller stops waiting (it sent a timeout); none otherwise. The
  // server does not stop a handler that runs past it: the handler may.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  ucred peer{};  // the connecting process: pid, uid, gid
};

// The response's payload, or the status the caller receives.
using Handler = std::function<Result<std::string>(const Call&)>;
// Sends the answer of one call; call it once, from any thread, now or later
// (after the connection closed, it does nothing).
using Reply = std::function<void(Result<std::string>)>;
using AsyncHandler = std::function<void(const Call&, Reply)>;

class EventLoop;

struct ServerOptions {
  // The only uid allowed to connect (SO_PEERCRED); unset: our effective uid,
  // as containerd's shims require of their peer.
  std::optional<uid_t> allowed_uid;
  // Serve on this loop (it must outlive the Server) instead of threads.
  EventLoop* loop = nullptr;
};

class Server {
 public:
  explicit Server(ServerOptions options = {});
  // shutdown().
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Registers the handler of service/method ("containerd.task.v2.Task",
  // "Create"), replacing any earlier one. Calls to a service or method with
  // none are UNIMPLEMENTED, as in containerd's ttrpc.
  void handle(std::string service, std::string method, Handler handler);
  // A handler that answers through `reply`, when it likes.
  void handle_async(std::string service, std::string method, AsyncHandler handler);

  // Creates the socket at `path` (mode 0600) and serves it until shutdown().
  // Once per Server.
  Status listen(const std::string& path);
  // Serves `listener`, a socket already bound and listening (a shim's, made
  // by its `start` and inherited). `path`, when not empty, is the socket's
  // file, removed at shutdown(). Once per Server, instead of listen().
  Status serve(UniqueFd listener, const std::string& path);

  // Stops accepting, removes the socket, closes every connection and waits
  // for running handlers to return: a handler blocked on something must be
  // released by its owner first. Idempotent.
  void shutdown();

  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  struct Conn;

  void accept_loop();
  // Accepts one connection: nullptr when it was refused or failed.
  std::shared_ptr<Conn> accept_one();
  void serve_conn(const std::shared_ptr<Conn>& conn);
  // Reads and dispatches one frame; false when the connection is done.
  bool serve_frame(const std::shared_ptr<Conn>& conn);
  void close_conn(Conn* conn);
  void dispatch(const std::shared_ptr<Conn>& conn, std::uint32_t stream_id, Request request);
  static void respond(Conn& conn, std::uint32_t stream_id, const Response& response);
  AsyncHandler find(const std::string& service, const std::string& method, Status* missing) const;
  // Runs `fn` on a thread the server waits for at shutdown. False when no
  // thread could be made.
  bool spawn(std::function<void()> fn);

  const uid_t allowed_uid_;
  EventLoop* const loop_;
  std::string path_;
  UniqueFd listener_;
  UniqueFd wake_;  // an eventfd that stops the accept loop
  ino_t socket_ino_ = 0;
  std::thread acceptor_;

  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, AsyncHandler, std::less<>>, std::less<>> handlers_;
  std::map<Conn*, std::shared_ptr<Conn>> conns_;
  int threads_ = 0;  // connection readers and requests still running
  std::condition_variable threads_done_;
  bool stopped_ = false;
};

}  // namespace berth::ttrpc

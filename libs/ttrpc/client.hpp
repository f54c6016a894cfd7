// A ttrpc client over one unix socket connection. Thread-safe: any number of
// calls may be in flight at once (a shim's Wait blocks for the container's
// life while Kill and State go by). One reader thread per connection hands
// each response to its caller by stream id.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "berth/status.hpp"
#include "berth/unique_fd.hpp"
#include "ttrpc/envelope.hpp"

namespace berth::ttrpc {

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  // Called once, on the reader thread, when the connection ends for any
  // reason (the peer left, close() was called), after every pending call has
  // failed. It must not destroy the Client.
  std::function<void(const Status& why)> on_close;
};

class Client {
 public:
  // `address` is a socket path, with or without "unix://". UNAVAILABLE,
  // naming the path, when nothing listens there.
  static Result<std::unique_ptr<Client>> dial(std::string_view address, ClientOptions options = {});

  // Closes the connection and joins the reader.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One unary call: the response's payload, or its status when that is not
  // OK (same code and message). `timeout` (zero: none) is sent to the server
  // and bounds the wait here: DEADLINE_EXCEEDED when it passes, and a late
  // answer is dropped. A closed connection is UNAVAILABLE, as is every call
  // pending when it closes. A request over 4 MiB is RESOURCE_EXHAUSTED and
  // never sent.
  Result<std::string> call(std::string_view service, std::string_view method, std::string_view request,
                           std::chrono::nanoseconds timeout = {}, const Metadata& metadata = {});

  // Ends the connection; pending and later calls fail with UNAVAILABLE.
  void close();
  [[nodiscard]] bool closed() const;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  struct Pending {
    std::optional<Result<std::string>> result;  // guarded by Client::mu_
    std::condition_variable done;
  };

  Client(UniqueFd fd, std::string path, ClientOptions options);
  void read_loop();
  // Hands `result` to the call waiting on `stream_id`, if it still waits.
  void complete(std::uint32_t stream_id, Result<std::string> result);

  const std::string path_;
  UniqueFd fd_;
  ClientOptions options_;
  std::mutex write_mu_;  // one frame at a time on the wire

  mutable std::mutex mu_;
  std::map<std::uint32_t, Pending*> pending_;  // the callers' own Pending, on their stacks
  std::uint32_t next_stream_id_ = 1;           // client streams are odd
  std::optional<Status> closed_;               // why the connection is gone

  std::thread reader_;
};

}  // namespace berth::ttrpc

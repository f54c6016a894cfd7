// Shims' logs: each shim writes its log to the FIFO <bundle>/log; one thread
// reads every shim's FIFO and passes the lines on to the daemon's log,
// prefixed with the task they came from (containerd copies them the same way).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "berth/unique_fd.hpp"

namespace berth::runtime_runc {

class ShimLogs {
 public:
  ShimLogs();
  // Stops the thread; the FIFOs are closed (shims keep running, and their
  // writes are dropped until a daemon opens them again).
  ~ShimLogs();
  ShimLogs(const ShimLogs&) = delete;
  ShimLogs& operator=(const ShimLogs&) = delete;

  // Reads `fifo` from now on, naming `who` ("default/redis") in each line.
  void add(const std::string& who, UniqueFd fifo);
  // Stops reading `who`'s FIFO and closes it.
  void remove(const std::string& who);

 private:
  struct Source {
    UniqueFd fd;
    std::string partial;  // a line not yet ended
  };
  void loop();
  void drain(const std::string& who, Source& source);

  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd: stop
  std::mutex mu_;
  std::map<std::string, Source> sources_;
  std::thread thread_;
};

}  // namespace berth::runtime_runc

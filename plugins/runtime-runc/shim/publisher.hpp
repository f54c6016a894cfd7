// Task events back to the daemon: containerd.services.events.ttrpc.v1.Events
// /Forward on TTRPC_ADDRESS, in the order they happened. Publishing never
// blocks a task call: events queue here and one thread, started only while
// the queue is not empty, sends them, retrying for a while when the daemon
// is away (restarting, say), then dropping them with a log line.
#pragma once

#include <google/protobuf/message_lite.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace berth::shim {

class Publisher {
 public:
  Publisher(std::string ttrpc_address, std::string ns)
      : address_(std::move(ttrpc_address)), ns_(std::move(ns)) {}
  // flush(), bounded.
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Queues `event` under `topic` ("/tasks/exit"); its Any type URL is the
  // bare message name ("containerd.events.TaskExit"), as containerd's
  // typeurl registers event types.
  void publish(const std::string& topic, const std::string& type_name,
               const google::protobuf::MessageLite& event);
  // Waits (up to 5 s) for the queue to empty: before the shim exits.
  void flush();

 private:
  struct Event {
    std::string topic;
    std::string type_url;
    std::string value;
    std::int64_t at_ns = 0;
  };
  void run();

  const std::string address_;
  const std::string ns_;
  std::mutex mu_;
  std::condition_variable idle_;
  std::deque<Event> queue_;
  bool sending_ = false;  // the sender thread runs
  bool closing_ = false;  // flush(): give up retries sooner
};

}  // namespace berth::shim

#include "publisher.hpp"

#include <chrono>
#include <memory>

#include "berth/log.hpp"
#include "bundle.hpp"
#include "github.com/containerd/containerd/api/services/ttrpc/events/v1/events.pb.h"
#include "google/protobuf/empty.pb.h"
#include "ttrpc/client.hpp"
#include "ttrpc/typed.hpp"

namespace berth::shim {

using namespace std::chrono_literals;
namespace ev = containerd::services::events::ttrpc::v1;

Publisher::~Publisher() { flush(); }

void Publisher::publish(const std::string& topic, const std::string& type_name,
                        const google::protobuf::MessageLite& event) {
  if (address_.empty()) return;  // started without TTRPC_ADDRESS: nobody listens
  Event e{topic, type_name, event.SerializeAsString(), now_ns()};
  std::lock_guard lock(mu_);
  queue_.push_back(std::move(e));
  if (sending_) return;
  sending_ = true;
  try {
    std::thread([this] { run(); }).detach();
  } catch (const std::exception& err) {
    sending_ = false;
    log::error("cannot start the event sender: {}", err.what());
  }
}

void Publisher::flush() {
  std::unique_lock lock(mu_);
  closing_ = true;
  idle_.wait_for(lock, 5s, [this] { return !sending_; });
}

void Publisher::run() {
  std::unique_ptr<ttrpc::Client> client;
  int failures = 0;
  for (;;) {
    Event e;
    bool closing = false;
    {
      std::lock_guard lock(mu_);
      if (queue_.empty()) {
        sending_ = false;
        idle_.notify_all();
        return;  // the client closes with this thread
      }
      e = queue_.front();
      closing = closing_;
    }
    Status sent;
    if (!client || client->closed()) {
      auto dialed = ttrpc::Client::dial(address_, {.connect_timeout = 2000ms, .on_close = nullptr});
      if (dialed.ok()) {
        client = std::move(dialed).value();
      } else {
        sent = dialed.status();
      }
    }
    if (sent.ok()) {
      ev::ForwardRequest req;
      auto* env = req.mutable_envelope();
      env->mutable_timestamp()->set_seconds(e.at_ns / 1000000000);
      env->mutable_timestamp()->set_nanos(static_cast<int>(e.at_ns % 1000000000));
      env->set_namespace_(ns_);
      env->set_topic(e.topic);
      env->mutable_event()->set_type_url(e.type_url);
      env->mutable_event()->set_value(e.value);
      auto done =
          ttrpc::call<google::protobuf::Empty>(*client, "containerd.services.events.ttrpc.v1.Events",
                                               "Forward", req, 5s, {{"containerd-namespace-ttrpc", ns_}});
      if (!done.ok()) sent = done.status();
    }
    if (sent.ok()) {
      failures = 0;
      std::lock_guard lock(mu_);
      queue_.pop_front();
      continue;
    }
    client.reset();
    // About 30 s for a daemon restart; less once the shim is exiting.
    if (++failures > (closing ? 3 : 40)) {
      log::warn("dropping event {}: {}", e.topic, sent.message());
      failures = 0;
      std::lock_guard lock(mu_);
      queue_.pop_front();
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100 * failures, 1000)));
  }
}

}  // namespace berth::shim

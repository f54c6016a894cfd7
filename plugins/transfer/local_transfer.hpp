// berth::Transfer over the daemon's own stores: the plugin instance.
#pragma once

#include "berth/instance.hpp"
#include "berth/transfer.hpp"
#include "puller.hpp"
#include "pusher.hpp"

namespace berth::transfer {

class LocalTransfer final : public Instance, public Transfer {
 public:
  explicit LocalTransfer(TransferDeps deps) : deps_(std::move(deps)) {}

  Result<Image> pull(const ContentScope& scope, const PullOptions& options, const ProgressFn& progress,
                     const CancelCheck& cancelled) override {
    return pull_image(deps_, scope, options, progress, cancelled);
  }
  Result<Descriptor> push(const ContentScope& scope, const PushOptions& options, const ProgressFn& progress,
                          const CancelCheck& cancelled) override {
    return push_image(deps_, scope, options, progress, cancelled);
  }

 private:
  TransferDeps deps_;
};

}  // namespace berth::transfer

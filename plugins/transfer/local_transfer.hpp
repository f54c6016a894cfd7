// berth::Transfer over the daemon's own stores: the engine of the transfer
// plugin (transfer_plugin.hpp loads it on first use).
#pragma once

#include "berth/transfer.hpp"
#include "exporter.hpp"
#include "importer.hpp"
#include "puller.hpp"
#include "pusher.hpp"

namespace berth::transfer {

class LocalTransfer final : public Transfer {
 public:
  explicit LocalTransfer(TransferDeps deps) : deps_(std::move(deps)) {}

  Result<Image> pull(const ContentScope& scope, const PullOptions& options, const ProgressFn& progress,
                     const CancelCheck& cancelled) override {
    auto pulled = pull_image(deps_, scope, options, progress, cancelled);
    ++deps_.figures->pulls;
    return pulled;
  }
  Result<Descriptor> push(const ContentScope& scope, const PushOptions& options, const ProgressFn& progress,
                          const CancelCheck& cancelled) override {
    auto pushed = push_image(deps_, scope, options, progress, cancelled);
    ++deps_.figures->pushes;
    return pushed;
  }

  Result<std::vector<Image>> import_archive(
      const ContentScope& scope, const ImportOptions& options,
      const std::function<Result<std::size_t>(char*, std::size_t)>& source, const ProgressFn& progress,
      const CancelCheck& cancelled) override {
    return import_image_archive(deps_, scope, options, source, progress, cancelled);
  }

  Status export_archive(const ContentScope& scope, const ExportOptions& options,
                        const std::function<Status(std::string_view)>& sink, const ProgressFn& progress,
                        const CancelCheck& cancelled) override {
    return export_image_archive(deps_, scope, options, sink, progress, cancelled);
  }

 private:
  TransferDeps deps_;
};

}  // namespace berth::transfer

// berth::Transfer over the daemon's own stores: the plugin instance.
#pragma once

#include "berth/instance.hpp"
#include "berth/transfer.hpp"
#include "exporter.hpp"
#include "importer.hpp"
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

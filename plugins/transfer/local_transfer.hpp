// berth::Transfer over the daemon's own stores: the plugin instance.
#pragma once

#include "berth/instance.hpp"
#include "berth/metrics.hpp"
#include "berth/transfer.hpp"
#include "exporter.hpp"
#include "importer.hpp"
#include "puller.hpp"
#include "pusher.hpp"

namespace berth::transfer {

class LocalTransfer final : public Instance, public Transfer, public MetricsSource {
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

  // The metrics endpoint's figures: bytes pulled and pushed, transfers done.
  std::vector<metrics::Family> collect() override {
    const TransferFigures& f = *deps_.figures;
    const auto counter = [](const char* name, const char* help, uint64_t value) {
      return metrics::Family{.name = name,
                             .help = help,
                             .kind = metrics::Kind::kCounter,
                             .samples = {{.labels = {}, .value = static_cast<double>(value)}}};
    };
    return {counter("berth_transfer_pulled_bytes_total", "Bytes received from registries by pulls",
                    f.pulled_bytes),
            counter("berth_transfer_pushed_bytes_total", "Blob bytes sent to registries by pushes",
                    f.pushed_bytes),
            counter("berth_transfer_pulls_total", "Pulls finished, successful or not", f.pulls),
            counter("berth_transfer_pushes_total", "Pushes finished, successful or not", f.pushes)};
  }

 private:
  TransferDeps deps_;
};

}  // namespace berth::transfer

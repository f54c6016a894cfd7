// The transfer plugin's instance: berth::Transfer, forwarding to the engine
// (LocalTransfer, with libcurl and libarchive) that it loads from
// <lib>/berth/engines/transfer-local-engine.so on the first transfer, so a
// daemon start loads none of the forty-odd libraries those two pull in.
#pragma once

#include <filesystem>
#include <memory>
#include <utility>
#include <vector>

#include "berth/instance.hpp"
#include "berth/metrics.hpp"
#include "berth/transfer.hpp"
#include "plugin-engine/plugin_engine.hpp"
#include "transfer_deps.hpp"

namespace berth::transfer {

// The engine module's entry point: a LocalTransfer over `deps` (moved from),
// owned by the caller; null if it could not be made.
inline constexpr const char* kEngineEntry = "berth_transfer_engine";
using EngineEntry = Transfer* (*)(TransferDeps* deps);

class TransferPlugin final : public Instance, public Transfer, public MetricsSource {
 public:
  TransferPlugin(TransferDeps deps, std::filesystem::path engine);

  Result<Image> pull(const ContentScope& scope, const PullOptions& options, const ProgressFn& progress,
                     const CancelCheck& cancelled) override;
  Result<Descriptor> push(const ContentScope& scope, const PushOptions& options, const ProgressFn& progress,
                          const CancelCheck& cancelled) override;
  Result<std::vector<Image>> import_archive(
      const ContentScope& scope, const ImportOptions& options,
      const std::function<Result<std::size_t>(char*, std::size_t)>& source, const ProgressFn& progress,
      const CancelCheck& cancelled) override;
  Status export_archive(const ContentScope& scope, const ExportOptions& options,
                        const std::function<Status(std::string_view)>& sink, const ProgressFn& progress,
                        const CancelCheck& cancelled) override;

  // The metrics endpoint's figures: bytes pulled and pushed, transfers done
  // (zero until the engine is loaded: it counts into the same figures).
  std::vector<metrics::Family> collect() override;

 private:
  std::shared_ptr<TransferFigures> figures_;
  plugin_engine::Lazy<Transfer> engine_;
};

}  // namespace berth::transfer

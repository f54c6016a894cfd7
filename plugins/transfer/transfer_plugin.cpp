#include "transfer_plugin.hpp"

namespace berth::transfer {

TransferPlugin::TransferPlugin(TransferDeps deps, std::filesystem::path engine)
    : figures_(deps.figures),
      engine_([deps = std::move(deps),
               engine = std::move(engine)]() mutable -> Result<std::shared_ptr<Transfer>> {
        auto entry = plugin_engine::load_symbol(engine, kEngineEntry);
        if (!entry.ok()) return entry.status();
        // A copy: a failed attempt leaves `deps` for the next one.
        TransferDeps copy = deps;
        Transfer* made = reinterpret_cast<EngineEntry>(*entry)(&copy);
        if (made == nullptr) return internal("engine " + engine.string() + " could not make a transfer");
        return std::shared_ptr<Transfer>(made);
      }) {}

Result<Image> TransferPlugin::pull(const ContentScope& scope, const PullOptions& options,
                                   const ProgressFn& progress, const CancelCheck& cancelled) {
  auto engine = engine_.get();
  if (!engine.ok()) return engine.status();
  return (*engine)->pull(scope, options, progress, cancelled);
}

Result<Descriptor> TransferPlugin::push(const ContentScope& scope, const PushOptions& options,
                                        const ProgressFn& progress, const CancelCheck& cancelled) {
  auto engine = engine_.get();
  if (!engine.ok()) return engine.status();
  return (*engine)->push(scope, options, progress, cancelled);
}

Result<std::vector<Image>> TransferPlugin::import_archive(
    const ContentScope& scope, const ImportOptions& options,
    const std::function<Result<std::size_t>(char*, std::size_t)>& source, const ProgressFn& progress,
    const CancelCheck& cancelled) {
  auto engine = engine_.get();
  if (!engine.ok()) return engine.status();
  return (*engine)->import_archive(scope, options, source, progress, cancelled);
}

Status TransferPlugin::export_archive(const ContentScope& scope, const ExportOptions& options,
                                      const std::function<Status(std::string_view)>& sink,
                                      const ProgressFn& progress, const CancelCheck& cancelled) {
  auto engine = engine_.get();
  if (!engine.ok()) return engine.status();
  return (*engine)->export_archive(scope, options, sink, progress, cancelled);
}

std::vector<metrics::Family> TransferPlugin::collect() {
  const TransferFigures& f = *figures_;
  const auto counter = [](const char* name, const char* help, uint64_t value) {
    return metrics::Family{.name = name,
                           .help = help,
                           .kind = metrics::Kind::kCounter,
                           .samples = {{.labels = {}, .value = static_cast<double>(value)}}};
  };
  return {
      counter("berth_transfer_pulled_bytes_total", "Bytes received from registries by pulls", f.pulled_bytes),
      counter("berth_transfer_pushed_bytes_total", "Blob bytes sent to registries by pushes", f.pushed_bytes),
      counter("berth_transfer_pulls_total", "Pulls finished, successful or not", f.pulls),
      counter("berth_transfer_pushes_total", "Pushes finished, successful or not", f.pushes)};
}

}  // namespace berth::transfer

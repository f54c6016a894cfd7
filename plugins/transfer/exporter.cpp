#include "exporter.hpp"

#include "image-archive/content_adapters.hpp"
#include "image-archive/export.hpp"
#include "platforms/platforms.hpp"
#include "progress.hpp"

namespace berth::transfer {
namespace {

namespace archive = image_archive;

// Reports each blob as the exporter opens it to copy.
class ReportingSource final : public archive::BlobSource {
 public:
  ReportingSource(archive::BlobSource& inner, ProgressReporter& reporter)
      : inner_(inner), reporter_(reporter) {}
  Result<std::unique_ptr<ContentReader>> open(std::string_view digest) override {
    auto reader = inner_.open(digest);
    if (reader.ok()) {
      const int64_t size = (*reader)->size();
      reporter_.report("blob", std::string(digest), TransferState::kDone, size, size);
    }
    return reader;
  }

 private:
  archive::BlobSource& inner_;
  ProgressReporter& reporter_;
};

}  // namespace

Status export_image_archive(const TransferDeps& deps, const ContentScope& scope, const ExportOptions& options,
                            const image_archive::ByteSink& sink, const ProgressFn& progress,
                            const CancelCheck& cancelled) {
  if (options.images.empty()) return invalid_argument("an export needs at least one image name");
  archive::ExportOptions archive_options{.all_platforms = options.all_platforms,
                                         .skip_docker_manifest = options.skip_docker_manifest};
  for (const std::string& p : options.platforms) {
    auto parsed = platforms::parse(p);
    if (!parsed.ok()) return parsed.status();
    archive_options.platforms.push_back(std::move(*parsed));
  }
  // As ctr: the host's platform exactly unless told otherwise.
  if (archive_options.platforms.empty() && !options.all_platforms)
    archive_options.platforms.push_back(platforms::host());

  std::vector<archive::ExportImage> images;
  BERTH_RETURN_IF_ERROR(deps.metadata->view([&](Transaction& tx) -> Status {
    for (const std::string& name : options.images) {
      auto image = deps.images->get(tx, scope.ns, name);
      if (!image.ok()) {
        if (image.status().code() == Code::kNotFound)
          return not_found("image " + name + " not found in namespace " + scope.ns);
        return image.status().with_context("look up image " + name);
      }
      images.push_back(archive::ExportImage{.name = image->name, .target = image->target});
    }
    return {};
  }));

  ProgressReporter reporter(progress);
  archive::NamespacedBlobSource content_source(*deps.content, scope);
  ReportingSource source(content_source, reporter);
  const archive::ByteSink checked_sink = [&](std::string_view bytes) -> Status {
    if (cancelled) BERTH_RETURN_IF_ERROR(cancelled());
    return sink(bytes);
  };
  return archive::export_archive(images, source, checked_sink, archive_options);
}

}  // namespace berth::transfer

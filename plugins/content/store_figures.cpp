// LocalStore's figures for the metrics endpoint. Walked afresh at each
// scrape rather than counted as blobs come and go: the store's directory is
// the truth (another berthd, a crash mid-commit, the GC), and a walk of the
// blobs' directory entries is cheap next to a scrape's interval.
#include "local_store.hpp"

namespace berth::content {

std::vector<metrics::Family> LocalStore::collect() {
  double blobs = 0;
  double bytes = 0;
  if (!walk([&](const ContentInfo& info) {
         ++blobs;
         bytes += static_cast<double>(info.size);
         return true;
       }).ok())
    return {};
  auto ingests = list_statuses();
  std::vector<metrics::Family> out{{.name = "berth_content_blobs",
                                    .help = "Blobs in the content store",
                                    .kind = metrics::Kind::kGauge,
                                    .samples = {{.labels = {}, .value = blobs}}},
                                   {.name = "berth_content_bytes",
                                    .help = "Bytes of the blobs in the content store",
                                    .kind = metrics::Kind::kGauge,
                                    .samples = {{.labels = {}, .value = bytes}}}};
  if (ingests.ok()) {
    out.push_back({.name = "berth_content_ingests",
                   .help = "Blobs being written into the content store",
                   .kind = metrics::Kind::kGauge,
                   .samples = {{.labels = {}, .value = static_cast<double>(ingests->size())}}});
  }
  return out;
}

}  // namespace berth::content

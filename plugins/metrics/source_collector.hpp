// The bridge from plugins' MetricsSources to the exposer: at every scrape,
// each source's families, turned into prometheus-cpp's and merged by name.
#pragma once

#include <map>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "berth/metrics.hpp"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace berth::metrics_plugin {

// Families from several sources as prometheus-cpp's: families of one name are
// merged into the first (its help and kind win; a sample whose labels repeat
// one already there is dropped, as the text format allows each series once);
// a family or label whose name Prometheus refuses is dropped with a warning
// naming `plugin`, rather than breaking the scrape for every other figure.
class FamilyMerger {
 public:
  void add(std::string_view plugin, std::vector<metrics::Family> families);
  std::vector<prometheus::MetricFamily> take();

 private:
  std::vector<prometheus::MetricFamily> out_;
  // Indexed so a scrape of many tasks (one family per figure per task)
  // merges in n log n, not n².
  std::map<std::string, std::size_t, std::less<>> by_name_;  // name -> index in out_
  std::vector<std::set<Labels>> seen_;                       // per family in out_
};

class SourceCollector final : public prometheus::Collectable {
 public:
  // Replaces the sources. Once it returns, no collect() of an earlier source
  // is running or will run.
  void set(std::vector<NamedSource> sources);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  // Shared while a scrape collects, exclusive while the sources change.
  mutable std::shared_mutex mu_;
  std::vector<NamedSource> sources_;
};

}  // namespace berth::metrics_plugin

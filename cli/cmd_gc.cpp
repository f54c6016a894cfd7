// berth gc: runs a garbage collection now (berth.services.gc.v1.GC) and
// prints what it removed, or with --dry-run what it would remove.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "berth/services/gc/v1/gc.grpc.pb.h"
#include "command_table.hpp"
#include "output.hpp"

namespace berth::cli {
namespace {

namespace gc_v1 = ::berth::services::gc::v1;

std::string millis(int64_t ns) { return fmt::format("{:.3f} ms", static_cast<double>(ns) / 1e6); }

int run_gc(Invocation& inv) {
  gc_v1::CollectRequest request;
  request.set_dry_run(inv.args().has("dry-run"));
  gc_v1::CollectResponse response;
  if (auto status = inv.client().call(&gc_v1::GC::Stub::Collect, request, &response); !status.ok())
    return inv.fail("garbage collection", status);

  if (inv.json()) {
    auto removed = nlohmann::ordered_json::array();
    for (const auto& r : response.removed())
      removed.push_back({{"kind", r.kind()}, {"namespace", r.namespace_()}, {"id", r.id()}});
    print_json({{"dry_run", response.dry_run()},
                {"duration_ns", response.duration_ns()},
                {"pause_ns", response.pause_ns()},
                {"removed", std::move(removed)}});
    return kExitOk;
  }
  Table table({"KIND", "NAMESPACE", "ID"});
  for (const auto& r : response.removed())
    table.add_row({r.kind(), r.namespace_().empty() ? "-" : r.namespace_(), r.id()});
  if (response.removed_size() > 0) table.print();
  if (response.dry_run()) {
    fmt::print("would remove {} objects (marked in {})\n", response.removed_size(),
               millis(response.duration_ns()));
  } else {
    fmt::print("removed {} objects in {} (writes paused {})\n", response.removed_size(),
               millis(response.duration_ns()), millis(response.pause_ns()));
  }
  return kExitOk;
}

}  // namespace

Command gc_command() {
  return {
      .name = "gc",
      .summary = "collect garbage now and print what was removed",
      .description =
          "Runs a garbage collection in the daemon, as containerd's scheduler would: "
          "whatever no image, container, live lease, gc.root label or reference label "
          "keeps is removed, in every namespace, blobs and snapshots from disk too.",
      .options = {{'\0', "dry-run", "", "print what a collection would remove, removing nothing"}},
      .max_args = 0,
      .run = run_gc,
  };
}

}  // namespace berth::cli

// berth leases: create, list and remove leases, which keep content from the
// garbage collector, as `ctr leases` does.
#include <fmt/format.h>
#include <google/protobuf/empty.pb.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "command_table.hpp"
#include "github.com/containerd/containerd/api/services/leases/v1/leases.grpc.pb.h"
#include "labels.hpp"
#include "output.hpp"

namespace berth::cli {
namespace {

namespace leases = containerd::services::leases::v1;
using Stub = leases::Leases::Stub;

// A Go duration ("24h", "1h30m", "90s", "1.5h", "0"). False if malformed.
bool parse_go_duration(std::string_view text, std::chrono::nanoseconds& out) {
  if (text == "0") {
    out = std::chrono::nanoseconds(0);
    return true;
  }
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return false;
  long double total = 0;
  while (!text.empty()) {
    size_t i = 0;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == 0) return false;
    long double number = 0;
    try {
      number = std::stold(std::string(text.substr(0, i)));
    } catch (...) {
      return false;
    }
    text.remove_prefix(i);
    size_t j = 0;
    while (j < text.size() && !std::isdigit(static_cast<unsigned char>(text[j])) && text[j] != '.') ++j;
    std::string_view unit = text.substr(0, j);
    text.remove_prefix(j);
    long double scale = 0;
    if (unit == "ns")
      scale = 1;
    else if (unit == "us" || unit == "µs")
      scale = 1e3;
    else if (unit == "ms")
      scale = 1e6;
    else if (unit == "s")
      scale = 1e9;
    else if (unit == "m")
      scale = 60e9;
    else if (unit == "h")
      scale = 3600e9;
    else
      return false;
    total += number * scale;
  }
  out = std::chrono::nanoseconds(static_cast<int64_t>(std::llround(negative ? -total : total)));
  return true;
}

// ctr's random lease IDs: the current nanoseconds and some random characters.
std::string random_id() {
  static constexpr std::string_view kChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  std::string suffix;
  for (int i = 0; i < 11; ++i) suffix += kChars[gen() % kChars.size()];
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count() %
               1'000'000'000;
  return fmt::format("{}-{}", nanos, suffix);
}

int run_create(Invocation& inv) {
  std::map<std::string, std::string> labels;
  std::string error;
  if (!parse_label_args(inv.positionals(), labels, error)) return inv.usage_error(error);
  std::string expires_text = inv.args().value("expires").value_or("24h");
  std::chrono::nanoseconds expires{};
  if (!parse_go_duration(expires_text, expires)) {
    return inv.usage_error(
        fmt::format("--expires {:?} is not a duration (like 24h, 30m or 0)", expires_text));
  }
  if (expires.count() > 0) {
    labels[std::string(kLeaseExpireLabel)] =
        rfc3339(std::chrono::system_clock::now() +
                std::chrono::duration_cast<std::chrono::system_clock::duration>(expires));
  }
  leases::CreateRequest request;
  request.set_id(inv.args().value("id").value_or(random_id()));
  request.mutable_labels()->insert(labels.begin(), labels.end());
  leases::CreateResponse response;
  if (auto status = inv.client().call(&Stub::Create, request, &response); !status.ok()) {
    return inv.fail(fmt::format("create lease {}", request.id()), status);
  }
  if (inv.json()) {
    print_json({{"id", response.lease().id()},
                {"created_at", rfc3339(response.lease().created_at())},
                {"labels", label_map(response.lease().labels())}});
  } else {
    fmt::print("{}\n", response.lease().id());
  }
  return kExitOk;
}

int run_list(Invocation& inv) {
  leases::ListRequest request;
  for (const std::string& filter : inv.positionals()) request.add_filters(filter);
  leases::ListResponse response;
  if (auto status = inv.client().call(&Stub::List, request, &response); !status.ok()) {
    return inv.fail("list leases", status);
  }
  std::vector<const leases::Lease*> sorted;
  for (const auto& lease : response.leases()) sorted.push_back(&lease);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->id() < b->id(); });

  if (inv.args().has("quiet")) {
    for (const auto* lease : sorted) fmt::print("{}\n", lease->id());
  } else if (inv.json()) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::array();
    for (const auto* lease : sorted) {
      doc.push_back({{"id", lease->id()},
                     {"created_at", rfc3339(lease->created_at())},
                     {"labels", label_map(lease->labels())}});
    }
    print_json(doc);
  } else {
    Table table({"ID", "CREATED", "LABELS"});
    for (const auto* lease : sorted) {
      table.add_row({lease->id(), rfc3339(lease->created_at()), join_label_map(lease->labels())});
    }
    table.print();
  }
  return kExitOk;
}

int run_remove(Invocation& inv) {
  return inv.for_each_positional("remove lease", [&](const std::string& id) {
    leases::DeleteRequest request;
    request.set_id(id);
    request.set_sync(inv.args().has("sync"));
    google::protobuf::Empty response;
    return inv.client().call(&Stub::Delete, request, &response);
  });
}

}  // namespace

Command leases_command() {
  return {
      .name = "leases",
      .aliases = {"lease"},
      .summary = "manage leases",
      .subcommands =
          {
              {
                  .name = "create",
                  .aliases = {"c"},
                  .summary = "create a lease and print its ID",
                  .synopsis = "[KEY=VALUE...]",
                  .description = "Create a lease with the given labels (a bare KEY means KEY=true). Unless\n"
                                 "--expires is 0 it gets a containerd.io/gc.expire label that far ahead.",
                  .options = {{'\0', "id", "ID", "the lease ID (default: a random one)"},
                              {'x', "expires", "DURATION",
                               "expire the lease after this long (default 24h; 0: never)"}},
                  .run = run_create,
              },
              {
                  .name = "list",
                  .aliases = {"ls"},
                  .summary = "list leases",
                  .synopsis = "[FILTER...]",
                  .options = {{'q', "quiet", "", "print only the lease IDs"}},
                  .run = run_list,
              },
              {
                  .name = "remove",
                  .aliases = {"rm", "delete"},
                  .summary = "remove one or more leases",
                  .synopsis = "ID...",
                  .description =
                      "Remove leases. Each failure is reported; the exit status is 1 if any lease\n"
                      "could not be removed.",
                  .options = {{'\0', "sync", "", "wait for garbage collection to finish"}},
                  .min_args = 1,
                  .run = run_remove,
              },
          },
  };
}

}  // namespace berth::cli

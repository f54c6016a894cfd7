// berth snapshots: the snapshots of one snapshotter (--snapshotter, default
// overlayfs or $BERTH_SNAPSHOTTER), as `ctr snapshots` shows them.
#include <fmt/format.h>
#include <google/protobuf/empty.pb.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "command_table.hpp"
#include "github.com/containerd/containerd/api/services/snapshots/v1/snapshots.grpc.pb.h"
#include "labels.hpp"
#include "output.hpp"

namespace berth::cli {
namespace {

namespace snapshots = containerd::services::snapshots::v1;
using Stub = snapshots::Snapshots::Stub;

const OptionSpec kSnapshotterOption{'s', "snapshotter", "NAME",
                                    "the snapshotter (default: $BERTH_SNAPSHOTTER, else overlayfs)"};

std::string Snapshotter(const Invocation& inv) {
  if (auto v = inv.args().Value("snapshotter")) return *v;
  if (const char* env = std::getenv("BERTH_SNAPSHOTTER"); env != nullptr && *env != '\0') return env;
  return "overlayfs";
}

std::string KindName(snapshots::Kind kind) {
  switch (kind) {
    case snapshots::VIEW:
      return "View";
    case snapshots::ACTIVE:
      return "Active";
    case snapshots::COMMITTED:
      return "Committed";
    default:
      return "Unknown";
  }
}

// Sizes as ctr prints them: 1024-based, one decimal ("4.0 KiB").
std::string HumanSize(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  size_t unit = 0;
  while (v >= 1024 && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, kUnits[unit]);
}

nlohmann::ordered_json InfoJson(const snapshots::Info& info) {
  return {{"name", info.name()},
          {"parent", info.parent()},
          {"kind", KindName(info.kind())},
          {"created_at", Rfc3339(info.created_at())},
          {"updated_at", Rfc3339(info.updated_at())},
          {"labels", LabelMap(info.labels())}};
}

// `mount -t TYPE SOURCE TARGET -o OPTIONS`, as ctr prints mounts.
void PrintMounts(const google::protobuf::RepeatedPtrField<containerd::types::Mount>& mounts,
                 const std::string& target, bool json) {
  if (json) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::array();
    for (const auto& m : mounts) {
      doc.push_back({{"type", m.type()},
                     {"source", m.source()},
                     {"target", m.target()},
                     {"options", std::vector<std::string>(m.options().begin(), m.options().end())}});
    }
    PrintJson(doc);
    return;
  }
  for (const auto& m : mounts) {
    std::string options;
    for (const auto& o : m.options()) options += (options.empty() ? "" : ",") + o;
    const std::string where = m.target().empty() ? target : target + "/" + m.target();
    fmt::print("mount -t {} {} {}{}\n", m.type(), m.source(), where, options.empty() ? "" : " -o " + options);
  }
}

// Every snapshot matching `filters`, sorted by name; false (after reporting) on failure.
bool ListAll(Invocation& inv, const std::vector<std::string>& filters, std::vector<snapshots::Info>& out,
             int& exit) {
  if (auto status = inv.client().Connect(); !status.ok()) {
    exit = inv.Fail("list snapshots", status);
    return false;
  }
  snapshots::ListSnapshotsRequest request;
  request.set_snapshotter(Snapshotter(inv));
  for (const auto& f : filters) request.add_filters(f);
  grpc::ClientContext context;
  inv.client().Prepare(context);
  Stub stub(inv.client().channel());
  auto reader = stub.List(&context, request);
  snapshots::ListSnapshotsResponse response;
  while (reader->Read(&response)) {
    for (auto& info : *response.mutable_info()) out.push_back(std::move(info));
  }
  if (auto status = reader->Finish(); !status.ok()) {
    exit = inv.Fail("list snapshots", status);
    return false;
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name() < b.name(); });
  return true;
}

int RunList(Invocation& inv) {
  std::vector<snapshots::Info> infos;
  int exit = kExitOk;
  if (!ListAll(inv, inv.positionals(), infos, exit)) return exit;
  if (inv.args().Has("quiet")) {
    for (const auto& info : infos) fmt::print("{}\n", info.name());
  } else if (inv.json()) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::array();
    for (const auto& info : infos) doc.push_back(InfoJson(info));
    PrintJson(doc);
  } else {
    Table table({"KEY", "PARENT", "KIND"});
    for (const auto& info : infos) table.AddRow({info.name(), info.parent(), KindName(info.kind())});
    table.Print();
  }
  return kExitOk;
}

bool LabelOptions(Invocation& inv, std::map<std::string, std::string>& labels) {
  std::string error;
  const auto values = inv.args().Values("label");
  if (!ParseLabelArgs(values, labels, error)) {
    (void)inv.UsageError(error);
    return false;
  }
  return true;
}

template <typename Request, typename Response>
int Create(Invocation& inv, grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
           std::string_view verb) {
  const std::string& key = inv.positionals().at(0);
  std::map<std::string, std::string> labels;
  if (!LabelOptions(inv, labels)) return kExitUsage;
  Request request;
  request.set_snapshotter(Snapshotter(inv));
  request.set_key(key);
  if (inv.positionals().size() > 1) request.set_parent(inv.positionals()[1]);
  request.mutable_labels()->insert(labels.begin(), labels.end());
  Response response;
  if (auto status = inv.client().Call(method, request, &response); !status.ok()) {
    return inv.Fail(fmt::format("{} snapshot {}", verb, key), status);
  }
  if (auto target = inv.args().Value("mounts")) {
    PrintMounts(response.mounts(), *target, inv.json());
  } else if (inv.json()) {
    PrintJson({{"key", key}});
  } else {
    fmt::print("{}\n", key);
  }
  return kExitOk;
}

int RunPrepare(Invocation& inv) { return Create(inv, &Stub::Prepare, "prepare"); }
int RunView(Invocation& inv) { return Create(inv, &Stub::View, "view"); }

int RunCommit(Invocation& inv) {
  const std::string& name = inv.positionals()[0];
  const std::string& key = inv.positionals()[1];
  std::map<std::string, std::string> labels;
  if (!LabelOptions(inv, labels)) return kExitUsage;
  snapshots::CommitSnapshotRequest request;
  request.set_snapshotter(Snapshotter(inv));
  request.set_name(name);
  request.set_key(key);
  request.mutable_labels()->insert(labels.begin(), labels.end());
  google::protobuf::Empty response;
  if (auto status = inv.client().Call(&Stub::Commit, request, &response); !status.ok()) {
    return inv.Fail(fmt::format("commit snapshot {} as {}", key, name), status);
  }
  if (inv.json()) {
    PrintJson({{"name", name}});
  } else {
    fmt::print("{}\n", name);
  }
  return kExitOk;
}

int RunRemove(Invocation& inv) {
  int exit = kExitOk;
  std::vector<std::string> removed;
  for (const std::string& key : inv.positionals()) {
    snapshots::RemoveSnapshotRequest request;
    request.set_snapshotter(Snapshotter(inv));
    request.set_key(key);
    google::protobuf::Empty response;
    if (auto status = inv.client().Call(&Stub::Remove, request, &response); !status.ok()) {
      exit = inv.Fail(fmt::format("remove snapshot {}", key), status);
      if (inv.client().unreachable()) break;
      continue;
    }
    if (inv.json()) {
      removed.push_back(key);
    } else {
      fmt::print("{}\n", key);
    }
  }
  if (inv.json()) PrintJson(removed);
  return exit;
}

int RunMounts(Invocation& inv) {
  const std::string& target = inv.positionals()[0];
  const std::string& key = inv.positionals()[1];
  snapshots::MountsRequest request;
  request.set_snapshotter(Snapshotter(inv));
  request.set_key(key);
  snapshots::MountsResponse response;
  if (auto status = inv.client().Call(&Stub::Mounts, request, &response); !status.ok()) {
    return inv.Fail(fmt::format("mounts of snapshot {}", key), status);
  }
  PrintMounts(response.mounts(), target, inv.json());
  return kExitOk;
}

int RunUsage(Invocation& inv) {
  std::vector<std::string> keys = inv.positionals();
  int exit = kExitOk;
  if (keys.empty()) {
    std::vector<snapshots::Info> infos;
    if (!ListAll(inv, {}, infos, exit)) return exit;
    for (const auto& info : infos) keys.push_back(info.name());
  }
  nlohmann::ordered_json doc = nlohmann::ordered_json::array();
  Table table({"KEY", "SIZE", "INODES"});
  for (const auto& key : keys) {
    snapshots::UsageRequest request;
    request.set_snapshotter(Snapshotter(inv));
    request.set_key(key);
    snapshots::UsageResponse response;
    if (auto status = inv.client().Call(&Stub::Usage, request, &response); !status.ok()) {
      exit = inv.Fail(fmt::format("usage of snapshot {}", key), status);
      if (inv.client().unreachable()) break;
      continue;
    }
    doc.push_back({{"key", key}, {"size", response.size()}, {"inodes", response.inodes()}});
    table.AddRow({key, HumanSize(response.size()), std::to_string(response.inodes())});
  }
  if (inv.json()) {
    PrintJson(doc);
  } else {
    table.Print();
  }
  return exit;
}

int RunTree(Invocation& inv) {
  std::vector<snapshots::Info> infos;
  int exit = kExitOk;
  if (!ListAll(inv, {}, infos, exit)) return exit;
  std::map<std::string, std::vector<std::string>> children;  // parent -> children, sorted
  std::map<std::string, const snapshots::Info*> by_name;
  for (const auto& info : infos) by_name[info.name()] = &info;
  std::vector<std::string> roots;
  for (const auto& info : infos) {
    // A parent outside the listing (none, or another namespace's) makes a root.
    if (info.parent().empty() || by_name.count(info.parent()) == 0) {
      roots.push_back(info.name());
    } else {
      children[info.parent()].push_back(info.name());
    }
  }
  if (inv.json()) {
    std::function<nlohmann::ordered_json(const std::string&)> node = [&](const std::string& name) {
      nlohmann::ordered_json n = {{"name", name}, {"kind", KindName(by_name[name]->kind())}};
      n["children"] = nlohmann::ordered_json::array();
      for (const auto& c : children[name]) n["children"].push_back(node(c));
      return n;
    };
    nlohmann::ordered_json doc = nlohmann::ordered_json::array();
    for (const auto& r : roots) doc.push_back(node(r));
    PrintJson(doc);
    return kExitOk;
  }
  // Iterative, so a deep chain (128 layers and more) cannot overflow the stack.
  std::vector<std::pair<std::string, size_t>> stack;
  for (auto it = roots.rbegin(); it != roots.rend(); ++it) stack.emplace_back(*it, 0);
  while (!stack.empty()) {
    auto [name, depth] = stack.back();
    stack.pop_back();
    fmt::print("{}{}\n", std::string(depth * 2, ' '), depth == 0 ? name : "\\_ " + name);
    const auto& kids = children[name];
    for (auto it = kids.rbegin(); it != kids.rend(); ++it) stack.emplace_back(*it, depth + 1);
  }
  return kExitOk;
}

int RunInfo(Invocation& inv) {
  const std::string& key = inv.positionals()[0];
  snapshots::StatSnapshotRequest request;
  request.set_snapshotter(Snapshotter(inv));
  request.set_key(key);
  snapshots::StatSnapshotResponse response;
  if (auto status = inv.client().Call(&Stub::Stat, request, &response); !status.ok()) {
    return inv.Fail(fmt::format("stat snapshot {}", key), status);
  }
  PrintJson(InfoJson(response.info()));  // always JSON, as ctr prints it
  return kExitOk;
}

int RunLabel(Invocation& inv) {
  const std::string& key = inv.positionals().front();
  std::map<std::string, std::string> labels;
  std::string error;
  if (!ParseLabelArgs(std::span(inv.positionals()).subspan(1), labels, error)) return inv.UsageError(error);
  if (labels.empty()) return kExitOk;  // an empty mask would replace every label
  snapshots::UpdateSnapshotRequest request;
  request.set_snapshotter(Snapshotter(inv));
  request.mutable_info()->set_name(key);
  for (const auto& [k, v] : labels) {
    (*request.mutable_info()->mutable_labels())[k] = v;
    request.mutable_update_mask()->add_paths("labels." + k);
  }
  snapshots::UpdateSnapshotResponse response;
  if (auto status = inv.client().Call(&Stub::Update, request, &response); !status.ok()) {
    return inv.Fail(fmt::format("label snapshot {}", key), status);
  }
  if (inv.json()) {
    PrintJson(InfoJson(response.info()));
  } else {
    fmt::print("{}\n", key);
  }
  return kExitOk;
}

const OptionSpec kLabelOption{'l', "label", "KEY=VALUE", "a label for the snapshot (repeatable)"};
const OptionSpec kMountsOption{'\0', "mounts", "TARGET", "print the mount commands for TARGET"};

}  // namespace

Command SnapshotsCommand() {
  return {
      .name = "snapshots",
      .aliases = {"snapshot"},
      .summary = "manage snapshots",
      .subcommands =
          {
              {
                  .name = "list",
                  .aliases = {"ls"},
                  .summary = "list snapshots",
                  .synopsis = "[FILTER...]",
                  .description = "List the snapshots matching any of the filters (name, parent, kind,\n"
                                 "labels.\"k\"), or all of them.",
                  .options = {kSnapshotterOption, {'q', "quiet", "", "print only the keys"}},
                  .run = RunList,
              },
              {
                  .name = "prepare",
                  .summary = "create a writable snapshot",
                  .synopsis = "KEY [PARENT]",
                  .options = {kSnapshotterOption, kLabelOption, kMountsOption},
                  .min_args = 1,
                  .max_args = 2,
                  .run = RunPrepare,
              },
              {
                  .name = "view",
                  .summary = "create a read-only snapshot of a committed one",
                  .synopsis = "KEY [PARENT]",
                  .options = {kSnapshotterOption, kLabelOption, kMountsOption},
                  .min_args = 1,
                  .max_args = 2,
                  .run = RunView,
              },
              {
                  .name = "commit",
                  .summary = "commit an active snapshot under a name",
                  .synopsis = "NAME KEY",
                  .options = {kSnapshotterOption, kLabelOption},
                  .min_args = 2,
                  .max_args = 2,
                  .run = RunCommit,
              },
              {
                  .name = "remove",
                  .aliases = {"rm", "delete"},
                  .summary = "remove snapshots",
                  .synopsis = "KEY...",
                  .description =
                      "Remove snapshots. A snapshot with children cannot be removed. Each failure\n"
                      "is reported; the exit status is 1 if any snapshot could not be removed.",
                  .options = {kSnapshotterOption},
                  .min_args = 1,
                  .run = RunRemove,
              },
              {
                  .name = "mounts",
                  .aliases = {"m", "mount"},
                  .summary = "print the mount commands of a snapshot",
                  .synopsis = "TARGET KEY",
                  .options = {kSnapshotterOption},
                  .min_args = 2,
                  .max_args = 2,
                  .run = RunMounts,
              },
              {
                  .name = "usage",
                  .summary = "print the disk usage of snapshots",
                  .synopsis = "[KEY...]",
                  .options = {kSnapshotterOption},
                  .run = RunUsage,
              },
              {
                  .name = "tree",
                  .summary = "print the snapshots as a tree",
                  .options = {kSnapshotterOption},
                  .max_args = 0,
                  .run = RunTree,
              },
              {
                  .name = "info",
                  .summary = "print a snapshot's information as JSON",
                  .synopsis = "KEY",
                  .options = {kSnapshotterOption},
                  .min_args = 1,
                  .max_args = 1,
                  .run = RunInfo,
              },
              {
                  .name = "label",
                  .summary = "set or clear labels of a snapshot",
                  .synopsis = "KEY [KEY=VALUE...]",
                  .description = "Set labels (a bare KEY means KEY=true); KEY= removes a label.",
                  .options = {kSnapshotterOption},
                  .min_args = 1,
                  .run = RunLabel,
              },
          },
  };
}

}  // namespace berth::cli

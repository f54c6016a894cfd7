// berth snapshots: the snapshots of one snapshotter (--snapshotter, default
// overlayfs or $BERTH_SNAPSHOTTER), as `ctr snapshots` shows them.
#include <fmt/format.h>
#include <google/protobuf/empty.pb.h>

#include <algorithm>
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
#include "snapshotter_option.hpp"

namespace berth::cli {
namespace {

namespace snapshots = containerd::services::snapshots::v1;
using Stub = snapshots::Snapshots::Stub;

std::string kind_name(snapshots::Kind kind) {
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

nlohmann::ordered_json info_json(const snapshots::Info& info) {
  return {{"name", info.name()},
          {"parent", info.parent()},
          {"kind", kind_name(info.kind())},
          {"created_at", rfc3339(info.created_at())},
          {"updated_at", rfc3339(info.updated_at())},
          {"labels", label_map(info.labels())}};
}

// `mount -t TYPE SOURCE TARGET -o OPTIONS`, as ctr prints mounts.
void print_mounts(const google::protobuf::RepeatedPtrField<containerd::types::Mount>& mounts,
                  const std::string& target, bool json) {
  if (json) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::array();
    for (const auto& m : mounts) {
      doc.push_back({{"type", m.type()},
                     {"source", m.source()},
                     {"target", m.target()},
                     {"options", std::vector<std::string>(m.options().begin(), m.options().end())}});
    }
    print_json(doc);
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
bool list_all(Invocation& inv, const std::vector<std::string>& filters, std::vector<snapshots::Info>& out,
              int& exit) {
  if (auto status = inv.client().connect(); !status.ok()) {
    exit = inv.fail("list snapshots", status);
    return false;
  }
  snapshots::ListSnapshotsRequest request;
  request.set_snapshotter(snapshotter_name(inv));
  for (const auto& f : filters) request.add_filters(f);
  grpc::ClientContext context;
  inv.client().prepare(context);
  Stub stub(inv.client().channel());
  auto reader = stub.List(&context, request);
  snapshots::ListSnapshotsResponse response;
  while (reader->Read(&response)) {
    for (auto& info : *response.mutable_info()) out.push_back(std::move(info));
  }
  if (auto status = reader->Finish(); !status.ok()) {
    exit = inv.fail("list snapshots", status);
    return false;
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name() < b.name(); });
  return true;
}

int run_list(Invocation& inv) {
  std::vector<snapshots::Info> infos;
  int exit = kExitOk;
  if (!list_all(inv, inv.positionals(), infos, exit)) return exit;
  if (inv.args().has("quiet")) {
    for (const auto& info : infos) fmt::print("{}\n", info.name());
  } else if (inv.json()) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::array();
    for (const auto& info : infos) doc.push_back(info_json(info));
    print_json(doc);
  } else {
    Table table({"KEY", "PARENT", "KIND"});
    for (const auto& info : infos) table.add_row({info.name(), info.parent(), kind_name(info.kind())});
    table.print();
  }
  return kExitOk;
}

bool label_options(Invocation& inv, std::map<std::string, std::string>& labels) {
  std::string error;
  const auto values = inv.args().values("label");
  if (!parse_label_args(values, labels, error)) {
    (void)inv.usage_error(error);
    return false;
  }
  return true;
}

template <typename Request, typename Response>
int create(Invocation& inv, grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
           std::string_view verb) {
  const std::string& key = inv.positionals().at(0);
  std::map<std::string, std::string> labels;
  if (!label_options(inv, labels)) return kExitUsage;
  Request request;
  request.set_snapshotter(snapshotter_name(inv));
  request.set_key(key);
  if (inv.positionals().size() > 1) request.set_parent(inv.positionals()[1]);
  request.mutable_labels()->insert(labels.begin(), labels.end());
  Response response;
  if (auto status = inv.client().call(method, request, &response); !status.ok()) {
    return inv.fail(fmt::format("{} snapshot {}", verb, key), status);
  }
  if (auto target = inv.args().value("mounts")) {
    print_mounts(response.mounts(), *target, inv.json());
  } else if (inv.json()) {
    print_json({{"key", key}});
  } else {
    fmt::print("{}\n", key);
  }
  return kExitOk;
}

int run_prepare(Invocation& inv) { return create(inv, &Stub::Prepare, "prepare"); }
int run_view(Invocation& inv) { return create(inv, &Stub::View, "view"); }

int run_commit(Invocation& inv) {
  const std::string& name = inv.positionals()[0];
  const std::string& key = inv.positionals()[1];
  std::map<std::string, std::string> labels;
  if (!label_options(inv, labels)) return kExitUsage;
  snapshots::CommitSnapshotRequest request;
  request.set_snapshotter(snapshotter_name(inv));
  request.set_name(name);
  request.set_key(key);
  request.mutable_labels()->insert(labels.begin(), labels.end());
  google::protobuf::Empty response;
  if (auto status = inv.client().call(&Stub::Commit, request, &response); !status.ok()) {
    return inv.fail(fmt::format("commit snapshot {} as {}", key, name), status);
  }
  if (inv.json()) {
    print_json({{"name", name}});
  } else {
    fmt::print("{}\n", name);
  }
  return kExitOk;
}

int run_remove(Invocation& inv) {
  return inv.for_each_positional("remove snapshot", [&](const std::string& key) {
    snapshots::RemoveSnapshotRequest request;
    request.set_snapshotter(snapshotter_name(inv));
    request.set_key(key);
    google::protobuf::Empty response;
    return inv.client().call(&Stub::Remove, request, &response);
  });
}

int run_mounts(Invocation& inv) {
  const std::string& target = inv.positionals()[0];
  const std::string& key = inv.positionals()[1];
  snapshots::MountsRequest request;
  request.set_snapshotter(snapshotter_name(inv));
  request.set_key(key);
  snapshots::MountsResponse response;
  if (auto status = inv.client().call(&Stub::Mounts, request, &response); !status.ok()) {
    return inv.fail(fmt::format("mounts of snapshot {}", key), status);
  }
  print_mounts(response.mounts(), target, inv.json());
  return kExitOk;
}

int run_usage(Invocation& inv) {
  std::vector<std::string> keys = inv.positionals();
  int exit = kExitOk;
  if (keys.empty()) {
    std::vector<snapshots::Info> infos;
    if (!list_all(inv, {}, infos, exit)) return exit;
    for (const auto& info : infos) keys.push_back(info.name());
  }
  nlohmann::ordered_json doc = nlohmann::ordered_json::array();
  Table table({"KEY", "SIZE", "INODES"});
  for (const auto& key : keys) {
    snapshots::UsageRequest request;
    request.set_snapshotter(snapshotter_name(inv));
    request.set_key(key);
    snapshots::UsageResponse response;
    if (auto status = inv.client().call(&Stub::Usage, request, &response); !status.ok()) {
      exit = inv.fail(fmt::format("usage of snapshot {}", key), status);
      if (inv.client().unreachable()) break;
      continue;
    }
    doc.push_back({{"key", key}, {"size", response.size()}, {"inodes", response.inodes()}});
    table.add_row({key, human_size(response.size()), std::to_string(response.inodes())});
  }
  if (inv.json()) {
    print_json(doc);
  } else {
    table.print();
  }
  return exit;
}

int run_tree(Invocation& inv) {
  std::vector<snapshots::Info> infos;
  int exit = kExitOk;
  if (!list_all(inv, {}, infos, exit)) return exit;
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
      nlohmann::ordered_json n = {{"name", name}, {"kind", kind_name(by_name[name]->kind())}};
      n["children"] = nlohmann::ordered_json::array();
      for (const auto& c : children[name]) n["children"].push_back(node(c));
      return n;
    };
    nlohmann::ordered_json doc = nlohmann::ordered_json::array();
    for (const auto& r : roots) doc.push_back(node(r));
    print_json(doc);
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

int run_info(Invocation& inv) {
  const std::string& key = inv.positionals()[0];
  snapshots::StatSnapshotRequest request;
  request.set_snapshotter(snapshotter_name(inv));
  request.set_key(key);
  snapshots::StatSnapshotResponse response;
  if (auto status = inv.client().call(&Stub::Stat, request, &response); !status.ok()) {
    return inv.fail(fmt::format("stat snapshot {}", key), status);
  }
  print_json(info_json(response.info()));  // always JSON, as ctr prints it
  return kExitOk;
}

int run_label(Invocation& inv) {
  const std::string& key = inv.positionals().front();
  std::map<std::string, std::string> labels;
  std::string error;
  if (!parse_label_args(std::span(inv.positionals()).subspan(1), labels, error))
    return inv.usage_error(error);
  if (labels.empty()) return kExitOk;  // an empty mask would replace every label
  snapshots::UpdateSnapshotRequest request;
  request.set_snapshotter(snapshotter_name(inv));
  request.mutable_info()->set_name(key);
  for (const auto& [k, v] : labels) {
    (*request.mutable_info()->mutable_labels())[k] = v;
    request.mutable_update_mask()->add_paths("labels." + k);
  }
  snapshots::UpdateSnapshotResponse response;
  if (auto status = inv.client().call(&Stub::Update, request, &response); !status.ok()) {
    return inv.fail(fmt::format("label snapshot {}", key), status);
  }
  if (inv.json()) {
    print_json(info_json(response.info()));
  } else {
    fmt::print("{}\n", key);
  }
  return kExitOk;
}

const OptionSpec kLabelOption{'l', "label", "KEY=VALUE", "a label for the snapshot (repeatable)"};
const OptionSpec kMountsOption{'\0', "mounts", "TARGET", "print the mount commands for TARGET"};

}  // namespace

Command snapshots_command() {
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
                  .run = run_list,
              },
              {
                  .name = "prepare",
                  .summary = "create a writable snapshot",
                  .synopsis = "KEY [PARENT]",
                  .options = {kSnapshotterOption, kLabelOption, kMountsOption},
                  .min_args = 1,
                  .max_args = 2,
                  .run = run_prepare,
              },
              {
                  .name = "view",
                  .summary = "create a read-only snapshot of a committed one",
                  .synopsis = "KEY [PARENT]",
                  .options = {kSnapshotterOption, kLabelOption, kMountsOption},
                  .min_args = 1,
                  .max_args = 2,
                  .run = run_view,
              },
              {
                  .name = "commit",
                  .summary = "commit an active snapshot under a name",
                  .synopsis = "NAME KEY",
                  .options = {kSnapshotterOption, kLabelOption},
                  .min_args = 2,
                  .max_args = 2,
                  .run = run_commit,
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
                  .run = run_remove,
              },
              {
                  .name = "mounts",
                  .aliases = {"m", "mount"},
                  .summary = "print the mount commands of a snapshot",
                  .synopsis = "TARGET KEY",
                  .options = {kSnapshotterOption},
                  .min_args = 2,
                  .max_args = 2,
                  .run = run_mounts,
              },
              {
                  .name = "usage",
                  .summary = "print the disk usage of snapshots",
                  .synopsis = "[KEY...]",
                  .options = {kSnapshotterOption},
                  .run = run_usage,
              },
              {
                  .name = "tree",
                  .summary = "print the snapshots as a tree",
                  .options = {kSnapshotterOption},
                  .max_args = 0,
                  .run = run_tree,
              },
              {
                  .name = "info",
                  .summary = "print a snapshot's information as JSON",
                  .synopsis = "KEY",
                  .options = {kSnapshotterOption},
                  .min_args = 1,
                  .max_args = 1,
                  .run = run_info,
              },
              {
                  .name = "label",
                  .summary = "set or clear labels of a snapshot",
                  .synopsis = "KEY [KEY=VALUE...]",
                  .description = "Set labels (a bare KEY means KEY=true); KEY= removes a label.",
                  .options = {kSnapshotterOption},
                  .min_args = 1,
                  .run = run_label,
              },
          },
  };
}

}  // namespace berth::cli

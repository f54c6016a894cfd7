// berth containers: create, list, inspect, label and remove container
// records, as `ctr containers` does. Creating one (an OCI spec from an
// image, its snapshot prepared) is shared with `berth run`: cmd_run.cpp.
#include <fmt/format.h>
#include <google/protobuf/empty.pb.h>
#include <google/protobuf/util/json_util.h>

#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "command_table.hpp"
#include "container_create.hpp"
#include "github.com/containerd/containerd/api/services/containers/v1/containers.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/tasks/v1/tasks.grpc.pb.h"
#include "github.com/containerd/containerd/runtime/v2/runc/options/oci.pb.h"
#include "labels.hpp"
#include "output.hpp"

namespace berth::cli {
namespace {

namespace tasks = containerd::services::tasks::v1;
using Stub = containers::Containers::Stub;

std::map<std::string, std::string> labels_of(const containers::Container& c) {
  return {c.labels().begin(), c.labels().end()};
}

// An Any as JSON: its value decoded when it is JSON (ctr's OCI specs are)
// or runc's options, else its type and size only.
nlohmann::ordered_json any_json(const google::protobuf::Any& any) {
  auto parsed = nlohmann::ordered_json::parse(any.value(), nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded()) return parsed;
  containerd::runc::v1::Options runc;
  if (any.type_url() == kRuncOptionsTypeUrl && runc.ParseFromString(any.value())) {
    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    if (google::protobuf::util::MessageToJsonString(runc, &json, options).ok()) {
      nlohmann::ordered_json out{{"type_url", any.type_url()}};
      out.update(nlohmann::ordered_json::parse(json));
      return out;
    }
  }
  return {{"type_url", any.type_url()}, {"bytes", any.value().size()}};
}

nlohmann::ordered_json container_json(const containers::Container& c) {
  nlohmann::ordered_json j{{"id", c.id()},
                           {"labels", labels_of(c)},
                           {"image", c.image()},
                           {"runtime", {{"name", c.runtime().name()}}},
                           {"snapshotter", c.snapshotter()},
                           {"snapshot_key", c.snapshot_key()},
                           {"created_at", rfc3339(c.created_at())},
                           {"updated_at", rfc3339(c.updated_at())}};
  if (c.runtime().has_options()) j["runtime"]["options"] = any_json(c.runtime().options());
  if (c.has_spec()) j["spec"] = any_json(c.spec());
  nlohmann::ordered_json extensions = nlohmann::ordered_json::object();
  for (const auto& [name, any] : c.extensions()) extensions[name] = any_json(any);
  j["extensions"] = extensions;
  return j;
}

int run_list(Invocation& inv) {
  containers::ListContainersRequest request;
  for (const auto& f : inv.positionals()) request.add_filters(f);
  containers::ListContainersResponse response;
  if (auto status = inv.client().call(&Stub::List, request, &response); !status.ok())
    return inv.fail("list containers", status);
  if (inv.args().has("quiet")) {
    for (const auto& c : response.containers()) fmt::print("{}\n", c.id());
  } else if (inv.json()) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::array();
    for (const auto& c : response.containers()) doc.push_back(container_json(c));
    print_json(doc);
  } else {
    Table table({"CONTAINER", "IMAGE", "RUNTIME"});
    for (const auto& c : response.containers())
      table.add_row({c.id(), c.image().empty() ? "-" : c.image(), c.runtime().name()});
    table.print();
  }
  return kExitOk;
}

int run_info(Invocation& inv) {
  containers::GetContainerRequest request;
  request.set_id(inv.positionals().front());
  containers::GetContainerResponse response;
  if (auto status = inv.client().call(&Stub::Get, request, &response); !status.ok())
    return inv.fail(fmt::format("container {}", request.id()), status);
  print_json(container_json(response.container()));
  return kExitOk;
}

int run_label(Invocation& inv) {
  const std::string& id = inv.positionals().front();
  std::map<std::string, std::string> labels;
  std::string error;
  if (!parse_label_args(std::span(inv.positionals()).subspan(1), labels, error))
    return inv.usage_error(error);
  // With no paths in the mask, Update would replace the whole record (and be
  // refused: the snapshotter is immutable), so no labels means nothing to do.
  if (labels.empty()) return kExitOk;
  containers::UpdateContainerRequest request;
  request.mutable_container()->set_id(id);
  for (const auto& [key, value] : labels) {
    (*request.mutable_container()->mutable_labels())[key] = value;
    request.mutable_update_mask()->add_paths("labels." + key);
  }
  containers::UpdateContainerResponse response;
  if (auto status = inv.client().call(&Stub::Update, request, &response); !status.ok())
    return inv.fail(fmt::format("label container {}", id), status);
  fmt::print("{}\n", join_label_map(response.container().labels()));
  return kExitOk;
}

// As ctr's `containers rm`: refused while the container has a task; the
// container's snapshot goes with it.
grpc::Status remove_container(Invocation& inv, const std::string& id) {
  containers::GetContainerRequest get;
  get.set_id(id);
  containers::GetContainerResponse found;
  if (auto status = inv.client().call(&Stub::Get, get, &found); !status.ok()) return status;
  tasks::GetRequest task;
  task.set_container_id(id);
  tasks::GetResponse running;
  auto has_task = inv.client().call(&tasks::Tasks::Stub::Get, task, &running);
  if (has_task.ok())
    return {grpc::StatusCode::FAILED_PRECONDITION, "container " + id + " has a task; delete the task first"};
  // No Tasks service yet (UNIMPLEMENTED) means no task either.
  if (has_task.error_code() != grpc::StatusCode::NOT_FOUND &&
      has_task.error_code() != grpc::StatusCode::UNIMPLEMENTED)
    return has_task;
  return delete_container(inv.client(), found.container());
}

int run_remove(Invocation& inv) {
  return inv.for_each_positional("remove container",
                                 [&](const std::string& id) { return remove_container(inv, id); });
}

}  // namespace

Command containers_command() {
  return {
      .name = "containers",
      .aliases = {"container", "c"},
      .summary = "manage containers",
      .subcommands =
          {
              containers_create_command(),
              {
                  .name = "list",
                  .aliases = {"ls"},
                  .summary = "list containers",
                  .synopsis = "[FILTER...]",
                  .description = "List the namespace's containers; FILTERs in containerd's syntax (id==x,\n"
                                 "image~=busybox, runtime.name==..., labels.k==v): any may match.",
                  .options = {{'q', "quiet", "", "print only the container ids"}},
                  .run = run_list,
              },
              {
                  .name = "info",
                  .summary = "print a container's record as JSON",
                  .synopsis = "ID",
                  .description = "Print the container's record; its OCI spec and runtime options are shown\n"
                                 "decoded when they are JSON.",
                  .min_args = 1,
                  .max_args = 1,
                  .run = run_info,
              },
              {
                  .name = "label",
                  .summary = "set and clear labels of a container",
                  .synopsis = "ID [KEY=VALUE...]",
                  .description = "Set labels of a container (a bare KEY means KEY=true); KEY= with an empty\n"
                                 "value removes the label. Prints the labels it then has.",
                  .min_args = 1,
                  .run = run_label,
              },
              {
                  .name = "remove",
                  .aliases = {"rm", "delete", "del"},
                  .summary = "remove one or more containers and their snapshots",
                  .synopsis = "ID...",
                  .description =
                      "Remove containers that have no task, with the snapshot each was given.\n"
                      "Each failure is reported; the exit status is 1 if any could not be removed.",
                  .min_args = 1,
                  .run = run_remove,
              },
          },
  };
}

}  // namespace berth::cli

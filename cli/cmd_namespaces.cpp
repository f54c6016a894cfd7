// berth namespaces: create, list, label and remove namespaces, as
// `ctr namespaces` does.
#include <fmt/format.h>
#include <google/protobuf/empty.pb.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "command_table.hpp"
#include "github.com/containerd/containerd/api/services/namespaces/v1/namespace.grpc.pb.h"
#include "labels.hpp"
#include "output.hpp"

namespace berth::cli {
namespace {

namespace namespaces = containerd::services::namespaces::v1;
using Stub = namespaces::Namespaces::Stub;

int run_create(Invocation& inv) {
  const std::string& name = inv.positionals().front();
  std::map<std::string, std::string> labels;
  std::string error;
  if (!parse_label_args(std::span(inv.positionals()).subspan(1), labels, error))
    return inv.usage_error(error);

  namespaces::CreateNamespaceRequest request;
  request.mutable_namespace_()->set_name(name);
  request.mutable_namespace_()->mutable_labels()->insert(labels.begin(), labels.end());
  namespaces::CreateNamespaceResponse response;
  if (auto status = inv.client().call(&Stub::Create, request, &response); !status.ok()) {
    return inv.fail(fmt::format("create namespace {}", name), status);
  }
  return kExitOk;
}

int run_list(Invocation& inv) {
  namespaces::ListNamespacesRequest request;
  namespaces::ListNamespacesResponse response;
  // ctr follows List with a Get per namespace because its Go client drops the
  // labels List already returns; one call is enough.
  if (auto status = inv.client().call(&Stub::List, request, &response); !status.ok()) {
    return inv.fail("list namespaces", status);
  }
  std::vector<const namespaces::Namespace*> sorted;
  for (const auto& ns : response.namespaces()) sorted.push_back(&ns);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->name() < b->name(); });

  if (inv.args().has("quiet")) {
    for (const auto* ns : sorted) fmt::print("{}\n", ns->name());
  } else if (inv.json()) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::array();
    for (const auto* ns : sorted) {
      doc.push_back(
          {{"name", ns->name()},
           {"labels", std::map<std::string, std::string>(ns->labels().begin(), ns->labels().end())}});
    }
    print_json(doc);
  } else {
    Table table({"NAME", "LABELS"});
    for (const auto* ns : sorted) {
      std::string labels = join_label_map(ns->labels());
      table.add_row({ns->name(), labels.empty() ? "-" : labels});
    }
    table.print();
  }
  return kExitOk;
}

int run_label(Invocation& inv) {
  const std::string& name = inv.positionals().front();
  std::map<std::string, std::string> labels;
  std::string error;
  if (!parse_label_args(std::span(inv.positionals()).subspan(1), labels, error))
    return inv.usage_error(error);
  // With no paths in the mask, Update would replace the whole label set
  // (clearing it here), so no labels means nothing to do, as in ctr.
  if (labels.empty()) return kExitOk;

  // ctr sends one Update per label; one Update whose mask names every label
  // does the same in a single transaction, so a failure leaves none applied.
  namespaces::UpdateNamespaceRequest request;
  request.mutable_namespace_()->set_name(name);
  for (const auto& [key, value] : labels) {
    (*request.mutable_namespace_()->mutable_labels())[key] = value;
    request.mutable_update_mask()->add_paths("labels." + key);
  }
  namespaces::UpdateNamespaceResponse response;
  if (auto status = inv.client().call(&Stub::Update, request, &response); !status.ok()) {
    return inv.fail(fmt::format("label namespace {}", name), status);
  }
  return kExitOk;
}

int run_remove(Invocation& inv) {
  // Unlike ctr, a namespace that does not exist is reported: `rm` of a typo
  // should not look like success.
  return inv.for_each_positional("remove namespace", [&](const std::string& name) {
    namespaces::DeleteNamespaceRequest request;
    request.set_name(name);
    google::protobuf::Empty response;
    return inv.client().call(&Stub::Delete, request, &response);
  });
}

}  // namespace

Command namespaces_command() {
  return {
      .name = "namespaces",
      .aliases = {"namespace", "ns"},
      .summary = "manage namespaces",
      .subcommands =
          {
              {
                  .name = "create",
                  .aliases = {"c"},
                  .summary = "create a new namespace",
                  .synopsis = "NAME [KEY=VALUE...]",
                  .description = "Create a namespace with the given labels (a bare KEY means KEY=true).\n"
                                 "The name must not be in use.",
                  .min_args = 1,
                  .run = run_create,
              },
              {
                  .name = "list",
                  .aliases = {"ls"},
                  .summary = "list namespaces and their labels",
                  .options = {{'q', "quiet", "", "print only the namespace names"}},
                  .max_args = 0,
                  .run = run_list,
              },
              {
                  .name = "label",
                  .summary = "set and clear labels of a namespace",
                  .synopsis = "NAME [KEY=VALUE...]",
                  .description = "Set labels of a namespace (a bare KEY means KEY=true); KEY= with an empty\n"
                                 "value removes the label. Other labels are left as they are.",
                  .min_args = 1,
                  .run = run_label,
              },
              {
                  .name = "remove",
                  .aliases = {"rm", "delete"},
                  .summary = "remove one or more namespaces",
                  .synopsis = "NAME...",
                  .description =
                      "Remove namespaces, which must be empty. Each failure is reported; the exit\n"
                      "status is 1 if any namespace could not be removed.",
                  .min_args = 1,
                  .run = run_remove,
              },
          },
  };
}

}  // namespace berth::cli

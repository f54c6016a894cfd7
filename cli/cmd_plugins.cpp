// berth plugins ls: what the daemon loaded and how each plugin fared, as
// `ctr plugins ls` shows it.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "command_table.hpp"
#include "github.com/containerd/containerd/api/services/introspection/v1/introspection.grpc.pb.h"
#include "output.hpp"

namespace berth::cli {
namespace {

namespace introspection = containerd::services::introspection::v1;

// containerd's platforms.Format: "os/arch/variant" without empty parts.
std::string format_platform(const containerd::types::Platform& p) {
  if (p.os().empty()) return "unknown";
  std::string text = p.os();
  for (const std::string& part : {p.architecture(), p.variant()}) {
    if (!part.empty()) text += "/" + part;
  }
  return text;
}

// Sorted and without repeats, as ctr prints them.
std::vector<std::string> platform_names(const introspection::Plugin& plugin) {
  std::set<std::string> unique;
  for (const auto& p : plugin.platforms()) unique.insert(format_platform(p));
  return {unique.begin(), unique.end()};
}

// A plugin that declined to load (e.g. a snapshotter on an unsupported
// filesystem) reports containerd's plugin.ErrSkipPlugin, "skip plugin": that
// is not an error, and ctr tells the two apart by this text too.
std::string_view plugin_status(const introspection::Plugin& plugin) {
  if (!plugin.has_init_err()) return "ok";
  return plugin.init_err().message().find("skip plugin") != std::string::npos ? "skip" : "error";
}

std::string_view error_code_name(int code) { return code_name(static_cast<grpc::StatusCode>(code)); }

std::vector<std::pair<std::string, std::string>> sorted_exports(const introspection::Plugin& plugin) {
  std::vector<std::pair<std::string, std::string>> exports(plugin.exports().begin(), plugin.exports().end());
  std::sort(exports.begin(), exports.end());
  return exports;
}

nlohmann::ordered_json to_json(const introspection::Plugin& plugin) {
  nlohmann::ordered_json exports = nlohmann::ordered_json::object();
  for (const auto& [key, value] : sorted_exports(plugin)) exports[key] = value;
  nlohmann::ordered_json error = nullptr;
  if (plugin.has_init_err()) {
    error = {{"code", error_code_name(plugin.init_err().code())}, {"message", plugin.init_err().message()}};
  }
  return {
      {"type", plugin.type()},
      {"id", plugin.id()},
      {"requires", std::vector<std::string>(plugin.requires_().begin(), plugin.requires_().end())},
      {"platforms", platform_names(plugin)},
      {"exports", std::move(exports)},
      {"capabilities", std::vector<std::string>(plugin.capabilities().begin(), plugin.capabilities().end())},
      {"status", plugin_status(plugin)},
      {"error", std::move(error)},
  };
}

// `ctr plugins ls -d`: one block per plugin, only the parts it has.
std::string detailed(const introspection::Plugin& plugin) {
  constexpr int kLabelWidth = 14;
  std::string text;
  auto field = [&](std::string_view label, std::string_view value) {
    text += fmt::format("{:<{}}{}", label, kLabelWidth, value);
    text.erase(text.find_last_not_of(' ') + 1);
    text += '\n';
  };
  field("Type:", plugin.type());
  field("ID:", plugin.id());
  if (plugin.requires_size() > 0) {
    field("Requires:", "");
    for (const std::string& r : plugin.requires_()) field("", r);
  }
  if (plugin.platforms_size() > 0)
    field("Platforms:", fmt::format("{}", fmt::join(platform_names(plugin), ",")));
  if (plugin.exports_size() > 0) {
    field("Exports:", "");
    const auto exports = sorted_exports(plugin);
    size_t width = 0;
    for (const auto& [key, value] : exports) width = std::max(width, display_width(key));
    for (const auto& [key, value] : exports) {
      field("", fmt::format("{}{}   {}", key, std::string(width - display_width(key), ' '), value));
    }
  }
  if (plugin.capabilities_size() > 0) {
    field("Capabilities:", fmt::format("{}", fmt::join(plugin.capabilities(), ",")));
  }
  if (plugin.has_init_err()) {
    field("Error:", "");
    field("", fmt::format("Code:     {}", error_code_name(plugin.init_err().code())));
    field("", fmt::format("Message:  {}", plugin.init_err().message()));
  }
  return text;
}

int run_list(Invocation& inv) {
  introspection::PluginsRequest request;
  // Passed through untouched: the daemon parses containerd's filter syntax.
  for (const std::string& filter : inv.positionals()) request.add_filters(filter);
  introspection::PluginsResponse response;
  auto status = inv.client().call(&introspection::Introspection::Stub::Plugins, request, &response);
  if (!status.ok()) return inv.fail("list plugins", status);

  if (inv.args().has("quiet")) {
    for (const auto& plugin : response.plugins()) fmt::print("{}\n", plugin.id());
  } else if (inv.json()) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::array();
    for (const auto& plugin : response.plugins()) doc.push_back(to_json(plugin));
    print_json(doc);
  } else if (inv.args().has("detailed")) {
    std::vector<std::string> blocks;
    for (const auto& plugin : response.plugins()) blocks.push_back(detailed(plugin));
    fmt::print("{}", fmt::join(blocks, "\n"));
  } else {
    Table table({"TYPE", "ID", "PLATFORMS", "STATUS"});
    for (const auto& plugin : response.plugins()) {
      std::vector<std::string> platforms = platform_names(plugin);
      table.add_row({plugin.type(), plugin.id(),
                     platforms.empty() ? "-" : fmt::format("{}", fmt::join(platforms, ",")),
                     std::string(plugin_status(plugin))});
    }
    table.print();
  }
  return kExitOk;
}

}  // namespace

Command plugins_command() {
  return {
      .name = "plugins",
      .aliases = {"plugin"},
      .summary = "show the daemon's plugins",
      .subcommands =
          {
              {
                  .name = "list",
                  .aliases = {"ls"},
                  .summary = "list plugins, their platforms and whether they loaded",
                  .synopsis = "[FILTER...]",
                  .description =
                      "List the daemon's plugins. Filters use containerd's syntax and are applied by the\n"
                      "daemon, e.g. type==io.containerd.snapshotter.v1 or id==overlayfs; several filters\n"
                      "match plugins that pass any of them. With --format json every detail is included.",
                  .options =
                      {
                          {'q', "quiet", "", "print only the plugin IDs"},
                          {'d', "detailed", "",
                           "print everything about each plugin, including why it failed"},
                      },
                  .run = run_list,
              },
          },
  };
}

}  // namespace berth::cli

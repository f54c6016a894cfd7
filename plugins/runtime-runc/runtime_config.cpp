#include "runtime_config.hpp"

#include "berth/config.hpp"
#include "github.com/containerd/containerd/runtime/v2/runc/options/oci.pb.h"

namespace berth::runtime_runc {

const char* const kDefaultRuntimeConfig =
    "[runtimes.\"io.containerd.runc.v2\"]\n"
    "shim = \"containerd-shim-berth-v2\"\n"
    "[runtimes.\"io.containerd.runc.v2\".options]\n"
    "BinaryName = \"\"\n"
    "Root = \"\"\n"
    "SystemdCgroup = false\n";

AnyValue RuncOptions::to_any() const {
  containerd::runc::v1::Options pb;
  pb.set_binary_name(binary_name);
  pb.set_root(root);
  pb.set_systemd_cgroup(systemd_cgroup);
  AnyValue any;
  // The bare message name, as containerd's typeurl registers runc's options.
  any.type_url = containerd::runc::v1::Options::descriptor()->full_name();
  pb.SerializeToString(&any.value);
  return any;
}

Result<std::optional<AnyValue>> with_runc_root(std::optional<AnyValue> options,
                                               const std::string& default_root) {
  const std::string runc_type = containerd::runc::v1::Options::descriptor()->full_name();
  if (!options) {
    RuncOptions fresh;
    fresh.root = default_root;
    return std::optional<AnyValue>(fresh.to_any());
  }
  // containerd's clients write the bare name; others the type.googleapis.com form.
  const std::string& url = options->type_url;
  if (url != runc_type && !url.ends_with("/" + runc_type)) return options;
  containerd::runc::v1::Options pb;
  if (!pb.ParseFromString(options->value))
    return invalid_argument("the task's runtime options (" + url + ") do not decode");
  if (!pb.root().empty()) return options;
  pb.set_root(default_root);
  pb.SerializeToString(&options->value);
  return options;
}

namespace {

Result<RuntimeEntry> parse_entry(const std::string& name, const toml::table& table) {
  const std::string where = "runtimes.\"" + name + "\"";
  RuntimeEntry entry;
  auto shim = config_value<std::string>(table, "shim", "");
  if (!shim.ok()) return invalid_argument(where + ": " + shim.status().message());
  entry.shim = *shim;
  if (const toml::node* node = table.get("options")) {
    const toml::table* options = node->as_table();
    if (options == nullptr) return invalid_argument(where + ".options must be a table");
    auto binary = config_value<std::string>(*options, "BinaryName", "");
    auto root = config_value<std::string>(*options, "Root", "");
    auto systemd = config_value<bool>(*options, "SystemdCgroup", false);
    for (const Status* st : {&binary.status(), &root.status(), &systemd.status()}) {
      if (!st->ok()) return invalid_argument(where + ".options: " + st->message());
    }
    entry.options = {*binary, *root, *systemd};
  }
  return entry;
}

}  // namespace

Result<RuntimeConfig> parse_runtime_config(const InitContext& ctx) {
  auto config = parse_plugin_config(ctx);
  if (!config.ok()) return config.status();
  RuntimeConfig out;
  const toml::node* node = config->get("runtimes");
  if (node == nullptr) return out;
  const toml::table* runtimes = node->as_table();
  if (runtimes == nullptr) return invalid_argument("config key 'runtimes' must be a table of runtime names");
  for (const auto& [key, value] : *runtimes) {
    const std::string name(key.str());
    const toml::table* table = value.as_table();
    if (table == nullptr) return invalid_argument("runtimes.\"" + name + "\" must be a table");
    auto entry = parse_entry(name, *table);
    if (!entry.ok()) return entry.status();
    out.runtimes.emplace(name, std::move(entry).value());
  }
  return out;
}

}  // namespace berth::runtime_runc

// A plugin's effective configuration: its declared defaults overlaid with the
// operator's [plugins."<type>.<id>"] section, checked key by key.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <vector>

#include "berth/status.hpp"
#include "config.hpp"
#include "plugin_loader.hpp"

namespace berth::host {

// Warns (file:line) about sections naming no known plugin and keys a plugin
// does not declare; a value whose type differs from the default's is an
// InvalidArgument naming file:line:col and the key.
Status check_plugin_sections(const DaemonConfig& config, const std::vector<PluginDescriptor>& plugins,
                             Warnings& warnings);

// defaults overlaid with `user` (tables merge recursively, other values replace).
toml::table overlay(const toml::table& defaults, const toml::table& user);

// The effective config for one plugin.
toml::table effective_plugin_config(const DaemonConfig& config, const PluginDescriptor& plugin);

// TOML text of a table, as plugins receive it and `config dump` prints it.
std::string to_text(const toml::table& table);

}  // namespace berth::host

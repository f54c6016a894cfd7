// `berthd config default` and `berthd config dump`.
#pragma once

#include <filesystem>
#include <ostream>

#include "config.hpp"

namespace berth::host {

// The built-in defaults plus every discovered plugin's default section.
int print_default_config(std::ostream& out, const std::filesystem::path& builtin_dir);
// The config berthd would run with: file and flags, plugin sections overlaid on defaults.
int print_effective_config(std::ostream& out, const DaemonConfig& config,
                           const std::filesystem::path& builtin_dir);

}  // namespace berth::host

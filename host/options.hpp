// berthd's command line: flags override the config file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "berth/status.hpp"

namespace berth::host {

struct Options {
  std::optional<std::string> config;
  std::optional<std::string> root;
  std::optional<std::string> state;
  std::optional<std::string> address;
  std::optional<std::string> log_level;
  std::vector<std::string> command;  // e.g. {"config", "default"}
  bool help = false;
  bool version = false;
};

Result<Options> parse_options(int argc, char** argv);
extern const char* const kUsage;

}  // namespace berth::host
